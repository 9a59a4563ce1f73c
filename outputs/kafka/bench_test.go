package kafka

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// BenchmarkProduce writes batches of 1 KiB Debezium-like change events (keyed, with the
// mysql_cdc metadata) to a 3-partition kfake topic over loopback TCP; it reports records/s
// and MB/s of values acknowledged.
func BenchmarkProduce(b *testing.B) {
	for _, bc := range []struct {
		size  int
		codec string
	}{{100, "none"}, {1000, "none"}, {1000, "snappy"}} {
		size := bc.size
		b.Run(fmt.Sprintf("batch=%d/compression=%s", size, bc.codec), func(b *testing.B) {
			const topic = "bank_server.bank.transactions"
			c := newCluster(b, 3, topic)
			out := newOutput(b, c, "topic: '${! meta(\"debezium_topic\") }'\ncompression: "+bc.codec)
			batch := make(service.MessageBatch, size)
			var bytes int
			for i := range batch {
				batch[i] = debeziumLike(i)
				v, _ := batch[i].AsBytes()
				bytes += len(v)
			}
			b.ResetTimer()
			for b.Loop() {
				if err := out.WriteBatch(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
			}
			secs := b.Elapsed().Seconds()
			b.ReportMetric(float64(b.N*size)/secs, "records/s")
			b.ReportMetric(float64(b.N*bytes)/secs/1e6, "MB/s")
		})
	}
}

// debeziumLike is a 1024-byte Debezium envelope; source.query pads it (as with
// binlog_rows_query_log_events on).
func debeziumLike(i int) *service.Message {
	const tmpl = `{"before":null,"after":{"transaction_id":%d,"account_id":20,"customer_id":7,"merchant_id":555,"amount":"AJg=","currency":"EUR","status":"pending","transaction_type":"purchase","channel":"online","merchant_category":"5411","device_id":null,"country":"DE","ip_address":null,"event_ts":1714521600123,"created_at":1714521600123,"updated_at":null},"source":{"version":"3.0.1.Final","connector":"mysql","name":"bank_server","ts_ms":1714521601000,"snapshot":"false","db":"bank","sequence":null,"table":"transactions","server_id":1,"gtid":null,"file":"mysql-bin.000003","pos":%d,"row":0,"thread":7,"query":"%s"},"op":"c","ts_ms":1714521601234,"transaction":null}`
	body := fmt.Sprintf(tmpl, i, 1541+i, "")
	body = fmt.Sprintf(tmpl, i, 1541+i, strings.Repeat("q", max(0, 1024-len(body))))
	m := service.NewMessage([]byte(body))
	m.MetaSetMut("kafka_key", fmt.Sprintf(`{"transaction_id":%d}`, i))
	m.MetaSetMut("debezium_topic", "bank_server.bank.transactions")
	m.MetaSetMut("kafka_tombstone", "false")
	m.MetaSetMut("debezium_op", "c")
	return m
}
