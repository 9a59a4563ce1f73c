package enrich

import (
	"hash/maphash"
)

// keyMap maps a key to its row slot.
type keyMap[K comparable] interface {
	get(k K) (int32, bool)
	put(k K, slot int32)
	del(k K)
	len() int
	reserve(n int)
	bytes() int64
}

func newKeyMap[K comparable]() keyMap[K] {
	var zero K
	if _, ok := any(zero).(int64); ok {
		return any(newIntMap()).(keyMap[K])
	}
	return &goMap[K]{m: map[K]int32{}}
}

// goMap is a Go map (string keys).
type goMap[K comparable] struct{ m map[K]int32 }

func (g *goMap[K]) get(k K) (int32, bool) { s, ok := g.m[k]; return s, ok }
func (g *goMap[K]) put(k K, s int32)      { g.m[k] = s }
func (g *goMap[K]) del(k K)               { delete(g.m, k) }
func (g *goMap[K]) len() int              { return len(g.m) }
func (g *goMap[K]) reserve(n int) {
	if len(g.m) == 0 {
		g.m = make(map[K]int32, n)
	}
}

// bytes: a Go map costs about 2.5 times its key and value sizes at average load.
func (g *goMap[K]) bytes() int64 { return int64(len(g.m)) * (16 + 4) * 5 / 2 }

// intMap is an open-addressing hash table for integer keys: key and slot side by side in one
// 16-byte entry, linear probing, at most 3/4 full. A lookup of a key present costs one cache
// miss (the entry) where a Go map costs two or three (control word, slot, table header); on
// a million keys that is the larger part of a lookup. Deletion shifts later entries back, so
// there are no tombstones and probe sequences stay short under churn. The hash is seeded per
// table (maphash), so key patterns cannot line up with the table.
type intMap struct {
	ents []ient
	mask uint64
	n    int
	seed uint64
}

type ient struct {
	k int64
	v int32 // slot + 1; 0 marks an empty entry
}

func newIntMap() *intMap {
	m := &intMap{seed: maphash.Comparable(maphash.MakeSeed(), int64(0)) | 1}
	m.resize(16)
	return m
}

func (m *intMap) home(k int64) uint64 {
	x := (uint64(k) ^ m.seed) * 0x9E3779B97F4A7C15
	return (x ^ x>>29) & m.mask
}

func (m *intMap) get(k int64) (int32, bool) {
	for i := m.home(k); ; i = (i + 1) & m.mask {
		e := &m.ents[i]
		if e.v == 0 {
			return 0, false
		}
		if e.k == k {
			return e.v - 1, true
		}
	}
}

func (m *intMap) put(k int64, s int32) {
	if (m.n+1)*4 > len(m.ents)*3 {
		m.resize(len(m.ents) * 2)
	}
	for i := m.home(k); ; i = (i + 1) & m.mask {
		e := &m.ents[i]
		if e.v == 0 {
			*e = ient{k, s + 1}
			m.n++
			return
		}
		if e.k == k {
			e.v = s + 1
			return
		}
	}
}

func (m *intMap) del(k int64) {
	i := m.home(k)
	for {
		e := &m.ents[i]
		if e.v == 0 {
			return
		}
		if e.k == k {
			break
		}
		i = (i + 1) & m.mask
	}
	// Backward shift: move each later entry of the run into the hole when the hole lies on
	// its probe path (between its home and where it sits, cyclically).
	j := i
	for {
		j = (j + 1) & m.mask
		e := m.ents[j]
		if e.v == 0 {
			break
		}
		h := m.home(e.k)
		if (j-h)&m.mask >= (j-i)&m.mask {
			m.ents[i] = e
			i = j
		}
	}
	m.ents[i] = ient{}
	m.n--
}

func (m *intMap) len() int { return m.n }

func (m *intMap) reserve(n int) {
	want := 16
	for want*3 < (m.n+n)*4 {
		want *= 2
	}
	if want > len(m.ents) {
		m.resize(want)
	}
}

func (m *intMap) resize(size int) {
	old := m.ents
	m.ents = make([]ient, size)
	m.mask = uint64(size - 1)
	m.n = 0
	for _, e := range old {
		if e.v != 0 {
			m.put(e.k, e.v-1)
		}
	}
}

func (m *intMap) bytes() int64 { return int64(len(m.ents)) * 16 }
