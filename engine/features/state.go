package features

import (
	"slices"
	"strconv"
)

// Version is one change of a transaction, as the engine registers it (build it from a row
// with Decl.Version).
type Version struct {
	Source string // watermark source: "<topic>/<partition>" of the Kafka record; "" for one source
	Offset int64  // Kafka offset, -1 when unknown (restore cuts at committed offsets)
	TxID   int64
	Pos    Pos
	Op     byte  // 'c', 'u', 'd' or 'r'
	Change int64 // change time, Unix µs: event_ts for c and r, _source_ts for u and d
	Anchor int64 // event_ts of this version, Unix µs
	Values []Value
}

// version is a Version as stored: only the stored slots, where bits evaluated once.
type version struct {
	pos     Pos
	change  int64
	anchor  int64
	where   uint64
	vals    []Value // stored slots; shared with the previous version when equal
	deleted bool
}

// txn is one transaction: its versions in source-position order.
type txn struct {
	id       int64
	versions []version
	refs     int32 // key entries that reference it
	// stable: every version has the same anchor and key values, so an entry's presence in a
	// key's slice means the key matches (the common case; skips a comparison per entry).
	stable bool
	// Scoring record for corrections: the version last scored and at which point.
	scored      bool
	provisional bool
	scoredPos   Pos
	scoredT     int64
}

// asOf returns the version visible at point (t, id): the latest by position whose change
// point (change, tx.id) is before it, or nil.
func (x *txn) asOf(t, id int64) *version {
	for i := len(x.versions) - 1; i >= 0; i-- {
		v := &x.versions[i]
		if v.change < t || (v.change == t && x.id < id) {
			return v
		}
	}
	return nil
}

func (x *txn) find(p Pos) (int, bool) {
	return slices.BinarySearchFunc(x.versions, p, func(v version, p Pos) int { return v.pos.Compare(p) })
}

func (x *txn) maxAnchor() int64 {
	m := x.versions[0].anchor
	for i := range x.versions {
		m = max(m, x.versions[i].anchor)
	}
	return m
}

// keyVal is a key value of an object: up to two integer-like columns inline, strings (and
// further columns) length-prefixed in s. Comparable, so it is a map key.
type keyVal struct {
	a, b int64
	n    uint8 // integer columns used
	s    string
}

// keyOf builds the key of object k from a version's stored values; false when a key column
// is null (the transaction has no such key: a payment without a device has no dev features).
func keyOf(k *Key, cols []column, vals []Value) (keyVal, bool) {
	var kv keyVal
	if len(k.slots) == 1 {
		v := vals[k.slots[0]]
		if v.Null {
			return kv, false
		}
		if cols[k.slots[0]].typ.kind == kString {
			kv.s = v.S
		} else {
			kv.a, kv.n = v.I, 1
		}
		return kv, true
	}
	var buf []byte
	for _, s := range k.slots {
		v := vals[s]
		if v.Null {
			return kv, false
		}
		if cols[s].typ.kind != kString && kv.n < 2 {
			if kv.n == 0 {
				kv.a = v.I
			} else {
				kv.b = v.I
			}
			kv.n++
			continue
		}
		if cols[s].typ.kind == kString {
			buf = strconv.AppendInt(buf, int64(len(v.S)), 10)
			buf = append(buf, ':')
			buf = append(buf, v.S...)
		} else {
			buf = strconv.AppendInt(buf, v.I, 10)
		}
		buf = append(buf, ';')
	}
	kv.s = string(buf)
	return kv, true
}

// entry references a transaction from a key's slice at one of its anchors.
type entry struct {
	anchor int64
	tx     *txn
}

func entryLess(a int64, aid int64, b int64, bid int64) bool {
	return a < b || (a == b && aid < bid)
}

// keyState is one key value of one object: its transactions sorted by (anchor, id).
type keyState struct {
	key     keyVal
	entries []entry
	capped  bool // entries were dropped by max_entries_per_key
	sweep   int  // index in objectState.list
}

// search returns the first index whose (anchor, id) is not before (a, id).
func (k *keyState) search(a, id int64) int {
	lo, hi := 0, len(k.entries)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		e := k.entries[m]
		if entryLess(e.anchor, e.tx.id, a, id) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// add inserts (a, x) unless present; reports whether it was added.
func (k *keyState) add(a int64, x *txn) bool {
	i := k.search(a, x.id)
	if i < len(k.entries) && k.entries[i].anchor == a && k.entries[i].tx == x {
		return false
	}
	k.entries = slices.Insert(k.entries, i, entry{anchor: a, tx: x})
	return true
}

// objectState holds the keys of one object.
type objectState struct {
	keys  map[keyVal]*keyState
	list  []*keyState // for the incremental expiry sweep
	sweep int
}

func (o *objectState) get(kv keyVal, create bool) *keyState {
	if ks, ok := o.keys[kv]; ok {
		return ks
	}
	if !create {
		return nil
	}
	ks := &keyState{key: kv, sweep: len(o.list)}
	o.keys[kv] = ks
	o.list = append(o.list, ks)
	return ks
}

func (o *objectState) remove(ks *keyState) {
	delete(o.keys, ks.key)
	last := o.list[len(o.list)-1]
	o.list[ks.sweep] = last
	last.sweep = ks.sweep
	o.list = o.list[:len(o.list)-1]
}
