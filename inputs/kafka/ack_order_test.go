package kafka

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
)

type readBatch struct {
	part  int32
	first int64
	last  int64
	ack   service.AckFunc
}

// TestOutOfOrderAcks drives the input as Benthos does (through AutoRetryNacksBatched),
// acknowledging batches in shuffled order and nacking a third of them first. After every
// step it commits and checks that the group's offset of each partition is exactly the end
// of the contiguous acknowledged prefix: never beyond (loss), never behind (stuck).
func TestOutOfOrderAcks(t *testing.T) {
	const topic, group, n = "acks", "g-acks", 400
	c := newCluster(t, 2, []string{topic})
	cl := newClient(t, c)
	adm := kadm.NewClient(cl)
	produce(t, cl, topic, 0, n)

	conf, err := kafkaInputSpec().ParseYAML(inputYAMLBody(seedsOf(c), topic, group, "batch_max_records: 7", "commit_period: 1h"), nil)
	require.NoError(t, err)
	raw, err := newKafkaInput(conf, service.MockResources())
	require.NoError(t, err)
	in := service.AutoRetryNacksBatched(raw)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NoError(t, in.Connect(ctx))
	defer func() { _ = in.Close(context.Background()) }()

	read := func() readBatch {
		rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
		defer rcancel()
		b, ack, err := in.ReadBatch(rctx)
		require.NoError(t, err)
		require.NotEmpty(t, b)
		p, _ := b[0].MetaGetMut(metaPartition)
		f, _ := b[0].MetaGetMut(metaOffset)
		l, _ := b[len(b)-1].MetaGetMut(metaOffset)
		return readBatch{part: int32(p.(int64)), first: f.(int64), last: l.(int64), ack: ack}
	}

	var all []readBatch
	for got := int64(0); got < n; {
		b := read()
		all = append(all, b)
		got += b.last - b.first + 1
	}
	rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })

	acked := map[int32]map[int64]bool{0: {}, 1: {}}
	prefix := func(p int32) int64 { // first offset of p not yet acknowledged
		o := int64(0)
		for acked[p][o] {
			o++
		}
		return o
	}
	check := func(step string) {
		t.Helper()
		require.NoError(t, raw.assign.commit(ctx, raw.cl))
		got := committed(t, adm, group, topic)
		for p := range int32(2) {
			want := prefix(p)
			if want == 0 {
				_, ok := got[p]
				assert.False(t, ok && got[p] > 0, "%s: partition %d committed %d with nothing acknowledged", step, p, got[p])
				continue
			}
			assert.Equal(t, want, got[p], "%s: partition %d", step, p)
		}
	}

	// Nack every third batch first: AutoRetryNacksBatched hands it out again.
	var retried int
	for i, b := range all {
		if i%3 == 0 {
			require.NoError(t, b.ack(ctx, errors.New("delta commit conflict")))
			retried++
			check("after nack")
			continue
		}
		require.NoError(t, b.ack(ctx, nil))
		for o := b.first; o <= b.last; o++ {
			acked[b.part][o] = true
		}
		check("after ack")
	}
	// The nacked batches come back (in some order); ack them now, checking each step.
	for range retried {
		b := read()
		require.NoError(t, b.ack(ctx, nil))
		for o := b.first; o <= b.last; o++ {
			acked[b.part][o] = true
		}
		check("after retried ack")
	}
	assert.Equal(t, endOffsets(t, adm, topic), committed(t, adm, group, topic))
	assert.Equal(t, int64(n), sum(committed(t, adm, group, topic)))
}

func inputYAMLBody(seeds, topic, group string, extra ...string) string {
	y := "seed_brokers: [" + quote(seeds) + "]\ntopics: [" + quote(topic) + "]\nconsumer_group: " + quote(group) + "\n"
	for _, e := range extra {
		y += e + "\n"
	}
	return y
}

func quote(s string) string { return `"` + s + `"` }

// TestReconnectAfterClientDeath closes the franz-go client behind the input's back: the
// input reports ErrNotConnected, Connect builds a new client and consumption resumes from
// the committed offsets without a gap.
func TestReconnectAfterClientDeath(t *testing.T) {
	const topic, group, n = "reconnect", "g-reconnect", 300
	c := newCluster(t, 2, []string{topic})
	cl := newClient(t, c)
	adm := kadm.NewClient(cl)
	produce(t, cl, topic, 0, n)

	conf, err := kafkaInputSpec().ParseYAML(inputYAMLBody(seedsOf(c), topic, group, "batch_max_records: 10", "commit_period: 50ms"), nil)
	require.NoError(t, err)
	in, err := newKafkaInput(conf, service.MockResources())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NoError(t, in.Connect(ctx))
	defer func() { _ = in.Close(context.Background()) }()

	s := newSeen()
	readSome := func(k int) error {
		for range k {
			rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
			b, ack, err := in.ReadBatch(rctx)
			rcancel()
			if err != nil {
				return err
			}
			s.addBatch(b)
			require.NoError(t, ack(ctx, nil))
		}
		return nil
	}
	require.NoError(t, readSome(5))
	in.mu.Lock()
	in.cl.Close()
	in.mu.Unlock()

	// Drain what was queued before the death, until the input notices it.
	for {
		if err = readSome(1); err != nil {
			break
		}
	}
	require.ErrorIs(t, err, service.ErrNotConnected)
	require.NoError(t, in.Connect(ctx))
	end := endOffsets(t, adm, topic)
	for len(s.missing(end)) > 0 {
		require.NoError(t, readSome(1))
	}
	eventually(t, 10*time.Second, "commits to the end", func() bool { return sum(committed(t, adm, group, topic)) == n })
}
