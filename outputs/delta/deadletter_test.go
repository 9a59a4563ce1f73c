package delta

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/delta"
)

// namedRows reads a table as maps of column name to value, by _kafka_offset.
func namedRows(t *testing.T, path string) map[int64]map[string]any {
	t.Helper()
	snap, err := delta.OpenLocal(path).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, _ := snap.Schema()
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]map[string]any{}
	for _, r := range rows {
		m := map[string]any{}
		for i, f := range st.Fields {
			m[f.Name] = r[i]
		}
		off, _ := m[colKafkaOffset].(int64)
		if _, dup := out[off]; dup {
			t.Fatalf("%s: two rows for offset %d", path, off)
		}
		out[off] = m
	}
	return out
}

// TestDeadLetterKeepsTheKafkaRecord: a dead letter holds the exact record value (from
// debezium_raw when the unwrap replaced the body), the key byte for byte, the timestamp and
// the headers in order with repeats, and the reason code of its stage.
func TestDeadLetterKeepsTheKafkaRecord(t *testing.T) {
	dir := t.TempDir()
	o := newTestOutput(t, dir, "")
	original := []byte(`{"before":null,"after":{"transaction_id":2},"op":"c"}` + "\n")

	// Refused by the unwrap, with its code and the original value.
	failed := msg(`{"after":{"transaction_id":2}}`, 0, 1, 0)
	failed.SetError(errors.New("debezium_unwrap: contract: column currency: value \"EURO\" is longer than CHAR(3)"))
	failed.MetaSetMut("debezium_error_reason", "contract_length")
	failed.MetaSetMut("debezium_raw", original)
	failed.MetaSetMut("kafka_key", "\xff\x00key") // a binary key
	failed.MetaSetMut("kafka_timestamp_ms", int64(1714521601234))
	failed.MetaSetMut("kafka_headers", []any{
		map[string]any{"key": "trace", "value": "a"},
		map[string]any{"key": "origin", "value": "dbz"},
		map[string]any{"key": "trace", "value": "b"},
	})

	// Unwrapped fine but refused by the output: raw is still the Kafka value, not the row.
	decoded := msg(strings.Replace(txEvent(3, "1.00"), `"account_id":7`, `"account_id":"seven"`, 1), 0, 2, 1)
	decoded.MetaSetMut("debezium_raw", []byte("\xfe not utf-8 original"))
	decoded.MetaSetMut("kafka_key", `{"transaction_id":3}`)
	decoded.MetaSetMut("kafka_header_origin", "dbz") // only the flattened header metadata

	// Failed by some other processor: no code of its own.
	other := msg(`{}`, 0, 3, 2)
	other.SetError(errors.New("mapping failed"))

	batch := service.MessageBatch{msg(txEvent(1, "1.00"), 0, 0, -1), failed, decoded, other}
	if err := o.WriteBatch(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	dl := namedRows(t, filepath.Join(dir, "bronze_dead_letters"))
	if len(dl) != 3 {
		t.Fatalf("want 3 dead letters, got %d", len(dl))
	}
	f := dl[1]
	for col, want := range map[string]any{
		"stage": "processing", "reason_code": "contract_length", "raw": string(original),
		"_kafka_key": nil, "_kafka_headers": `[{"key":"trace","value":"a"},{"key":"origin","value":"dbz"},{"key":"trace","value":"b"}]`,
	} {
		if fmt.Sprint(f[col]) != fmt.Sprint(want) {
			t.Errorf("processing dead letter: %s = %q, want %q", col, f[col], want)
		}
	}
	if b, _ := f["_kafka_key_bytes"].([]byte); string(b) != "\xff\x00key" {
		t.Errorf("binary key not kept: %q", f["_kafka_key_bytes"])
	}
	if ts, _ := f["_kafka_timestamp"].(time.Time); !ts.Equal(time.UnixMilli(1714521601234)) {
		t.Errorf("_kafka_timestamp = %v", f["_kafka_timestamp"])
	}
	if !strings.Contains(fmt.Sprint(f["reason"]), "longer than CHAR(3)") {
		t.Errorf("reason = %q", f["reason"])
	}

	d := dl[2]
	if d["stage"] != "decode" || d["reason_code"] != "type_mismatch" || d["raw"] != nil {
		t.Errorf("decode dead letter: stage %v code %v raw %q", d["stage"], d["reason_code"], d["raw"])
	}
	if b, _ := d["raw_bytes"].([]byte); string(b) != "\xfe not utf-8 original" {
		t.Errorf("decode dead letter raw_bytes = %q, want the original value", d["raw_bytes"])
	}
	if d["_kafka_key"] != `{"transaction_id":3}` || d["_kafka_headers"] != `[{"key":"origin","value":"dbz"}]` {
		t.Errorf("decode dead letter key %v headers %v", d["_kafka_key"], d["_kafka_headers"])
	}

	if p := dl[3]; p["reason_code"] != "processor_error" || p["raw"] != "{}" || p["_kafka_headers"] != "[]" {
		t.Errorf("other processor's dead letter: code %v raw %v headers %v", p["reason_code"], p["raw"], p["_kafka_headers"])
	}
	if got := offsetsOf(t, filepath.Join(dir, "bronze")); fmt.Sprint(got) != "[0]" {
		t.Fatalf("offsets in the table: %v", got)
	}
}

// TestDeadLetterReasonWithCutMultibyteValueIsStored: a refused value quoted in the reason is
// cut to 80 bytes. Cut inside a multi-byte character, the reason was not UTF-8, the Parquet
// writer refused the dead letter, and the batch failed on every retry: the partition stalled.
func TestDeadLetterReasonWithCutMultibyteValueIsStored(t *testing.T) {
	dir := t.TempDir()
	o := newTestOutput(t, dir, "")
	bad := strings.Replace(txEvent(2, "1.00"), `"amount":"1.00"`, `"amount":"`+strings.Repeat("é", 60)+`"`, 1)
	batch := service.MessageBatch{msg(txEvent(1, "1.00"), 0, 0, -1), msg(bad, 0, 1, 0)}
	if err := o.WriteBatch(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	dl := namedRows(t, filepath.Join(dir, "bronze_dead_letters"))
	if r := dl[1]; r == nil || !strings.Contains(fmt.Sprint(r["reason"]), "column amount") || r["reason_code"] != "type_mismatch" {
		t.Fatalf("dead letter: %v", r)
	}
}

// TestOldDeadLetterTableGainsTheNewColumns opens a dead-letter table written by the code
// before reason_code, _kafka_timestamp, _kafka_headers and _kafka_key_bytes existed
// (testdata/dead_letters_v1, written by commit d0e9bd1): the columns are added in a
// metadata-only commit, its old rows read them as null, new rows fill them.
func TestOldDeadLetterTableGainsTheNewColumns(t *testing.T) {
	dir := t.TempDir()
	dlq := filepath.Join(dir, "old_dead_letters")
	if err := os.CopyFS(dlq, os.DirFS("testdata/dead_letters_v1")); err != nil {
		t.Fatal(err)
	}
	o := newTestOutput(t, dir, "dead_letter_path: "+dlq)
	failed := msg(`{"broken"`, 0, 3, -1)
	failed.SetError(errors.New("debezium_unwrap: malformed JSON"))
	failed.MetaSetMut("debezium_error_reason", "malformed_json")
	failed.MetaSetMut("kafka_timestamp_ms", int64(1714521601234))
	if err := o.WriteBatch(context.Background(), service.MessageBatch{failed}); err != nil {
		t.Fatal(err)
	}
	hist, err := delta.OpenLocal(dlq).History(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 4 || hist[1].Info["operation"] != "ADD COLUMNS" {
		t.Fatalf("want create, write, ADD COLUMNS, write; history: %v", hist)
	}
	snap, _ := delta.OpenLocal(dlq).Snapshot(context.Background())
	if len(snap.Files()) != 2 {
		t.Fatalf("the metadata commit must not rewrite the old rows: %d files", len(snap.Files()))
	}
	rows := namedRows(t, dlq)
	if len(rows) != 3 {
		t.Fatalf("want the 2 old and 1 new dead letters, got %d", len(rows))
	}
	for _, off := range []int64{1, 2} {
		r := rows[off]
		if r["reason_code"] != nil || r["_kafka_timestamp"] != nil || r["_kafka_headers"] != nil || r["stage"] == nil {
			t.Errorf("old row %d: %v", off, r)
		}
	}
	if n := rows[3]; n["reason_code"] != "malformed_json" || n["_kafka_timestamp"] == nil || n["raw"] != `{"broken"` {
		t.Errorf("new row: %v", n)
	}
	// A second start finds the columns there and commits nothing.
	newTestOutput(t, dir, "dead_letter_path: "+dlq)
	if h, _ := delta.OpenLocal(dlq).History(context.Background(), 0); len(h) != 4 {
		t.Fatalf("a restart changed the table: %d versions", len(h))
	}
	if oracle := os.Getenv("LEDGERFLOW_DELTA_ORACLE"); oracle != "" {
		out, err := exec.Command("node", oracle, dlq, "--sql", "select count(*) as n, count(reason_code) as c from t").CombinedOutput()
		if err != nil || !strings.Contains(string(out), `"n":"3"`) || !strings.Contains(string(out), `"c":"1"`) {
			t.Fatalf("oracle: %v\n%s", err, out)
		}
	}
}
