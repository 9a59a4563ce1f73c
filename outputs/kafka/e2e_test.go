package kafka

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/redpanda-data/benthos/v4/public/components/pure" // metrics, tracer and buffer "none"
	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/require"

	_ "github.com/ledgerflow/ledgerflow/inputs/kafka"
	_ "github.com/ledgerflow/ledgerflow/inputs/mysql"
	"github.com/ledgerflow/ledgerflow/inputs/mysql/mariadbtest"
	_ "github.com/ledgerflow/ledgerflow/processors/debezium"
)

// runStream builds nothing itself: it runs a built stream until the test ends and stops it
// with a timeout (a stream whose output never acks would otherwise hang Stop).
func runStream(t *testing.T, sb *service.StreamBuilder) {
	t.Helper()
	stream, err := sb.Build()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = stream.Run(ctx) }()
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer scancel()
		_ = stream.Stop(sctx)
		cancel()
	})
}

// TestEndToEnd: MariaDB → mysql_cdc → this output → Kafka (kfake) → kafka input →
// debezium_unwrap. Inserts, updates and deletes of bank.transactions arrive unwrapped,
// with exact decimal amounts, in the order they were committed.
func TestEndToEnd(t *testing.T) {
	srv := mariadbtest.Start(t)
	const topic = "bank_server.bank.transactions"
	c := newCluster(t, 3, topic)
	seeds := strings.Join(c.ListenAddrs(), ",")

	srv.Exec("INSERT INTO bank.transactions (transaction_id, account_id, customer_id, amount, currency, status, transaction_type, event_ts, created_at) VALUES (1, 1, 1, 10.05, 'EUR', 'pending', 'purchase', '2024-01-01 00:00:00', '2024-01-01 00:00:00')")

	// Stream 1: CDC into Kafka.
	cdc := service.NewStreamBuilder()
	require.NoError(t, cdc.SetLoggerYAML("level: warn"))
	require.NoError(t, cdc.AddInputYAML(fmt.Sprintf(`
mysql_cdc:
  dsn: "debezium:dbz@tcp(127.0.0.1:%d)/"
  flavor: mariadb
  tables: [ bank.transactions ]
  checkpoint_file: %s/cdc.json
  checkpoint_interval: 0s
`, srv.Port, t.TempDir())))
	require.NoError(t, cdc.AddOutputYAML(fmt.Sprintf(`
kafka:
  seed_brokers: [ %q ]
  topic: '${! meta("debezium_topic") }'
  metadata_headers: { include_prefixes: [ debezium_op ] }
  batching: { count: 50, period: 20ms }
`, seeds)))
	runStream(t, cdc)

	// Stream 2: Kafka into unwrapped rows.
	type row struct {
		ID      int64  `json:"transaction_id"`
		Amount  string `json:"amount"`
		Status  string `json:"status"`
		Op      string `json:"_op"`
		Deleted bool   `json:"_deleted"`
	}
	var mu sync.Mutex
	var rows []row
	tombstones := 0
	sink := service.NewStreamBuilder()
	require.NoError(t, sink.SetLoggerYAML("level: warn"))
	require.NoError(t, sink.AddInputYAML(fmt.Sprintf(`
kafka:
  seed_brokers: [ %q ]
  topics: [ %s ]
  consumer_group: e2e
  commit_period: 100ms
`, seeds, topic)))
	require.NoError(t, sink.AddProcessorYAML(`
debezium_unwrap:
  schema_file: ../../schemas/transactions.yaml
  tombstone_handling: keep
`))
	require.NoError(t, sink.AddBatchConsumerFunc(func(_ context.Context, b service.MessageBatch) error {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range b {
			if err := m.GetError(); err != nil {
				return fmt.Errorf("unwrap failed: %w", err)
			}
			if v, _ := m.MetaGet("kafka_tombstone"); v == "true" {
				tombstones++
				continue
			}
			raw, err := m.AsBytes()
			if err != nil {
				return err
			}
			var r row
			if err := json.Unmarshal(raw, &r); err != nil {
				return fmt.Errorf("row %s: %w", raw, err)
			}
			rows = append(rows, r)
		}
		return nil
	}))
	runStream(t, sink)

	// Change the table only once the snapshot has been read: a row inserted while the
	// snapshot's consistent read is still to come would rightly arrive as a snapshot read.
	snapshotDeadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(rows)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(snapshotDeadline) {
			t.Fatal("the snapshot row never arrived")
		}
		time.Sleep(20 * time.Millisecond)
	}

	srv.Exec(
		"INSERT INTO bank.transactions (transaction_id, account_id, customer_id, amount, currency, status, transaction_type, event_ts, created_at) VALUES (2, 1, 1, 12345678.99, 'EUR', 'pending', 'purchase', '2024-01-01 00:00:00', '2024-01-01 00:00:00')",
		"UPDATE bank.transactions SET status = 'completed', amount = -0.01 WHERE transaction_id = 1",
		"UPDATE bank.transactions SET status = 'completed' WHERE transaction_id = 2",
		"DELETE FROM bank.transactions WHERE transaction_id = 1",
	)
	for i := 3; i <= 40; i++ {
		srv.Exec(fmt.Sprintf("INSERT INTO bank.transactions (transaction_id, account_id, customer_id, amount, currency, status, transaction_type, event_ts, created_at) VALUES (%d, 1, 1, %d.%02d, 'EUR', 'pending', 'purchase', '2024-01-01 00:00:00', '2024-01-01 00:00:00')", i, i, i))
	}
	want := []row{
		{1, "10.05", "pending", "r", false},
		{2, "12345678.99", "pending", "c", false},
		{1, "-0.01", "completed", "u", false},
		{2, "12345678.99", "completed", "u", false},
		{1, "-0.01", "completed", "d", true},
	}
	for i := 3; i <= 40; i++ {
		want = append(want, row{int64(i), fmt.Sprintf("%d.%02d", i, i), "pending", "c", false})
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(rows)
		mu.Unlock()
		if n >= len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d rows arrived: %+v", n, len(want), rows)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	// Rows of one key share a partition and keep their order; across keys partitions may
	// interleave, so compare per key.
	perKey := func(rs []row) map[int64][]row {
		m := map[int64][]row{}
		for _, r := range rs {
			m[r.ID] = append(m[r.ID], r)
		}
		return m
	}
	require.Equal(t, perKey(want), perKey(rows))
	require.Len(t, rows, len(want), "no duplicates in a clean run")
	require.Equal(t, 1, tombstones, "the delete's tombstone arrives as a null value")
}
