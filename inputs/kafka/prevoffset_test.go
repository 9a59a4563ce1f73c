package kafka

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestPrevOffsetChainsRecordsAcrossGaps checks kafka_prev_offset, which the delta_lake output
// relies on for exactly-once: the first record of an assignment has none, every later one
// names the offset of the record emitted just before it, even where transaction markers
// leave gaps in the offsets.
func TestPrevOffsetChainsRecordsAcrossGaps(t *testing.T) {
	const topic, group = "prev", "g-prev"
	c := newCluster(t, 1, []string{topic})
	txn := newClient(t, c, kgo.TransactionalID("bank-cdc"), kgo.DefaultProduceTopic(topic))
	ctx := context.Background()
	for tx := 0; tx < 3; tx++ {
		require.NoError(t, txn.BeginTransaction())
		for i := 0; i < 4; i++ {
			require.NoError(t, txn.ProduceSync(ctx, &kgo.Record{Value: fmt.Appendf(nil, `{"tx":%d,"i":%d}`, tx, i)}).FirstErr())
		}
		require.NoError(t, txn.EndTransaction(ctx, kgo.TryCommit))
	}

	var mu sync.Mutex
	var got []*service.Message
	stop := startStream(t, inputYAML(seedsOf(c), topic, group), func(_ context.Context, b service.MessageBatch) error {
		mu.Lock()
		got = append(got, b...)
		mu.Unlock()
		return nil
	})
	eventually(t, 20*time.Second, "12 records", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 12 })
	stop()

	prev := int64(-1)
	sawGap := false
	for i, m := range got {
		off, err := strconv.ParseInt(metaOr(m, "kafka_offset"), 10, 64)
		require.NoError(t, err)
		p, hasPrev := m.MetaGet("kafka_prev_offset")
		if i == 0 {
			require.False(t, hasPrev, "the first record of an assignment has no predecessor")
		} else {
			require.Equal(t, strconv.FormatInt(prev, 10), p, "record %d (offset %d)", i, off)
			if off != prev+1 {
				sawGap = true
			}
		}
		prev = off
	}
	require.True(t, sawGap, "transaction markers should leave offset gaps; the test proves nothing without one")
}

func metaOr(m *service.Message, k string) string {
	v, _ := m.MetaGet(k)
	return v
}
