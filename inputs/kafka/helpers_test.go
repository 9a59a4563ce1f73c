package kafka

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	// The core components a stream needs (tracer none, buffer none, ...).
	_ "github.com/redpanda-data/benthos/v4/public/components/pure"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// newCluster starts a one-broker kfake cluster listening on TCP with the topics seeded.
func newCluster(t testing.TB, partitions int32, topics []string, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	all := append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(partitions, topics...)}, opts...)
	c, err := kfake.NewCluster(all...)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func seedsOf(c *kfake.Cluster) string { return strings.Join(c.ListenAddrs(), ",") }

func newClient(t testing.TB, c *kfake.Cluster, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	return cl
}

// debeziumLike returns a Debezium-envelope-shaped JSON value of about size bytes.
func debeziumLike(id, size int) []byte {
	pad := size - 330
	if pad < 0 {
		pad = 0
	}
	return fmt.Appendf(nil, `{"before":null,"after":{"id":%d,"account_id":%d,"amount":"AZ0=","currency":"EUR","status":"PENDING","memo":"%s"},"source":{"version":"2.7.0.Final","connector":"mysql","name":"bank_server","ts_ms":1714521600000,"db":"bank","table":"transactions","server_id":1,"file":"mysql-bin.000003","pos":%d,"row":0},"op":"c","ts_ms":1714521600123}`,
		id, id%977, strings.Repeat("x", pad), 1000+id)
}

// produce writes n records, keyed by their index, round-robin over the partitions, and
// returns how many went to each partition.
func produce(t testing.TB, cl *kgo.Client, topic string, from, n int) {
	t.Helper()
	recs := make([]*kgo.Record, n)
	for i := range recs {
		id := from + i
		recs[i] = &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, `{"id":%d}`, id), Value: debeziumLike(id, 200)}
	}
	require.NoError(t, cl.ProduceSync(context.Background(), recs...).FirstErr())
}

// committed returns the group's committed offsets for topic, by partition; empty before
// the group exists.
func committed(t testing.TB, adm *kadm.Client, group, topic string) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := adm.FetchOffsets(ctx, group)
	out := map[int32]int64{}
	if errors.Is(err, kerr.GroupIDNotFound) {
		return out // nothing committed yet
	}
	require.NoError(t, err)
	for p, o := range resp[topic] {
		require.NoError(t, o.Err)
		out[p] = o.At
	}
	return out
}

func endOffsets(t testing.TB, adm *kadm.Client, topic string) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l, err := adm.ListEndOffsets(ctx, topic)
	require.NoError(t, err)
	out := map[int32]int64{}
	l.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out
}

func sum(m map[int32]int64) int64 {
	var s int64
	for _, v := range m {
		s += v
	}
	return s
}

// seen records every partition:offset a consumer got, with how often.
type seen struct {
	mu sync.Mutex
	m  map[string]int
}

func newSeen() *seen { return &seen{m: map[string]int{}} }

func (s *seen) addBatch(b service.MessageBatch) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range b {
		p, _ := m.MetaGet(metaPartition)
		o, _ := m.MetaGet(metaOffset)
		s.m[p+":"+o]++
	}
}

func (s *seen) distinct() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// missing lists the offsets below end (per partition) that were never seen.
func (s *seen) missing(end map[int32]int64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for p, e := range end {
		for o := int64(0); o < e; o++ {
			if k := fmt.Sprintf("%d:%d", p, o); s.m[k] == 0 {
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// startStream runs input → fn. The stream is built piecewise: SetYAML would add the
// default reject output and fan out to it, nacking everything.
func startStream(t testing.TB, inputYAML string, fn service.MessageBatchHandlerFunc) (stop func()) {
	t.Helper()
	sb := service.NewStreamBuilder()
	require.NoError(t, sb.SetLoggerYAML("level: warn"))
	require.NoError(t, sb.AddInputYAML(inputYAML))
	require.NoError(t, sb.AddBatchConsumerFunc(fn))
	stream, err := sb.Build()
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- stream.Run(context.Background()) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_ = stream.Stop(ctx)
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Errorf("stream did not end 20s after Stop")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// eventually polls cond every 20ms until it holds or timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func inputYAML(seeds, topic, group string, extra ...string) string {
	y := fmt.Sprintf("kafka:\n  seed_brokers: [%q]\n  topics: [%q]\n  consumer_group: %q\n  commit_period: 100ms\n", seeds, topic, group)
	for _, e := range extra {
		y += "  " + e + "\n"
	}
	return y
}
