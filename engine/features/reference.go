package features

import (
	"math/big"
	"slices"
	"sort"
	"time"

	"github.com/expr-lang/expr/vm"
)

// Reference is the offline recompute: the values a transaction version must get, computed
// from a complete version history by the plainest reading of the semantics (no index, no
// incremental state, no caps). The engine's property tests and the transaction_features
// parity test compare against it.
type Reference struct {
	d    *Decl
	txns map[int64][]Version // by transaction, sorted by position, redeliveries removed
	vm   vm.VM
	env  map[string]any
}

// NewReference indexes a history (any order, duplicates allowed).
func NewReference(d *Decl, history []Version) *Reference {
	r := &Reference{d: d, txns: map[int64][]Version{}, env: map[string]any{}}
	for _, v := range history {
		vs := r.txns[v.TxID]
		i, found := slices.BinarySearchFunc(vs, v.Pos, func(a Version, p Pos) int { return a.Pos.Compare(p) })
		if !found {
			r.txns[v.TxID] = slices.Insert(vs, i, v)
		}
	}
	return r
}

// Values computes the values of transaction id's version at pos, aligned with Decl.Fields.
// ok is false when the history has no such version.
func (r *Reference) Values(id int64, pos Pos) (values []any, ok bool) {
	vs := r.txns[id]
	i, found := slices.BinarySearchFunc(vs, pos, func(a Version, p Pos) int { return a.Pos.Compare(p) })
	if !found {
		return nil, false
	}
	d := r.d
	self := vs[i]
	t := self.Anchor
	out := make([]any, len(d.Fields))
	for ki := range d.Keys {
		k := &d.Keys[ki]
		kv, has := keyOf(k, d.cols, self.Values)
		if !has {
			continue
		}
		type seenTx struct {
			id int64
			v  Version
		}
		var visible []seenTx
		for xid, xs := range r.txns {
			if xid == id {
				continue
			}
			// The version as of t: the latest by position whose change point is before (t, id).
			var w *Version
			for j := range xs {
				if xs[j].Change < t || (xs[j].Change == t && xid < id) {
					w = &xs[j]
				}
			}
			if w == nil || w.Op == 'd' {
				continue
			}
			if wk, ok := keyOf(k, d.cols, w.Values); !ok || wk != kv {
				continue
			}
			if !(w.Anchor < t || (w.Anchor == t && xid < id)) {
				continue
			}
			visible = append(visible, seenTx{xid, *w})
		}
		// Newest first, as last_time and last_n read them.
		sort.Slice(visible, func(a, b int) bool {
			if visible[a].v.Anchor != visible[b].v.Anchor {
				return visible[a].v.Anchor > visible[b].v.Anchor
			}
			return visible[a].id > visible[b].id
		})
		for _, fi := range k.features {
			f := &d.Features[fi]
			var in []Version
			for _, s := range visible {
				if s.v.Anchor < t-f.Window.Microseconds() {
					continue
				}
				if f.Where != "" {
					ok, _ := d.wheres[f.whereBit].eval(&r.vm, r.env, s.v.Values, d.types)
					if !ok {
						continue
					}
				}
				in = append(in, s.v)
			}
			r.feature(f, in, self, out[f.field:])
		}
	}
	return out, true
}

func (r *Reference) feature(f *Feature, in []Version, self Version, out []any) {
	var vals []Value // non-null of: values, newest first
	for _, v := range in {
		if f.ofSlot >= 0 && !v.Values[f.ofSlot].Null {
			vals = append(vals, v.Values[f.ofSlot])
		}
	}
	switch f.Agg {
	case "count":
		out[0] = int64(len(in))
	case "last_time":
		out[0] = nil
		if len(in) > 0 {
			out[0] = time.UnixMicro(in[0].Anchor).UTC()
		}
	case "sum":
		s := new(big.Int)
		for _, v := range vals {
			s.Add(s, big.NewInt(v.I))
		}
		if s.IsInt64() {
			out[0] = sumOut(s.Int64(), nil, f.ofType)
		} else {
			out[0] = sumOut(0, s, f.ofType)
		}
	case "stats":
		s, sq := new(big.Int), new(big.Int)
		for _, v := range vals {
			s.Add(s, big.NewInt(v.I))
			sq.Add(sq, new(big.Int).Mul(big.NewInt(v.I), big.NewInt(v.I)))
		}
		out[0] = int64(len(vals))
		out[1], out[2] = statsOut(int64(len(vals)), s, sq, f.ofType.scale)
	case "min", "max":
		out[0] = nil
		if len(vals) > 0 {
			best := vals[0]
			for _, v := range vals[1:] {
				if (f.Agg == "min" && v.less(best, f.ofType)) || (f.Agg == "max" && best.less(v, f.ofType)) {
					best = v
				}
			}
			out[0] = best.out(f.ofType)
		}
	case "distinct":
		set := map[Value]bool{}
		for _, v := range vals {
			set[v] = true
		}
		out[0] = int64(len(set))
	case "last_n":
		list := []any{}
		for i := 0; i < len(vals) && i < f.N; i++ {
			list = append(list, vals[i].out(f.ofType))
		}
		out[0] = list
	case "seen":
		target := self.Values[f.ofSlot]
		found := false
		for _, v := range vals {
			if !target.Null && v.equal(target) {
				found = true
			}
		}
		out[0] = found
	}
}
