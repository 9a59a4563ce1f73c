package kafka

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"
)

// BenchmarkConsume measures the input alone: records/s and MB/s read from a kfake
// cluster over TCP (3 partitions, 1 KB Debezium-like values) through ReadBatch and
// acknowledged at once, as the fastest output would. Producing happens before the timer.
//
//	go test ./inputs/kafka -run '^$' -bench BenchmarkConsume -benchtime 200000x
func BenchmarkConsume(b *testing.B) {
	const topic, size = "bench", 1024
	c := newCluster(b, 3, []string{topic})
	cl := newClient(b, c, kgo.ProducerBatchMaxBytes(1<<20), kgo.ProducerLinger(5*time.Millisecond))
	n := b.N
	val := debeziumLike(1, size)
	recs := make([]*kgo.Record, 0, 10000)
	for i := 0; i < n; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, `{"id":%d}`, i), Value: val})
		if len(recs) == cap(recs) || i == n-1 {
			if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
				b.Fatal(err)
			}
			recs = recs[:0]
		}
	}

	conf, err := kafkaInputSpec().ParseYAML(inputYAMLBody(seedsOf(c), topic, "g-bench"), nil)
	if err != nil {
		b.Fatal(err)
	}
	in, err := newKafkaInput(conf, service.MockResources())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := in.Connect(ctx); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = in.Close(ctx) }()

	b.SetBytes(int64(len(val)))
	b.ResetTimer()
	start := time.Now()
	for got := 0; got < n; {
		batch, ack, err := in.ReadBatch(ctx)
		if err != nil {
			b.Fatal(err)
		}
		got += len(batch)
		_ = ack(ctx, nil)
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkConsumePipeline is BenchmarkConsume through a Benthos stream (the input's
// AutoRetryNacksBatched wrapper, the pipeline and a batch consumer that acks), to show
// what the stream machinery adds.
//
//	go test ./inputs/kafka -run '^$' -bench BenchmarkConsumePipeline -benchtime 200000x
func BenchmarkConsumePipeline(b *testing.B) {
	const topic, size = "bench", 1024
	c := newCluster(b, 3, []string{topic})
	cl := newClient(b, c, kgo.ProducerBatchMaxBytes(1<<20), kgo.ProducerLinger(5*time.Millisecond))
	n := b.N
	val := debeziumLike(1, size)
	recs := make([]*kgo.Record, 0, 10000)
	for i := 0; i < n; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, `{"id":%d}`, i), Value: val})
		if len(recs) == cap(recs) || i == n-1 {
			if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
				b.Fatal(err)
			}
			recs = recs[:0]
		}
	}
	var got atomic.Int64
	all := make(chan struct{})
	b.SetBytes(int64(len(val)))
	b.ResetTimer()
	start := time.Now()
	stop := startStream(b, inputYAML(seedsOf(c), topic, "g-bench-pipe"), func(_ context.Context, batch service.MessageBatch) error {
		if got.Add(int64(len(batch))) == int64(n) {
			close(all)
		}
		return nil
	})
	<-all
	b.StopTimer()
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "records/s")
	stop()
}
