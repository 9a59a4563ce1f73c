package features

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	engine "github.com/ledgerflow/ledgerflow/engine/features"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// BenchmarkRestoreFromBronze writes LEDGERFLOW_BENCH_TX (default 1,000,000) transactions
// into a bronze table with the real delta_lake output, then times the restart path:
// RestoreFromBronze (read the files, keep what is at or below the cut, register).
//
//	go test -run '^$' -bench RestoreFromBronze -benchtime 1x -timeout 60m ./processors/features
func BenchmarkRestoreFromBronze(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("LEDGERFLOW_BENCH_TX")); err == nil && v > 0 {
		n = v
	}
	bronze := filepath.Join(b.TempDir(), "bronze")
	sb := service.NewStreamBuilder()
	_ = sb.SetLoggerYAML("level: warn")
	produce, err := sb.AddBatchProducerFunc()
	if err != nil {
		b.Fatal(err)
	}
	if err := sb.AddOutputYAML(fmt.Sprintf(`
delta_lake:
  path: %s
  mode: append
  schema_file: %s
  pipeline: bench
  batching: { count: 20000, period: 1s }
`, bronze, schemaPath())); err != nil {
		b.Fatal(err)
	}
	stream, err := sb.Build()
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = stream.Run(ctx); close(done) }()
	const parts = 12
	prev := [parts]int64{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}
	offsets := [parts]int64{}
	writeStart := time.Now()
	batch := make(service.MessageBatch, 0, 5000)
	for i := 0; i < n; i++ {
		p := i % parts
		rw := txRow{id: int64(i + 1), acct: int64(i % 500_000), merch: int64(i % 10_000), amount: fmt.Sprintf("%d.%02d", i%1000, i%100),
			status: "completed", at: time.Duration(i) * time.Millisecond, partition: p, offset: offsets[p], device: "dev-" + strconv.Itoa(i%500_000)}
		m := rw.msg()
		m.MetaSetMut("kafka_prev_offset", strconv.FormatInt(prev[p], 10))
		prev[p] = offsets[p]
		offsets[p]++
		batch = append(batch, m)
		if len(batch) == cap(batch) {
			if err := produce(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = make(service.MessageBatch, 0, 5000)
		}
	}
	if len(batch) > 0 {
		if err := produce(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	cancel()
	stopCtx, stopCancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer stopCancel()
	_ = stream.Stop(stopCtx)
	<-done
	b.Logf("wrote %d rows to bronze in %v", n, time.Since(writeStart).Round(time.Millisecond))

	tx, err := schemas.Load(schemaPath())
	if err != nil {
		b.Fatal(err)
	}
	d, err := engine.Load("testdata/features.yaml", tx, map[string]map[string]string{"merch": {"lat": "DECIMAL(9,6)"}})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cut, err := engine.CutFromTxns(context.Background(), bronze)
		if err != nil {
			b.Fatal(err)
		}
		e := engine.New(d, engine.Options{})
		cpu0 := cpuTime()
		st, err := engine.RestoreFromBronze(context.Background(), e, bronze, cut, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		if st.Restored != n {
			b.Fatalf("restored %d of %d", st.Restored, n)
		}
		b.ReportMetric((cpuTime() - cpu0).Seconds(), "restore_cpu_s")
		b.ReportMetric(st.Elapsed.Seconds(), "restore_s")
		b.ReportMetric(float64(n)/st.Elapsed.Seconds(), "versions/s")
	}
}

// cpuTime is the process's user+system CPU time (the machine is shared: wall time overstates).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
