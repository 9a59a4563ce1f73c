package parquetio

import (
	"bytes"
	"fmt"

	"math/big"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// transactionsSchema is the silver transactions row shape (bank.transactions without the
// event_date partition column).
func transactionsSchema(tb testing.TB) *schema.StructType {
	s, err := schema.Parse(`{"type":"struct","fields":[
	{"name":"transaction_id","type":"long","nullable":false,"metadata":{}},
	{"name":"account_id","type":"long","nullable":false,"metadata":{}},
	{"name":"customer_id","type":"long","nullable":false,"metadata":{}},
	{"name":"merchant_id","type":"long","nullable":true,"metadata":{}},
	{"name":"amount","type":"decimal(18,2)","nullable":false,"metadata":{}},
	{"name":"currency","type":"string","nullable":false,"metadata":{}},
	{"name":"status","type":"string","nullable":false,"metadata":{}},
	{"name":"transaction_type","type":"string","nullable":false,"metadata":{}},
	{"name":"channel","type":"string","nullable":true,"metadata":{}},
	{"name":"merchant_category","type":"string","nullable":true,"metadata":{}},
	{"name":"device_id","type":"string","nullable":true,"metadata":{}},
	{"name":"country","type":"string","nullable":true,"metadata":{}},
	{"name":"ip_address","type":"string","nullable":true,"metadata":{}},
	{"name":"event_ts","type":"timestamp","nullable":false,"metadata":{}},
	{"name":"created_at","type":"timestamp","nullable":false,"metadata":{}},
	{"name":"updated_at","type":"timestamp","nullable":true,"metadata":{}}]}`)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func transactionsRows(n int) [][]any {
	statuses := []string{"pending", "completed", "failed", "reversed"}
	types := []string{"purchase", "withdrawal", "transfer", "deposit", "refund"}
	channels := []string{"card_present", "online", "atm", "mobile", "branch"}
	currencies := []string{"USD", "EUR", "GBP"}
	countries := []string{"US", "DE", "GB", "FR", "NL"}
	base := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	rows := make([][]any, n)
	x := uint64(88172645463325252)
	rnd := func() uint64 { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x }
	for i := range rows {
		r := rnd()
		ts := base.Add(time.Duration(i) * 3 * time.Millisecond)
		var merchant, channel, updated any
		if r%10 != 0 {
			merchant = int64(r % 50000)
			channel = channels[r%5]
			updated = ts.Add(2 * time.Minute)
		}
		rows[i] = []any{
			int64(1_000_000 + i), int64(r % 200000), int64(r % 100000), merchant,
			schema.Decimal{Unscaled: big.NewInt(int64(r%1_000_000) - 1000), Scale: 2},
			currencies[r%3], statuses[r%4], types[r%5], channel,
			fmt.Sprintf("%04d", r%9999), fmt.Sprintf("dev-%016x", r%1_000_000), countries[r%5],
			fmt.Sprintf("10.%d.%d.%d", r%256, (r>>8)%256, (r>>16)%256),
			ts, ts, updated,
		}
	}
	return rows
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func benchmarkWrite(b *testing.B, codec string) {
	s := transactionsSchema(b)
	rows := transactionsRows(20_000)
	const batch = 1000
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	var cw countingWriter
	w, err := NewWriter(&cw, s, WriterOptions{Compression: codec})
	if err != nil {
		b.Fatal(err)
	}
	written := 0
	for written < b.N {
		n := min(batch, b.N-written)
		off := written % len(rows)
		n = min(n, len(rows)-off)
		if err := w.Write(rows[off : off+n]); err != nil {
			b.Fatal(err)
		}
		written += n
	}
	if _, err := w.Close(); err != nil {
		b.Fatal(err)
	}
	el := time.Since(start)
	b.ReportMetric(float64(b.N)/el.Seconds(), "rows/s")
	b.ReportMetric(float64(b.N)/(cpuTime()-cpu0).Seconds(), "rows/cpu-s")
	b.ReportMetric(float64(cw.n)/float64(b.N), "bytes/row")
}

func BenchmarkWriteTransactionsZstd(b *testing.B)   { benchmarkWrite(b, "zstd") }
func BenchmarkWriteTransactionsSnappy(b *testing.B) { benchmarkWrite(b, "snappy") }

func BenchmarkReadTransactions(b *testing.B) {
	s := transactionsSchema(b)
	const n = 200_000
	var buf bytes.Buffer
	w, err := NewWriter(&buf, s, WriterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Write(transactionsRows(n)); err != nil {
		b.Fatal(err)
	}
	if _, err := w.Close(); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for i := 0; i < b.N; i++ {
		rows, err := ReadFile(bytes.NewReader(data), int64(len(data)), s)
		if err != nil || len(rows) != n {
			b.Fatal(err, len(rows))
		}
	}
	b.ReportMetric(float64(b.N*n)/time.Since(start).Seconds(), "rows/s")
	b.ReportMetric(float64(b.N*n)/(cpuTime()-cpu0).Seconds(), "rows/cpu-s")
}

// cpuTime is the process's user+system CPU time: the machine is shared, so rows per CPU
// second is the figure comparable with the design's per-core target.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReadDecimalDictionaries reads the 1M-row Spark file of
// golden_parquet-decimal-dictionaries (dictionary-encoded decimals of several widths).
func BenchmarkReadDecimalDictionaries(b *testing.B) {
	paths, _ := filepath.Glob(filepath.Join(conformanceDir, "golden_parquet-decimal-dictionaries", "delta", "*.parquet"))
	if len(paths) == 0 {
		b.Skip("conformance tables not available")
	}
	data, err := os.ReadFile(paths[0])
	if err != nil {
		b.Fatal(err)
	}
	s, err := schema.Parse(`{"type":"struct","fields":[{"name":"id","type":"integer","nullable":true,"metadata":{}},{"name":"col1","type":"decimal(9,0)","nullable":true,"metadata":{}},{"name":"col2","type":"decimal(12,0)","nullable":true,"metadata":{}},{"name":"col3","type":"decimal(25,0)","nullable":true,"metadata":{}}]}`)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	rows := 0
	for i := 0; i < b.N; i++ {
		got, err := ReadFile(bytes.NewReader(data), int64(len(data)), s)
		if err != nil {
			b.Fatal(err)
		}
		rows += len(got)
	}
	b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
	b.ReportMetric(float64(rows)/(cpuTime()-cpu0).Seconds(), "rows/cpu-s")
}
