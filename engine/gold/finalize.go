package gold

import (
	"fmt"
	"math/big"

	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
)

// components are a group's aggregate values before the output columns are computed from
// them: the State keeps them incrementally, Reference computes them from the rows.
type components struct {
	vals   []any
	counts []int64
	sums   []money.Money
	ext    []any // each min/max value, nil when the group has none
	dist   []int64
}

// finalize computes a group's output row: the group columns, then every output aggregate;
// ratios and exprs read the aggregates before them through e.
func (d *Decl) finalize(e *env, c *components) ([]any, error) {
	out := make([]any, 0, len(d.Groups)+len(d.Aggregates))
	for i, g := range d.Groups {
		v, err := deltaValue(c.vals[i], g.Type)
		if err != nil {
			return nil, fmt.Errorf("gold table %s: group %s: column %s: %w", d.Table, describeGroup(d, c.vals), g.Name, err)
		}
		out = append(out, v)
	}
	for i := range d.Aggregates {
		a := &d.Aggregates[i]
		var v any
		switch a.Kind {
		case Count:
			v = int(c.counts[a.slot])
		case CountDistinct:
			v = int(c.dist[a.slot])
		case Sum:
			m := c.sums[a.slot]
			if a.Type == schema.Long {
				u, ok := m.Unscaled()
				if !ok || m.Scale() != 0 {
					return nil, fmt.Errorf("gold table %s: group %s: %s: the sum %s does not fit BIGINT", d.Table, describeGroup(d, c.vals), a.Name, truncate(m.String(), 60))
				}
				v = int(u)
			} else {
				v = m
			}
		case Min, Max:
			v = c.ext[a.slot]
		case Ratio:
			r, err := d.ratio(e, a)
			if err != nil {
				return nil, fmt.Errorf("gold table %s: group %s: %s: %w", d.Table, describeGroup(d, c.vals), a.Name, err)
			}
			v = r
		case Derived:
			r, err := a.derived.run(e)
			if err != nil {
				return nil, fmt.Errorf("gold table %s: group %s: %s: %w", d.Table, describeGroup(d, c.vals), a.Name, err)
			}
			v = r
		}
		e.slots[i] = v
		if !a.Output {
			continue
		}
		cell, err := deltaValue(v, a.Type)
		if err != nil {
			return nil, fmt.Errorf("gold table %s: group %s: %s: %w", d.Table, describeGroup(d, c.vals), a.Name, err)
		}
		out = append(out, cell)
	}
	return out, nil
}

// ratio is numerator / denominator over the aggregates in e: NULL when the denominator is
// zero or either is NULL; a DECIMAL rounded half away from zero at its scale, or the double
// nearest to the exact quotient.
func (d *Decl) ratio(e *env, a *Aggregate) (any, error) {
	nv, err := a.num.run(e)
	if err != nil {
		return nil, err
	}
	dv, err := a.den.run(e)
	if err != nil {
		return nil, err
	}
	if nv == nil || dv == nil {
		return nil, nil
	}
	n, ok1 := asMoney(nv)
	q, ok2 := asMoney(dv)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("numerator %v or denominator %v is not a number", nv, dv)
	}
	if q.IsZero() {
		return nil, nil
	}
	if dt, ok := a.Type.(schema.DecimalType); ok {
		return n.Quo(q, int32(dt.Scale))
	}
	f, _ := new(big.Rat).Quo(n.Rat(), q.Rat()).Float64()
	return f, nil
}
