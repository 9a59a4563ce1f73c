package gold

import (
	"context"
	"testing"

	"github.com/ledgerflow/ledgerflow/delta"
)

func TestPairsFromRewriteCancelCopiedRows(t *testing.T) {
	d := mustLoad(t, "agg_customer_ltv")
	b := mustBind(t, d)
	t1 := txn{id: 1, customer: 1, cents: 100, currency: "EUR", status: "pending", typ: "purchase", eventTS: day0, pos: 1, op: "c"}
	t2 := txn{id: 2, customer: 1, cents: 200, currency: "EUR", status: "pending", typ: "purchase", eventTS: day0, pos: 2, op: "c"}
	t1done := t1
	t1done.status, t1done.pos, t1done.op = "completed", 3, "u"
	t3 := txn{id: 3, customer: 2, cents: 300, currency: "USD", status: "pending", typ: "deposit", eventTS: day0, pos: 4, op: "c"}
	removed := [][]any{t1.toRow(b.st), t2.toRow(b.st)}
	added := [][]any{t2.toRow(b.st), t1done.toRow(b.st), t3.toRow(b.st)}
	pairs, err := PairsFromRewrite(b, removed, added)
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 2 || !rowsEqual(pairs[0].Old, removed[0]) || !rowsEqual(pairs[0].New, added[1]) || pairs[1].Old != nil || !rowsEqual(pairs[1].New, added[2]) {
		t.Fatalf("pairs: %v", pairs)
	}
	if _, err := PairsFromRewrite(b, nil, [][]any{t2.toRow(b.st), t2.toRow(b.st)}); err == nil {
		t.Fatal("a key twice among the added rows was accepted")
	}
}

// TestCommitPairsFromARealSilverLog writes a silver-like Delta table with the delta library
// (an insert commit, then a copy-on-write rewrite that updates one row, copies one, deletes
// one and adds a new file) and derives every commit's pairs from the log: applied in
// version order, they give the recompute of the table's rows.
func TestCommitPairsFromARealSilverLog(t *testing.T) {
	ctx := context.Background()
	d := mustLoad(t, "agg_customer_ltv")
	st := d.DefaultSchema()
	b, err := d.Bind(st)
	if err != nil {
		t.Fatal(err)
	}
	table := delta.OpenLocal(t.TempDir())
	snap, err := table.Create(ctx, st, delta.CreateOptions{Name: "transactions"})
	if err != nil {
		t.Fatal(err)
	}
	t1 := txn{id: 1, customer: 1, cents: 100, currency: "EUR", status: "pending", typ: "purchase", eventTS: day0, pos: 1, op: "c"}
	t2 := txn{id: 2, customer: 1, cents: 200, currency: "EUR", status: "pending", typ: "purchase", eventTS: day0.Add(3600e9), pos: 2, op: "c"}
	t3 := txn{id: 3, customer: 2, cents: 300, currency: "USD", status: "completed", typ: "purchase", eventTS: day0, pos: 3, op: "c"}
	t4 := txn{id: 4, customer: 2, cents: 400, currency: "USD", status: "completed", typ: "refund", eventTS: day0, pos: 4, op: "c"}
	tx := snap.NewTransaction("WRITE")
	f1, err := tx.WriteRows(ctx, [][]any{t1.toRow(st), t2.toRow(st), t3.toRow(st)}, delta.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.WriteRows(ctx, [][]any{t4.toRow(st)}, delta.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if snap, err = table.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	t1done := t1
	t1done.status, t1done.pos, t1done.op = "completed", 5, "u"
	t5 := txn{id: 5, customer: 1, cents: 500, currency: "EUR", status: "pending", typ: "transfer", eventTS: day0.Add(7200e9), pos: 6, op: "c"}
	tx = snap.NewTransaction("MERGE")
	for _, a := range f1 {
		tx.Remove(a, true)
	}
	if _, err := tx.WriteRows(ctx, [][]any{t1done.toRow(st), t2.toRow(st)}, delta.WriteOptions{}); err != nil { // t3 deleted, t2 copied
		t.Fatal(err)
	}
	if _, err := tx.WriteRows(ctx, [][]any{t5.toRow(st)}, delta.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := tx.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := NewState(b)
	for v := int64(0); v <= res.Version; v++ {
		pairs, err := CommitPairs(ctx, table, v, b)
		if err != nil {
			t.Fatalf("version %d: %v", v, err)
		}
		if v == 2 && len(pairs) != 3 {
			t.Fatalf("the rewrite has %d pairs, want 3 (t1 updated, t3 deleted, t5 inserted; t2 copied)", len(pairs))
		}
		for _, p := range pairs {
			if err := s.Apply(p); err != nil {
				t.Fatalf("version %d: %v", v, err)
			}
		}
		snapV, err := table.SnapshotAt(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := snapV.Rows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Reference(b, rows)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Rows()
		if err != nil {
			t.Fatal(err)
		}
		if diff := diffRows(d, got, want); diff != "" {
			t.Fatalf("version %d: %s", v, diff)
		}
	}
}
