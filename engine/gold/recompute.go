package gold

import (
	"fmt"
	"slices"

	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
)

// RowScan calls yield with every row of a table (in the bound schema's order) and stops at
// the first error yield returns. Rows are not retained.
type RowScan func(yield func(row []any) error) error

// RowsOf scans a slice of rows.
func RowsOf(rows [][]any) RowScan {
	return func(yield func([]any) error) error {
		for _, r := range rows {
			if err := yield(r); err != nil {
				return err
			}
		}
		return nil
	}
}

// Recompute builds the state of the groups keep selects (all when nil) from a table's
// current rows: start-up (silver at the version gold reflects) and backfill. Every group is
// touched, so Flush returns all rows (a first build); after verifying them against the gold
// table call MarkFlushed instead.
func Recompute(b *Binding, scan RowScan, keep GroupFilter) (*State, error) {
	s := NewState(b)
	err := scan(func(row []any) error { return s.ApplyIf(Pair{New: row}, keep) })
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Refill rebuilds the min/max prefixes of the touched groups that need one, from scan: the
// source table's rows at exactly the version the state reflects (otherwise the counts
// disagree and Refill fails naming the group, and the state must be recomputed).
func (s *State) Refill(scan RowScan) error {
	dirty := map[string]*group{}
	for _, k := range s.touched {
		if g := s.groups[k]; g != nil && g.needsRefill() {
			dirty[k] = g
		}
	}
	if len(dirty) == 0 {
		return nil
	}
	for _, g := range dirty {
		for _, e := range g.ext {
			e.startRefill() // every extreme of the group: one scan rebuilds them all
		}
	}
	err := scan(func(row []any) error {
		if err := s.eval(row, &s.c1, nil); err != nil {
			return fmt.Errorf("gold table %s: refill: row %s: %w", s.d.Table, s.b.describeKey(row), err)
		}
		if !s.c1.ok {
			return nil
		}
		g := dirty[string(s.c1.key)]
		if g == nil {
			return nil
		}
		for i := range s.d.Aggregates {
			a := &s.d.Aggregates[i]
			if (a.Kind == Min || a.Kind == Max) && s.c1.in[i] != nil {
				g.ext[a.slot].refillAdd(s.c1.in[i])
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, g := range dirty {
		for _, e := range g.ext {
			if err := e.endRefill(); err != nil {
				return fmt.Errorf("gold table %s: refill of group %s: %w", s.d.Table, describeGroup(s.d, g.vals), err)
			}
		}
	}
	return nil
}

// Reference computes the gold table from a table's current rows the obvious way: group the
// rows, then count, sum, sort and deduplicate each group's values. It shares only the
// expression evaluation and the final column computation with State, and exists to check
// State (the property tests) and for `ledgerflow` checks of a gold table against silver.
func Reference(b *Binding, rows [][]any) ([][]any, error) {
	d := b.d
	s := NewState(b)
	type refGroup struct {
		vals   []any
		inputs [][]any // per aggregate, the values its rows contribute
	}
	groups := map[string]*refGroup{}
	for _, row := range rows {
		if err := s.eval(row, &s.c1, nil); err != nil {
			return nil, fmt.Errorf("gold table %s: row %s: %w", d.Table, b.describeKey(row), err)
		}
		if !s.c1.ok {
			continue
		}
		g := groups[string(s.c1.key)]
		if g == nil {
			g = &refGroup{vals: slices.Clone(s.c1.vals), inputs: make([][]any, len(d.Aggregates))}
			groups[string(s.c1.key)] = g
		}
		for i, v := range s.c1.in {
			if v != nil {
				g.inputs[i] = append(g.inputs[i], v)
			}
		}
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([][]any, 0, len(keys))
	for _, k := range keys {
		g := groups[k]
		c := components{vals: g.vals, counts: make([]int64, d.nCounts), sums: make([]money.Money, d.nSums), ext: make([]any, d.nExt), dist: make([]int64, d.nDist)}
		for i := range d.Aggregates {
			a := &d.Aggregates[i]
			vs := g.inputs[i]
			switch a.Kind {
			case Count:
				c.counts[a.slot] = int64(len(vs))
			case Sum:
				var total money.Money
				for _, v := range vs {
					m, _ := asMoney(v)
					total = total.Add(m)
				}
				c.sums[a.slot] = total
			case Min, Max:
				if len(vs) == 0 {
					continue
				}
				sorted := slices.Clone(vs)
				slices.SortFunc(sorted, compareValues)
				if a.Kind == Min {
					c.ext[a.slot] = sorted[0]
				} else {
					c.ext[a.slot] = sorted[len(sorted)-1]
				}
			case CountDistinct:
				seen := map[string]bool{}
				for _, v := range vs {
					seen[string(appendKey(nil, v))] = true
				}
				c.dist[a.slot] = int64(len(seen))
			}
		}
		row, err := d.finalize(s.aggEnv, &c)
		if err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, nil
}
