package gold

import (
	"time"

	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
)

// distinct is the state of one exact count_distinct of one group: each value with its
// multiplicity, so that a retraction removes a value only when its last row leaves.
type distinct interface {
	add(v any)
	remove(v any)
	has(v any) bool
	count() int
}

type distinctSet[K comparable] struct {
	conv func(any) K
	m    map[K]uint32
}

func (d *distinctSet[K]) add(v any) {
	if d.m == nil {
		d.m = make(map[K]uint32, 1)
	}
	d.m[d.conv(v)]++
}

func (d *distinctSet[K]) remove(v any) {
	k := d.conv(v)
	if n := d.m[k]; n <= 1 {
		delete(d.m, k)
	} else {
		d.m[k] = n - 1
	}
}

func (d *distinctSet[K]) has(v any) bool { return d.m[d.conv(v)] > 0 }
func (d *distinctSet[K]) count() int     { return len(d.m) }

// newDistinctFactory keys integers, dates, timestamps and booleans as int64, strings as
// themselves and decimals by their canonical text (1.5 and 1.50 are one value).
func newDistinctFactory(a *Aggregate) func() distinct {
	var ci func(any) int64
	switch a.input.out {
	case rtString:
		conv := func(v any) string { return v.(string) }
		return func() distinct { return &distinctSet[string]{conv: conv} }
	case rtMoney:
		conv := func(v any) string { return canonicalDecimal(v.(money.Money)) }
		return func() distinct { return &distinctSet[string]{conv: conv} }
	case rtTime:
		ci = func(v any) int64 { return v.(time.Time).UnixMicro() }
	case rtDate:
		ci = func(v any) int64 { return int64(v.(schema.Date)) }
	case rtBool:
		ci = func(v any) int64 { return int64(boolInt(v.(bool))) }
	default:
		ci = func(v any) int64 { return int64(v.(int)) }
	}
	return func() distinct { return &distinctSet[int64]{conv: ci} }
}
