package delta

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/delta"
)

// TestDecodeRefusesValuesTheWriterRefuses: values that decoded fine but that the Parquet
// writer refuses made every retry of their batch fail the same way, so the partition never
// moved: epoch milliseconds beyond Delta's microsecond range, invalid UTF-8 inside a JSON
// document kept as a string column, or inside _before. They are decode dead letters now.
func TestDecodeRefusesValuesTheWriterRefuses(t *testing.T) {
	cases := []struct {
		name, mode, from, to, code string
	}{
		{"timestamp beyond int64 microseconds", "", `"event_ts":"2024-03-01T10:00:00.123Z"`, `"event_ts":9000000000000000000`, codeValueOutOfRange},
		{"timestamp beyond int64 microseconds, merge", "mode: merge", `"event_ts":"2024-03-01T10:00:00.123Z"`, `"event_ts":-9000000000000000000`, codeValueOutOfRange},
		{"JSON document with invalid UTF-8", "", `"channel":"online"`, "\"channel\":\"online\",\"device_id\":{\"a\":\"\xff\"}", codeInvalidUTF8},
		{"JSON document with invalid UTF-8, merge", "mode: merge", `"channel":"online"`, "\"channel\":\"online\",\"device_id\":[\"\xc3\"]", codeInvalidUTF8},
		{"_before with invalid UTF-8", "", `"_deleted":false`, "\"_deleted\":false,\"_before\":{\"status\":\"\xff\"}", codeInvalidUTF8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			o := newTestOutput(t, dir, c.mode)
			bad := strings.Replace(txEvent(2, "2.00"), c.from, c.to, 1)
			if bad == txEvent(2, "2.00") {
				t.Fatal("the case changed nothing")
			}
			batch := service.MessageBatch{msg(txEvent(1, "1.00"), 0, 0, -1), msg(bad, 0, 1, 0), msg(txEvent(3, "3.00"), 0, 2, 1)}
			if err := o.WriteBatch(context.Background(), batch); err != nil {
				t.Fatalf("the batch failed (it would be retried forever): %v", err)
			}
			dl := namedRows(t, filepath.Join(dir, "bronze_dead_letters"))
			if r := dl[1]; len(dl) != 1 || r["stage"] != stageDecode || r["reason_code"] != c.code {
				t.Fatalf("dead letters: %v", dl)
			}
			if got := offsetsOf(t, filepath.Join(dir, "bronze")); fmt.Sprint(got) != "[0 2]" {
				t.Fatalf("offsets in the table: %v", got)
			}
		})
	}
}

// poisonIDs makes, until the test ends, the rows of the given transaction ids carry a
// currency that is not UTF-8: the real Parquet writer refuses it, as it would any value
// decodeRow let through by mistake.
func poisonIDs(t *testing.T, ids ...int64) {
	bad := map[int64]bool{}
	for _, id := range ids {
		bad[id] = true
	}
	testRowHook = func(o *output, row []any) {
		st, _ := o.snap.Schema()
		if id, _ := row[st.Index("transaction_id")].(int64); bad[id] {
			row[st.Index("currency")] = "\xffUR"
		}
	}
	t.Cleanup(func() { testRowHook = nil })
}

// TestPoisonRowsAreBisectedOut: a batch over two partitions with rows the writer refuses
// commits everything else with the right txn versions; each refused row is a dead letter of
// stage write; a redelivery of the whole batch to a restarted output changes nothing.
func TestPoisonRowsAreBisectedOut(t *testing.T) {
	for _, mode := range []string{"", "mode: merge"} {
		t.Run("mode "+strings.TrimPrefix(mode, "mode: "), func(t *testing.T) {
			dir := t.TempDir()
			poisonIDs(t, 5, 17, 18)
			o := newTestOutput(t, dir, mode)
			var batch service.MessageBatch
			for p := int32(0); p < 2; p++ {
				for off := int64(0); off < 20; off++ {
					id := int(p)*100 + int(off)
					batch = append(batch, msg(txEvent(id, "1.00"), p, off, off-1))
				}
			}
			if err := o.WriteBatch(context.Background(), batch); err != nil {
				t.Fatalf("the batch failed: %v", err)
			}
			check := func() {
				t.Helper()
				rows := namedRows(t, filepath.Join(dir, "bronze_dead_letters"))
				var got []string
				for off, r := range rows {
					if r["stage"] != stageWrite || r["reason_code"] != codePoisonRow || !strings.Contains(fmt.Sprint(r["reason"]), "not valid UTF-8") {
						t.Errorf("offset %d: %v", off, r)
					}
					if !strings.Contains(fmt.Sprint(r["raw"]), fmt.Sprintf(`"transaction_id":%d,`, off)) {
						t.Errorf("offset %d: raw is not the event: %v", off, r["raw"])
					}
					got = append(got, fmt.Sprintf("%v/%d", r[colKafkaPartition], off))
				}
				sort.Strings(got)
				if fmt.Sprint(got) != "[0/17 0/18 0/5]" {
					t.Fatalf("poison dead letters: %v", got)
				}
				snap, err := delta.OpenLocal(filepath.Join(dir, "bronze")).Snapshot(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				for p := 0; p < 2; p++ {
					id := fmt.Sprintf("%s/bank_server.bank.transactions/%d", o.appPrefix, p)
					if v, ok := snap.TxnVersion(id); !ok || v != 19 {
						t.Fatalf("partition %d: txn version %d %v, want 19", p, v, ok)
					}
				}
				st, _ := snap.Schema()
				ids := map[int64]int{}
				all, err := snap.Rows(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range all {
					ids[r[st.Index("transaction_id")].(int64)]++
				}
				if len(ids) != 37 || len(all) != 37 || ids[5]+ids[17]+ids[18] != 0 {
					t.Fatalf("table holds %d rows of %d ids: %v", len(all), len(ids), ids)
				}
			}
			check()
			o2 := newTestOutput(t, dir, mode)
			if err := o2.WriteBatch(context.Background(), batch); err != nil {
				t.Fatal(err)
			}
			check()
		})
	}
}

// TestCorruptTableFileBlocksWithANamedError: a merge that must rewrite a data file it cannot
// read is no row's fault: it is a TableFileError naming the file, not bisected, paced with a
// growing pause, and the batch goes through once the file is back.
func TestCorruptTableFileBlocksWithANamedError(t *testing.T) {
	h := newSilver(t, "")
	h.batch(ch{1, "pending", 100, "c", ""}, ch{2, "pending", 101, "c", ""})
	snap, err := delta.OpenLocal(h.path()).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	files := snap.Files()
	var victim string
	for _, f := range files {
		p, _ := delta.DecodePath(f.Path)
		if rows, _ := snap.ReadFileRows(context.Background(), f); len(rows) > 0 {
			st, _ := snap.Schema()
			if rows[0][st.Index("transaction_id")].(int64) == 1 {
				victim = p
			}
		}
	}
	if victim == "" {
		t.Fatal("no file holds key 1")
	}
	full := filepath.Join(h.path(), filepath.FromSlash(victim))
	good, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, append([]byte("PAR1"), make([]byte, len(good)-4)...), 0o644); err != nil {
		t.Fatal(err)
	}
	update := service.MessageBatch{msg(ch{1, "completed", 110, "u", ""}.body(), 0, h.offset, h.offset-1)}
	for attempt := 1; attempt <= 2; attempt++ {
		err := h.o.WriteBatch(context.Background(), update)
		var fe *TableFileError
		if !errors.As(err, &fe) || fe.Path != victim || !strings.Contains(err.Error(), "cannot be read") {
			t.Fatalf("attempt %d: want a TableFileError naming %s, got %v", attempt, victim, err)
		}
		if h.o.blocked.failures != attempt {
			t.Fatalf("attempt %d: %d failures counted", attempt, h.o.blocked.failures)
		}
	}
	if n := len(tableFilesOrNil(t, h.path()+"_dead_letters")); n != 0 {
		t.Fatalf("a broken table file dead-lettered %d events", n)
	}
	if err := os.WriteFile(full, good, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := h.o.WriteBatch(context.Background(), update); err != nil {
		t.Fatal(err)
	}
	if h.o.blocked.failures != 0 {
		t.Fatalf("the pause was not reset: %d", h.o.blocked.failures)
	}
	h.expect(map[int64]string{1: "completed", 2: "pending"})
}

func tableFilesOrNil(t *testing.T, path string) []*delta.Add {
	t.Helper()
	if ok, _ := delta.OpenLocal(path).Exists(context.Background()); !ok {
		return nil
	}
	snap, err := delta.OpenLocal(path).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snap.Files()
}
