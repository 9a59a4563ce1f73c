package features

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchVersions builds n insert versions of the design declaration's shape, in event-time
// order, 1 ms apart, spread over accounts (each account ~n/accounts transactions).
func benchVersions(b *testing.B, d *Decl, n, accounts, merchants int) []Version {
	r := rand.New(rand.NewPCG(1, 2))
	vs := make([]Version, n)
	amounts := []string{"0.50", "1.99", "12.34", "99.90", "1000.00", "8500.00", "250.00", "42.00"}
	statuses := []string{"completed", "completed", "completed", "pending", "failed"}
	for i := range vs {
		acct := r.IntN(accounts)
		ev := t0.Add(time.Duration(i) * time.Millisecond)
		row := fmt.Sprintf(`{"transaction_id":%d,"account_id":%d,"customer_id":%d,"merchant_id":%d,"amount":"%s","currency":"EUR","status":"%s","transaction_type":"purchase","channel":"online","merchant_category":"5411","device_id":"dev-%d","country":"DE","ip_address":"10.%d.%d.%d","event_ts":"%s","created_at":"%s","updated_at":null,"_op":"c","_source_ts":"%s","_source_pos":"%010d:%020d:%06d","_deleted":false,"_kafka_topic":"tx","_kafka_partition":%d,"_kafka_offset":%d}`,
			i+1, acct, acct/2, r.IntN(merchants), amounts[r.IntN(len(amounts))], statuses[r.IntN(len(statuses))], acct, acct>>16&255, acct>>8&255, acct&255,
			ts(ev), ts(ev), ts(ev), 1, 1000+i, 0, i%12, i/12)
		v, err := d.Version([]byte(row), nil)
		if err != nil {
			b.Fatal(err)
		}
		vs[i] = v
	}
	return vs
}

// BenchmarkEngine: Submit + score one transaction at a time with the design declaration's
// features (20 fields over six objects), on_arrival so each call returns its values.
// Reports tx/s, p50/p99 per event and the history each account's scan covered.
func BenchmarkEngine(b *testing.B) {
	d := loadDesign(b)
	for _, c := range []struct{ accounts, perAccount int }{{100_000, 2}, {10_000, 20}, {2_000, 100}} {
		b.Run(fmt.Sprintf("history=%d/acct", c.perAccount), func(b *testing.B) {
			n := c.accounts * c.perAccount
			vs := benchVersions(b, d, n, c.accounts, 2000)
			e := New(d, Options{Mode: OnArrival})
			// Warm the state with the first half; time the second half.
			half := n / 2
			for i := 0; i < half; i++ {
				e.Submit(t0, vs[i:i+1])
			}
			lat := make([]time.Duration, 0, n-half)
			b.ResetTimer()
			cpu0 := cpuTime()
			start := time.Now()
			k := 0
			for i := 0; i < b.N; i++ {
				v := vs[half+k]
				k++
				if half+k >= n {
					k = 0
				}
				s := time.Now()
				tk, _ := e.Submit(t0, []Version{v})
				_ = tk[0].Result()
				lat = append(lat, time.Since(s))
			}
			el := time.Since(start)
			cpu := cpuTime() - cpu0
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(b.N)/cpu.Seconds(), "tx/cpu_s")
			b.ReportMetric(float64(b.N)/el.Seconds(), "tx/s")
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50_µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99_µs")
		})
	}
}

// BenchmarkState1MAccounts holds 1M accounts (2M transactions: two each, 1M devices and
// IPs, 10k merchants, 1M account+merchant pairs) and reports heap bytes per account and per
// transaction and the process RSS. Run alone: go test -run '^$' -bench State1M -benchtime 1x.
func BenchmarkState1MAccounts(b *testing.B) {
	d := loadDesign(b)
	accounts := benchAccounts()
	runtime.GC()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	e := New(d, Options{})
	start := time.Now()
	const chunk = 100_000
	total := 0
	for part := 0; part < max(1, 2*accounts/chunk); part++ {
		vs := benchChunk(d, part*chunk, chunk, accounts)
		c0 := cpuTime()
		if part == 9 && os.Getenv("LEDGERFLOW_BENCH_PROFILE") != "" {
			f, _ := os.Create(os.Getenv("LEDGERFLOW_BENCH_PROFILE"))
			_ = pprof.StartCPUProfile(f)
			time.AfterFunc(40*time.Second, func() { pprof.StopCPUProfile(); f.Close() })
		}
		e.Restore(t0, vs)
		total += len(vs)
		if os.Getenv("LEDGERFLOW_BENCH_VERBOSE") != "" {
			fmt.Fprintf(os.Stderr, "chunk %d: %v cpu, heap %d MiB\n", part, cpuTime()-c0, heapMiB())
		}
	}
	el := time.Since(start)
	debug.FreeOSMemory()
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	st := e.Stats()
	heap := float64(m1.HeapAlloc - m0.HeapAlloc)
	b.ReportMetric(heap/float64(accounts), "heap_B/account")
	b.ReportMetric(heap/float64(st.Transactions), "heap_B/tx")
	b.ReportMetric(float64(rss())/(1<<20), "RSS_MiB")
	b.ReportMetric(float64(total)/el.Seconds(), "restored_versions/s")
	b.ReportMetric(float64(st.Keys), "keys")
	runtime.KeepAlive(e)
}

// benchChunk makes n versions starting at transaction number from, without JSON (the state
// build is measured, not the parsing).
func benchChunk(d *Decl, from, n, accounts int) []Version {
	slot := func(name string) int {
		s, ok := d.slotByName[name]
		if !ok {
			return len(d.cols) // a column the declaration does not read: written to a spare slot
		}
		return s
	}
	vs := make([]Version, n)
	for i := range vs {
		id := from + i
		acct := id % accounts
		ev := t0.Add(time.Duration(id) * time.Millisecond).UnixMicro()
		vals := make([]Value, len(d.cols)+1)
		for s := range vals {
			vals[s].Null = true
		}
		vals[slot("account_id")] = Value{I: int64(acct)}
		vals[slot("customer_id")] = Value{I: int64(acct / 2)}
		vals[slot("merchant_id")] = Value{I: int64(id % 10_000)}
		vals[slot("amount")] = Value{I: int64(100 + id%100000)}
		vals[slot("device_id")] = Value{S: "dev-" + strconv.Itoa(acct)}
		vals[slot("ip_address")] = Value{S: "10.0." + strconv.Itoa(acct%65536)}
		vals[slot("event_ts")] = Value{I: ev}
		vals[slot("status")] = Value{S: "completed"}
		vals[slot("transaction_type")] = Value{S: "purchase"}
		vs[i] = Version{Source: "tx/" + strconv.Itoa(id%12), TxID: int64(id + 1), Pos: Pos{file: 1, off: uint64(id) << 20}, Op: 'c', Change: ev, Anchor: ev, Values: vals[:len(d.cols)]}
	}
	return vs
}

func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// benchAccounts is LEDGERFLOW_BENCH_ACCOUNTS or 1,000,000.
func benchAccounts() int {
	if n, err := strconv.Atoi(os.Getenv("LEDGERFLOW_BENCH_ACCOUNTS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// cpuTime is the process's user+system CPU time: on a shared machine, throughput per CPU
// second says more than per wall second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func heapMiB() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc >> 20
}
