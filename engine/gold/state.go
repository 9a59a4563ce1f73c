package gold

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
)

// Pair is one key's change in one silver commit: the row silver stored before (Old, nil for
// an insert) and after it (New, nil for a delete), in the bound schema's order.
type Pair struct {
	Old, New []any
}

// Changes is what a Flush asks of the gold table: rows to upsert (OutputSchema order) and
// groups to delete (their group column values, in group_by order). Both are ordered by group.
type Changes struct {
	Upserts [][]any
	Deletes [][]any
}

// Empty reports whether there is nothing to write.
func (c Changes) Empty() bool { return len(c.Upserts) == 0 && len(c.Deletes) == 0 }

// GroupFilter selects groups by their group values (expression values: int, string,
// schema.Date, …, in group_by order). Used to recompute or catch up a range (backfill).
type GroupFilter func(group []any) bool

// ErrNeedsRefill is returned (wrapped) by Flush while a min or max of a touched group lost
// every value it tracked: Refill it from the source rows first.
var ErrNeedsRefill = errors.New("gold: a min/max needs a refill from the source rows")

// ErrInconsistent is returned (wrapped) by Apply when a pair retracts what the state does not
// hold: the pairs are not silver's (a skipped or repeated silver version, or rows of
// another table). The state is unchanged; the caller must recompute it from silver.
var ErrInconsistent = errors.New("gold: the change does not match the state")

type group struct {
	vals    []any
	rows    int64
	counts  []int64
	sums    []money.Money
	ext     []extreme
	dist    []distinct
	touched bool
	emitted bool // the gold table has a row for the group
}

// State is the aggregate state of one gold table: every group with its components. Not
// safe for concurrent use: one goroutine applies pairs, then flushes.
type State struct {
	b       *Binding
	d       *Decl
	groups  map[string]*group
	touched []string
	env     *env
	aggEnv  *env
	c1, c2  contrib
	newExt  []func() extreme
	newDist []func() distinct
}

// contrib is what one row contributes: its group and, per aggregate, its input (nil: none).
type contrib struct {
	ok   bool
	key  []byte
	vals []any
	in   []any
}

// NewState returns an empty state for b.
func NewState(b *Binding) *State {
	d := b.d
	s := &State{b: b, d: d, groups: map[string]*group{}, env: d.rowSpec.newEnv(), aggEnv: d.aggSpec.newEnv()}
	for i := range d.Aggregates {
		a := &d.Aggregates[i]
		switch a.Kind {
		case Min, Max:
			s.newExt = append(s.newExt, newExtremeFactory(a))
		case CountDistinct:
			s.newDist = append(s.newDist, newDistinctFactory(a))
		}
	}
	for _, c := range []*contrib{&s.c1, &s.c2} {
		c.vals = make([]any, len(d.Groups))
		c.in = make([]any, len(d.Aggregates))
	}
	return s
}

// Binding returns the binding the state reads rows with.
func (s *State) Binding() *Binding { return s.b }

// Groups is the number of groups with rows.
func (s *State) Groups() int { return len(s.groups) }

// eval computes row's contribution into c.
func (s *State) eval(row []any, c *contrib, keep GroupFilter) error {
	c.ok = false
	if row == nil {
		return nil
	}
	d := s.d
	if len(row) < len(s.b.st.Fields) {
		return fmt.Errorf("row has %d values, the silver schema %d columns", len(row), len(s.b.st.Fields))
	}
	slots := s.env.slots
	for _, r := range d.reads {
		slots[r] = exprValue(row[s.b.colIdx[r]])
	}
	if d.where != nil {
		ok, err := d.where.run(s.env)
		if err != nil {
			return fmt.Errorf("where: %w", err)
		}
		if ok != true {
			return nil
		}
	}
	c.key = c.key[:0]
	for i := range d.Groups {
		v, err := d.Groups[i].expr.run(s.env)
		if err != nil {
			return fmt.Errorf("group_by %s: %w", d.Groups[i].Name, err)
		}
		c.vals[i] = v
		c.key = appendKey(c.key, v)
	}
	if keep != nil && !keep(c.vals) {
		return nil
	}
	for i := range d.Aggregates {
		a := &d.Aggregates[i]
		c.in[i] = nil
		if a.Kind == Ratio || a.Kind == Derived {
			continue
		}
		if a.where != nil {
			ok, err := a.where.run(s.env)
			if err != nil {
				return fmt.Errorf("%s: where: %w", a.Name, err)
			}
			if ok != true {
				continue
			}
		}
		if a.input == nil {
			c.in[i] = true
			continue
		}
		v, err := a.input.run(s.env)
		if err != nil {
			return fmt.Errorf("%s: %w", a.Name, err)
		}
		if v != nil && a.Kind == Count {
			v = true
		}
		c.in[i] = v
	}
	c.ok = true
	return nil
}

// Apply applies one change pair: the old image's contribution leaves its group, the new
// image's joins its group. A pair whose images contribute the same to the same group
// changes nothing. It fails, leaving the state unchanged, when an expression fails on a row
// (the error names the row's key and the expression) or with ErrInconsistent.
func (s *State) Apply(p Pair) error { return s.apply(p, nil) }

// ApplyIf is Apply restricted to the groups keep selects: a contribution to any other group
// is ignored (the backfill's catch-up of a range).
func (s *State) ApplyIf(p Pair, keep GroupFilter) error { return s.apply(p, keep) }

func (s *State) apply(p Pair, keep GroupFilter) error {
	if err := s.eval(p.Old, &s.c1, keep); err != nil {
		return fmt.Errorf("gold table %s: row %s (old image): %w", s.d.Table, s.b.describeKey(p.Old), err)
	}
	if err := s.eval(p.New, &s.c2, keep); err != nil {
		return fmt.Errorf("gold table %s: row %s (new image): %w", s.d.Table, s.b.describeKey(p.New), err)
	}
	co, cn := &s.c1, &s.c2
	var gOld *group
	if co.ok {
		gOld = s.groups[string(co.key)]
		if gOld == nil || gOld.rows <= 0 {
			return fmt.Errorf("%w: gold table %s: row %s retracts from group %s, which has no rows", ErrInconsistent, s.d.Table, s.b.describeKey(p.Old), describeGroup(s.d, co.vals))
		}
		same := cn.ok && string(co.key) == string(cn.key)
		for i := range s.d.Aggregates {
			if same && equalValues(co.in[i], cn.in[i]) {
				continue
			}
			if co.in[i] != nil && !s.canRetract(gOld, i, co.in[i]) {
				return fmt.Errorf("%w: gold table %s: row %s retracts %v from %s of group %s, which does not hold it", ErrInconsistent, s.d.Table, s.b.describeKey(p.Old), co.in[i], s.d.Aggregates[i].Name, describeGroup(s.d, co.vals))
			}
		}
		if same {
			changed := false
			for i := range s.d.Aggregates {
				if equalValues(co.in[i], cn.in[i]) {
					continue
				}
				changed = true
				s.contribute(gOld, i, cn.in[i], true) // add first: a min keeps its values
				s.contribute(gOld, i, co.in[i], false)
			}
			if changed {
				s.touch(gOld, co.key)
			}
			return nil
		}
	}
	if cn.ok {
		g := s.groups[string(cn.key)]
		if g == nil {
			g = s.newGroup(cn.vals)
			s.groups[string(cn.key)] = g
		}
		g.rows++
		for i := range s.d.Aggregates {
			s.contribute(g, i, cn.in[i], true)
		}
		s.touch(g, cn.key)
	}
	if co.ok {
		gOld.rows--
		for i := range s.d.Aggregates {
			s.contribute(gOld, i, co.in[i], false)
		}
		s.touch(gOld, co.key)
	}
	return nil
}

func (s *State) newGroup(vals []any) *group {
	d := s.d
	g := &group{vals: slices.Clone(vals)}
	if d.nCounts > 0 {
		g.counts = make([]int64, d.nCounts)
	}
	if d.nSums > 0 {
		g.sums = make([]money.Money, d.nSums)
	}
	if d.nExt > 0 {
		g.ext = make([]extreme, d.nExt)
		for i := range g.ext {
			g.ext[i] = s.newExt[i]()
		}
	}
	if d.nDist > 0 {
		g.dist = make([]distinct, d.nDist)
		for i := range g.dist {
			g.dist[i] = s.newDist[i]()
		}
	}
	return g
}

func (s *State) touch(g *group, key []byte) {
	if !g.touched {
		g.touched = true
		s.touched = append(s.touched, string(key))
	}
}

func (s *State) canRetract(g *group, i int, v any) bool {
	a := &s.d.Aggregates[i]
	switch a.Kind {
	case Count:
		return g.counts[a.slot] > 0
	case Min, Max:
		return g.ext[a.slot].canRemove(v)
	case CountDistinct:
		return g.dist[a.slot].has(v)
	}
	return true
}

// contribute adds (or retracts) input v of aggregate i to g; nil contributes nothing.
func (s *State) contribute(g *group, i int, v any, add bool) {
	if v == nil {
		return
	}
	a := &s.d.Aggregates[i]
	switch a.Kind {
	case Count:
		if add {
			g.counts[a.slot]++
		} else {
			g.counts[a.slot]--
		}
	case Sum:
		m, _ := asMoney(v)
		if add {
			g.sums[a.slot] = g.sums[a.slot].Add(m)
		} else {
			g.sums[a.slot] = g.sums[a.slot].Sub(m)
		}
	case Min, Max:
		if add {
			g.ext[a.slot].add(v)
		} else {
			g.ext[a.slot].remove(v)
		}
	case CountDistinct:
		if add {
			g.dist[a.slot].add(v)
		} else {
			g.dist[a.slot].remove(v)
		}
	}
}

// NeedsRefill counts the touched groups whose min or max lost every value it tracked
// (see Refill).
func (s *State) NeedsRefill() int {
	n := 0
	for _, k := range s.touched {
		if g := s.groups[k]; g != nil && g.needsRefill() {
			n++
		}
	}
	return n
}

func (g *group) needsRefill() bool {
	for _, e := range g.ext {
		if e.needsRefill() {
			return true
		}
	}
	return false
}

// Flush returns the changes since the last Flush: the rows of touched groups that still have
// rows, and the groups that lost their last row and had a row in the gold table. It fails
// with ErrNeedsRefill while a touched group needs a refill, and when a value does not fit
// its column (a sum beyond its DECIMAL precision); the state is kept and Flush can be called
// again.
func (s *State) Flush() (Changes, error) {
	var ch Changes
	if n := s.NeedsRefill(); n > 0 {
		return ch, fmt.Errorf("%w: gold table %s: %d groups", ErrNeedsRefill, s.d.Table, n)
	}
	slices.Sort(s.touched)
	for _, k := range s.touched {
		g := s.groups[k]
		if g.rows == 0 {
			if err := s.checkEmpty(g); err != nil {
				return Changes{}, err
			}
			if g.emitted {
				key, err := s.groupRow(g.vals)
				if err != nil {
					return Changes{}, err
				}
				ch.Deletes = append(ch.Deletes, key)
			}
			continue
		}
		row, err := s.row(g)
		if err != nil {
			return Changes{}, err
		}
		ch.Upserts = append(ch.Upserts, row)
	}
	for _, k := range s.touched {
		g := s.groups[k]
		g.touched = false
		if g.rows == 0 {
			delete(s.groups, k)
		} else {
			g.emitted = true
		}
	}
	s.touched = s.touched[:0]
	return ch, nil
}

// checkEmpty verifies that a group without rows holds nothing: every retraction matched
// an addition.
func (s *State) checkEmpty(g *group) error {
	for _, c := range g.counts {
		if c != 0 {
			return fmt.Errorf("%w: gold table %s: group %s has no rows but a count of %d", ErrInconsistent, s.d.Table, describeGroup(s.d, g.vals), c)
		}
	}
	for _, m := range g.sums {
		if !m.IsZero() {
			return fmt.Errorf("%w: gold table %s: group %s has no rows but a sum of %s", ErrInconsistent, s.d.Table, describeGroup(s.d, g.vals), m)
		}
	}
	return nil
}

// MarkFlushed forgets what changed: the gold table is taken to hold every group's current
// row (after a Recompute verified against it).
func (s *State) MarkFlushed() {
	for _, k := range s.touched {
		if g := s.groups[k]; g != nil {
			g.touched = false
			if g.rows == 0 {
				delete(s.groups, k)
			}
		}
	}
	s.touched = s.touched[:0]
	for _, g := range s.groups {
		g.emitted = true
	}
}

// Rows returns the current row of every group, ordered by group. It fails like Flush.
func (s *State) Rows() ([][]any, error) {
	keys := make([]string, 0, len(s.groups))
	for k, g := range s.groups {
		if g.rows > 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make([][]any, 0, len(keys))
	for _, k := range keys {
		g := s.groups[k]
		if g.needsRefill() {
			return nil, fmt.Errorf("%w: gold table %s: group %s", ErrNeedsRefill, s.d.Table, describeGroup(s.d, g.vals))
		}
		row, err := s.row(g)
		if err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, nil
}

// row is g's output row.
func (s *State) row(g *group) ([]any, error) {
	comp := components{vals: g.vals, counts: g.counts, sums: g.sums}
	if len(g.ext) > 0 {
		comp.ext = make([]any, len(g.ext))
		for i, e := range g.ext {
			comp.ext[i], _ = e.value()
		}
	}
	if len(g.dist) > 0 {
		comp.dist = make([]int64, len(g.dist))
		for i, e := range g.dist {
			comp.dist[i] = int64(e.count())
		}
	}
	return s.d.finalize(s.aggEnv, &comp)
}

func (s *State) groupRow(vals []any) ([]any, error) {
	out := make([]any, len(vals))
	for i, v := range vals {
		c, err := deltaValue(v, s.d.Groups[i].Type)
		if err != nil {
			return nil, fmt.Errorf("gold table %s: group column %s: %w", s.d.Table, s.d.Groups[i].Name, err)
		}
		out[i] = c
	}
	return out, nil
}

func describeGroup(d *Decl, vals []any) string {
	s := "("
	for i, v := range vals {
		if i > 0 {
			s += ", "
		}
		if m, ok := v.(money.Money); ok {
			v = m.String()
		}
		s += fmt.Sprintf("%s=%v", d.Groups[i].Name, v)
	}
	return s + ")"
}
