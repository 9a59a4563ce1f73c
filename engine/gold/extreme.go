package gold

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
)

// extreme is the state of one min or max of one group: a bounded prefix of the group's
// value multiset in best-first order (smallest first for min, largest first for max).
//
// Invariant: the prefix holds exactly the best values of the multiset, with their
// multiplicities (all of them when complete); total counts every value, tracked or not. So
// the first entry is the exact extreme, and only when retractions empty an incomplete prefix
// while total > 0 is it unknown: the group then needs a refill from the source rows.
type extreme interface {
	add(v any)
	remove(v any)
	canRemove(v any) bool
	value() (v any, known bool)
	needsRefill() bool
	// startRefill empties the prefix for refill; refillAdd then takes every value of the
	// group from the source; endRefill checks that they were as many as total.
	startRefill()
	refillAdd(v any)
	endRefill() error
	entries() int
}

// extOps is what a prefix of T values needs and shares across groups.
type extOps[T any] struct {
	keep int // max distinct values kept; 0 = all
	cmp  func(a, b T) int
	conv func(any) T
	back func(T) any
}

type prefix[T any] struct {
	ops      *extOps[T]
	vals     []T
	cnts     []uint32
	total    int64
	tracked  int64 // during refill: values seen
	complete bool
}

func newPrefix[T any](ops *extOps[T]) *prefix[T] { return &prefix[T]{ops: ops, complete: true} }

func (p *prefix[T]) find(v T) (int, bool) {
	return slices.BinarySearchFunc(p.vals, v, p.ops.cmp)
}

func (p *prefix[T]) insert(v T) {
	i, found := p.find(v)
	if found {
		p.cnts[i]++
		return
	}
	if !p.complete && i == len(p.vals) {
		return // beyond the prefix: not tracked
	}
	p.vals = slices.Insert(p.vals, i, v)
	p.cnts = slices.Insert(p.cnts, i, 1)
	if k := p.ops.keep; k > 0 && len(p.vals) > k {
		p.vals = p.vals[:k]
		p.cnts = p.cnts[:k]
		p.complete = false
	}
}

func (p *prefix[T]) add(v any) {
	p.total++
	p.insert(p.ops.conv(v))
}

func (p *prefix[T]) canRemove(v any) bool {
	if p.total <= 0 {
		return false
	}
	_, found := p.find(p.ops.conv(v))
	if found {
		return true
	}
	// Untracked values lie beyond the last tracked one.
	return !p.complete && (len(p.vals) == 0 || p.ops.cmp(p.ops.conv(v), p.vals[len(p.vals)-1]) > 0)
}

func (p *prefix[T]) remove(v any) {
	p.total--
	if i, found := p.find(p.ops.conv(v)); found {
		if p.cnts[i]--; p.cnts[i] == 0 {
			p.vals = slices.Delete(p.vals, i, i+1)
			p.cnts = slices.Delete(p.cnts, i, i+1)
		}
	}
	if p.total == 0 {
		p.vals, p.cnts, p.complete = p.vals[:0], p.cnts[:0], true
	}
}

func (p *prefix[T]) value() (any, bool) {
	switch {
	case p.total == 0:
		return nil, true
	case len(p.vals) > 0:
		return p.ops.back(p.vals[0]), true
	}
	return nil, false
}

func (p *prefix[T]) needsRefill() bool { return p.total > 0 && len(p.vals) == 0 }

func (p *prefix[T]) startRefill() {
	p.vals, p.cnts, p.complete, p.tracked = p.vals[:0], p.cnts[:0], true, 0
}

func (p *prefix[T]) refillAdd(v any) {
	p.tracked++
	p.insert(p.ops.conv(v))
}

func (p *prefix[T]) endRefill() error {
	if p.tracked != p.total {
		return fmt.Errorf("the source rows hold %d values for the group, the state %d: the rows are not the source at the state's version", p.tracked, p.total)
	}
	return nil
}

func (p *prefix[T]) entries() int { return len(p.vals) }

// newExtremeFactory returns a constructor of extremes of values of expression type inType
// for a min (desc false) or max.
func newExtremeFactory(a *Aggregate) func() extreme {
	desc := a.Kind == Max
	switch a.inType {
	case rtString:
		ops := &extOps[string]{keep: a.Keep, cmp: orient(strings.Compare, desc),
			conv: func(v any) string { return v.(string) }, back: func(s string) any { return s }}
		return func() extreme { return newPrefix(ops) }
	case rtMoney:
		ops := &extOps[money.Money]{keep: a.Keep, cmp: orient(money.Money.Cmp, desc),
			conv: func(v any) money.Money { return v.(money.Money) }, back: func(m money.Money) any { return m }}
		return func() extreme { return newPrefix(ops) }
	}
	conv, back := int64Codec(a.inType)
	ops := &extOps[int64]{keep: a.Keep, cmp: orient(func(x, y int64) int {
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}, desc), conv: conv, back: back}
	return func() extreme { return newPrefix(ops) }
}

func orient[T any](c func(a, b T) int, desc bool) func(a, b T) int {
	if !desc {
		return c
	}
	return func(a, b T) int { return c(b, a) }
}

// int64Codec packs integers, timestamps (microseconds, Delta's precision) and dates into
// an int64 that orders the same way.
func int64Codec(rt any) (func(any) int64, func(int64) any) {
	switch rt {
	case rtTime:
		return func(v any) int64 { return v.(time.Time).UnixMicro() }, func(u int64) any { return time.UnixMicro(u).UTC() }
	case rtDate:
		return func(v any) int64 { return int64(v.(schema.Date)) }, func(u int64) any { return schema.Date(u) }
	}
	return func(v any) int64 { return int64(v.(int)) }, func(u int64) any { return int(u) }
}
