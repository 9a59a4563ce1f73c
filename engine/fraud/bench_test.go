package fraud

import (
	"syscall"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
)

// benchRow is a transactions row as debezium_unwrap writes it.
var benchRow = []byte(`{"transaction_id":1001,"account_id":20,"customer_id":7,"merchant_id":555,"amount":"152.40","currency":"EUR","status":"pending","transaction_type":"purchase","channel":"online","merchant_category":"5411","device_id":"dev-7f3a","country":"DE","ip_address":"10.1.2.3","event_ts":"2024-05-01T13:14:15.123000Z","created_at":"2024-05-01T13:14:15.123000Z","updated_at":null,"_op":"c","_source_ts":"2024-05-01T13:14:16.000Z","_source_pos":"0000000003:00000000000000001541:000000","_source_gtid":null,"_source_file":"mysql-bin.000003","_snapshot":"false","_deleted":false,"_source_table":"bank.transactions","_kafka_topic":"bank_server.bank.transactions","_kafka_partition":0,"_kafka_offset":41}`)

// benchObjects are the enrichment and feature values of a typical account with history.
func benchObjects() map[string]map[string]any {
	ts := time.Date(2024, 5, 1, 13, 0, 0, 0, time.UTC)
	return map[string]map[string]any{
		"acct": {
			"currency": "EUR", "status": "active", "balance": money.MustParse("2400.00"), "created_at": ts.AddDate(-2, 0, 0),
			"count_1m": 1, "count_10m": 3, "sum_24h": money.MustParse("410.25"),
			"amount_60d_n": 48, "amount_60d_mean": 61.2, "amount_60d_std": 40.7,
			"small_count_10m": 0, "failed_10m": 0, "failed_24h": 1,
			"last_tx_time": ts.Add(-3 * time.Hour), "seen_device": true, "seen_merchant": true,
			"distinct_merchants_1h": 2, "round_count_30d": 0, "seen_currency_90d": true,
			"last_amounts": []any{money.MustParse("12.00"), money.MustParse("80.10"), money.MustParse("33.33")},
			"prev_lat_1h":  []any{52.51}, "prev_lon_1h": []any{13.39},
		},
		"merch": {"mcc": "5411", "country": "DE", "lat": 52.52, "lon": 13.405, "risk_tier": "low",
			"small_count_10m": 1, "count_15m": 31, "failed_15m": 2, "count_7d": 20412, "failed_7d": 1012},
		"cust": {"near_ctr_count_24h": 0},
		"pair": {"last_amounts_48h": []any{money.MustParse("15.20")}},
	}
}

func benchSet(b *testing.B) (*RuleSet, *Description) {
	d := shippedDescription(b)
	rs, err := Load([]string{shippedRules}, d)
	if err != nil {
		b.Fatal(err)
	}
	return rs.WithBands(DefaultBands()), d
}

// BenchmarkEvaluate measures the shipped rules (20) on an environment already filled.
func BenchmarkEvaluate(b *testing.B) {
	rs, d := benchSet(b)
	env := d.NewEnv()
	if _, err := env.SetRow(benchRow); err != nil {
		b.Fatal(err)
	}
	for o, vals := range benchObjects() {
		if err := env.SetObject(o, vals); err != nil {
			b.Fatal(err)
		}
	}
	var res Result
	rs.Evaluate(env, &res)
	if len(res.Errors) > 0 || len(res.Hits) != 0 {
		b.Fatalf("unexpected result: %+v", res)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		rs.Evaluate(env, &res)
	}
	reportCPU(b, cpu)
}

// cpuTime is the process's user+system CPU time. On a shared machine the wall clock of a
// benchmark mostly measures waiting for a core; CPU time per operation does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkRowAndEvaluate adds reading the row and storing the upstream values.
func BenchmarkRowAndEvaluate(b *testing.B) {
	rs, d := benchSet(b)
	env := d.NewEnv()
	objs := benchObjects()
	var res Result
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		env.Reset()
		if _, err := env.SetRow(benchRow); err != nil {
			b.Fatal(err)
		}
		for o, vals := range objs {
			_ = env.SetObject(o, vals)
		}
		rs.Evaluate(env, &res)
	}
	reportCPU(b, cpu)
}

// BenchmarkEvaluateHits is BenchmarkEvaluate on a transaction that fires five rules, so
// it includes building their reasons.
func BenchmarkEvaluateHits(b *testing.B) {
	rs, d := benchSet(b)
	env := d.NewEnv()
	if _, err := env.SetRow(benchRow); err != nil {
		b.Fatal(err)
	}
	objs := benchObjects()
	objs["acct"]["count_1m"] = 7                                                        // R1
	objs["acct"]["failed_10m"] = 4                                                      // R6
	objs["acct"]["distinct_merchants_1h"] = 9                                           // R11
	objs["pair"]["last_amounts_48h"] = []any{money.MustParse("152.40")}                 // R17
	objs["acct"]["prev_lat_1h"], objs["acct"]["prev_lon_1h"] = []any{40.4}, []any{-3.7} // R19
	for o, vals := range objs {
		if err := env.SetObject(o, vals); err != nil {
			b.Fatal(err)
		}
	}
	var res Result
	rs.Evaluate(env, &res)
	if len(res.Errors) > 0 || len(res.Hits) != 5 {
		b.Fatalf("unexpected result: %+v", res)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		rs.Evaluate(env, &res)
	}
	reportCPU(b, cpu)
}

// BenchmarkSetRow measures reading a debezium_unwrap row into tx.
func BenchmarkSetRow(b *testing.B) {
	d := shippedDescription(b)
	env := d.NewEnv()
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		env.Reset()
		if _, err := env.SetRow(benchRow); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkSetObjects measures storing the enrichment and feature values (45 fields).
func BenchmarkSetObjects(b *testing.B) {
	d := shippedDescription(b)
	env := d.NewEnv()
	objs := benchObjects()
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		env.Reset()
		for o, vals := range objs {
			_ = env.SetObject(o, vals)
		}
	}
	reportCPU(b, cpu)
}
