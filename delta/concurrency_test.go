package delta

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

func concSchema() *schema.StructType {
	return &schema.StructType{Fields: []schema.StructField{
		{Name: "writer", Type: schema.Integer}, {Name: "seq", Type: schema.Long},
	}}
}

// TestConcurrentWriters re-executes the test binary as two OS processes that each append
// commits to one table at the same time, then checks the log: versions contiguous, every
// commit present exactly once, txn versions and rows complete.
func TestConcurrentWriters(t *testing.T) {
	n := 500
	if testing.Short() {
		n = 50
	}
	ctx := context.Background()
	dir := t.TempDir()
	tb := OpenLocal(dir)
	if _, err := tb.Create(ctx, concSchema(), CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var cmds []*exec.Cmd
	for w := 0; w < 2; w++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestConcurrentWriterChild$")
		cmd.Env = append(os.Environ(), "DELTA_CONC_DIR="+dir, "DELTA_CONC_WRITER="+strconv.Itoa(w), "DELTA_CONC_N="+strconv.Itoa(n))
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("writer process: %v", err)
		}
	}
	snap, err := tb.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Version() != int64(2*n) {
		t.Fatalf("version %d, want %d", snap.Version(), 2*n)
	}
	seen := map[string]int{}
	hist, err := tb.History(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2*n+1 {
		t.Fatalf("history has %d commits, want %d", len(hist), 2*n+1)
	}
	for i, h := range hist {
		if h.Version != int64(2*n-i) {
			t.Fatalf("history[%d] is version %d: versions not contiguous", i, h.Version)
		}
		if h.Version > 0 {
			seen[fmt.Sprint(h.Info["writer"], "/", h.Info["seq"])]++
		}
	}
	for w := 0; w < 2; w++ {
		for s := 0; s < n; s++ {
			if c := seen[fmt.Sprint(w, "/", s)]; c != 1 {
				t.Fatalf("commit writer %d seq %d present %d times, want once", w, s, c)
			}
		}
		if v, ok := snap.TxnVersion(fmt.Sprint("writer-", w)); !ok || v != int64(n-1) {
			t.Fatalf("txn writer-%d = %d %v, want %d", w, v, ok, n-1)
		}
	}
	rows, err := snap.Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2*n {
		t.Fatalf("%d rows, want %d", len(rows), 2*n)
	}
}

// TestConcurrentWriterChild is the writer process of TestConcurrentWriters.
func TestConcurrentWriterChild(t *testing.T) {
	dir := os.Getenv("DELTA_CONC_DIR")
	if dir == "" {
		t.Skip("helper process of TestConcurrentWriters (runs only when re-executed by it)")
	}
	w, _ := strconv.Atoi(os.Getenv("DELTA_CONC_WRITER"))
	n, _ := strconv.Atoi(os.Getenv("DELTA_CONC_N"))
	ctx := context.Background()
	tb := NewTable(NewLocalStorage(dir), Options{MaxCommitAttempts: 1000})
	snap, err := tb.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	app := fmt.Sprint("writer-", w)
	for s := 0; s < n; s++ {
		if snap, err = snap.Update(ctx); err != nil {
			t.Fatal(err)
		}
		tx := snap.NewTransaction("WRITE")
		if _, err := tx.WriteRows(ctx, [][]any{{int32(w), int64(s)}}, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		tx.SetTxn(app, int64(s))
		tx.SetCommitInfo("writer", w)
		tx.SetCommitInfo("seq", s)
		res, err := tx.Commit(ctx)
		if err != nil {
			t.Fatalf("writer %d seq %d: %v", w, s, err)
		}
		if res.CheckpointErr != nil {
			t.Fatalf("writer %d: %v", w, res.CheckpointErr)
		}
	}
}
