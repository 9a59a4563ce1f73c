package gold

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// silverLog is silver as a sequence of commits: version v holds the collapsed pairs of one
// batch, and snapshot(v) the current rows after it.
type silverLog struct {
	sim     *silverSim
	commits [][]Pair
	snaps   [][][]any
}

func buildSilverLog(t *testing.T, b *Binding, rng *rand.Rand, events []event) *silverLog {
	l := &silverLog{sim: newSilverSim(b.st)}
	for i := 0; i < len(events); {
		var batch []Pair
		for n := 1 + rng.IntN(8); n > 0 && i < len(events); n, i = n-1, i+1 {
			if p, ok := l.sim.apply(events[i]); ok {
				batch = append(batch, p)
			}
		}
		l.commits = append(l.commits, collapse(b, batch))
		l.snaps = append(l.snaps, l.sim.current())
	}
	return l
}

// TestBackfillHandsOverWhileSilverChanges runs the handoff rule of docs/design/gold.md §5.
// The gold table's rows of a date range are damaged (a manual DELETE and an edited row); the
// stream goes on. The backfill recomputes the range from silver at the version gold reflects
// (Vg), silver meanwhile commits more versions which the stream applies to the table; the
// backfill catches its range up to the stream's version with the pairs in between,
// restricted to the range, and commits its diff. The table then equals the recompute over
// silver's current rows: no gap, no double count. A backfill that commits its snapshot
// without the catch-up leaves the range behind the rest of the table (checked).
func TestBackfillHandsOverWhileSilverChanges(t *testing.T) {
	for _, name := range []string{"agg_daily_volume", "agg_merchant_daily"} {
		t.Run(name, func(t *testing.T) {
			d := mustLoad(t, name)
			b := mustBind(t, d)
			from, to := schema.DateOf(day0.AddDate(0, 0, 1)), schema.DateOf(day0.AddDate(0, 0, 1))
			inRange, err := InRange(d, from, to)
			if err != nil {
				t.Fatal(err)
			}
			checked := 0
			for seed := range 20 {
				rng := rand.New(rand.NewPCG(uint64(seed), 7))
				log := buildSilverLog(t, b, rng, deliver(rng, history(rng, 300)))
				stream := NewState(b)
				table := &goldTable{s: stream, rows: map[string][]any{}}
				vg := len(log.commits) / 2
				for v := 0; v <= vg; v++ {
					applyCommit(t, stream, log.commits[v], nil)
					ch, err := stream.Flush()
					if err != nil {
						t.Fatal(err)
					}
					table.apply(ch)
				}
				damaged := damage(table, stream, inRange)
				// The backfill: silver pinned at vg.
				recomputed, err := Recompute(b, RowsOf(log.snaps[vg]), inRange)
				if err != nil {
					t.Fatal(err)
				}
				// Silver changes during the backfill; the stream applies and writes it.
				vNow := vg + 1 + rng.IntN(len(log.commits)-vg-1)
				for v := vg + 1; v <= vNow; v++ {
					applyCommit(t, stream, log.commits[v], nil)
					ch, err := stream.Flush()
					if err != nil {
						t.Fatal(err)
					}
					table.apply(ch)
				}
				naive := cloneTable(table)
				commitDiff(t, recomputed, naive, inRange)
				// The commit found gold at vNow > vg: catch the range up and retry.
				for v := vg + 1; v <= vNow; v++ {
					applyCommit(t, recomputed, log.commits[v], inRange)
				}
				commitDiff(t, recomputed, table, inRange)
				want, err := Reference(b, log.snaps[vNow])
				if err != nil {
					t.Fatal(err)
				}
				if diff := diffRows(d, table.sorted(), want); diff != "" {
					t.Fatalf("seed %d: after the backfill the table differs from silver at version %d: %s", seed, vNow, diff)
				}
				// The stream goes on from vNow and stays equal.
				for v := vNow + 1; v < len(log.commits); v++ {
					applyCommit(t, stream, log.commits[v], nil)
					ch, err := stream.Flush()
					if err != nil {
						t.Fatal(err)
					}
					table.apply(ch)
				}
				want, _ = Reference(b, log.snaps[len(log.snaps)-1])
				if diff := diffRows(d, table.sorted(), want); diff != "" {
					t.Fatalf("seed %d: the stream after the backfill differs from silver: %s", seed, diff)
				}
				if damaged && rangeChanged(t, b, log, vg, vNow, inRange) {
					checked++
					wantNow, _ := Reference(b, log.snaps[vNow])
					if diffRows(d, naive.sorted(), wantNow) == "" {
						t.Fatalf("seed %d: a backfill without catch-up left the range right although silver changed it", seed)
					}
				}
			}
			if checked == 0 {
				t.Fatal("no seed changed the range during the backfill: the test does not exercise the handoff")
			}
		})
	}
}

func applyCommit(t *testing.T, s *State, pairs []Pair, keep GroupFilter) {
	t.Helper()
	for _, p := range pairs {
		if err := s.ApplyIf(p, keep); err != nil {
			t.Fatal(err)
		}
	}
	if s.NeedsRefill() > 0 {
		t.Fatal("a shipped declaration without min/max needs a refill")
	}
}

// commitDiff is the backfill's commit: the diff of its range against the table's rows.
func commitDiff(t *testing.T, s *State, table *goldTable, keep GroupFilter) {
	t.Helper()
	ch, err := s.Diff(table.sorted(), keep)
	if err != nil {
		t.Fatal(err)
	}
	table.apply(ch)
}

// damage deletes one gold row of the range and edits another, as a manual fix-up gone wrong
// would; it reports whether the range had rows to damage.
func damage(table *goldTable, s *State, keep GroupFilter) bool {
	table.lenient = true
	n := 0
	for k, r := range table.rows {
		vals, _ := s.groupKeyOfRow(r)
		if !keep(vals) {
			continue
		}
		if n == 0 {
			delete(table.rows, k)
		} else {
			edited := append([]any(nil), r...)
			edited[len(vals)] = int64(999)
			table.rows[k] = edited
		}
		if n++; n == 2 {
			break
		}
	}
	return n > 0
}

func cloneTable(g *goldTable) *goldTable {
	c := &goldTable{s: g.s, rows: map[string][]any{}, lenient: g.lenient}
	for k, v := range g.rows {
		c.rows[k] = v
	}
	return c
}

// rangeChanged reports whether silver's versions (vg, vNow] changed the range's rows.
func rangeChanged(t *testing.T, b *Binding, l *silverLog, vg, vNow int, keep GroupFilter) bool {
	a, _ := Recompute(b, RowsOf(l.snaps[vg]), keep)
	c, _ := Recompute(b, RowsOf(l.snaps[vNow]), keep)
	ra, _ := a.Rows()
	rc, _ := c.Rows()
	return diffRows(b.d, ra, rc) != ""
}

func TestVerifyNamesTheFirstDifference(t *testing.T) {
	d := mustLoad(t, "agg_daily_volume")
	b := mustBind(t, d)
	rows := [][]any{
		txn{id: 1, customer: 1, cents: 150, currency: "EUR", status: "completed", typ: "purchase", eventTS: day0, pos: 1, op: "c"}.toRow(b.st),
		txn{id: 2, customer: 1, cents: 250, currency: "USD", status: "failed", typ: "purchase", eventTS: day0, pos: 2, op: "c"}.toRow(b.st),
	}
	s, err := Recompute(b, RowsOf(rows), nil)
	if err != nil {
		t.Fatal(err)
	}
	gold, _ := s.Rows()
	if err := s.Verify(gold); err != nil {
		t.Fatalf("verify of its own rows: %v", err)
	}
	edited := [][]any{gold[0], append([]any(nil), gold[1]...)}
	edited[1][7] = dec(251)
	err = s.Verify(edited)
	if err == nil || !strings.Contains(err.Error(), "group (event_date=2024-05-01, currency=USD): column attempted_volume is 2.51 in the table, 2.50 recomputed from silver") {
		t.Fatalf("verify: %v", err)
	}
	if err := s.Verify(gold[:1]); err == nil || !strings.Contains(err.Error(), "currency=USD) is missing from the table") {
		t.Fatalf("verify missing: %v", err)
	}
	if _, err := InRange(mustLoad(t, "agg_customer_ltv"), 0, 1); err == nil || !strings.Contains(err.Error(), "backfill it whole") {
		t.Fatalf("InRange without backfill_by: %v", err)
	}
}

func TestInconsistentPairsAreRefusedAndChangeNothing(t *testing.T) {
	d := mustLoad(t, "agg_customer_ltv")
	b := mustBind(t, d)
	s := NewState(b)
	a := txn{id: 1, customer: 1, cents: 150, currency: "EUR", status: "completed", typ: "purchase", eventTS: day0, pos: 1, op: "c"}
	if err := s.Apply(Pair{New: a.toRow(b.st)}); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Rows()
	ghost := a
	ghost.customer = 2
	err := s.Apply(Pair{Old: ghost.toRow(b.st), New: a.toRow(b.st)})
	if !errors.Is(err, ErrInconsistent) || !strings.Contains(err.Error(), "transaction_id=1 retracts from group (customer_id=2, currency=EUR), which has no rows") {
		t.Fatalf("retraction from a missing group: %v", err)
	}
	// The old image's group exists but never held this event time: the min/max cannot
	// retract it.
	other := a
	other.eventTS = day0.Add(48 * 3600e9)
	err = s.Apply(Pair{Old: other.toRow(b.st)})
	if !errors.Is(err, ErrInconsistent) {
		t.Fatalf("retraction of a value never added: %v", err)
	}
	after, _ := s.Rows()
	if diff := diffRows(d, after, before); diff != "" {
		t.Fatalf("a refused pair changed the state: %s", diff)
	}
}

func TestSumBeyondItsPrecisionIsAnErrorNotATruncation(t *testing.T) {
	src := okHead + "  - {name: s, sum: amount, type: \"DECIMAL(5,2)\"}\n"
	d, err := Parse([]byte(src), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b := mustBind(t, d)
	s := NewState(b)
	for i := range 2 {
		r := txn{id: int64(i + 1), cents: 600_00, currency: "EUR", status: "pending", typ: "purchase", eventTS: day0, pos: i + 1, op: "c"}
		if err := s.Apply(Pair{New: r.toRow(b.st)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Flush(); err == nil || !strings.Contains(err.Error(), "value 1200.00 has more than 5 digits (DECIMAL(5,2))") {
		t.Fatalf("flush of 1200.00 into DECIMAL(5,2): %v", err)
	}
}
