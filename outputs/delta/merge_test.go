package delta

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// ch is one change of a transactions row for merge tests.
type ch struct {
	id     int
	status string // also the payload that tells versions apart
	pos    int    // binlog position; the file is 3
	op     string // c u d r
	amount string
}

func (c ch) body() string {
	amount := c.amount
	if amount == "" {
		amount = "10.00"
	}
	deleted := c.op == "d"
	return fmt.Sprintf(`{"transaction_id":%d,"account_id":7,"customer_id":3,"merchant_id":null,"amount":%q,"currency":"EUR","status":%q,"transaction_type":"purchase","channel":"online","event_ts":"2024-03-0%dT10:00:00.123Z","created_at":"2024-03-01T10:00:00.123Z","_op":%q,"_source_ts":%q,"_source_pos":"%010d:%020d:%06d","_deleted":%v}`,
		c.id, amount, c.status, 1+c.id%3, c.op, posTime(c.pos).Format(time.RFC3339), 3, c.pos, 0, deleted)
}

// silverHarness feeds changes through a merge output, one Kafka partition, offsets in order.
type silverHarness struct {
	t      *testing.T
	dir    string
	extra  string
	o      *output
	offset int64
}

func newSilver(t *testing.T, extra string) *silverHarness {
	h := &silverHarness{t: t, dir: t.TempDir(), extra: extra}
	h.o = h.open()
	return h
}

func (h *silverHarness) path() string { return filepath.Join(h.dir, "silver") }

func (h *silverHarness) open() *output {
	h.t.Helper()
	conf, err := outputSpec().ParseYAML(fmt.Sprintf("path: %s\nmode: merge\nschema_file: transactions\npipeline: test\n%s", h.path(), h.extra), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	o, err := newOutput(conf, service.MockResources())
	if err != nil {
		h.t.Fatal(err)
	}
	if err := o.Connect(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	return o
}

// restart is a crash and restart: a new output on the same table.
func (h *silverHarness) restart() { h.o = h.open() }

// batch writes changes as one batch at the next offsets.
func (h *silverHarness) batch(cs ...ch) {
	h.t.Helper()
	var b service.MessageBatch
	for _, c := range cs {
		b = append(b, msg(c.body(), 0, h.offset, h.offset-1))
		h.offset++
	}
	if err := h.o.WriteBatch(context.Background(), b); err != nil {
		h.t.Fatal(err)
	}
}

// state is the table as id -> status, checking there is one row per key.
func (h *silverHarness) state() map[int64]string {
	h.t.Helper()
	snap, err := delta.OpenLocal(h.path()).Snapshot(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	st, _ := snap.Schema()
	rows, err := snap.Rows(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	id, status := st.Index("transaction_id"), st.Index("status")
	out := map[int64]string{}
	for _, r := range rows {
		k := r[id].(int64)
		if _, dup := out[k]; dup {
			h.t.Fatalf("key %d has two rows", k)
		}
		out[k] = r[status].(string)
	}
	return out
}

func (h *silverHarness) expect(want map[int64]string) {
	h.t.Helper()
	got := h.state()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		h.t.Fatalf("silver table\n got %v\nwant %v", got, want)
	}
}

func TestMergeAppliesInsertsUpdatesDeletes(t *testing.T) {
	h := newSilver(t, "")
	h.batch(ch{1, "pending", 100, "c", ""}, ch{2, "pending", 101, "c", ""}, ch{3, "pending", 102, "c", ""})
	h.batch(ch{2, "completed", 110, "u", ""}, ch{3, "pending", 111, "d", ""})
	h.expect(map[int64]string{1: "pending", 2: "completed"})
}

func TestMergeLateOlderUpdateNeverRegresses(t *testing.T) {
	h := newSilver(t, "")
	h.batch(ch{1, "pending", 100, "c", ""})
	h.batch(ch{1, "completed", 200, "u", ""})
	h.batch(ch{1, "failed", 150, "u", ""}) // older, arrives late
	h.expect(map[int64]string{1: "completed"})
	h.restart() // the index is rebuilt from the table: same answer
	h.batch(ch{1, "failed", 150, "u", ""})
	h.expect(map[int64]string{1: "completed"})
}

func TestMergeDuplicatesChangeNothing(t *testing.T) {
	h := newSilver(t, "")
	h.batch(ch{1, "pending", 100, "c", ""}, ch{1, "pending", 100, "c", ""})
	before := h.state()
	snap, _ := delta.OpenLocal(h.path()).Snapshot(context.Background())
	files := len(snap.Files())
	h.batch(ch{1, "pending", 100, "c", ""}) // redelivered at a new offset
	h.expect(before)
	snap, _ = delta.OpenLocal(h.path()).Snapshot(context.Background())
	if got := len(snap.Files()); got != files {
		t.Fatalf("a duplicate rewrote files: %d files, had %d", got, files)
	}
}

func TestMergeDeleteThenLateInsertDoesNotResurrect(t *testing.T) {
	h := newSilver(t, "")
	h.batch(ch{1, "pending", 100, "c", ""})
	h.batch(ch{1, "pending", 300, "d", ""})
	h.batch(ch{1, "completed", 200, "u", ""}) // older than the delete
	h.expect(map[int64]string{})
	h.restart() // tombstones come back from their table
	h.batch(ch{1, "completed", 250, "u", ""})
	h.expect(map[int64]string{})
	h.batch(ch{1, "pending", 400, "c", ""}) // a re-insert after the delete is real
	h.expect(map[int64]string{1: "pending"})
}

func TestMergeDeleteOfUnknownKeyThenLateInsert(t *testing.T) {
	h := newSilver(t, "")
	h.batch(ch{9, "pending", 300, "d", ""})
	h.batch(ch{9, "pending", 100, "c", ""})
	h.expect(map[int64]string{})
}

func TestMergePrimaryKeyChange(t *testing.T) {
	h := newSilver(t, "")
	h.batch(ch{1, "pending", 100, "c", ""})
	// Debezium: delete of the old key and create of the new key at the same position.
	h.batch(ch{1, "pending", 200, "d", ""}, ch{2, "pending", 200, "c", ""})
	h.expect(map[int64]string{2: "pending"})
}

func TestMergeSnapshotReadsNeverOverwriteNewerChanges(t *testing.T) {
	h := newSilver(t, "")
	h.batch(ch{1, "completed", 200, "u", ""}, ch{2, "completed", 150, "c", ""})
	h.batch(ch{1, "pending", 150, "r", ""})                                // snapshot at an older position
	h.batch(ch{2, "pending", 150, "r", ""})                                // snapshot at the same position: the stream wins
	h.batch(ch{3, "pending", 150, "r", ""}, ch{3, "failed", 150, "u", ""}) // both orders in one batch
	h.batch(ch{4, "failed", 150, "u", ""}, ch{4, "pending", 150, "r", ""})
	h.expect(map[int64]string{1: "completed", 2: "completed", 3: "failed", 4: "failed"})
}

func TestMergeCollapsesABatchToTheNewest(t *testing.T) {
	h := newSilver(t, "")
	h.batch(ch{1, "failed", 130, "u", ""}, ch{1, "pending", 100, "c", ""}, ch{1, "completed", 120, "u", ""},
		ch{2, "pending", 100, "c", ""}, ch{2, "pending", 140, "d", ""})
	h.expect(map[int64]string{1: "failed"})
}

func TestMergeIgnoreNullUpdates(t *testing.T) {
	h := newSilver(t, "ignore_null_updates: true")
	h.batch(ch{1, "pending", 100, "c", "10.00"})
	partial := `{"transaction_id":1,"account_id":7,"customer_id":3,"amount":"12.50","currency":"EUR","status":"completed","transaction_type":"purchase","event_ts":"2024-03-02T10:00:00.123Z","created_at":"2024-03-01T10:00:00.123Z","channel":null,"_op":"u","_source_ts":"2024-03-01T10:05:00.000Z","_source_pos":"0000000003:00000000000000000200:000000"}`
	if err := h.o.WriteBatch(context.Background(), service.MessageBatch{msg(partial, 0, h.offset, h.offset-1)}); err != nil {
		t.Fatal(err)
	}
	rows := tableRows(t, h.path())
	snap, _ := delta.OpenLocal(h.path()).Snapshot(context.Background())
	st, _ := snap.Schema()
	if len(rows) != 1 || rows[0][st.Index("channel")] != "online" || rows[0][st.Index("amount")].(schema.Decimal).String() != "12.50" {
		t.Fatalf("ignore_null_updates: got %v", rows)
	}
}

func TestMergeRefusesStaleWithoutRewriting(t *testing.T) {
	h := newSilver(t, "")
	h.batch(ch{1, "pending", 100, "c", ""})
	h.batch(ch{1, "completed", 200, "u", ""})
	snap, _ := delta.OpenLocal(h.path()).Snapshot(context.Background())
	v := snap.Version()
	h.batch(ch{1, "failed", 150, "u", ""})
	snap, _ = delta.OpenLocal(h.path()).Snapshot(context.Background())
	adds := 0
	for _, a := range snap.Files() {
		_ = a
		adds++
	}
	ci, _ := snap.CommitInfo(snap.Version())
	if snap.Version() != v+1 || adds != 1 {
		t.Fatalf("version %d (was %d), %d files", snap.Version(), v, adds)
	}
	if m, _ := ci["mergeMetrics"].(map[string]any); m == nil || fmt.Sprint(m["numTargetFilesRemoved"]) != "0" {
		t.Fatalf("a stale change rewrote files: %v", ci["mergeMetrics"])
	}
}

func truncateMsg(pos int, offset int64) *service.Message {
	m := msg(`{"payload":{"op":"t"}}`, 0, offset, offset-1)
	m.MetaSetMut("debezium_kind", "truncate")
	m.MetaSetMut("debezium_source_pos", fmt.Sprintf("%010d:%020d:%06d", 3, pos, 0))
	m.MetaSetMut("debezium_source_ts", "2024-03-01T11:00:00Z")
	return m
}

func TestMergeTruncate(t *testing.T) {
	h := newSilver(t, "")
	h.batch(ch{1, "pending", 100, "c", ""}, ch{2, "pending", 101, "c", ""})
	if err := h.o.WriteBatch(context.Background(), service.MessageBatch{truncateMsg(150, h.offset), msg(ch{3, "pending", 160, "c", ""}.body(), 0, h.offset+1, h.offset)}); err != nil {
		t.Fatal(err)
	}
	h.offset += 2
	h.batch(ch{1, "completed", 120, "u", ""}) // from before the truncate
	h.expect(map[int64]string{3: "pending"})
	h.restart()
	h.batch(ch{2, "completed", 140, "u", ""})
	h.expect(map[int64]string{3: "pending"})
}

// TestMergeModel checks the merge against a model of the source: keys change in source order,
// every change is delivered in order per key (Debezium's guarantee) but keys interleave,
// some changes are delivered twice, snapshot reads of old positions arrive late, batches end
// at random, and the output restarts now and then.
func TestMergeModel(t *testing.T) {
	h := newSilver(t, "target_file_rows: 200")
	r := newRand(42)
	delivery, history := genStream(r, 300, 6000)
	model := map[int64]string{}
	for _, c := range history {
		if c.op == "d" {
			delete(model, int64(c.id))
		} else {
			model[int64(c.id)] = c.status
		}
	}
	h.feed(r, delivery)
	got := h.state()
	want := map[int64]string{}
	for k, v := range model {
		want[k] = v
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		var diff []string
		for k, v := range want {
			if got[k] != v {
				diff = append(diff, fmt.Sprintf("%d: got %q want %q", k, got[k], v))
			}
		}
		for k, v := range got {
			if _, ok := want[k]; !ok {
				diff = append(diff, fmt.Sprintf("%d: got %q, deleted in the source", k, v))
			}
		}
		sort.Strings(diff)
		t.Fatalf("%d keys differ:\n%s", len(diff), strings.Join(diff[:min(20, len(diff))], "\n"))
	}
}

// rng is a small deterministic generator (xorshift), so a failure reproduces.
type rng struct{ s uint64 }

func newRand(seed uint64) *rng { return &rng{seed*2654435761 + 1} }
func (r *rng) next() uint64 {
	r.s ^= r.s << 13
	r.s ^= r.s >> 7
	r.s ^= r.s << 17
	return r.s
}

// posTime is the source commit time of the change at binlog position pos in these tests.
func posTime(pos int) time.Time {
	return time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(pos) * time.Second)
}

// genStream is a source history over keys and its delivery: every change in order per key
// but keys interleaved, 10% redelivered, 5% followed later by a snapshot read of an old
// state. It returns the delivery and the history (the stream without duplicates).
func genStream(r *rng, keys, changes int) (delivery, history []ch) {
	exists := map[int]bool{}
	for pos := 1000; len(history) < changes; pos++ {
		id := int(r.next() % uint64(keys))
		c := ch{id, fmt.Sprintf("s%d", pos), pos, "u", ""}
		switch {
		case !exists[id]:
			c.op, exists[id] = "c", true
		case r.next()%5 == 0:
			c.op = "d"
			delete(exists, id)
		}
		history = append(history, c)
		delivery = append(delivery, c)
		if r.next()%10 == 0 {
			delivery = append(delivery, delivery[int(r.next()%uint64(len(delivery)))])
		}
		if r.next()%20 == 0 {
			if old := delivery[int(r.next()%uint64(len(delivery)))]; old.op != "d" {
				old.op = "r"
				delivery = append(delivery, old)
			}
		}
	}
	return delivery, history
}

// feed delivers changes in random batches, restarting the output now and then.
func (h *silverHarness) feed(r *rng, delivery []ch) {
	for i := 0; i < len(delivery); {
		n := 1 + int(r.next()%400)
		h.batch(delivery[i:min(i+n, len(delivery))]...)
		i += n
		if r.next()%8 == 0 {
			h.restart()
		}
	}
}

// TestMergeSCD2AsOf checks that the history answers "as of T" with the source's state at T
// for every key, at sampled times, after out-of-order delivery, duplicates and restarts.
func TestMergeSCD2AsOf(t *testing.T) {
	h := newSilver(t, "stored_as_scd_type: 2\ntarget_file_rows: 300")
	r := newRand(7)
	delivery, history := genStream(r, 200, 4000)
	h.feed(r, delivery)

	snap, err := delta.OpenLocal(h.path()).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, _ := snap.Schema()
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	id, status, start, end := st.Index("transaction_id"), st.Index("status"), st.Index(colStartAt), st.Index(colEndAt)
	last := history[len(history)-1].pos
	for probe := 0; probe < 60; probe++ {
		pos := 1000 + int(r.next()%uint64(last-1000+50))
		at := posTime(pos)
		want := map[int64]string{}
		for _, c := range history {
			if c.pos > pos {
				break
			}
			if c.op == "d" {
				delete(want, int64(c.id))
			} else {
				want[int64(c.id)] = c.status
			}
		}
		got := map[int64]string{}
		for _, row := range rows {
			s, _ := row[start].(time.Time)
			e, open := row[end].(time.Time)
			if !s.After(at) && (!open || e.After(at)) {
				k := row[id].(int64)
				if prev, dup := got[k]; dup {
					t.Fatalf("as of %s key %d has two versions: %s and %s", at, k, prev, row[status])
				}
				got[k] = row[status].(string)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("as of %s (pos %d):\n got %v\nwant %v", at, pos, got, want)
		}
	}
}

// TestMergeConcurrentWriters runs two outputs (two replicas of a pipeline owning different
// Kafka partitions) on one silver table: each commit of one makes the other's next commit
// conflict, which must re-read the table, rebuild its key index and merge again.
func TestMergeConcurrentWriters(t *testing.T) {
	a := newSilver(t, "")
	b := &silverHarness{t: t, dir: a.dir}
	b.o = b.open()
	send := func(h *silverHarness, part int32, cs ...ch) {
		var batch service.MessageBatch
		for _, c := range cs {
			batch = append(batch, msg(c.body(), part, h.offset, h.offset-1))
			h.offset++
		}
		if err := h.o.WriteBatch(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	want := map[int64]string{}
	for i := 0; i < 20; i++ {
		ka, kb := 2*i, 2*i+1 // even keys on partition 0, odd keys on partition 1
		send(a, 0, ch{ka, "pending", 1000 + 4*i, "c", ""})
		send(b, 1, ch{kb, "pending", 1001 + 4*i, "c", ""})
		if i > 0 {
			send(a, 0, ch{ka - 2, "completed", 1002 + 4*i, "u", ""})
			send(b, 1, ch{kb - 2, "failed", 1003 + 4*i, "u", ""})
			want[int64(ka-2)], want[int64(kb-2)] = "completed", "failed"
		}
		want[int64(ka)], want[int64(kb)] = "pending", "pending"
	}
	a.expect(want)
	snap, _ := delta.OpenLocal(a.path()).Snapshot(context.Background())
	if v, _ := snap.TxnVersion(appID("test/transactions/merge", topicPartition{"bank_server.bank.transactions", 1})); v != b.offset-1 {
		t.Fatalf("partition 1 txn version %d, want %d", v, b.offset-1)
	}
}
