package enrich

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// The memory benchmark indexes silver tables of the bank's size: 1M accounts, 1M customers
// and 100k merchants, laid out as the delta_lake merge output writes them (the contract's
// columns, the change metadata columns, SCD2 validity columns for accounts and customers as
// the shipped pipelines configure, files of 20,000 rows), with the columns the shipped fraud
// rules read. The tables are generated once, by a child process (so the benchmark's peak RSS
// is the indexing's, not the generation's), into $ENRICH_BENCH_DIR or the temp dir.
//
//	go test -run '^$' -bench BankTables -benchtime 2000000x ./engine/enrich/

const (
	benchAccounts  = 1_000_000
	benchCustomers = 1_000_000
	benchMerchants = 100_000
	benchFileRows  = 20_000
	benchVersion   = "v1"
)

var benchLookups = []struct {
	name, table, key string
	cols             []string
}{
	{"acct", "accounts", "account_id", []string{"currency", "status", "balance", "created_at", "customer_id"}},
	{"cust", "customers", "customer_id", []string{"country", "risk_rating", "kyc_status", "created_at"}},
	{"merch", "merchants", "merchant_id", []string{"mcc", "country", "lat", "lon", "risk_tier"}},
}

// silverSchema mirrors the delta_lake output's silver layout for a contract.
func silverSchema(t *schemas.Table, scd2 bool) *schema.StructType {
	st := &schema.StructType{}
	for _, c := range t.Columns {
		var dt schema.Type
		switch k := c.SQL; k.Kind {
		case schemas.KindBigInt:
			dt = schema.Long
		case schemas.KindTinyInt:
			if k.IsTinyIntOne() {
				dt = schema.Boolean
			} else if k.Unsigned {
				dt = schema.Short
			} else {
				dt = schema.Byte
			}
		case schemas.KindDecimal:
			dt = schema.DecimalType{Precision: k.Precision, Scale: k.Scale}
		case schemas.KindDate:
			dt = schema.DateType
		case schemas.KindDateTime, schemas.KindTimestamp:
			dt = schema.Timestamp
		default:
			dt = schema.String
		}
		st.Fields = append(st.Fields, schema.StructField{Name: c.Name, Type: dt, Nullable: c.IsNullable()})
	}
	for _, f := range []schema.StructField{
		{Name: "_op", Type: schema.String}, {Name: "_source_ts", Type: schema.Timestamp, Nullable: true},
		{Name: "_source_pos", Type: schema.String, Nullable: true}, {Name: "_source_gtid", Type: schema.String, Nullable: true},
		{Name: "_kafka_topic", Type: schema.String, Nullable: true}, {Name: "_kafka_partition", Type: schema.Integer, Nullable: true},
		{Name: "_kafka_offset", Type: schema.Long, Nullable: true}, {Name: "_ingested_at", Type: schema.Timestamp},
	} {
		st.Fields = append(st.Fields, f)
	}
	if scd2 {
		st.Fields = append(st.Fields, schema.StructField{Name: "__start_at", Type: schema.Timestamp, Nullable: true},
			schema.StructField{Name: "__end_at", Type: schema.Timestamp, Nullable: true})
	}
	return st
}

var (
	countries  = strings.Fields("DE FR NL ES IT GB US BE AT CH PL SE NO DK FI IE PT CZ HU RO BG GR SK SI HR LT LV EE LU MT")
	currencies = []string{"EUR", "GBP", "USD", "CHF", "SEK", "PLN"}
)

func dec(u int64, scale int) schema.Decimal {
	return schema.Decimal{Unscaled: big.NewInt(u), Scale: scale}
}

// benchRow builds row i of a table in its silver layout.
func benchRow(table string, i int64, r *rand.Rand, now time.Time) []any {
	created := now.Add(-time.Duration(r.Int64N(1000*24)) * time.Hour)
	meta := []any{"r", created, fmt.Sprintf("%010d:%020d:%06d", 1, 4+i, 0), nil, "bank_server.bank." + table, int32(i % 3), i, now}
	var row []any
	switch table {
	case "accounts":
		var limit any
		if i%5 == 0 {
			limit = dec(r.Int64N(2_000_000), 2)
		}
		row = []any{i, 1 + r.Int64N(benchCustomers), []string{"checking", "savings", "credit", "loan"}[i%4], currencies[r.IntN(len(currencies))],
			dec(r.Int64N(10_000_000_00)-1_000_00, 2), limit, []string{"active", "active", "active", "frozen", "closed"}[r.IntN(5)],
			i%2 == 0, created, nil}
	case "customers":
		row = []any{i, "Ada", "Lovelace", fmt.Sprintf("c%d@example.org", i), nil, schema.Date(-7300 + r.IntN(18000)),
			countries[r.IntN(len(countries))], []string{"pending", "verified", "verified", "rejected"}[r.IntN(4)], int16(r.IntN(101)), created, nil}
	case "merchants":
		row = []any{i, fmt.Sprintf("Merchant %d", i), fmt.Sprintf("%04d", 4000+r.IntN(3000)), countries[r.IntN(len(countries))], "Berlin",
			dec(r.Int64N(180_000000)-90_000000, 6), dec(r.Int64N(360_000000)-180_000000, 6), []string{"low", "low", "medium", "high"}[r.IntN(4)], created, nil}
	}
	row = append(row, meta...)
	if table != "merchants" {
		row = append(row, created, nil) // __start_at, __end_at (current)
	}
	return row
}

// TestGenerateBankTables writes the benchmark's tables; it runs only in the child process the
// benchmark starts (ENRICH_BENCH_GENERATE names the directory).
func TestGenerateBankTables(t *testing.T) {
	dir := os.Getenv("ENRICH_BENCH_GENERATE")
	if dir == "" {
		t.Skip("run by BenchmarkBankTables* to generate its tables")
	}
	ctx := context.Background()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tb := range []struct {
		name string
		n    int64
	}{{"accounts", benchAccounts}, {"customers", benchCustomers}, {"merchants", benchMerchants}} {
		contract, err := schemas.Load(tb.name)
		if err != nil {
			t.Fatal(err)
		}
		dt := delta.OpenLocal(filepath.Join(dir, tb.name))
		snap, err := dt.Create(ctx, silverSchema(contract, tb.name != "merchants"), delta.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(uint64(tb.n), 1))
		// One commit per 10 files, as a backfill would land; the log gets checkpoints.
		for start := int64(1); start <= tb.n; start += 10 * benchFileRows {
			tx := snap.NewTransaction("MERGE")
			var rows [][]any
			for i := start; i < start+10*benchFileRows && i <= tb.n; i++ {
				rows = append(rows, benchRow(tb.name, i, r, now))
			}
			if _, err := tx.WriteRows(ctx, rows, delta.WriteOptions{MaxRowsPerFile: benchFileRows}); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			if snap, err = dt.Snapshot(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "COMPLETE"), []byte(benchVersion), 0o644); err != nil {
		t.Fatal(err)
	}
}

func benchDir(b *testing.B) string {
	dir := os.Getenv("ENRICH_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "ledgerflow-enrich-bench-"+benchVersion)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "COMPLETE")); err == nil && string(data) == benchVersion {
		return dir
	}
	_ = os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	b.Logf("generating %d accounts, %d customers, %d merchants in %s (once)", benchAccounts, benchCustomers, benchMerchants, dir)
	cmd := exec.Command(os.Args[0], "-test.run=^TestGenerateBankTables$", "-test.v", "-test.timeout=1h")
	cmd.Env = append(os.Environ(), "ENRICH_BENCH_GENERATE="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("generating the tables: %v\n%s", err, out)
	}
	return dir
}

// procStatus reads a field of /proc/self/status in MB (VmRSS, VmHWM).
func procStatus(field string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, field+":") {
			f := strings.Fields(l)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return -1
}

type loaded struct {
	e                           *Enricher
	heapMB, rssMB, hwmMB, loadS float64
	rows                        int
	indexMB                     float64
}

var (
	bankOnce sync.Once
	bank     loaded
)

func loadBank(b *testing.B) *loaded {
	bankOnce.Do(func() {
		dir := benchDir(b)
		runtime.GC()
		var confs []Config
		for _, l := range benchLookups {
			confs = append(confs, Config{Name: l.name, Table: filepath.Join(dir, l.table), Key: l.key, Columns: l.cols})
		}
		opts := DefaultOptions()
		opts.PollInterval = time.Hour
		start := time.Now()
		e, err := New(context.Background(), confs, opts)
		if err != nil {
			b.Fatal(err)
		}
		bank.loadS = time.Since(start).Seconds()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		bank.e = e
		bank.heapMB = float64(ms.HeapAlloc) / (1 << 20)
		bank.rssMB = procStatus("VmRSS")
		bank.hwmMB = procStatus("VmHWM")
		for _, s := range e.Stats() {
			bank.rows += s.Rows
			bank.indexMB += float64(s.Bytes) / (1 << 20)
		}
		if bank.rows != benchAccounts+benchCustomers+benchMerchants {
			b.Fatalf("indexed %d rows", bank.rows)
		}
		b.Logf("indexed %d rows in %.1fs: heap %.0f MB (engine estimate %.0f MB), RSS %.0f MB, peak RSS %.0f MB",
			bank.rows, bank.loadS, bank.heapMB, bank.indexMB, bank.rssMB, bank.hwmMB)
	})
	return &bank
}

// cpuTime is the process's user+system CPU time: on a shared machine wall-clock ns/op
// includes the time other processes held the cores, CPU ns/op does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (l *loaded) report(b *testing.B) {
	b.ReportMetric(l.heapMB, "heap-MB")
	b.ReportMetric(l.rssMB, "rss-MB")
	b.ReportMetric(l.hwmMB, "peak-rss-MB")
	b.ReportMetric(l.loadS, "load-s")
}

// BenchmarkBankTablesLookup is the hot path: one table, a key present in the index, its five
// columns copied into a fresh map. "random" draws keys from all 1M accounts (every lookup
// touches cold memory: the hash entry and the row record, two cache and TLB misses);
// "hot" cycles through 4,096 accounts, which stay in the CPU caches, and measures the code.
func BenchmarkBankTablesLookup(b *testing.B) {
	l := loadBank(b)
	src := l.e.srcs[0].(*table[int64])
	for _, c := range []struct {
		name string
		span int64
	}{{"random", benchAccounts}, {"hot", 4096}} {
		b.Run(c.name, func(b *testing.B) {
			keys := make([]int64, 1<<16)
			r := rand.New(rand.NewPCG(9, 9))
			for i := range keys {
				keys[i] = 1 + r.Int64N(c.span)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				dst := make(map[string]any, 5)
				if !src.ix.Load().get(keys[i&(len(keys)-1)], dst) {
					b.Fatal("missing key")
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
			l.report(b)
		})
	}
}

// BenchmarkBankTablesEnrich is one transaction enriched from all three tables through
// Enrich (key extraction from the row map included), in batches of 64.
func BenchmarkBankTablesEnrich(b *testing.B) {
	l := loadBank(b)
	r := rand.New(rand.NewPCG(5, 5))
	rows := make([]Row, 1024)
	for i := range rows {
		rows[i] = Row{Values: map[string]any{
			"account_id":  json64(1 + r.Int64N(benchAccounts)),
			"customer_id": json64(1 + r.Int64N(benchCustomers)),
			"merchant_id": json64(1 + r.Int64N(benchMerchants)),
		}}
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i += 64 {
		off := i & (len(rows) - 1) &^ 63
		res := l.e.Enrich(ctx, rows[off:off+64])
		if res[0].Missing != nil {
			b.Fatalf("missing %v", res[0].Missing)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	l.report(b)
}

// json64 is an integer as a decoded JSON row holds it.
func json64(n int64) json.Number { return json.Number(strconv.FormatInt(n, 10)) }
