package kafka

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// newCluster starts a one-broker kfake cluster on loopback TCP with the topics seeded
// with `partitions` partitions each; auto topic creation is off, as in production.
func newCluster(t testing.TB, partitions int, topics ...string) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(int32(partitions), topics...))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// newOutput builds and connects the output from YAML (seed_brokers are added).
func newOutput(t testing.TB, c *kfake.Cluster, yaml string) *kafkaOutput {
	t.Helper()
	full := fmt.Sprintf("seed_brokers: [%q]\n%s", strings.Join(c.ListenAddrs(), ","), yaml)
	conf, err := kafkaOutputSpec().ParseYAML(full, nil)
	require.NoError(t, err)
	out, err := newKafkaOutput(conf, service.MockResources().Logger())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, out.Connect(ctx))
	t.Cleanup(func() { _ = out.Close(context.Background()) })
	return out
}

// consume reads n records from the start of the topics with a plain franz-go consumer.
func consume(t testing.TB, c *kfake.Cluster, n int, topics ...string) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records before the deadline", len(out), n)
		}
		require.NoError(t, fs.Err0())
		out = append(out, fs.Records()...)
	}
	require.Len(t, out, n, "more records than produced")
	return out
}

func msg(body string, meta ...string) *service.Message {
	m := service.NewMessage([]byte(body))
	for i := 0; i+1 < len(meta); i += 2 {
		m.MetaSetMut(meta[i], meta[i+1])
	}
	return m
}

// failedIndexes lists the indexes a BatchError marks failed, with their errors.
func failedIndexes(t testing.TB, batch service.MessageBatch, err error) map[int]error {
	t.Helper()
	var be *service.BatchError
	require.ErrorAs(t, err, &be)
	got := map[int]error{}
	be.WalkMessages(func(i int, _ *service.Message, e error) bool {
		if e != nil {
			got[i] = e
		}
		return true
	})
	return got
}

// murmur2 is Kafka's Utils.murmur2 (the Java client's key hash), written from its
// definition so that the test checks placement independently of kgo.
func murmur2(data []byte) int32 {
	const seed, m, r = uint32(0x9747b28c), uint32(0x5bd1e995), 24
	h := seed ^ uint32(len(data))
	n := len(data) / 4
	for i := range n {
		k := uint32(data[i*4]) | uint32(data[i*4+1])<<8 | uint32(data[i*4+2])<<16 | uint32(data[i*4+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	tail := data[n*4:]
	switch len(tail) {
	case 3:
		h ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(tail[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// javaPartition is Kafka's default partition for a key: toPositive(murmur2) % n.
func javaPartition(key []byte, n int) int32 {
	return int32(uint32(murmur2(key))&0x7fffffff) % int32(n)
}

func kerrUnknownTopic() error { return kerr.UnknownTopicOrPartition }
