package delta

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

func testSchema() *schema.StructType {
	return &schema.StructType{Fields: []schema.StructField{
		{Name: "id", Type: schema.Long, Nullable: false},
		{Name: "part", Type: schema.String, Nullable: true},
	}}
}

func fakeAdd(name string, part *string, rows int) *Add {
	return &Add{Path: EncodePath("part=" + hivePart(part) + "/" + name), PartitionValues: map[string]*string{"part": part},
		Size: 100, ModificationTime: 1700000000000, DataChange: true, Stats: fmt.Sprintf(`{"numRecords":%d}`, rows)}
}

func hivePart(p *string) string {
	if p == nil {
		return "__HIVE_DEFAULT_PARTITION__"
	}
	return *p
}

func newTestTable(t *testing.T) (*Table, *Snapshot) {
	t.Helper()
	tb := NewTable(NewLocalStorage(t.TempDir()), Options{})
	snap, err := tb.Create(context.Background(), testSchema(), CreateOptions{PartitionColumns: []string{"part"}})
	if err != nil {
		t.Fatal(err)
	}
	return tb, snap
}

// TestCommitsAndCheckpoints commits 25 versions (adds, a remove, txns), checks checkpoints
// land at 10 and 20, and that a snapshot built from the checkpoint equals one replayed from
// the commits only.
func TestCommitsAndCheckpoints(t *testing.T) {
	ctx := context.Background()
	tb, snap := newTestTable(t)
	if _, err := tb.Create(ctx, testSchema(), CreateOptions{}); !errors.Is(err, ErrTableExists) {
		t.Fatalf("second Create: %v, want ErrTableExists", err)
	}
	var first *Add
	for i := 1; i <= 25; i++ {
		tx := snap.NewTransaction("WRITE")
		a := fakeAdd(fmt.Sprintf("f%02d.parquet", i), ptr("p a/b%"), i)
		if i == 1 {
			first = a
		}
		tx.Add(a)
		if i == 15 {
			tx.Remove(first, true)
		}
		tx.SetTxn("app", int64(i*10))
		tx.SetCommitInfo("pipeline", "test")
		res, err := tx.Commit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Version != int64(i) || res.CheckpointErr != nil || res.Checkpointed != (i%10 == 0) {
			t.Fatalf("commit %d: %+v", i, res)
		}
		if snap, err = snap.Update(ctx); err != nil {
			t.Fatal(err)
		}
	}
	lc, err := tb.store.Read(ctx, lastCheckpointPath)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"version":20,"size":23,"sizeInBytes":`; string(lc[:len(want)]) != want {
		t.Fatalf("_last_checkpoint = %s, want prefix %s", lc, want)
	}
	fromCkpt, err := tb.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Hide the checkpoints: full replay from JSON must give the same state.
	for _, v := range []int64{10, 20} {
		if err := tb.store.Delete(ctx, checkpointPath(v)); err != nil {
			t.Fatal(err)
		}
	}
	fromJSON, err := tb.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Snapshot{snap, fromCkpt, fromJSON} {
		if s.Version() != 25 || s.NumFiles() != 24 {
			t.Fatalf("version %d files %d, want 25 and 24", s.Version(), s.NumFiles())
		}
		if v, ok := s.TxnVersion("app"); !ok || v != 250 {
			t.Fatalf("txn app = %d %v", v, ok)
		}
	}
	if !reflect.DeepEqual(paths(fromCkpt.Files()), paths(fromJSON.Files())) ||
		!reflect.DeepEqual(fromCkpt.Metadata(), fromJSON.Metadata()) || !reflect.DeepEqual(fromCkpt.Protocol(), fromJSON.Protocol()) {
		t.Fatal("checkpoint state differs from JSON replay")
	}
	if len(fromCkpt.Tombstones()) != 1 {
		t.Fatalf("tombstones = %d, want 1", len(fromCkpt.Tombstones()))
	}
	if ci, ok := fromJSON.CommitInfo(7); !ok || ci["pipeline"] != "test" || ci["operation"] != "WRITE" {
		t.Fatalf("commitInfo 7 = %v", ci)
	}
	old, err := tb.SnapshotAt(ctx, 3)
	if err != nil || old.NumFiles() != 3 {
		t.Fatalf("SnapshotAt(3): %v files=%d", err, old.NumFiles())
	}
	if s, err := tb.SnapshotAsOf(ctx, time.Now().Add(time.Hour)); err != nil || s.Version() != 25 {
		t.Fatalf("SnapshotAsOf(future): %v", err)
	}
	if _, err := tb.SnapshotAsOf(ctx, time.Unix(0, 0)); err == nil {
		t.Fatal("SnapshotAsOf(1970) succeeded, want an error: no commit that old")
	}
	hist, err := tb.History(ctx, 5)
	if err != nil || len(hist) != 5 || hist[0].Version != 25 || hist[0].Info["operation"] != "WRITE" {
		t.Fatalf("History = %+v, %v", hist, err)
	}
}

func paths(files []*Add) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.Path
	}
	return out
}

func TestCommitConflicts(t *testing.T) {
	ctx := context.Background()
	type stage func(tx *Transaction, live *Add)
	cases := []struct {
		name         string
		winner, ours stage
		want         error
	}{
		{"blind appends both land", func(tx *Transaction, _ *Add) { tx.Add(fakeAdd("w", nil, 1)) },
			func(tx *Transaction, _ *Add) { tx.Add(fakeAdd("o", nil, 1)) }, nil},
		{"different app ids", func(tx *Transaction, _ *Add) { tx.SetTxn("a", 1) },
			func(tx *Transaction, _ *Add) { tx.SetTxn("b", 1) }, nil},
		{"same app id", func(tx *Transaction, _ *Add) { tx.SetTxn("a", 1) },
			func(tx *Transaction, _ *Add) { tx.SetTxn("a", 2) }, ErrConcurrentTransaction},
		{"read app id", func(tx *Transaction, _ *Add) { tx.SetTxn("a", 1) },
			func(tx *Transaction, _ *Add) { tx.TxnVersion("a"); tx.Add(fakeAdd("o", nil, 1)) }, ErrConcurrentTransaction},
		{"delete delete", func(tx *Transaction, l *Add) { tx.Remove(l, true) },
			func(tx *Transaction, l *Add) { tx.Remove(l, true) }, ErrConcurrentDeleteDelete},
		{"delete read", func(tx *Transaction, l *Add) { tx.Remove(l, true) },
			func(tx *Transaction, l *Add) { tx.MarkFilesRead(l); tx.Add(fakeAdd("o", nil, 1)) }, ErrConcurrentDeleteRead},
		{"metadata changed", func(tx *Transaction, _ *Add) {
			md := tx.Snapshot().Metadata()
			md.Configuration = map[string]string{"x": "y"}
			tx.UpdateMetadata(md)
		}, func(tx *Transaction, _ *Add) { tx.Add(fakeAdd("o", nil, 1)) }, ErrMetadataChanged},
		{"whole-table read vs non-blind winner", func(tx *Transaction, l *Add) { tx.MarkTableRead(); tx.Add(fakeAdd("w", nil, 1)) },
			func(tx *Transaction, _ *Add) { tx.MarkTableRead(); tx.Add(fakeAdd("o", nil, 1)) }, ErrConcurrentAppend},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb, snap := newTestTable(t)
			tx := snap.NewTransaction("WRITE")
			live := fakeAdd("live", nil, 1)
			tx.Add(live)
			if _, err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			snap, _ = snap.Update(ctx)
			w, o := snap.NewTransaction("W"), snap.NewTransaction("O")
			c.winner(w, live)
			c.ours(o, live)
			if _, err := w.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			res, err := o.Commit(ctx)
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Fatalf("Commit = %v, want %v", err, c.want)
			}
			if c.want != nil && !errors.Is(err, ErrConflict) {
				t.Fatalf("%v does not wrap ErrConflict", err)
			}
			if c.want == nil && (res.Version != 3 || res.Attempts != 2) {
				t.Fatalf("result %+v, want version 3 after 2 attempts", res)
			}
			final, err := tb.Snapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := int64(2)
			if c.want == nil {
				want = 3
			}
			if final.Version() != want {
				t.Fatalf("final version %d, want %d", final.Version(), want)
			}
		})
	}
}

func TestAppendOnlyRefusesRemove(t *testing.T) {
	ctx := context.Background()
	tb := NewTable(NewLocalStorage(t.TempDir()), Options{})
	snap, err := tb.Create(ctx, testSchema(), CreateOptions{Configuration: map[string]string{"delta.appendOnly": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	a := fakeAdd("x", nil, 1)
	tx := snap.NewTransaction("WRITE")
	tx.Add(a)
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	snap, _ = snap.Update(ctx)
	tx = snap.NewTransaction("DELETE")
	tx.Remove(a, true)
	if _, err := tx.Commit(ctx); err == nil {
		t.Fatal("remove on append-only table committed")
	}
	tx = snap.NewTransaction("OPTIMIZE")
	tx.Remove(a, false) // rearranging without data change is allowed
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestCheckpointEmptyCollections: an unpartitioned table's checkpoint must hold an empty
// (not null) partitionColumns list and configuration map, as Spark readers require; checked
// with arrow-go.
func TestCheckpointEmptyCollections(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	tb := OpenLocal(dir)
	snap, err := tb.Create(ctx, testSchema(), CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := snap.WriteCheckpoint(ctx); err != nil {
		t.Fatal(err)
	}
	ck := &expectedTable{}
	if err := readExpectedFile(dir+"/_delta_log/00000000000000000000.checkpoint.parquet", ck); err != nil {
		t.Fatal(err)
	}
	md := ""
	for _, r := range ck.rows {
		if strings.Contains(r, "schemastring") {
			md = r
		}
	}
	if !strings.Contains(md, "partitioncolumns:[]") || !strings.Contains(md, "configuration:map{}") {
		t.Fatalf("metaData row = %s, want empty partitionColumns and configuration", md)
	}
	again, err := tb.Snapshot(ctx)
	if err != nil || again.PartitionColumns() == nil {
		t.Fatalf("reloaded: %v, partitionColumns %#v", err, again.PartitionColumns())
	}
}
