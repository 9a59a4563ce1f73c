package pii

import (
	"encoding/json"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/debezium"
)

// txRows returns transactions rows exactly as debezium_unwrap writes them (an insert, and an
// update with its _before), with a device id and an IP address to protect.
func txRows(b *testing.B) map[string][]byte {
	b.Helper()
	u, err := debezium.New(func() debezium.Options {
		o := debezium.DefaultOptions()
		o.Contracts = append(o.Contracts, load(b, "transactions"))
		return o
	}())
	if err != nil {
		b.Fatal(err)
	}
	img := func(status string, updated string) string {
		return fmt.Sprintf(`{"transaction_id":1001,"account_id":20,"customer_id":7,"merchant_id":555,"amount":"AJg=","currency":"EUR","status":%q,"transaction_type":"purchase","channel":"online","merchant_category":"5411","device_id":"d3b07384-d113-4ec6-a95f-0c8a5e1b2f77","country":"DE","ip_address":"203.0.113.195","event_ts":1714521600123,"created_at":1714521600123,"updated_at":%s}`, status, updated)
	}
	src := `"source":{"version":"3.0.1.Final","connector":"mysql","name":"bank_server","ts_ms":1714521660000,"snapshot":"false","db":"bank","table":"transactions","server_id":1,"file":"mysql-bin.000003","pos":2210,"row":0}`
	meta := debezium.Meta{Topic: "bank_server.bank.transactions", HasTopic: true, Partition: "3", HasPartition: true, Offset: "123456", HasOffset: true}
	out := map[string][]byte{}
	for name, ev := range map[string]string{
		"insert": `{"before":null,"after":` + img("pending", "null") + `,` + src + `,"op":"c","ts_ms":1714521660100}`,
		"update": `{"before":` + img("pending", "null") + `,"after":` + img("completed", "1714521660000") + `,` + src + `,"op":"u","ts_ms":1714521660100}`,
	} {
		res, err := u.Unwrap([]byte(ev), meta)
		if err != nil {
			b.Fatal(err)
		}
		out[name] = res.Body
	}
	return out
}

// go test -run '^$' -bench BenchmarkApply -benchmem -cpu 1 ./processors/pii/
func BenchmarkApply(b *testing.B) {
	p, err := NewPlan(load(b, "transactions"), map[string]string{"ip_address": "mask", "device_id": "hash"})
	if err != nil {
		b.Fatal(err)
	}
	e, err := NewEngine(p, []byte(testKey), nil)
	if err != nil {
		b.Fatal(err)
	}
	rows := txRows(b)
	for _, name := range []string{"insert", "update"} {
		row := rows[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(row)))
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				if _, err := e.Apply(row); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu0)
		})
	}
}

// BenchmarkBaselineMapRoundTrip is what Apply avoids: encoding/json into a map, the same two
// policies, and back (member order lost, numbers through float64: not even correct).
func BenchmarkBaselineMapRoundTrip(b *testing.B) {
	w := newWorkPool([]byte(testKey)).get()
	rows := txRows(b)
	for _, name := range []string{"insert", "update"} {
		row := rows[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(row)))
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				var m map[string]any
				if err := json.Unmarshal(row, &m); err != nil {
					b.Fatal(err)
				}
				apply := func(m map[string]any) {
					if s, ok := m["device_id"].(string); ok {
						m["device_id"] = string(w.appendHash(nil, []byte(s)))
					}
					if s, ok := m["ip_address"].(string); ok {
						v, _ := appendMask(nil, maskIP, []byte(s))
						m["ip_address"] = string(v)
					}
				}
				apply(m)
				if before, ok := m["_before"].(map[string]any); ok {
					apply(before)
				}
				if _, err := json.Marshal(m); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu0)
		})
	}
}

// reportCPU adds CPU time per row (user+sys of this process, GC included): the build
// machine is shared, and wall time per op grows with other jobs' load, CPU time does not.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	if cpu := cpuTime() - cpu0; cpu > 0 && b.N > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
