package kafka

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestStreamRetriesUntilTopicExists runs the output in a Benthos stream whose topic does
// not exist yet: the writes fail and are nacked (logged, never dropped), the input
// replays them, and once the topic is created every message arrives.
func TestStreamRetriesUntilTopicExists(t *testing.T) {
	c := newCluster(t, 1, "other")
	seeds := strings.Join(c.ListenAddrs(), ",")
	sb := service.NewStreamBuilder()
	logs := &syncBuffer{}
	sb.SetLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	require.NoError(t, sb.AddInputYAML(`
generate:
  count: 30
  interval: ""
  mapping: 'root = counter().string()'
`))
	require.NoError(t, sb.AddOutputYAML(fmt.Sprintf(`
kafka:
  seed_brokers: [ %q ]
  topic: late
  key: '${! content() }'
  timeout: 1s
  batching: { count: 10 }
`, seeds)))
	runStream(t, sb)

	time.Sleep(1500 * time.Millisecond) // let writes fail first
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = kadm.NewClient(cl).CreateTopic(ctx, 2, 1, nil, "late")
	require.NoError(t, err)

	require.Contains(t, logs.String(), `not written, first: kafka: producing to topic \"late\": UNKNOWN_TOPIC_OR_PARTITION`, "writes failed loudly before the topic existed")
	seen := map[string]bool{}
	for _, r := range consumeAtLeast(t, c, 30, "late") {
		seen[string(r.Value)] = true
	}
	for i := 1; i <= 30; i++ {
		require.True(t, seen[strconv.Itoa(i)], "message %d lost", i)
	}
}

// consumeAtLeast reads until n records arrived (duplicates from retries allowed).
func consumeAtLeast(t *testing.T, c interface{ ListenAddrs() []string }, n int, topic string) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records before the deadline", len(out), n)
		}
		out = append(out, fs.Records()...)
	}
	return out
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
