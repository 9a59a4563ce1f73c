package debezium

import (
	"encoding/json"
	"syscall"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// go test -run '^$' -bench BenchmarkUnwrap -benchmem -cpu 1 ./debezium/
func benchUnwrap(b *testing.B, withSchema bool, op string) {
	o := DefaultOptions()
	if !withSchema {
		t, err := schemas.Load("transactions")
		if err != nil {
			b.Fatal(err)
		}
		o.Contracts = append(o.Contracts, t)
	}
	u := mustNew(b, o)
	const n = 256
	events := make([][]byte, n)
	size := 0
	for i := range events {
		events[i] = txEvent(i, op, withSchema)
		size += len(events[i])
	}
	meta := Meta{Topic: "bank_server.bank.transactions", HasTopic: true, Partition: "3", HasPartition: true, Offset: "123456", HasOffset: true}
	if _, err := u.Unwrap(events[0], meta); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(size / n))
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := u.Unwrap(events[i%n], meta); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ev/s")
	// The build machine is shared: ev/s per CPU-second of this process (user+sys, GC
	// included) is the per-core figure, independent of how much CPU other jobs took.
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "ev/cpu-s")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkUnwrapPayloadOnly(b *testing.B)       { benchUnwrap(b, false, "c") }
func BenchmarkUnwrapWithSchema(b *testing.B)        { benchUnwrap(b, true, "c") }
func BenchmarkUnwrapPayloadOnlyUpdate(b *testing.B) { benchUnwrap(b, false, "u") }
func BenchmarkUnwrapWithSchemaUpdate(b *testing.B)  { benchUnwrap(b, true, "u") }

// BenchmarkBaselineMapDecode is the reference point from DESIGN.md (encoding/json into maps),
// measured on the same events and machine.
func BenchmarkBaselineMapDecode(b *testing.B) {
	for _, withSchema := range []bool{false, true} {
		name := "PayloadOnly"
		if withSchema {
			name = "WithSchema"
		}
		b.Run(name, func(b *testing.B) {
			ev := txEvent(1, "c", withSchema)
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var m map[string]any
				if err := json.Unmarshal(ev, &m); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ev/s")
			b.ReportMetric(float64(b.N)/(cpuTime()-cpu0).Seconds(), "ev/cpu-s")
		})
	}
}
