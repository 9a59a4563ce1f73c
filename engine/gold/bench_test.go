package gold

import (
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchPairs is a banking mix for n new transactions (ids from idBase, days from dayBase):
// each is inserted pending and then settles (92% completed, 8% failed); a third of the
// failed ones are deleted. Merchants and customers are spread as in the simulator (500
// merchants, 10,000 customers, 30 days per chunk). The pairs are what silver would hand
// gold, in order.
func benchPairs(b *Binding, rng *rand.Rand, n int, idBase int64, dayBase int) []Pair {
	var inserts, settles, deletes []Pair
	for i := range n {
		id := idBase + int64(i)
		t := txn{id: id, account: id % 5000, customer: int64(1 + rng.IntN(10_000)), cents: 100 + rng.Int64N(100_000),
			currency: []string{"EUR", "EUR", "EUR", "USD", "GBP"}[rng.IntN(5)], status: "pending", typ: txnTypes[rng.IntN(len(txnTypes))],
			eventTS: day0.AddDate(0, 0, dayBase).Add(time.Duration(rng.IntN(30*24*3600)) * time.Second), alerts: ptr(int32(rng.IntN(2))), pos: int(2 * id), op: "c"}
		if rng.IntN(100) < 80 {
			t.merchant = ptr(int64(1 + rng.IntN(500)))
		}
		old := t.toRow(b.st)
		inserts = append(inserts, Pair{New: old})
		t.status, t.pos, t.op = "completed", int(2*id+1), "u"
		if rng.IntN(100) < 8 {
			t.status = "failed"
		}
		settled := t.toRow(b.st)
		settles = append(settles, Pair{Old: old, New: settled})
		if t.status == "failed" && rng.IntN(3) == 0 {
			deletes = append(deletes, Pair{Old: settled})
		}
	}
	return append(append(inserts, settles...), deletes...)
}

// BenchmarkApply measures change pairs per second on one core for each shipped aggregate,
// flushing every 1,000 pairs (the flush's output rows are part of the cost), with refills
// from the current rows when a delete empties a min/max (their count is reported). The
// loop keeps a map of current rows for the refills (about 2% of a pair's cost).
func BenchmarkApply(b *testing.B) {
	for _, name := range []string{"agg_daily_volume", "agg_merchant_daily", "agg_customer_ltv"} {
		b.Run(name, func(b *testing.B) {
			d := mustLoad(b, name)
			bd := mustBind(b, d)
			rng := rand.New(rand.NewPCG(1, 2))
			const chunk = 20_000
			var pairs []Pair
			var idBase int64 = 1
			current := map[int64][]any{}
			s := NewState(bd)
			refills, next := 0, 0
			b.ReportAllocs()
			b.ResetTimer()
			start, cpuStart := time.Now(), cpuTime()
			var paused, cpuPaused time.Duration
			for i := 0; b.Loop(); i++ {
				if next == len(pairs) {
					t0, c0 := time.Now(), cpuTime()
					b.StopTimer()
					pairs, next = benchPairs(bd, rng, chunk, idBase, int(idBase/chunk)), 0
					idBase += chunk
					b.StartTimer()
					paused += time.Since(t0)
					cpuPaused += cpuTime() - c0
				}
				p := pairs[next]
				next++
				if err := s.Apply(p); err != nil {
					b.Fatal(err)
				}
				if p.New != nil {
					current[p.New[0].(int64)] = p.New
				} else {
					delete(current, p.Old[0].(int64))
				}
				if i%1000 == 999 {
					if s.NeedsRefill() > 0 {
						refills++
						rows := make([][]any, 0, len(current))
						for _, r := range current {
							rows = append(rows, r)
						}
						if err := s.Refill(RowsOf(rows)); err != nil {
							b.Fatal(err)
						}
					}
					if _, err := s.Flush(); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N)/(time.Since(start)-paused).Seconds(), "pairs/s")
			// CPU seconds of the process (GC included) say more than wall time on a shared
			// machine.
			b.ReportMetric(float64(b.N)/(cpuTime()-cpuStart-cpuPaused).Seconds(), "pairs/cpu-s")
			b.ReportMetric(float64(refills), "refills")
		})
	}
}

// BenchmarkStateBytesPerGroup measures the heap a State holds per group after 200,000
// settled transactions (10,000 customers with 20 transactions each, 500 merchants, 30 days).
func BenchmarkStateBytesPerGroup(b *testing.B) {
	for _, name := range []string{"agg_daily_volume", "agg_merchant_daily", "agg_customer_ltv"} {
		b.Run(name, func(b *testing.B) {
			d := mustLoad(b, name)
			bd := mustBind(b, d)
			settled := benchPairs(bd, rand.New(rand.NewPCG(1, 2)), 200_000, 1, 0)[:400_000] // inserts and settlements
			var perGroup, groups float64
			for b.Loop() {
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				s := NewState(bd)
				for _, p := range settled {
					if err := s.Apply(p); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := s.Flush(); err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				groups = float64(s.Groups())
				perGroup = float64(after.HeapAlloc-before.HeapAlloc) / groups
				runtime.KeepAlive(s)
			}
			b.ReportMetric(perGroup, "B/group")
			b.ReportMetric(groups, "groups")
		})
	}
}
