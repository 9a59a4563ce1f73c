package delta

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ledgerflow/ledgerflow/delta"
	_ "github.com/ledgerflow/ledgerflow/processors/debezium"
)

// debeziumTx is a schemas-disabled Debezium create event for bank.transactions.
func debeziumTx(id int) []byte {
	return fmt.Appendf(nil, `{"before":null,"after":{"transaction_id":%d,"account_id":%d,"customer_id":%d,"merchant_id":%d,"amount":"AJg=","currency":"EUR","status":"pending","transaction_type":"purchase","channel":"online","merchant_category":"5411","device_id":"dev-%d","country":"DE","ip_address":null,"event_ts":%d,"created_at":%d,"updated_at":null},"source":{"version":"3.0.1.Final","connector":"mysql","name":"bank_server","ts_ms":1714521601000,"snapshot":"false","db":"bank","sequence":null,"table":"transactions","server_id":1,"gtid":null,"file":"mysql-bin.000003","pos":%d,"row":0,"thread":7,"query":null},"op":"c","ts_ms":1714521601234,"transaction":null}`,
		id, id%5000, id%3000, id%700, id%97, 1714521600000+int64(id), 1714521600000+int64(id), 1000+id)
}

// BenchmarkBronzeFromKafka measures, in one run, the end-to-end bronze rate (kfake → kafka
// input → debezium_unwrap → delta_lake) next to the consume-only rate of the same records
// (kfake → kafka input → drop), on this machine.
//
//	go test -run '^$' -bench BronzeFromKafka -benchtime 1x ./outputs/delta
func BenchmarkBronzeFromKafka(b *testing.B) {
	const topic, n = "bank_server.bank.transactions", 200_000
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topic))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ProducerBatchMaxBytes(1<<20))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, 0, 10000)
	for i := 0; i < n; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, `{"transaction_id":%d}`, i), Value: debeziumTx(i)})
		if len(recs) == cap(recs) {
			if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
				b.Fatal(err)
			}
			recs = recs[:0]
		}
	}
	for i := 0; i < b.N; i++ {
		consume := runFor(b, n, fmt.Sprintf(`
kafka: { seed_brokers: [ %q ], topics: [ %s ], consumer_group: consume-%d }
`, c.ListenAddrs()[0], topic, i), nil)
		dir := b.TempDir()
		bronze := runFor(b, n, fmt.Sprintf(`
input:
  kafka: { seed_brokers: [ %q ], topics: [ %s ], consumer_group: bronze-%d }
pipeline:
  processors:
    - debezium_unwrap: { schema_file: transactions, tombstone_handling: keep }
output:
  delta_lake:
    path: %s
    schema_file: transactions
    batching: { count: 10000, period: 200ms }
`, c.ListenAddrs()[0], topic, i, filepath.Join(dir, "bronze")), func() int { return rowCount(b, filepath.Join(dir, "bronze")) })
		snap, err := delta.OpenLocal(filepath.Join(dir, "bronze")).Snapshot(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n)/float64(snap.Version()), "rows/commit")
		b.ReportMetric(float64(n)/consume.Seconds(), "consume-ev/s")
		b.ReportMetric(float64(n)/bronze.Seconds(), "bronze-ev/s")
	}
}

// runFor runs a stream until done() reaches n and returns the elapsed time. With done nil the
// config has no output: a consumer function counts the messages instead.
func runFor(b *testing.B, n int, yaml string, done func() int) time.Duration {
	b.Helper()
	sb := service.NewStreamBuilder()
	var seen int64
	if done == nil {
		// Built piecewise: a full config without an output would get the default reject
		// output next to the consumer function, and every batch would be nacked.
		if err := sb.AddInputYAML(yaml); err != nil {
			b.Fatal(err)
		}
		if err := sb.SetLoggerYAML("level: warn"); err != nil {
			b.Fatal(err)
		}
		if err := sb.AddBatchConsumerFunc(func(_ context.Context, mb service.MessageBatch) error {
			atomic.AddInt64(&seen, int64(len(mb)))
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		done = func() int { return int(atomic.LoadInt64(&seen)) }
	} else if err := sb.SetYAML(yaml + "\nlogger: { level: warn }\n"); err != nil {
		b.Fatal(err)
	}
	stream, err := sb.Build()
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	go func() { _ = stream.Run(ctx) }()
	for done() < n {
		time.Sleep(20 * time.Millisecond)
		if time.Since(start) > 5*time.Minute {
			b.Fatalf("only %d of %d after 5 minutes", done(), n)
		}
	}
	elapsed := time.Since(start)
	stopCtx, stopCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer stopCancel()
	_ = stream.Stop(stopCtx)
	return elapsed
}

func rowCount(b *testing.B, path string) int {
	tbl := delta.OpenLocal(path)
	if ok, _ := tbl.Exists(context.Background()); !ok {
		return 0
	}
	snap, err := tbl.Snapshot(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	var total int64
	for _, f := range snap.Files() {
		if n, ok := f.NumRecords(); ok {
			total += n
		}
	}
	return int(total)
}
