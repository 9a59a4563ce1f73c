package delta

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/ledgerflow/ledgerflow/delta"
)

// fileID names a live data file in a keyIndex; ids of removed files are reused.
type fileID int32

// keyState is what the index knows of one key without reading its file: where its rows are
// and the order of its newest stored change.
type keyState struct {
	files []fileID // the files holding the key's rows: one for SCD1, the versions' files for SCD2
	order string   // orderOf the newest stored version
	cur   fileID   // the file holding the newest version
}

// keyIndex maps every key of the table to the files that hold it. It is built at start by
// reading the key and sequence columns only, kept current from the merger's own commits, and
// rebuilt when another writer committed, so that a merge finds the files to rewrite without
// scanning the table.
type keyIndex struct {
	keys    map[string]keyState
	files   []*delta.Add // by fileID; nil when free
	byPath  map[string]fileID
	free    []fileID
	version int64 // the table version the index describes
}

func newKeyIndex() *keyIndex {
	return &keyIndex{keys: map[string]keyState{}, byPath: map[string]fileID{}, version: -1}
}

func (ix *keyIndex) addFile(a *delta.Add) fileID {
	var id fileID
	if n := len(ix.free); n > 0 {
		id, ix.free = ix.free[n-1], ix.free[:n-1]
		ix.files[id] = a
	} else {
		id = fileID(len(ix.files))
		ix.files = append(ix.files, a)
	}
	ix.byPath[a.Path] = id
	return id
}

func (ix *keyIndex) dropFile(id fileID) {
	delete(ix.byPath, ix.files[id].Path)
	ix.files[id] = nil
	ix.free = append(ix.free, id)
}

// note records that the key has a row of the given order in file id.
func (ix *keyIndex) note(key string, id fileID, order string) {
	ks := ix.keys[key]
	if n := len(ks.files); n == 0 || ks.files[n-1] != id {
		has := false
		for _, f := range ks.files {
			has = has || f == id
		}
		if !has {
			ks.files = append(ks.files, id)
		}
	}
	switch {
	case order == "":
		ks.cur = id // a row moved unchanged to another file (SCD1: the key's only row)
	case order >= ks.order:
		ks.order, ks.cur = order, id
	}
	ix.keys[key] = ks
}

// build reads the key, sequence and _op columns of every file of snap.
func (m *merger) buildIndex(ctx context.Context, snap *delta.Snapshot) error {
	ix := newKeyIndex()
	cols := append(append([]string(nil), m.opts.key...), m.opts.sequenceBy, colOp)
	nk := len(m.opts.key)
	keyIdx := make([]int, nk)
	for i := range keyIdx {
		keyIdx[i] = i
	}
	files := snap.Files()
	read := make([][][]any, len(files))
	errs := make([]error, len(files))
	parallel(len(files), func(n int) { read[n], errs[n] = snap.ReadFileColumns(ctx, files[n], cols) })
	for n, a := range files {
		if errs[n] != nil {
			return fileErr(m.tablePath, a.Path, fmt.Errorf("indexing keys: %w", errs[n]))
		}
		id := ix.addFile(a)
		for _, r := range read[n] {
			key, err := encodeKey(r, keyIdx)
			if err != nil {
				return fileErr(m.tablePath, a.Path, fmt.Errorf("indexing keys: %w", err))
			}
			op, _ := r[nk+1].(string)
			order, err := orderOf(r[nk], op)
			if err != nil {
				return fileErr(m.tablePath, a.Path, fmt.Errorf("indexing keys: %s: %w", m.opts.sequenceBy, err))
			}
			ix.note(key, id, order)
		}
		read[n] = nil
	}
	ix.version = snap.Version()
	m.index = ix
	return nil
}

// parallel runs fn(0..n-1) on as many goroutines as there are CPUs and waits for all.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(i)
		}()
	}
	wg.Wait()
}
