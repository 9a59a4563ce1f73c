package delta

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// generateRows is a Benthos generate input of n transactions rows as debezium_unwrap emits
// them, with ids 1..n.
func generateRows(n int) string {
	return fmt.Sprintf(`
input:
  generate:
    count: %d
    interval: ""
    mapping: |
      let id = counter()
      root = {"transaction_id": $id, "account_id": 7, "customer_id": 3, "amount": "1.00", "currency": "EUR",
        "status": "pending", "transaction_type": "purchase", "channel": "online",
        "event_ts": "2024-03-01T10:00:00.123Z", "created_at": "2024-03-01T10:00:00.123Z",
        "_op": "c", "_source_ts": "2024-03-01T10:00:01.000Z", "_source_pos": "%%010d:%%020d:%%06d".format(3, 1000 + $id, 0), "_deleted": false}
`, n)
}

// lockedBuffer collects a stream's logs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestFiniteInputWithCountOnlyBatchingWritesItsLastBatchAndEnds: 90 events with
// batching count 4 leave a partial batch of 2. Without a period it was never written and the
// stream never ended (until SIGTERM: "merge: context canceled"); the default period writes it
// and the stream ends by itself. A warning at start says which period was taken.
func TestFiniteInputWithCountOnlyBatchingWritesItsLastBatchAndEnds(t *testing.T) {
	for _, mode := range []string{"append", "merge"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			sb := service.NewStreamBuilder()
			logs := &lockedBuffer{}
			sb.SetLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
			if err := sb.SetYAML(generateRows(90) + fmt.Sprintf(`
output:
  delta_lake:
    path: %s
    mode: %s
    schema_file: transactions
    batching: { count: 4 }
`, filepath.Join(dir, "silver", "transactions"), mode)); err != nil {
				t.Fatal(err)
			}
			stream, err := sb.Build()
			if err != nil {
				t.Fatal(err)
			}
			// A deadlock guard, not a timing assertion: the stream must end on its own.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if err := stream.Run(ctx); err != nil {
				t.Fatalf("the stream did not end by itself: %v", err)
			}
			if n := len(tableRows(t, filepath.Join(dir, "silver", "transactions"))); n != 90 {
				t.Fatalf("want 90 rows, got %d", n)
			}
			if !strings.Contains(logs.String(), "no period") || !strings.Contains(logs.String(), defaultBatchPeriod) {
				t.Fatalf("no warning about the missing period in the logs:\n%s", logs.String())
			}
		})
	}
}

func TestBatchPolicyDefaultPeriod(t *testing.T) {
	for _, c := range []struct {
		pol  service.BatchPolicy
		want string
	}{
		{service.BatchPolicy{Count: 4}, defaultBatchPeriod},
		{service.BatchPolicy{ByteSize: 1 << 20}, defaultBatchPeriod},
		{service.BatchPolicy{Check: `this.last`}, defaultBatchPeriod},
		{service.BatchPolicy{Count: 4, Period: "2s"}, "2s"},
		{service.BatchPolicy{Count: 1}, ""}, // a batch of one is never partial
		{service.BatchPolicy{}, ""},         // no batching
	} {
		p := c.pol
		withDefaultPeriod(&p)
		if p.Period != c.want {
			t.Errorf("%+v: period %q, want %q", c.pol, p.Period, c.want)
		}
	}
}
