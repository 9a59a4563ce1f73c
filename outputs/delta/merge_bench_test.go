package delta

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ledgerflow/ledgerflow/delta"
)

// The banking mix of issue 4: 60% new transactions, 35% status updates of transactions
// inserted minutes before, 5% deletes of recent transactions (a void of a pending
// authorisation or a reversal: a bank deletes recent rows, never old ones, so deletes stay in
// the recent files as updates do). How far back an update or delete reaches is an
// exponential lag (mean lagMean, capped at 4×lagMean) in the source's time, which runs at
// mixSourceRate changes per second, the rate the latency target is stated at. The lag in
// rows, not in seconds, is what a copy-on-write merge pays for: every file that holds a
// touched key is rewritten.
const (
	mixSourceRate = 10_000 // source changes per second of source time
	mixBatch      = 10_000 // changes per WriteBatch
	preloadBatch  = 100_000
	mixPartitions = 3
	mixTopic      = "bank_server.bank.transactions"
)

// silverRows is the preloaded table's size; SILVER_BENCH_ROWS overrides it for a quick trial
// of the benchmarks.
var silverRows = func() int {
	if n, err := strconv.Atoi(os.Getenv("SILVER_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}()

// txState is a transactions row as the source holds it.
type txState struct {
	id      int64
	at      time.Time // event_ts and created_at, millisecond precision (DATETIME(3))
	status  string
	updated time.Time // updated_at; zero is NULL
}

// mixChange is one source change: the row before (updates, deletes) and after (inserts,
// updates), when it committed in the source and its binlog position.
type mixChange struct {
	op            string // c u d
	before, after txState
	srcTS         time.Time
	pos           int64
}

func (c mixChange) id() int64 {
	if c.op == "d" {
		return c.before.id
	}
	return c.after.id
}

type recentTx struct {
	txState
	deleted bool
}

// bankMix generates the mix. It remembers the transactions inserted within the lag cap,
// which are the only ones updates and deletes reach.
type bankMix struct {
	r               *rng
	clock           time.Time // source time of the next change
	step            time.Duration
	lagMean, lagMax time.Duration
	pos             int64
	nextID          int64
	recent          []recentTx // oldest first
	live            int64      // rows the table should hold
}

func newBankMix(seed uint64, lagMean time.Duration) *bankMix {
	return &bankMix{r: newRand(seed), step: time.Second / mixSourceRate, lagMean: lagMean, lagMax: 4 * lagMean, pos: 1000, nextID: 1}
}

func (g *bankMix) uniform() float64 { return float64(g.r.next()>>11) / (1 << 53) }

// insert is a new pending transaction at source time at.
func (g *bankMix) insert(at time.Time) mixChange {
	g.pos++
	t := txState{id: g.nextID, at: at.Truncate(time.Millisecond), status: "pending"}
	g.nextID++
	g.live++
	g.recent = append(g.recent, recentTx{txState: t})
	return mixChange{op: "c", after: t, srcTS: at, pos: g.pos}
}

// history is a settled transaction of an earlier day, for the preload; updates never reach it.
func (g *bankMix) history(at time.Time) mixChange {
	g.pos++
	t := txState{id: g.nextID, at: at.Truncate(time.Millisecond), status: "completed", updated: at.Add(3 * time.Second).Truncate(time.Millisecond)}
	if g.r.next()%50 == 0 {
		t.status = "failed"
	}
	g.nextID++
	g.live++
	return mixChange{op: "c", after: t, srcTS: t.updated, pos: g.pos}
}

// next is the next change of the mix at the source clock.
func (g *bankMix) next() mixChange {
	now := g.clock
	g.clock = g.clock.Add(g.step)
	if u := g.r.next() % 100; u >= 60 {
		if i, ok := g.pick(now); ok {
			t := &g.recent[i]
			before := t.txState
			g.pos++
			if u >= 95 {
				t.deleted = true
				g.live--
				return mixChange{op: "d", before: before, srcTS: now, pos: g.pos}
			}
			switch t.status {
			case "pending":
				t.status = "completed"
				if g.r.next()%12 == 0 {
					t.status = "failed"
				}
			case "completed":
				t.status = "reversed"
			default:
				t.status = "completed"
			}
			t.updated = now.Truncate(time.Millisecond)
			return mixChange{op: "u", before: before, after: t.txState, srcTS: now, pos: g.pos}
		}
	}
	return g.insert(now)
}

// pick finds a live recent transaction about one sampled lag before now.
func (g *bankMix) pick(now time.Time) (int, bool) {
	var lag time.Duration
	for {
		lag = time.Duration(-math.Log(1-g.uniform()) * float64(g.lagMean))
		if lag <= g.lagMax {
			break
		}
	}
	target := now.Add(-lag)
	i := sort.Search(len(g.recent), func(i int) bool { return g.recent[i].at.After(target) }) - 1
	if i < 0 {
		i = 0
	}
	for j := i; j >= 0; j-- {
		if !g.recent[j].deleted {
			g.trim(now)
			return j, true
		}
	}
	for j := i + 1; j < len(g.recent); j++ {
		if !g.recent[j].deleted {
			return j, true
		}
	}
	return 0, false
}

// trim forgets transactions older than the lag cap, now and then.
func (g *bankMix) trim(now time.Time) {
	if len(g.recent) < 1<<18 {
		return
	}
	cut := now.Add(-g.lagMax - time.Second)
	n := sort.Search(len(g.recent), func(i int) bool { return !g.recent[i].at.Before(cut) })
	if n > len(g.recent)/2 {
		g.recent = append(g.recent[:0], g.recent[n:]...)
	}
}

// recentRows is how many preloaded rows fall within the lag cap before the start: the inserts
// the source made in that time.
func (g *bankMix) recentRows() int {
	return min(silverRows/2, int(g.lagMax.Seconds()*mixSourceRate*0.6))
}

// preloadChanges is the table's content before the mix starts at start: settled
// transactions of the 29 days before start's day, then the inserts of the lag cap before
// start (pending), so that the first updates find the rows they would find in a steady state.
func (g *bankMix) preloadChanges(start time.Time) []mixChange {
	out := make([]mixChange, 0, silverRows)
	recent := g.recentRows()
	hist := silverRows - recent
	day0 := start.Truncate(24 * time.Hour).Add(-29 * 24 * time.Hour)
	span := 29 * 24 * time.Hour
	for i := 0; i < hist; i++ {
		out = append(out, g.history(day0.Add(time.Duration(int64(span)/int64(hist)*int64(i)))))
	}
	insertStep := time.Second * 10 / (mixSourceRate * 6)
	at := start.Add(-time.Duration(recent) * insertStep)
	for i := 0; i < recent; i++ {
		out = append(out, g.insert(at))
		at = at.Add(insertStep)
	}
	g.clock = start
	return out
}

// txColumns are the derived columns of a transaction: a deterministic function of its id.
type txColumns struct {
	account, customer, merchant int64 // merchant 0: NULL
	cents                       int64
	typ, channel, mcc, device   string
	country, ip                 string
}

var mccs = []string{"5411", "5812", "5999", "4111", "5732", "5541"}
var countries = []string{"DE", "FR", "NL", "ES", "IT"}

func columnsOf(id int64) txColumns {
	h := uint64(id) * 0x9E3779B97F4A7C15
	c := txColumns{account: 1 + int64(h>>20)%200_000, country: countries[(h>>4)%5]}
	c.customer = 1 + c.account/2
	switch t := h % 20; {
	case t < 14:
		c.typ, c.channel = "purchase", []string{"card_present", "online", "mobile"}[(h>>8)%3]
	case t < 16:
		c.typ, c.channel = "withdrawal", "atm"
	case t < 18:
		c.typ, c.channel = "transfer", []string{"online", "mobile"}[(h>>8)%2]
	case t == 18:
		c.typ, c.channel = "deposit", "branch"
	default:
		c.typ, c.channel = "refund", "online"
	}
	c.cents = 100 + int64(h>>40)%50_000
	if c.typ == "purchase" || c.typ == "refund" {
		c.merchant = 1 + int64(h>>32)%40_000
		c.mcc = mccs[(h>>12)%uint64(len(mccs))]
	}
	if c.channel == "online" || c.channel == "mobile" {
		c.device = fmt.Sprintf("dev-%08x", uint32(h>>16))
		c.ip = fmt.Sprintf("10.%d.%d.%d", (h>>24)&0xff, (h>>32)&0xff, (h>>40)&0xff)
	}
	return c
}

const isoMicros = "2006-01-02T15:04:05.000000Z"

func appendNullable(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return strconv.AppendQuote(b, s)
}

// appendRow writes the row's columns as members of a JSON object, in the unwrap's row format
// (decimals as exact text, timestamps ISO-8601 UTC) or in Debezium's (decimals as base64
// two's complement, timestamps epoch milliseconds).
func appendRow(b []byte, s txState, debezium bool) []byte {
	c := columnsOf(s.id)
	ts := func(b []byte, t time.Time) []byte {
		if t.IsZero() {
			return append(b, "null"...)
		}
		if debezium {
			return strconv.AppendInt(b, t.UnixMilli(), 10)
		}
		return strconv.AppendQuote(b, t.UTC().Format(isoMicros))
	}
	b = fmt.Appendf(b, `"transaction_id":%d,"account_id":%d,"customer_id":%d,"merchant_id":`, s.id, c.account, c.customer)
	if c.merchant == 0 {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, c.merchant, 10)
	}
	if debezium {
		b = fmt.Appendf(b, `,"amount":%q`, decimalBase64(c.cents))
	} else {
		b = fmt.Appendf(b, `,"amount":"%d.%02d"`, c.cents/100, c.cents%100)
	}
	b = fmt.Appendf(b, `,"currency":"EUR","status":%q,"transaction_type":%q,"channel":%q,"merchant_category":`, s.status, c.typ, c.channel)
	b = appendNullable(b, c.mcc)
	b = append(b, `,"device_id":`...)
	b = appendNullable(b, c.device)
	b = fmt.Appendf(b, `,"country":%q,"ip_address":`, c.country)
	b = appendNullable(b, c.ip)
	b = append(b, `,"event_ts":`...)
	b = ts(b, s.at)
	b = append(b, `,"created_at":`...)
	b = ts(b, s.at)
	b = append(b, `,"updated_at":`...)
	return ts(b, s.updated)
}

func decimalBase64(unscaled int64) string {
	v := big.NewInt(unscaled).Bytes()
	if len(v) == 0 || v[0]&0x80 != 0 {
		v = append([]byte{0}, v...)
	}
	return base64.StdEncoding.EncodeToString(v)
}

func sourcePos(pos int64) string { return fmt.Sprintf("%010d:%020d:%06d", 3, pos, 0) }

// unwrapped is the change as debezium_unwrap emits it (what the output decodes).
func (c mixChange) unwrapped(partition int32, offset int64) []byte {
	row := c.after
	if c.op == "d" {
		row = c.before
	}
	b := make([]byte, 0, 768)
	b = append(b, '{')
	b = appendRow(b, row, false)
	b = fmt.Appendf(b, `,"_op":%q,"_source_ts":%q,"_source_pos":%q,"_source_gtid":null,"_snapshot":"false","_deleted":%v,"_source_table":"transactions","_kafka_topic":%q,"_kafka_partition":%d,"_kafka_offset":%d`,
		c.op, c.srcTS.UTC().Format("2006-01-02T15:04:05.000Z"), sourcePos(c.pos), c.op == "d", mixTopic, partition, offset)
	if c.op == "u" {
		b = append(b, `,"_before":{`...)
		b = appendRow(b, c.before, false)
		b = append(b, '}')
	}
	return append(b, '}')
}

// debezium is the change as Debezium 3 (JSON converter, schemas disabled) writes it to Kafka.
func (c mixChange) debezium() []byte {
	b := make([]byte, 0, 1200)
	b = append(b, `{"before":`...)
	if c.op == "c" {
		b = append(b, "null"...)
	} else {
		b = append(b, '{')
		b = appendRow(b, c.before, true)
		b = append(b, '}')
	}
	b = append(b, `,"after":`...)
	if c.op == "d" {
		b = append(b, "null"...)
	} else {
		b = append(b, '{')
		b = appendRow(b, c.after, true)
		b = append(b, '}')
	}
	ms := c.srcTS.UnixMilli()
	return fmt.Appendf(b, `,"source":{"version":"3.0.1.Final","connector":"mysql","name":"bank_server","ts_ms":%d,"snapshot":"false","db":"bank","sequence":null,"table":"transactions","server_id":1,"gtid":null,"file":"mysql-bin.000003","pos":%d,"row":0,"thread":7,"query":null},"op":%q,"ts_ms":%d,"transaction":null}`,
		ms, c.pos, c.op, ms+120)
}

// mixFeed turns changes into messages with Kafka coordinates: keyed by transaction_id over
// mixPartitions partitions, offsets contiguous per partition.
type mixFeed struct{ offsets [mixPartitions]int64 }

func (f *mixFeed) batch(cs []mixChange) (service.MessageBatch, int) {
	b := make(service.MessageBatch, len(cs))
	bytes := 0
	for i, c := range cs {
		p := int32(c.id() % mixPartitions)
		off := f.offsets[p]
		f.offsets[p]++
		body := c.unwrapped(p, off)
		bytes += len(body)
		b[i] = msg(string(body), p, off, off-1)
		b[i].MetaSetMut("debezium_kind", "row")
	}
	return b, bytes
}

func openMergeOutput(tb testing.TB, path, pipeline, extra string) *output {
	tb.Helper()
	conf, err := outputSpec().ParseYAML(fmt.Sprintf("path: %s\nmode: merge\nschema_file: transactions\npipeline: %s\n%s", path, pipeline, extra), nil)
	if err != nil {
		tb.Fatal(err)
	}
	o, err := newOutput(conf, service.MockResources())
	if err != nil {
		tb.Fatal(err)
	}
	if err := o.Connect(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return o
}

// preloadSilver writes the preload through the merge output in batches of preloadBatch.
func preloadSilver(tb testing.TB, o *output, feed *mixFeed, cs []mixChange) {
	tb.Helper()
	for i := 0; i < len(cs); i += preloadBatch {
		b, _ := feed.batch(cs[i:min(i+preloadBatch, len(cs))])
		if err := o.WriteBatch(context.Background(), b); err != nil {
			tb.Fatal(err)
		}
	}
}

// mergeTotals sums the mergeMetrics of the commits after version from.
type mergeTotals struct {
	commits, source, stale, filesRemoved, filesAdded, rowsCopied, outputRows int64
	bytesRemoved, bytesAdded                                                 int64
}

func readMergeTotals(tb testing.TB, path string, from int64) mergeTotals {
	tb.Helper()
	hist, err := delta.OpenLocal(path).History(context.Background(), 0)
	if err != nil {
		tb.Fatal(err)
	}
	var t mergeTotals
	for _, e := range hist {
		m, _ := e.Info["mergeMetrics"].(map[string]any)
		if e.Version <= from || m == nil {
			continue
		}
		n := func(k string) int64 { f, _ := m[k].(float64); return int64(f) }
		t.commits++
		t.source += n("numSourceRows")
		t.stale += n("numStaleChanges")
		t.filesRemoved += n("numTargetFilesRemoved")
		t.filesAdded += n("numTargetFilesAdded")
		t.rowsCopied += n("numTargetRowsCopied")
		t.outputRows += n("numOutputRows")
		t.bytesRemoved += n("numTargetBytesRemoved")
		t.bytesAdded += n("numTargetBytesAdded")
	}
	return t
}

// procStatusMB reads a field such as VmHWM (peak RSS) or VmRSS from /proc/self/status.
func procStatusMB(field string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return -1
}

// processCPU is the user and system CPU time the process used so far: on a shared machine,
// changes per CPU second say more than changes per wall second.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportMemory(b *testing.B) {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-live-MB")
	b.ReportMetric(procStatusMB("VmRSS"), "rss-MB")
	b.ReportMetric(procStatusMB("VmHWM"), "peak-rss-MB")
}

// BenchmarkSilverMerge measures sustained changes/s of the banking mix, in batches of 10k,
// into a silver transactions table preloaded with 1M rows, directly through the output's
// WriteBatch (decode, key index, copy-on-write rewrite, tombstones, commit). Building the
// messages is not timed. Each sub-benchmark is one lag of updates and deletes behind their
// insert (source time at 10k changes/s). The preload is written once per sub-benchmark and
// copied for every call; the first call also builds the template.
//
//	GOGC=400 GOMEMLIMIT=1GiB go test -run '^$' -bench 'SilverMerge' -benchtime 40x ./outputs/delta
//
// Metrics: changes/s; rewrite-amp, the Parquet bytes written per Parquet byte changed, where
// the bytes of a changed row are the commits' average bytes per written row (so it is rows
// written per change applied); bytes-written/json-byte, against the unwrapped events' size;
// files removed and added per commit; memory after the run.
func BenchmarkSilverMerge(b *testing.B) {
	for _, lag := range []time.Duration{5 * time.Second, 30 * time.Second} {
		tmpl := &silverTemplate{}
		b.Cleanup(tmpl.remove)
		b.Run("lag="+lag.String(), func(b *testing.B) { benchSilverMerge(b, tmpl, lag, "") })
	}
}

// silverTemplate is a preloaded table, written once per sub-benchmark and copied for each of
// its calls (the testing package calls a benchmark again for every b.N it tries).
type silverTemplate struct {
	dir string
}

func (t *silverTemplate) remove() {
	if t.dir != "" {
		_ = os.RemoveAll(t.dir)
	}
}

// open returns an output on a fresh copy of the preloaded table and the generator and feed
// positioned after the preload.
func (t *silverTemplate) open(b *testing.B, lag time.Duration, extra string) (*output, string, *bankMix, *mixFeed) {
	b.Helper()
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	g := newBankMix(11, lag)
	feed := &mixFeed{}
	pre := g.preloadChanges(start)
	if t.dir == "" {
		dir, err := os.MkdirTemp("", "silver-template-")
		if err != nil {
			b.Fatal(err)
		}
		t.dir = dir
		o := openMergeOutput(b, filepath.Join(dir, "silver"), "bench", extra)
		t0 := time.Now()
		preloadSilver(b, o, feed, pre)
		b.Logf("preload: %d rows (%d within the lag cap) in %s", silverRows, g.recentRows(), time.Since(t0).Round(time.Millisecond))
	} else {
		for _, c := range pre {
			feed.offsets[c.id()%mixPartitions]++
		}
	}
	path := filepath.Join(b.TempDir(), "silver")
	if err := os.CopyFS(path, os.DirFS(filepath.Join(t.dir, "silver"))); err != nil {
		b.Fatal(err)
	}
	return openMergeOutput(b, path, "bench", extra), path, g, feed
}

func benchSilverMerge(b *testing.B, tmpl *silverTemplate, lag time.Duration, extra string) {
	o, path, g, feed := tmpl.open(b, lag, extra)
	v0 := o.snap.Version()
	var elapsed, cpu time.Duration
	jsonBytes := 0
	cs := make([]mixChange, mixBatch)
	b.ResetTimer()
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		for j := range cs {
			cs[j] = g.next()
		}
		batch, n := feed.batch(cs)
		jsonBytes += n
		b.StartTimer()
		t0, c0 := time.Now(), processCPU()
		var err error
		pprof.Do(context.Background(), pprof.Labels("phase", "merge"), func(ctx context.Context) { err = o.WriteBatch(ctx, batch) })
		if err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(t0)
		cpu += processCPU() - c0
		b.StopTimer()
	}
	if got := rowCount(b, path); int64(got) != g.live {
		b.Fatalf("silver holds %d rows, the source %d", got, g.live)
	}
	t := readMergeTotals(b, path, v0)
	if t.source != int64(b.N*mixBatch) {
		b.Fatalf("merge commits report %d source rows, %d were written", t.source, b.N*mixBatch)
	}
	applied := t.source - t.stale
	b.ReportMetric(float64(b.N*mixBatch)/elapsed.Seconds(), "changes/s")
	b.ReportMetric(float64(b.N*mixBatch)/cpu.Seconds(), "changes/cpu-s")
	b.ReportMetric(float64(t.bytesAdded)/(float64(applied)*float64(t.bytesAdded)/float64(t.outputRows)), "rewrite-amp")
	b.ReportMetric(float64(t.bytesAdded)/float64(jsonBytes), "bytes-written/json-byte")
	b.ReportMetric(float64(t.bytesRemoved)/float64(t.commits)/(1<<20), "MB-removed/commit")
	b.ReportMetric(float64(t.bytesAdded)/float64(t.commits)/(1<<20), "MB-added/commit")
	b.ReportMetric(float64(t.filesRemoved)/float64(t.commits), "files-removed/commit")
	b.ReportMetric(float64(t.filesAdded)/float64(t.commits), "files-added/commit")
	b.ReportMetric(float64(t.rowsCopied)/float64(t.commits), "rows-copied/commit")
	b.ReportMetric(0, "ns/op")
	reportMemory(b)
	runtime.KeepAlive(o) // the heap measured includes the key index and tombstones
}

// TestSilverMixMatchesSource runs a small banking mix through the merge output and compares
// every row's status with the source's, so the benchmarks' workload is known to be applied
// correctly.
func TestSilverMixMatchesSource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "silver")
	o := openMergeOutput(t, path, "test", "target_file_rows: 5000")
	g := newBankMix(3, 200*time.Millisecond)
	feed := &mixFeed{}
	source := map[int64]string{}
	apply := func(cs []mixChange) {
		for _, c := range cs {
			if c.op == "d" {
				delete(source, c.id())
			} else {
				source[c.id()] = c.after.status
			}
		}
	}
	// A small preload: the first 20k of the mix's preload shape.
	pre := g.preloadChanges(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	pre = append(pre[:10_000], pre[len(pre)-10_000:]...)
	g.live = 20_000
	apply(pre)
	b, _ := feed.batch(pre)
	if err := o.WriteBatch(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		cs := make([]mixChange, 2000)
		for j := range cs {
			cs[j] = g.next()
		}
		apply(cs)
		b, _ := feed.batch(cs)
		if err := o.WriteBatch(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	snap, err := delta.OpenLocal(path).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, _ := snap.Schema()
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	id, status := st.Index("transaction_id"), st.Index("status")
	got := map[int64]string{}
	for _, r := range rows {
		got[r[id].(int64)] = r[status].(string)
	}
	if len(rows) != len(source) || int64(len(source)) != g.live {
		t.Fatalf("silver has %d rows (%d keys), the source %d (generator counts %d)", len(rows), len(got), len(source), g.live)
	}
	for k, v := range source {
		if got[k] != v {
			t.Fatalf("transaction %d: silver status %q, source %q", k, got[k], v)
		}
	}
}

// BenchmarkSilverLatency measures produce→visible latency of the banking mix at a steady
// 10k changes/s: Debezium events are produced to an in-process Kafka cluster (kfake, 3
// partitions), read by the kafka input, unwrapped by debezium_unwrap and merged by
// delta_lake into a silver table preloaded with 1M rows, with the pipeline's batching
// (10,000 or 500 ms). A change's latency is the modification time of the first Delta commit
// whose kafkaOffsets cover its offset minus the record's produce timestamp. Sub-benchmarks:
// "fanout" runs the real pipeline's shape (bronze and silver behind a fan_out broker);
// max_in_flight=64 is the output's default, which pipelines/transactions.yaml keeps (with
// pipeline threads = cores); max_in_flight=1 lets batches grow to 10,000 while the merge is
// behind, and runs one pipeline thread: with two, batches reach the output out of offset
// order and a held batch waits max_hold (60 s) for one that cannot be in flight beside it.
//
//	GOGC=400 GOMEMLIMIT=1GiB go test -run '^$' -bench 'SilverLatency' -benchtime 1x -timeout 60m ./outputs/delta
func BenchmarkSilverLatency(b *testing.B) {
	for _, c := range []struct {
		fanout            bool
		lag               time.Duration
		inFlight, threads int
	}{
		{false, 5 * time.Second, 1, 1},
		{true, 5 * time.Second, 1, 1},
		{false, 5 * time.Second, 64, -1},
		{false, 30 * time.Second, 1, 1},
	} {
		name := "silver"
		if c.fanout {
			name = "fanout"
		}
		b.Run(fmt.Sprintf("%s/lag=%s/max_in_flight=%d", name, c.lag, c.inFlight), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchSilverLatency(b, c.fanout, c.lag, c.inFlight, c.threads, latencySeconds())
			}
		})
	}
}

// latencySeconds is how long the latency benchmark produces: 20 s, or SILVER_LATENCY_SECONDS.
func latencySeconds() time.Duration {
	if n, err := strconv.Atoi(os.Getenv("SILVER_LATENCY_SECONDS")); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	return 20 * time.Second
}

type produced struct {
	partition int32
	offset    int64
	at        time.Time
}

func benchSilverLatency(b *testing.B, fanout bool, lag time.Duration, inFlight, threads int, duration time.Duration) {
	dir := b.TempDir()
	path := filepath.Join(dir, "silver")
	g := newBankMix(17, lag)
	start := time.Now().Truncate(time.Millisecond)
	// The preload uses another pipeline name, so its txn versions do not cover the offsets the
	// stream will read.
	pre := openMergeOutput(b, path, "preload", "")
	preloadSilver(b, pre, &mixFeed{}, g.preloadChanges(start))
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(mixPartitions, mixTopic))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ProducerLinger(0))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()

	silver := fmt.Sprintf(`delta_lake:
          path: %s
          mode: merge
          schema_file: transactions
          pipeline: transactions
          max_in_flight: %d
          batching: { count: 10000, period: 500ms }`, path, inFlight)
	outputs := "      - " + silver
	if fanout {
		outputs = fmt.Sprintf(`      - delta_lake:
          path: %s
          mode: append
          schema_file: transactions
          pipeline: transactions
          batching: { count: 10000, period: 500ms }
`, filepath.Join(dir, "bronze")) + outputs
	}
	sb := service.NewStreamBuilder()
	if err := sb.SetYAML(fmt.Sprintf(`
input:
  kafka: { seed_brokers: [ %q ], topics: [ %s ], consumer_group: silver }
pipeline:
  threads: %d
  processors:
    - debezium_unwrap: { schema_file: transactions, tombstone_handling: keep }
output:
  broker:
    pattern: fan_out
    outputs:
%s
logger: { level: warn }
`, c.ListenAddrs()[0], mixTopic, threads, outputs)); err != nil {
		b.Fatal(err)
	}
	stream, err := sb.Build()
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = stream.Run(ctx) }()
	defer func() {
		stopCtx, stopCancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer stopCancel()
		_ = stream.Stop(stopCtx)
	}()

	var mu sync.Mutex
	var recs []produced
	var produceErr error
	record := func(r *kgo.Record, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			produceErr = err
			return
		}
		recs = append(recs, produced{r.Partition, r.Offset, r.Timestamp})
	}
	send := func(ch mixChange) {
		r := &kgo.Record{Topic: mixTopic, Key: fmt.Appendf(nil, `{"transaction_id":%d}`, ch.id()), Value: ch.debezium(), Timestamp: time.Now()}
		cl.Produce(ctx, r, record)
	}
	// One change first, to wait out the consumer's join and the output's key index build.
	g.clock = time.Now()
	send(g.next())
	if err := cl.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	appID := func(p int32) string { return fmt.Sprintf("transactions/transactions/merge/%s/%d", mixTopic, p) }
	waitFor := func(last map[int32]int64, limit time.Duration) {
		deadline := time.Now().Add(limit)
		for {
			snap, err := delta.OpenLocal(path).Snapshot(ctx)
			if err != nil {
				b.Fatal(err)
			}
			done := true
			for p, off := range last {
				v, ok := snap.TxnVersion(appID(p))
				done = done && ok && v >= off
			}
			if done {
				return
			}
			if time.Now().After(deadline) {
				b.Fatalf("silver did not reach offsets %v in %s", last, limit)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	mu.Lock()
	warm := recs[0]
	recs = recs[:0]
	mu.Unlock()
	waitFor(map[int32]int64{warm.partition: warm.offset}, 5*time.Minute)
	snap, err := delta.OpenLocal(path).Snapshot(ctx)
	if err != nil {
		b.Fatal(err)
	}
	v0 := snap.Version()

	// Produce at a steady rate: every 10 ms, the changes due by then. The source clock runs
	// with the wall clock.
	b.ResetTimer()
	t0 := time.Now()
	g.clock = t0
	sent := 0
	tick := time.NewTicker(10 * time.Millisecond)
	for now := t0; now.Sub(t0) < duration; now = <-tick.C {
		due := int(now.Sub(t0).Seconds() * mixSourceRate)
		for ; sent < due; sent++ {
			send(g.next())
		}
	}
	tick.Stop()
	produceTime := time.Since(t0)
	if err := cl.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	mu.Lock()
	if produceErr != nil {
		b.Fatal(produceErr)
	}
	last := map[int32]int64{}
	for _, r := range recs {
		last[r.partition] = max(last[r.partition], r.offset)
	}
	mu.Unlock()
	waitFor(last, 15*time.Minute)
	b.StopTimer()

	// When each partition's offsets became visible: the commits' kafkaOffsets and the
	// modification times of their log files.
	type visible struct {
		offset int64
		at     time.Time
	}
	hist, err := delta.OpenLocal(path).History(ctx, 0)
	if err != nil {
		b.Fatal(err)
	}
	byPart := map[int32][]visible{}
	commits := 0
	for i := len(hist) - 1; i >= 0; i-- {
		e := hist[i]
		if e.Version <= v0 {
			continue
		}
		offs, _ := e.Info["kafkaOffsets"].(map[string]any)
		if offs == nil {
			continue
		}
		fi, err := os.Stat(filepath.Join(path, "_delta_log", fmt.Sprintf("%020d.json", e.Version)))
		if err != nil {
			b.Fatal(err)
		}
		commits++
		for k, v := range offs {
			p, err := strconv.Atoi(k[strings.LastIndexByte(k, '/')+1:])
			if err != nil {
				b.Fatalf("commit %d: kafkaOffsets key %q", e.Version, k)
			}
			byPart[int32(p)] = append(byPart[int32(p)], visible{int64(v.(float64)), fi.ModTime()})
		}
	}
	lat := make([]time.Duration, 0, len(recs))
	for _, r := range recs {
		vs := byPart[r.partition]
		i := sort.Search(len(vs), func(i int) bool { return vs[i].offset >= r.offset })
		if i == len(vs) {
			b.Fatalf("offset %d of partition %d is in no commit", r.offset, r.partition)
		}
		lat = append(lat, vs[i].at.Sub(r.at))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(f float64) float64 { return float64(lat[int(f*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(float64(len(recs))/produceTime.Seconds(), "produced/s")
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
	b.ReportMetric(float64(len(recs))/float64(commits), "changes/commit")
	if got := rowCount(b, path); int64(got) != g.live {
		b.Fatalf("silver holds %d rows, the source %d", got, g.live)
	}
	b.ReportMetric(0, "ns/op")
	reportMemory(b)
}
