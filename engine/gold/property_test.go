package gold

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// declsUnderTest are the shipped aggregates and a declaration built to force refills.
var declsUnderTest = []string{"agg_daily_volume", "agg_merchant_daily", "agg_customer_ltv", "testdata/ltv_tight.yaml"}

// TestStreamingEqualsRecomputeAfterEveryPair drives each declaration with random CDC
// histories delivered out of order with redeliveries, through silver's ordering rule, and
// checks after every change pair that the streaming state equals the reference GROUP BY over
// silver's current rows; and, per batch (one silver commit: pairs collapsed per key, as
// silver commits them), that a second state fed the collapsed pairs, and the gold table
// built from its flushed upserts and deletes, equal it too.
func TestStreamingEqualsRecomputeAfterEveryPair(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 8
	}
	for _, name := range declsUnderTest {
		t.Run(name, func(t *testing.T) {
			d := mustLoad(t, name)
			b := mustBind(t, d)
			var pairs, stale, refills, deletes int
			for seed := range seeds {
				rng := rand.New(rand.NewPCG(uint64(seed), 13))
				h := history(rng, 250)
				sim := newSilverSim(b.st)
				perPair, perBatch := NewState(b), NewState(b)
				tablePair, tableBatch := &goldTable{s: perPair, rows: map[string][]any{}}, &goldTable{s: perBatch, rows: map[string][]any{}}
				events := deliver(rng, h)
				for i := 0; i < len(events); {
					n := 1 + rng.IntN(12)
					var batch []Pair
					for ; n > 0 && i < len(events); n, i = n-1, i+1 {
						p, ok := sim.apply(events[i])
						if !ok {
							stale++
							continue
						}
						pairs++
						batch = append(batch, p)
						if err := perPair.Apply(p); err != nil {
							t.Fatalf("seed %d event %d: %v", seed, i, err)
						}
						if perPair.NeedsRefill() > 0 {
							refills++
							if err := perPair.Refill(RowsOf(sim.current())); err != nil {
								t.Fatalf("seed %d event %d: refill: %v", seed, i, err)
							}
						}
						compare(t, b, perPair, sim.current(), seed, i)
					}
					// One silver commit: the net pair of each key.
					collapsed := collapse(b, batch)
					for _, p := range collapsed {
						if err := perBatch.Apply(p); err != nil {
							t.Fatalf("seed %d batch ending %d: %v", seed, i, err)
						}
					}
					if perBatch.NeedsRefill() > 0 {
						if _, err := perBatch.Flush(); !errors.Is(err, ErrNeedsRefill) {
							t.Fatalf("seed %d: Flush with a group needing a refill returned %v, want ErrNeedsRefill", seed, err)
						}
						if err := perBatch.Refill(RowsOf(sim.current())); err != nil {
							t.Fatal(err)
						}
					}
					for _, st := range []struct {
						s *State
						g *goldTable
					}{{perPair, tablePair}, {perBatch, tableBatch}} {
						ch, err := st.s.Flush()
						if err != nil {
							t.Fatalf("seed %d: flush: %v", seed, err)
						}
						deletes += len(ch.Deletes)
						st.g.apply(ch)
					}
					want, err := Reference(b, sim.current())
					if err != nil {
						t.Fatal(err)
					}
					for _, g := range []*goldTable{tablePair, tableBatch} {
						if diff := diffRows(d, g.sorted(), want); diff != "" {
							t.Fatalf("seed %d batch ending %d: gold table from flushes differs from the recompute: %s", seed, i, diff)
						}
					}
					compare(t, b, perBatch, sim.current(), seed, i)
				}
			}
			t.Logf("%d pairs, %d stale or duplicate changes (no pair), %d refills, %d group deletes", pairs, stale, refills, deletes)
			if pairs == 0 || stale == 0 || deletes == 0 {
				t.Fatalf("the histories did not exercise pairs, stale changes and group deletes")
			}
			if d.Table == "ltv_tight" && refills == 0 {
				t.Fatalf("keep: 1 never needed a refill: the test does not reach that path")
			}
		})
	}
}

func compare(t *testing.T, b *Binding, s *State, current [][]any, seed, i int) {
	t.Helper()
	got, err := s.Rows()
	if err != nil {
		t.Fatalf("seed %d event %d: %v", seed, i, err)
	}
	want, err := Reference(b, current)
	if err != nil {
		t.Fatal(err)
	}
	if diff := diffRows(b.d, got, want); diff != "" {
		t.Fatalf("seed %d event %d: streaming state differs from the recompute: %s", seed, i, diff)
	}
}

// collapse is what one silver commit hands gold: per key, the row before the commit and
// the row after it, nothing when they are equal.
func collapse(b *Binding, pairs []Pair) []Pair {
	type net struct {
		first, last []any
		seen        bool
	}
	var order []string
	byKey := map[string]*net{}
	for _, p := range pairs {
		row := p.New
		if row == nil {
			row = p.Old
		}
		k := b.describeKey(row)
		n := byKey[k]
		if n == nil {
			n = &net{first: p.Old}
			byKey[k] = n
			order = append(order, k)
		}
		n.last = p.New
	}
	var out []Pair
	for _, k := range order {
		n := byKey[k]
		if n.first == nil && n.last == nil || n.first != nil && n.last != nil && rowsEqual(n.first, n.last) {
			continue
		}
		out = append(out, Pair{Old: n.first, New: n.last})
	}
	return out
}
