package delta

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	_ "github.com/ledgerflow/ledgerflow/inputs/kafka"
	_ "github.com/redpanda-data/benthos/v4/public/components/pure"
)

// TestStreamFromKafkaIsExactlyOnce runs kafka input → delta_lake through a real Benthos
// stream with several pipeline threads (which reorder batches) and output batching (which
// splits and merges input batches), and checks that every record lands exactly once.
func TestStreamFromKafkaIsExactlyOnce(t *testing.T) {
	const topic, n = "bank_server.bank.transactions", 20000
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topic))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for i := 0; i < n; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "%d", i), Value: []byte(txEvent(i, fmt.Sprintf("%d.%02d", i, i%100)))})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sb := service.NewStreamBuilder()
	if err := sb.SetYAML(fmt.Sprintf(`
input:
  kafka:
    seed_brokers: [ %q ]
    topics: [ %s ]
    consumer_group: g
    batch_max_records: 300
pipeline:
  threads: 4
  processors:
    - mapping: 'root = this'
output:
  broker:
    pattern: fan_out
    outputs:
      - delta_lake:
          path: %s
          schema_file: transactions
          batching: { count: 700, period: 20ms }
logger: { level: warn }
`, c.ListenAddrs()[0], topic, filepath.Join(dir, "bronze"))); err != nil {
		t.Fatal(err)
	}
	stream, err := sb.Build()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = stream.Run(ctx) }()
	deadline := time.Now().Add(60 * time.Second)
	var got []int64
	for time.Now().Before(deadline) {
		if ok, _ := OpenTableExists(filepath.Join(dir, "bronze")); ok {
			got = offsetsOf(t, filepath.Join(dir, "bronze"))
			if len(got) >= n {
				break
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	cancel()
	stopCtx, stopCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer stopCancel()
	_ = stream.Stop(stopCtx)
	if len(got) != n {
		t.Fatalf("want %d rows, got %d", n, len(got))
	}
}
