package enrich

import (
	"sync"
)

// applyChunk bounds the rows applied under one hold of the write lock, so that a lookup
// waits for at most one chunk, not for a whole commit.
const applyChunk = 512

// fileEntry is a live data file the index has read: the keys of the current rows it
// supplied (the file's rows with a null __end_at).
type fileEntry[K comparable] struct {
	id   int32
	keys []K
}

// index holds the selected columns of a table's current rows. Lookups read it under mu's
// read lock; only the follower goroutine changes it, under the write lock. Fields marked
// writer-only are never read by lookups and need no lock.
type index[K comparable] struct {
	mu    sync.RWMutex
	keys  keyMap[K] // key -> slot
	cols  []column
	rows  *rowStore // the fixed-width columns' records
	names []string
	dicts []*fixedCol // the string columns, for compaction

	// writer-only
	slotFile []int32 // slot -> id of the file that supplied the slot's row (0: free)
	colN     int     // slots the columns have room for
	free     []int32
	files    map[string]*fileEntry[K] // decoded path -> entry
	nextFile int32
	version  int64
}

func newIndex[K comparable](names []string, cols []column, rows *rowStore) *index[K] {
	if rows == nil {
		rows = &rowStore{}
	}
	ix := &index[K]{keys: newKeyMap[K](), cols: cols, rows: rows, names: names, files: map[string]*fileEntry[K]{}, version: -1}
	for _, c := range cols {
		if d, ok := c.(*fixedCol); ok && d.dict != nil {
			ix.dicts = append(ix.dicts, d)
		}
	}
	return ix
}

// reserve makes room for n more rows before a bulk load, so the columns do not grow by
// doubling (which would leave up to half of their capacity unused).
func (ix *index[K]) reserve(n int) {
	want := len(ix.slotFile) + n
	if cap(ix.slotFile) >= want {
		return
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	s := make([]int32, len(ix.slotFile), want)
	copy(s, ix.slotFile)
	ix.slotFile = s
	ix.rows.grow(want)
	for _, c := range ix.cols {
		c.grow(want)
	}
	ix.colN = want
	ix.keys.reserve(n)
}

// get copies the columns of key's row into dst (name -> value) and reports whether the key
// is present.
func (ix *index[K]) get(key K, dst map[string]any) bool {
	ix.mu.RLock()
	s, ok := ix.keys.get(key)
	if ok && dst != nil {
		for i, c := range ix.cols {
			dst[ix.names[i]] = c.get(s)
		}
	}
	ix.mu.RUnlock()
	return ok
}

func (ix *index[K]) has(key K) bool {
	ix.mu.RLock()
	_, ok := ix.keys.get(key)
	ix.mu.RUnlock()
	return ok
}

func (ix *index[K]) len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.keys.len()
}

// bytes estimates the memory the index holds: the key map, the row records, dictionaries,
// slot bookkeeping and the per-file key lists (string keys' characters not counted).
func (ix *index[K]) bytes() int64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var k K
	ksize := int64(8)
	if _, ok := any(k).(string); ok {
		ksize = 16
	}
	n := ix.keys.bytes() + int64(cap(ix.slotFile))*4 + int64(cap(ix.free))*4 + ix.rows.bytes()
	for _, c := range ix.cols {
		n += c.bytes()
	}
	for _, f := range ix.files {
		n += int64(cap(f.keys))*ksize + 64
	}
	return n
}

// alloc returns a free slot, growing the columns when none is left. Caller holds the write
// lock.
func (ix *index[K]) alloc() int32 {
	if n := len(ix.free); n > 0 {
		s := ix.free[n-1]
		ix.free = ix.free[:n-1]
		return s
	}
	s := int32(len(ix.slotFile))
	ix.slotFile = append(ix.slotFile, 0)
	if len(ix.slotFile) > ix.colN {
		n := cap(ix.slotFile)
		ix.rows.grow(n)
		for _, c := range ix.cols {
			c.grow(n)
		}
		ix.colN = n
	}
	return s
}

// decoded is the current rows of one added file, checked against the columns.
type decoded[K comparable] struct {
	path    string
	skipped bool // not read: its statistics show no current row
	keys    []K
	rows    [][]any // selected column values, in index column order
}

// apply adds the rows of the added files and then drops the rows of the removed files whose
// keys no added file re-supplied. A key present in an added file is updated in place (its
// slot keeps its place, the lookup sees the old row or the new one, never a mix).
func (ix *index[K]) apply(added []decoded[K], removed []string, version int64) {
	for _, d := range added {
		ix.nextFile++
		id := ix.nextFile
		for start := 0; start < len(d.keys); start += applyChunk {
			end := min(start+applyChunk, len(d.keys))
			ix.mu.Lock()
			for r := start; r < end; r++ {
				k := d.keys[r]
				s, ok := ix.keys.get(k)
				if !ok {
					s = ix.alloc()
					ix.keys.put(k, s)
				}
				for c, col := range ix.cols {
					col.set(s, d.rows[r][c])
				}
				ix.slotFile[s] = id
			}
			ix.mu.Unlock()
		}
		ix.files[d.path] = &fileEntry[K]{id: id, keys: d.keys}
	}
	for _, p := range removed {
		f := ix.files[p]
		if f == nil {
			continue
		}
		delete(ix.files, p)
		for start := 0; start < len(f.keys); start += applyChunk {
			end := min(start+applyChunk, len(f.keys))
			ix.mu.Lock()
			for _, k := range f.keys[start:end] {
				s, ok := ix.keys.get(k)
				if !ok || ix.slotFile[s] != f.id {
					continue // a newer file supplies the key now
				}
				ix.keys.del(k)
				for _, col := range ix.cols {
					col.clear(s)
				}
				ix.slotFile[s] = 0
				ix.free = append(ix.free, s)
			}
			ix.mu.Unlock()
		}
	}
	ix.version = version
	ix.maybeCompact()
}

// maybeCompact rebuilds string dictionaries that hold many values no row uses any more.
func (ix *index[K]) maybeCompact() {
	live := len(ix.slotFile) - len(ix.free)
	for _, d := range ix.dicts {
		if !d.needsCompaction(live) {
			continue
		}
		ix.mu.Lock()
		d.compact(func(s int32) bool { return int(s) < len(ix.slotFile) && ix.slotFile[s] != 0 })
		ix.mu.Unlock()
	}
}
