package tests

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/delta"
	_ "github.com/ledgerflow/ledgerflow/internal/plugins"
)

// The reductions of what TestSilverEqualsSourceModelUnderSIGKILL found, run through a
// Benthos stream as the binary builds it (not the output's unit harness, which parses its
// config differently).

// deltaStream runs a stream whose input is the returned function and whose output is a
// delta_lake output configured by yaml (indented under delta_lake).
func deltaStream(t *testing.T, yaml string) (func(service.MessageBatch), func()) {
	t.Helper()
	b := service.NewStreamBuilder()
	send, err := b.AddBatchProducerFunc()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.SetLoggerYAML("level: warn"); err != nil {
		t.Fatal(err)
	}
	if err := b.AddOutputYAML("delta_lake:\n" + yaml); err != nil {
		t.Fatal(err)
	}
	st, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- st.Run(context.Background()) }()
	return func(batch service.MessageBatch) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := send(ctx, batch); err != nil {
				t.Fatalf("writing the batch: %v", err)
			}
		}, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = st.Stop(ctx)
			<-done
		}
}

// reproRow is an unwrapped bank.transactions change (debezium_unwrap's output) at binlog
// position pos of mysql-bin.000003, with the Kafka coordinates the kafka input stamps.
func reproRow(id int64, status, op string, pos int64, partition int32, offset, prev int64) *service.Message {
	m := service.NewMessage(fmt.Appendf(nil, `{"transaction_id":%d,"account_id":7,"customer_id":3,"merchant_id":null,"amount":"10.00","currency":"EUR","status":%q,"transaction_type":"purchase","channel":"online","event_ts":"2024-03-02T10:00:00.123Z","created_at":"2024-03-01T10:00:00.123Z","_op":%q,"_source_ts":"2024-03-01T10:05:00.000Z","_source_pos":"%010d:%020d:%06d","_deleted":%v}`,
		id, status, op, 3, pos, 0, op == "d"))
	m.MetaSetMut("kafka_topic", txTopic)
	m.MetaSetMut("kafka_partition", strconv.Itoa(int(partition)))
	m.MetaSetMut("kafka_offset", strconv.FormatInt(offset, 10))
	if prev >= 0 {
		m.MetaSetMut("kafka_prev_offset", strconv.FormatInt(prev, 10))
	}
	return m
}

// TestSilverStreamPartitionsByContract: a delta_lake output without partition_by, built by a
// stream as in pipelines/transactions.yaml, must partition silver by the contract's
// event_date and bronze by _ingest_date, as the output's docs say. (In a stream,
// ParsedConfig.Contains reports an optional list field that is absent as present and empty.)
func TestSilverStreamPartitionsByContract(t *testing.T) {
	for _, c := range []struct{ mode, want string }{{"merge", "[event_date]"}, {"append", "[_ingest_date]"}} {
		path := filepath.Join(t.TempDir(), c.mode)
		send, stop := deltaStream(t, fmt.Sprintf("  path: %s\n  mode: %s\n  schema_file: transactions\n  pipeline: repro\n", path, c.mode))
		send(service.MessageBatch{reproRow(1, "pending", "c", 100, 0, 0, -1)})
		stop()
		snap, err := delta.OpenLocal(path).Snapshot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(snap.PartitionColumns()); got != c.want {
			t.Errorf("mode %s: the table is partitioned by %s, want %s", c.mode, got, c.want)
		}
	}
}

// TestSilverRedeliveryInOneBatchKeepsFirstDelivery: a change and its redelivery (same
// change, later offset of the same partition) in one batch, the later offset first, as
// pipeline threads can put them. The merge contract says a redelivery changes nothing, so
// the row must keep the coordinates of the first delivery (offset 0).
func TestSilverRedeliveryInOneBatchKeepsFirstDelivery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "silver")
	send, stop := deltaStream(t, fmt.Sprintf("  path: %s\n  mode: merge\n  schema_file: transactions\n  pipeline: repro\n", path))
	send(service.MessageBatch{
		reproRow(1, "pending", "c", 100, 0, 1, 0),  // the redelivery, offset 1
		reproRow(1, "pending", "c", 100, 0, 0, -1), // the first delivery, offset 0
	})
	stop()
	snap, err := delta.OpenLocal(path).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, _ := snap.Schema()
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rows))
	}
	if off := rows[0][st.Index("_kafka_offset")]; off != int64(0) {
		t.Errorf("the row holds the change from offset %v, want 0 (the first delivery; offset 1 is a redelivery of the same change)", off)
	}
}
