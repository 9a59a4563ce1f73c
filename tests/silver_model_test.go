package tests

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ledgerflow/ledgerflow/debezium"
	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// silverPartitions is the topic's partition count: keys hash to partitions as Kafka's
// default partitioner places them, so one key's events stay in order on one partition.
const silverPartitions = 4

// TestSilverEqualsSourceModelUnderSIGKILL is the end-to-end model test of silver: a
// simulated bank.transactions history (200,000 changes over 20,000 keys: inserts, updates,
// deletes, re-inserts, primary-key changes, an initial snapshot and late snapshot reads) is
// encoded as Debezium events, delivered to Kafka as Debezium and Kafka allow (per-key order
// only, redeliveries, a re-snapshot), and consumed by the real transactions pipeline, which is
// SIGKILLed 20 times at random moments while it commits. After every kill the silver table
// must equal the model applied to exactly the records its txn versions say it holds; at the
// end it must equal the source table, and bronze must hold every row record exactly once.
//
// LEDGERFLOW_SILVER_SEED reproduces a history; LEDGERFLOW_KILL_SEED reproduces the kill
// schedule: for each run, either the delay after its first silver commit at which the test
// kills it, or the failpoint at which the process kills itself (LEDGERFLOW_FAILPOINT: exactly
// between a tombstone commit and the silver commit it belongs to, the window an outside kill
// hits only by chance). The moments stay the machine's: a delay is not a commit boundary.
// Both seeds are printed at the start and on failure.
// LEDGERFLOW_SILVER_KILLS and LEDGERFLOW_SILVER_CHANGES override the size;
// LEDGERFLOW_SILVER_LAKE keeps the tables in that (empty) directory.
func TestSilverEqualsSourceModelUnderSIGKILL(t *testing.T) {
	keys, changes, kills := 20_000, 200_000, 20
	if testing.Short() {
		keys, changes, kills = 2_000, 20_000, 5
	}
	if v := os.Getenv("LEDGERFLOW_SILVER_KILLS"); v != "" {
		kills, _ = strconv.Atoi(v)
	}
	if v := os.Getenv("LEDGERFLOW_SILVER_CHANGES"); v != "" {
		changes, _ = strconv.Atoi(v)
		keys = max(10, changes/10)
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("LEDGERFLOW_SILVER_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	killSeed := uint64(time.Now().UnixNano()) ^ 0x6b696c6c
	if v := os.Getenv("LEDGERFLOW_KILL_SEED"); v != "" {
		killSeed, _ = strconv.ParseUint(v, 10, 64)
	}
	seeds := fmt.Sprintf("LEDGERFLOW_SILVER_SEED=%d LEDGERFLOW_KILL_SEED=%d", seed, killSeed)
	t.Logf("seeds: %s (the history and the kill schedule)", seeds)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("reproduce with: %s", seeds)
		}
	})
	began := time.Now()
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	kr := rand.New(rand.NewPCG(killSeed, 0x6b11))

	contract, err := schemas.Load("transactions")
	if err != nil {
		t.Fatal(err)
	}
	src := genSilverSource(r, keys, changes)
	items, dstats := src.deliver(r)
	h := &silverModel{t: t, src: src, items: items, contract: contract, enc: debezium.NewContractTable("bank_server", contract),
		pii: newPIIProtector(t, "transactions", piiKey)}
	h.place = make([]recPlace, len(items))
	for i := range h.place {
		h.place[i].part = -1
	}
	h.offsets = make([][]int32, silverPartitions)

	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(silverPartitions, txTopic), kfake.GroupMinSessionTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	h.cl = cl

	lake := t.TempDir()
	if d := os.Getenv("LEDGERFLOW_SILVER_LAKE"); d != "" {
		lake = d // kept after the test, for looking into a failure
	}
	h.silver = filepath.Join(lake, "silver", "transactions")
	bronze := filepath.Join(lake, "bronze", "transactions")
	env := []string{
		"KAFKA_BROKERS=" + c.ListenAddrs()[0], "LAKEHOUSE=" + lake, "CONSUMER_GROUP_PREFIX=silver-model",
		// A short rebalance timeout: takeover after a SIGKILL waits for it, not the 60s
		// default. The session timeout is 3s, not 1s: on a loaded machine a 1s session
		// expires between heartbeats and the group churns without any kill.
		"KAFKA_SESSION_TIMEOUT=3s", "KAFKA_REBALANCE_TIMEOUT=3s", "KAFKA_REVOKE_ACK_TIMEOUT=1s",
		"LEDGERFLOW_HTTP_ADDRESS=127.0.0.1:0", "BATCH_PERIOD=100ms", "BATCH_COUNT=5000",
	}
	var logs lockedLog
	start := func(extra ...string) *exec.Cmd {
		cmd := exec.Command(binary, "-c", "pipelines/transactions.yaml", "--log.level", logLevel())
		cmd.Dir = repoRoot
		cmd.Env = append(append(os.Environ(), env...), extra...)
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ledgerflow logs (tail):\n%s", logs.tail(4000))
			if p := os.Getenv("LEDGERFLOW_TEST_LOG"); p != "" {
				_ = os.WriteFile(p, []byte(logs.tail(1<<30)), 0o644)
			}
		}
	})

	// The records go to Kafka in kills+1 portions, one while each run of the pipeline starts,
	// so that every run finds a backlog and is killed while it consumes.
	portions := kills + 1
	produce := func(n int) chan error {
		done := make(chan error, 1)
		from, to := len(items)*n/portions, len(items)*(n+1)/portions
		go func() { done <- h.produce(from, to) }()
		return done
	}
	midCommit, selfKilled := 0, 0
	for i := 0; i < kills; i++ {
		produced := produce(i)
		before := deltaVersion(h.silver)
		// The schedule is drawn whatever happens in the run, so that the seed gives the
		// same schedule to every run.
		delay := time.Duration(kr.IntN(1500)) * time.Millisecond
		var extra []string
		if kr.IntN(2) == 0 {
			// A run commits only a few merges (its backlog is a few batches): the first or
			// second tombstone commit, so that the failpoint is reached.
			extra = append(extra, fmt.Sprintf("LEDGERFLOW_FAILPOINT=after-tombstones-commit:%d", 1+kr.IntN(2)))
		}
		t.Logf("run %d: %v, else SIGKILL %s after its first silver commit", i+1, extra, delay)
		cmd := start(extra...)
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		// Kill at a random moment after the run's first silver commit: inside a merge, between
		// the bronze and the silver commit, during a checkpoint, or between batches; or let
		// the failpoint kill it between a tombstone commit and its silver commit (a run that
		// does not reach it in 20 s is killed from outside).
		if waitVersionAfter(h.silver, before, 20*time.Second, exited) {
			midCommit++
			if extra != nil {
				delay = 20 * time.Second
			}
			select {
			case <-exited:
			case <-time.After(delay):
			}
		} else if extra != nil {
			select { // killed at its first merge, or still short of it
			case <-exited:
			case <-time.After(20 * time.Second):
			}
		}
		select {
		case <-exited:
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("run %d: ledgerflow ended on its own (%v), not at a kill", i+1, cmd.ProcessState)
			}
			selfKilled++
		default:
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-exited
		}
		if err := <-produced; err != nil {
			t.Fatalf("producing: %v", err)
		}
		if h.checkPrefix(fmt.Sprintf("after SIGKILL %d", i+1)) {
			t.FailNow()
		}
	}
	if err := <-produce(kills); err != nil {
		t.Fatalf("producing: %v", err)
	}
	killPhase := time.Since(began)

	// The last run drains the topic: both tables' txn versions reach every partition's end.
	drainStart := time.Now()
	cmd := start()
	ends := make([]int64, silverPartitions)
	for p := range ends {
		ends[p] = int64(len(h.offsets[p])) - 1
	}
	// No deadline on the whole drain (its speed is the machine's), only on a stall: three
	// minutes without a commit to either table is three times the output's max_hold.
	progress := func() [2]int64 { return [2]int64{deltaVersion(h.silver), deltaVersion(bronze)} }
	lastVersions, lastProgress := progress(), time.Now()
	for !drained(h.silver, "merge", ends) || !drained(bronze, "append", ends) {
		if v := progress(); v != lastVersions {
			lastVersions, lastProgress = v, time.Now()
		}
		if time.Since(lastProgress) > 3*time.Minute {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			_ = cmd.Wait()
			t.Fatalf("no commit for 3 minutes: silver txn %v, bronze txn %v, partition ends %v",
				txnVersions(h.silver, "merge"), txnVersions(bronze, "append"), ends)
		}
		time.Sleep(300 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	drainTime := time.Since(drainStart)

	// Silver equals the source table (the model), with the metadata of the change that won.
	h.checkFinal()
	// Bronze: every row record exactly once; tombstones advance offsets but write no row.
	counts := offsetCounts(t, bronze)
	rowRecords, tombstones, bad := 0, 0, 0
	for i, it := range items {
		k := fmt.Sprintf("%d/%d", h.place[i].part, h.place[i].off)
		want := 1
		if it.tomb {
			want = 0
			tombstones++
		} else {
			rowRecords++
		}
		if counts[k] != want {
			if bad++; bad <= 10 {
				t.Errorf("bronze: offset %s is in the table %d times, want %d (tombstone %v)", k, counts[k], want, it.tomb)
			}
		}
	}
	if len(counts) != rowRecords {
		t.Errorf("bronze: %d distinct offsets, want %d (one per row record)", len(counts), rowRecords)
	}
	h.checkWithOracle(bronze, rowRecords)

	keys2 := make([]string, 0, len(src.stats))
	for k := range src.stats {
		keys2 = append(keys2, k)
	}
	sort.Strings(keys2)
	var hist []string
	for _, k := range keys2 {
		hist = append(hist, fmt.Sprintf("%s %d", k, src.stats[k]))
	}
	var deliv []string
	for _, k := range []string{"records moved by the shuffle", "single redeliveries", "connector-restart replays", "records replayed", "re-snapshot reads (old position)"} {
		deliv = append(deliv, fmt.Sprintf("%s %d", k, dstats[k]))
	}
	t.Logf("history: %d changes over %d keys (%s); %d rows at the end", src.history, keys, strings.Join(hist, ", "), len(src.final))
	t.Logf("delivery: %d records on %d partitions (%d row events, %d tombstones; %s)", len(items), silverPartitions, rowRecords, tombstones, strings.Join(deliv, ", "))
	t.Logf("%d SIGKILLs (%d after a silver commit of that run, %d by a failpoint), silver checked against the model after each; kills %.1fs, drain %.1fs, total %.1fs; silver version %d",
		kills, midCommit, selfKilled, killPhase.Seconds(), drainTime.Seconds(), time.Since(began).Seconds(), deltaVersion(h.silver))
}

// recPlace is where a record landed in Kafka.
type recPlace struct {
	part int32
	off  int64
}

// silverModel holds the generated history, its delivery and where each record landed.
type silverModel struct {
	t        *testing.T
	src      *silverSource
	items    []delivered
	contract *schemas.Table
	enc      *debezium.Table
	cl       *kgo.Client
	silver   string
	place    []recPlace
	offsets  [][]int32     // partition -> offset -> index in items
	pii      *piiProtector // the pipeline's pii policies (device_id hashed, ip_address masked)

	partitions  []string // silver's partition columns, as last read
	noEventDate bool     // silver lacks the contract's derived partition column

	lineageReported bool
}

// produce encodes items[from:to] as Debezium does and produces them, recording offsets.
func (h *silverModel) produce(from, to int) error {
	const chunk = 2000
	for n := from; n < to; n += chunk {
		end := min(n+chunk, to)
		recs := make([]*kgo.Record, 0, end-n)
		for i := n; i < end; i++ {
			rec, err := h.record(h.items[i])
			if err != nil {
				return err
			}
			recs = append(recs, rec)
		}
		res := h.cl.ProduceSync(context.Background(), recs...)
		if err := res.FirstErr(); err != nil {
			return err
		}
		// Results come in completion order: find each record's item by identity, then file
		// them by offset.
		item := make(map[*kgo.Record]int, len(recs))
		for j, rec := range recs {
			item[rec] = n + j
		}
		sort.Slice(res, func(a, b int) bool {
			ra, rb := res[a].Record, res[b].Record
			return ra.Partition < rb.Partition || (ra.Partition == rb.Partition && ra.Offset < rb.Offset)
		})
		for _, pr := range res {
			i := item[pr.Record]
			h.place[i] = recPlace{pr.Record.Partition, pr.Record.Offset}
			offs := h.offsets[pr.Record.Partition]
			if int64(len(offs)) != pr.Record.Offset {
				return fmt.Errorf("partition %d: record at offset %d, expected %d (records must be contiguous)", pr.Record.Partition, pr.Record.Offset, len(offs))
			}
			h.offsets[pr.Record.Partition] = append(offs, int32(i))
		}
	}
	return nil
}

// record is the Kafka record Debezium would write: key = the primary key as JSON, value =
// the envelope with schemas disabled, or null for the tombstone after a delete.
func (h *silverModel) record(d delivered) (*kgo.Record, error) {
	e := &h.src.events[d.ev]
	img := e.after
	if img == nil {
		img = e.before
	}
	keyRow, err := img.values(h.contract)
	if err != nil {
		return nil, err
	}
	key, _, err := h.enc.AppendKey(nil, keyRow)
	if err != nil {
		return nil, err
	}
	rec := &kgo.Record{Topic: txTopic, Key: key}
	if d.tomb {
		return rec, nil
	}
	var before, after []any
	if e.before != nil {
		if before, err = e.before.values(h.contract); err != nil {
			return nil, err
		}
	}
	if e.after != nil {
		if after, err = e.after.values(h.contract); err != nil {
			return nil, err
		}
	}
	s := &debezium.Source{TsMs: e.tsMs, Snapshot: e.snapshot, ServerID: 223344, File: fmt.Sprintf("mysql-bin.%06d", e.pos.file),
		Pos: uint32(e.pos.pos), Row: int(e.pos.row), Thread: 7}
	if e.op == 'r' {
		s.ServerID, s.Thread = 0, -1
	}
	rec.Value, err = h.enc.AppendEnvelope(nil, e.op, before, after, s, (e.tsMs+3+int64(d.ev%50))*1_000_000)
	return rec, err
}

// winner is the change a key's silver row must come from: the newest (in source order) of
// the key's records that the table holds, the first copy of it when it was redelivered.
type winner struct {
	ev   *srcEvent
	item int
}

// expected is what silver must hold after consuming every partition up to upto[p]
// (inclusive): per key, the newest change; no row where that change is a delete.
func (h *silverModel) expected(upto []int64) map[int64]winner {
	best := map[int64]winner{}
	for p, offs := range h.offsets {
		for off := int64(0); off <= upto[p] && off < int64(len(offs)); off++ {
			i := int(offs[off])
			if h.items[i].tomb {
				continue
			}
			e := &h.src.events[h.items[i].ev]
			if w, ok := best[e.id()]; !ok || cmpEvents(e, w.ev) > 0 {
				best[e.id()] = winner{e, i}
			}
		}
	}
	for k, w := range best {
		if w.ev.op == 'd' {
			delete(best, k)
		}
	}
	return best
}

// silverCols are the columns compared: every contract column, the derived partition column
// and the metadata a merge keeps. _ingested_at is only checked to be set.
func (h *silverModel) silverCols() []string {
	var cols []string
	for _, c := range h.contract.Columns {
		cols = append(cols, c.Name)
	}
	if !h.noEventDate {
		cols = append(cols, "event_date")
	}
	return append(cols, "_op", "_source_ts", "_source_pos", "_source_gtid", "_kafka_topic", "_kafka_partition", "_kafka_offset")
}

// want renders the expected row of w in the columns of silverCols, computed from the model
// (never through the code under test).
func (h *silverModel) want(w winner) string {
	row := w.ev.after
	vals := map[string]any{}
	kv, _ := row.values(h.contract)
	for i, c := range h.contract.Columns {
		vals[c.Name] = h.pii.value(h.t, c.Name, kv[i])
	}
	vals["amount"] = exactText(centsText(big.NewInt(row.cents)))
	vals["event_date"] = exactText(time.UnixMilli(row.eventMs).UTC().Format("2006-01-02"))
	vals["_op"] = string(w.ev.op)
	vals["_source_ts"] = time.UnixMilli(w.ev.tsMs).UTC()
	vals["_source_pos"] = w.ev.pos.String()
	vals["_source_gtid"] = nil
	vals["_kafka_topic"] = txTopic
	vals["_kafka_partition"] = h.place[w.item].part
	vals["_kafka_offset"] = h.place[w.item].off
	var b strings.Builder
	for _, c := range h.silverCols() {
		fmt.Fprintf(&b, "%s=%s ", c, cellText(vals[c]))
	}
	return b.String()
}

// centsText is the exact decimal text of an amount in cents.
func centsText(c *big.Int) string {
	s := new(big.Int).Abs(c).String()
	for len(s) < 3 {
		s = "0" + s
	}
	s = s[:len(s)-2] + "." + s[len(s)-2:]
	if c.Sign() < 0 {
		s = "-" + s
	}
	return s
}

// exactText is an expected cell given as the text the reader's value prints as (decimals,
// dates), computed by the test itself.
type exactText string

func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case exactText:
		return string(x)
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.000000Z")
	case schema.Decimal:
		return x.String()
	case schema.Date:
		return x.String()
	case string:
		return strconv.Quote(x)
	default:
		return fmt.Sprint(x)
	}
}

// silverState reads silver with our Delta reader: rows by key, keys seen twice, and the
// txn version of every partition (-1: nothing committed), all from one snapshot.
func (h *silverModel) silverState() (map[int64]string, []int64, []int64) {
	t := h.t
	t.Helper()
	rows := map[int64]string{}
	var dups []int64
	txn := txnVersions(h.silver, "merge")
	tbl := delta.OpenLocal(h.silver)
	if ok, _ := tbl.Exists(context.Background()); !ok {
		return rows, nil, txn
	}
	snap, err := tbl.Snapshot(context.Background())
	if err != nil {
		t.Fatalf("silver: %v", err)
	}
	txn = snapTxn(snap, "merge")
	st, err := snap.Schema()
	if err != nil {
		t.Fatal(err)
	}
	h.partitions = snap.PartitionColumns()
	if st.Index("event_date") < 0 {
		h.noEventDate = true // reported once by checkFinal; the other columns are still compared
	}
	cols := h.silverCols()
	idx := make([]int, len(cols))
	for i, c := range cols {
		if idx[i] = st.Index(c); idx[i] < 0 {
			t.Fatalf("silver has no column %q; its schema: %s", c, st.JSON())
		}
	}
	idCol, ingest := st.Index("transaction_id"), st.Index("_ingested_at")
	err = snap.Scan(context.Background(), func(a *delta.Add, part [][]any) error {
		for _, row := range part {
			id := row[idCol].(int64)
			var b strings.Builder
			for i, c := range cols {
				fmt.Fprintf(&b, "%s=%s ", c, cellText(row[idx[i]]))
			}
			if row[ingest] == nil {
				return fmt.Errorf("key %d in %s: _ingested_at is null", id, a.Path)
			}
			if _, seen := rows[id]; seen {
				dups = append(dups, id)
			}
			rows[id] = b.String()
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading silver: %v", err)
	}
	return rows, dups, txn
}

// compare reports every difference between silver and the expected rows.
// It returns whether the table's data is wrong (not only the coordinates of its rows).
func (h *silverModel) compare(when string, got map[int64]string, dups []int64, want map[int64]winner) bool {
	t := h.t
	t.Helper()
	var diffs []string
	missing, extra, differ, lineage := 0, 0, 0, 0
	for k, w := range want {
		g, ok := got[k]
		ws := h.want(w)
		switch {
		case !ok:
			missing++
			diffs = append(diffs, fmt.Sprintf("key %d missing; want %s", k, ws))
		case g == ws:
		case withoutCoordinates(g) == withoutCoordinates(ws):
			// Same change, but the row records another copy of it: a redelivery was applied
			// over the first delivery, which the contract says changes nothing.
			lineage++
			diffs = append(diffs, fmt.Sprintf("key %d holds the change from another Kafka record:\n   got %s\n  want %s", k, g[strings.Index(g, "_kafka_partition="):], ws[strings.Index(ws, "_kafka_partition="):]))
		default:
			differ++
			diffs = append(diffs, fmt.Sprintf("key %d differs:\n   got %s\n  want %s", k, g, ws))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			extra++
			diffs = append(diffs, fmt.Sprintf("key %d should not be there (deleted or never consumed): %s", k, g))
		}
	}
	if len(diffs) == 0 && len(dups) == 0 {
		return false
	}
	serious := missing+extra+differ+len(dups) > 0
	if !serious && h.lineageReported {
		diffs = nil // shown once; later checks only count them
	}
	h.lineageReported = h.lineageReported || !serious
	sort.Strings(diffs)
	t.Errorf("%s: silver differs from the model: %d keys missing, %d extra, %d with other values, %d with the values of the change but the Kafka coordinates of a later redelivery of it, %d keys with more than one row (e.g. %v)\n%s",
		when, missing, extra, differ, lineage, len(dups), dups[:min(5, len(dups))], strings.Join(diffs[:min(12, len(diffs))], "\n"))
	return serious
}

// withoutCoordinates is a rendered row without its Kafka coordinates (the last columns).
func withoutCoordinates(row string) string {
	if i := strings.Index(row, "_kafka_partition="); i >= 0 {
		return row[:i]
	}
	return row
}

// checkPrefix: silver equals the model applied to exactly the records its txn versions
// cover, the proof that a crash never leaves data and txn versions apart.
func (h *silverModel) checkPrefix(when string) bool {
	got, dups, txn := h.silverState()
	return h.compare(fmt.Sprintf("%s (txn versions %v)", when, txn), got, dups, h.expected(txn))
}

// checkFinal: silver equals the source table, and the model's winners agree with it.
func (h *silverModel) checkFinal() {
	t := h.t
	all := make([]int64, silverPartitions)
	for p := range all {
		all[p] = int64(len(h.offsets[p])) - 1
	}
	want := h.expected(all)
	// The history's final table and the newest delivered change per key must agree, or the
	// generator is wrong (not the code under test).
	for k, row := range h.src.final {
		if w, ok := want[k]; !ok || *w.ev.after != *row {
			t.Fatalf("test generator: key %d: the newest delivered change is not the source's final row", k)
		}
	}
	if len(want) != len(h.src.final) {
		t.Fatalf("test generator: %d keys in the delivered changes, %d in the source", len(want), len(h.src.final))
	}
	got, dups, _ := h.silverState()
	h.compare("at the end", got, dups, want)
	// The contract partitions transactions by event_date (day of event_ts), and silver uses the
	// contract's partition unless partition_by is set (the pipeline does not set it).
	if fmt.Sprint(h.partitions) != "[event_date]" {
		t.Errorf("silver is partitioned by %v, want [event_date] (the contract's partition; pipelines/transactions.yaml sets no partition_by)", h.partitions)
	}
}

// checkWithOracle reads silver and bronze with the independent Delta reader (its own log
// replay plus DuckDB) when LEDGERFLOW_DELTA_ORACLE is set.
func (h *silverModel) checkWithOracle(bronze string, bronzeRows int) {
	t := h.t
	oracle := os.Getenv("LEDGERFLOW_DELTA_ORACLE")
	if oracle == "" {
		t.Log("LEDGERFLOW_DELTA_ORACLE not set (.ci/run sets it): silver and bronze not read by the independent reader")
		return
	}
	total := new(big.Int)
	for _, row := range h.src.final {
		total.Add(total, big.NewInt(row.cents))
	}
	run := func(table, sql string) string {
		out, err := exec.Command("node", oracle, table, "--sql", sql).CombinedOutput()
		if err != nil {
			t.Fatalf("oracle on %s: %v\n%s", table, err, out)
		}
		return string(out)
	}
	if out, err := exec.Command("node", oracle, h.silver).CombinedOutput(); err != nil || !strings.Contains(string(out), `"problems":[]`) {
		t.Errorf("oracle found problems in silver: %v\n%.2000s", err, out)
	}
	out := run(h.silver, "select count(*) as n, count(distinct transaction_id) as d, sum(amount) as total from t")
	for _, w := range []string{fmt.Sprintf(`"n":"%d"`, len(h.src.final)), fmt.Sprintf(`"d":"%d"`, len(h.src.final)), fmt.Sprintf(`"total":"%s"`, centsText(total))} {
		if !strings.Contains(out, w) {
			t.Errorf("oracle reads silver differently: want %s in\n%s", w, out)
		}
	}
	bout := run(bronze, "select count(*) as n, count(distinct (_kafka_partition, _kafka_offset)) as d from t")
	for _, w := range []string{fmt.Sprintf(`"n":"%d"`, bronzeRows), fmt.Sprintf(`"d":"%d"`, bronzeRows)} {
		if !strings.Contains(bout, w) {
			t.Errorf("oracle reads bronze differently: want %s in\n%s", w, bout)
		}
	}
	t.Logf("independent reader: silver %s; bronze %s", strings.TrimSpace(out), strings.TrimSpace(bout))
}

// txnVersions is a table's last committed offset per partition of the topic for the
// transactions pipeline's output in mode (-1: none).
func txnVersions(path, mode string) []int64 {
	out := make([]int64, silverPartitions)
	for p := range out {
		out[p] = -1
	}
	snap, err := delta.OpenLocal(path).Snapshot(context.Background())
	if err != nil {
		return out
	}
	return snapTxn(snap, mode)
}

func snapTxn(snap *delta.Snapshot, mode string) []int64 {
	out := make([]int64, silverPartitions)
	for p := range out {
		out[p] = -1
		if v, ok := snap.TxnVersion(fmt.Sprintf("transactions/transactions/%s/%s/%d", mode, txTopic, p)); ok {
			out[p] = v
		}
	}
	return out
}

func drained(path, mode string, ends []int64) bool {
	v := txnVersions(path, mode)
	for p := range ends {
		if v[p] < ends[p] {
			return false
		}
	}
	return true
}

// deltaVersion is the newest commit in a table's _delta_log (-1: none), from the file names.
func deltaVersion(path string) int64 {
	ents, err := os.ReadDir(filepath.Join(path, "_delta_log"))
	if err != nil {
		return -1
	}
	v := int64(-1)
	for _, e := range ents {
		n := e.Name()
		if len(n) == 25 && strings.HasSuffix(n, ".json") {
			if x, err := strconv.ParseInt(n[:20], 10, 64); err == nil && x > v {
				v = x
			}
		}
	}
	return v
}

// waitVersionAfter waits until the table has a commit newer than v; false on timeout or
// once stop is closed (the process died).
func waitVersionAfter(path string, v int64, timeout time.Duration, stop <-chan struct{}) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if deltaVersion(path) > v {
			return true
		}
		select {
		case <-stop:
			return deltaVersion(path) > v
		case <-time.After(20 * time.Millisecond):
		}
	}
	return false
}
