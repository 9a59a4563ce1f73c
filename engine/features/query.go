package features

import "math"

// compute evaluates every feature for version v of transaction x at its scoring point
// (v.anchor, x.id), over the versions currently registered.
func (e *Engine) compute(x *txn, v *version) Result {
	d := e.d
	res := Result{Values: make([]any, len(d.Fields)), Watermark: e.wm}
	t, id := v.anchor, x.id
	for ki := range d.Keys {
		k := &d.Keys[ki]
		kv, ok := keyOf(k, d.cols, v.vals)
		if !ok {
			res.Missing |= 1 << ki // the fields of this object stay nil
			continue
		}
		for _, fi := range k.features {
			f := &d.Features[fi]
			a := &e.accs[fi]
			a.reset(f)
			if f.agg == aggSeen {
				a.target = v.vals[f.ofSlot]
			}
		}
		if ks := e.objs[ki].get(kv, false); ks != nil {
			if ks.capped {
				res.Capped = true
			}
			e.scan(ks, k, kv, x, t, id)
		}
		for _, fi := range k.features {
			f := &d.Features[fi]
			a := &e.accs[fi]
			if a.capped {
				res.Capped = true
				e.stats.CapsHit["max_distinct"]++
			}
			a.outputs(f, res.Values[f.field:])
		}
	}
	return res
}

// scan feeds the accumulators of k's features with the entries of ks visible at (t, id).
func (e *Engine) scan(ks *keyState, k *Key, kv keyVal, self *txn, t, id int64) {
	d := e.d
	lo := t - k.maxWindow.Microseconds()
	for i := ks.search(lo, math.MinInt64); i < len(ks.entries); i++ {
		en := ks.entries[i]
		x := en.tx
		if !entryLess(en.anchor, x.id, t, id) {
			break
		}
		if x == self {
			continue
		}
		w := x.asOf(t, id)
		if w == nil || w.deleted {
			continue
		}
		if !x.stable {
			if w.anchor != en.anchor {
				continue
			}
			if wk, ok := keyOf(k, d.cols, w.vals); !ok || wk != kv {
				continue
			}
		}
		for _, fi := range k.features {
			f := &d.Features[fi]
			if en.anchor < t-f.window {
				continue
			}
			if f.whereBit >= 0 && w.where&(1<<f.whereBit) == 0 {
				continue
			}
			var val Value
			if f.ofSlot >= 0 {
				val = w.vals[f.ofSlot]
			}
			e.accs[fi].add(f, val, en.anchor, e.opt.MaxDistinct)
		}
	}
}
