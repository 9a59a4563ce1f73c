package delta

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/delta"
)

func newTestOutput(t *testing.T, dir string, extra string) *output {
	t.Helper()
	conf, err := outputSpec().ParseYAML(fmt.Sprintf(`
path: %s
schema_file: transactions
pipeline: test
%s`, filepath.Join(dir, "bronze"), extra), nil)
	if err != nil {
		t.Fatal(err)
	}
	o, err := newOutput(conf, service.MockResources())
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	return o
}

// txEvent is a transactions row as debezium_unwrap emits it.
func txEvent(id int, amount string) string {
	return fmt.Sprintf(`{"transaction_id":%d,"account_id":7,"customer_id":3,"merchant_id":null,"amount":%q,"currency":"EUR","status":"pending","transaction_type":"purchase","channel":"online","event_ts":"2024-03-01T10:00:00.123Z","created_at":"2024-03-01T10:00:00.123Z","_op":"c","_source_ts":"2024-03-01T10:00:01.000Z","_source_pos":"%010d:%020d:%06d","_deleted":false}`, id, amount, 3, 1000+id, 0)
}

func msg(body string, partition int32, offset, prev int64) *service.Message {
	m := service.NewMessage([]byte(body))
	m.MetaSetMut("kafka_topic", "bank_server.bank.transactions")
	m.MetaSetMut("kafka_partition", strconv.Itoa(int(partition)))
	m.MetaSetMut("kafka_offset", strconv.FormatInt(offset, 10))
	if prev >= 0 {
		m.MetaSetMut("kafka_prev_offset", strconv.FormatInt(prev, 10))
	}
	return m
}

func tableRows(t *testing.T, path string) [][]any {
	t.Helper()
	snap, err := delta.OpenLocal(path).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func offsetsOf(t *testing.T, path string) []int64 {
	t.Helper()
	snap, err := delta.OpenLocal(path).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, _ := snap.Schema()
	idx := st.Index(colKafkaOffset)
	var out []int64
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		out = append(out, r[idx].(int64))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func TestAppendIsExactlyOnceAcrossRedelivery(t *testing.T) {
	dir := t.TempDir()
	o := newTestOutput(t, dir, "")
	ctx := context.Background()
	batch := service.MessageBatch{msg(txEvent(1, "10.50"), 0, 0, -1), msg(txEvent(2, "-3.00"), 0, 1, 0), msg(txEvent(3, "0.01"), 0, 2, 1)}
	if err := o.WriteBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// A crash after the Delta commit but before the Kafka commit redelivers the batch, to a
	// fresh process: nothing may be written twice.
	o2 := newTestOutput(t, dir, "")
	if err := o2.WriteBatch(ctx, append(batch, msg(txEvent(4, "1.00"), 0, 3, 2))); err != nil {
		t.Fatal(err)
	}
	got := offsetsOf(t, filepath.Join(dir, "bronze"))
	if fmt.Sprint(got) != "[0 1 2 3]" {
		t.Fatalf("offsets in table: %v", got)
	}
	snap, _ := delta.OpenLocal(filepath.Join(dir, "bronze")).Snapshot(ctx)
	if v, ok := snap.TxnVersion("test/transactions/append/bank_server.bank.transactions/0"); !ok || v != 3 {
		t.Fatalf("txn version = %d, %v; want 3", v, ok)
	}
	// Amounts stay exact decimals.
	st, _ := snap.Schema()
	amounts := map[string]bool{}
	for _, r := range tableRows(t, filepath.Join(dir, "bronze")) {
		amounts[fmt.Sprint(r[st.Index("amount")])] = true
	}
	for _, want := range []string{"10.50", "-3.00", "0.01", "1.00"} {
		if !amounts[want] {
			t.Errorf("amount %s missing from %v", want, amounts)
		}
	}
}

func TestRecordsThatOvertookARetryAreHeldBack(t *testing.T) {
	dir := t.TempDir()
	o := newTestOutput(t, dir, "max_hold: 100ms")
	ctx := context.Background()
	if err := o.WriteBatch(ctx, service.MessageBatch{msg(txEvent(1, "1.00"), 0, 0, -1)}); err != nil {
		t.Fatal(err)
	}
	// Offsets 1-2 failed and await redelivery; 3-4 arrive first.
	ahead := service.MessageBatch{msg(txEvent(4, "4.00"), 0, 3, 2), msg(txEvent(5, "5.00"), 0, 4, 3)}
	err := o.WriteBatch(ctx, ahead)
	var berr *service.BatchError
	if !errors.As(err, &berr) || berr.IndexedErrors() != 2 || !strings.Contains(err.Error(), "held back") {
		t.Fatalf("want both records nacked after max_hold, got %v", err)
	}
	if err := o.WriteBatch(ctx, service.MessageBatch{msg(txEvent(2, "2.00"), 0, 1, 0), msg(txEvent(3, "3.00"), 0, 2, 1)}); err != nil {
		t.Fatal(err)
	}
	if err := o.WriteBatch(ctx, ahead); err != nil {
		t.Fatal(err)
	}
	if got := offsetsOf(t, filepath.Join(dir, "bronze")); fmt.Sprint(got) != "[0 1 2 3 4]" {
		t.Fatalf("offsets in table: %v", got)
	}
}

func TestBadRowsGoToDeadLettersAndTheRestLands(t *testing.T) {
	dir := t.TempDir()
	o := newTestOutput(t, dir, "")
	ctx := context.Background()
	failed := msg(`{"not": "debezium"`, 0, 2, 1)
	failed.SetError(errors.New("debezium_unwrap: payload: broken JSON"))
	batch := service.MessageBatch{
		msg(txEvent(1, "10.50"), 0, 0, -1),
		msg(txEvent(2, "12345678901234567.00"), 0, 1, 0), // 19 digits: does not fit DECIMAL(18,2)
		failed,
		msg(strings.Replace(txEvent(4, "1.00"), `"currency":"EUR",`, ``, 1), 0, 3, 2), // NOT NULL column missing? no: bronze columns are nullable
		msg(strings.Replace(txEvent(5, "1.00"), `"account_id":7`, `"account_id":"seven"`, 1), 0, 4, 3),
		msg("\xff\xfe not utf-8", 0, 5, 4),
	}
	if err := o.WriteBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if got := offsetsOf(t, filepath.Join(dir, "bronze")); fmt.Sprint(got) != "[0 3]" {
		t.Fatalf("offsets in table: %v", got)
	}
	dl := tableRows(t, filepath.Join(dir, "bronze_dead_letters"))
	reasons := map[int64]string{}
	for _, r := range dl {
		reasons[r[9].(int64)] = r[3].(string) + ": " + r[4].(string)
	}
	want := map[int64]string{
		1: "column amount", 2: "processing: debezium_unwrap: payload: broken JSON", 4: "column account_id: value \"seven\" is not an integer", 5: "not a JSON object",
	}
	for off, frag := range want {
		if !strings.Contains(reasons[off], frag) {
			t.Errorf("offset %d: reason %q does not mention %q", off, reasons[off], frag)
		}
	}
	if len(dl) != 4 {
		t.Fatalf("want 4 dead letters, got %d: %v", len(dl), reasons)
	}
	// Replaying the batch dead-letters nothing twice.
	o2 := newTestOutput(t, dir, "")
	if err := o2.WriteBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if n := len(tableRows(t, filepath.Join(dir, "bronze_dead_letters"))); n != 4 {
		t.Fatalf("dead letters after replay: %d", n)
	}
}

func TestMergeConfigErrorsAreClear(t *testing.T) {
	cases := map[string]string{
		"key: [nope]":                                 `"nope" is not a column`,
		"sequence_by: amount":                         "sequence must be",
		"apply_as_deletes: '_op =='":                  "apply_as_deletes",
		"stored_as_scd_type: 3":                       "must be 1 or 2",
		"except_columns: [transaction_id]":            "cannot be left out",
		"columns: [status]\nexcept_columns: [status]": "exclude each other",
	}
	for extra, want := range cases {
		conf, err := outputSpec().ParseYAML("path: /tmp/x\nmode: merge\nschema_file: transactions\n"+extra+"\n", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := newOutput(conf, service.MockResources()); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want an error containing %q, got %v", extra, want, err)
		}
	}
}

// TestOracleReadsBronze shows that an engine that is not ours (the shared delta-oracle:
// its own log replay plus DuckDB) reads the bronze table we wrote, with no problems.
func TestOracleReadsBronze(t *testing.T) {
	oracle := os.Getenv("LEDGERFLOW_DELTA_ORACLE")
	if oracle == "" {
		t.Skip("LEDGERFLOW_DELTA_ORACLE not set (.ci/run installs ../shared/tools/delta-oracle.mjs and sets it)")
	}
	dir := t.TempDir()
	o := newTestOutput(t, dir, "checkpoint_interval: 3")
	ctx := context.Background()
	var prev int64 = -1
	for b := 0; b < 7; b++ {
		var batch service.MessageBatch
		for i := 0; i < 10; i++ {
			off := int64(b*10 + i)
			batch = append(batch, msg(txEvent(int(off), fmt.Sprintf("%d.%02d", off, off%100)), 0, off, prev))
			prev = off
		}
		if err := o.WriteBatch(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	// The summary mode checks the log, the files and the stats against the data.
	if out, err := exec.Command("node", oracle, filepath.Join(dir, "bronze")).CombinedOutput(); err != nil || !strings.Contains(string(out), `"problems":[]`) {
		t.Fatalf("oracle found problems: %v\n%s", err, out)
	}
	cmd := exec.Command("node", oracle, filepath.Join(dir, "bronze"), "--sql", "select count(*) as n, sum(amount) as total, count(distinct _kafka_offset) as d from t")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("oracle: %v\n%s", err, out)
	}
	// sum of off + off/100 for off in 0..69 = 2415 + 24.15
	if !strings.Contains(string(out), `"n":"70"`) || !strings.Contains(string(out), `"total":"2439.15"`) || !strings.Contains(string(out), `"d":"70"`) {
		t.Fatalf("oracle disagrees:\n%s", out)
	}
}

// OpenTableExists reports whether a Delta table exists at path.
func OpenTableExists(path string) (bool, error) {
	return delta.OpenLocal(path).Exists(context.Background())
}

// TestOvertakingBatchWaitsForItsPredecessor: a batch that arrives before the batch holding
// its partition's earlier records waits in the output (no nack, which would stall Benthos'
// fan_out broker) and is committed right after the earlier batch.
func TestOvertakingBatchWaitsForItsPredecessor(t *testing.T) {
	dir := t.TempDir()
	o := newTestOutput(t, dir, "")
	ctx := context.Background()
	later := make(chan error, 1)
	go func() {
		later <- o.WriteBatch(ctx, service.MessageBatch{msg(txEvent(3, "3.00"), 0, 2, 1), msg(txEvent(4, "4.00"), 0, 3, 2)})
	}()
	select {
	case err := <-later:
		t.Fatalf("the later batch returned before its predecessor was written: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if err := o.WriteBatch(ctx, service.MessageBatch{msg(txEvent(1, "1.00"), 0, 0, -1), msg(txEvent(2, "2.00"), 0, 1, 0)}); err != nil {
		t.Fatal(err)
	}
	if err := <-later; err != nil {
		t.Fatalf("the later batch failed: %v", err)
	}
	if got := offsetsOf(t, filepath.Join(dir, "bronze")); fmt.Sprint(got) != "[0 1 2 3]" {
		t.Fatalf("offsets in table: %v", got)
	}
	hist, err := delta.OpenLocal(filepath.Join(dir, "bronze")).History(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	// version 0 creates the table, 1 holds offsets 0-1, 2 holds 2-3: never the reverse.
	if len(hist) != 3 {
		t.Fatalf("want 3 versions, got %d", len(hist))
	}
}

// A held record whose partition keeps advancing (the batches ahead of it commit one by one,
// slower than max_hold in total) is not nacked: max_hold measures a wait without progress.
// Each gap between commits is a quarter of max_hold plus one commit, which left too little
// room under -race on a loaded machine when max_hold was 300ms (it failed 2 runs in 4).
func TestHoldRestartsWhileThePartitionAdvances(t *testing.T) {
	dir := t.TempDir()
	o := newTestOutput(t, dir, "max_hold: 2s")
	ctx := context.Background()
	held := make(chan error, 1)
	go func() { held <- o.WriteBatch(ctx, service.MessageBatch{msg(txEvent(9, "9.00"), 0, 5, 4)}) }()
	for off := int64(0); off < 5; off++ {
		time.Sleep(500 * time.Millisecond) // 2.5 s in all: more than max_hold, never without progress
		if err := o.WriteBatch(ctx, service.MessageBatch{msg(txEvent(int(off), "1.00"), 0, off, off-1)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-held; err != nil {
		t.Fatalf("the held record was nacked although its partition advanced: %v", err)
	}
	if got := offsetsOf(t, filepath.Join(dir, "bronze")); fmt.Sprint(got) != "[0 1 2 3 4 5]" {
		t.Fatalf("offsets %v", got)
	}
}
