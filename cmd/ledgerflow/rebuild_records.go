package main

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// recordSorter is the change log's external merge sort for plain byte records, ordered as
// bytes: records collect until the budget, each full buffer is sorted and written to a run
// file, and reading merges the runs with a heap. The diff sorts both tables' rows with it,
// so that it holds the budget plus one record per run, however large the tables are.
type recordSorter struct {
	budget int64  // bytes of records held before spilling; <= 0: no limit
	parent string // where the spill directory is made
	dir    string // "" while nothing was spilled
	runs   []string
	mem    [][]byte
	held   int64
}

// recordOverhead approximates what a held record costs beyond its bytes: the slice header
// and allocator rounding.
const recordOverhead = 40

// add keeps rec (the sorter owns it from now on).
func (s *recordSorter) add(rec []byte) error {
	s.mem = append(s.mem, rec)
	s.held += int64(len(rec) + recordOverhead)
	if s.budget > 0 && s.held >= s.budget {
		return s.spill()
	}
	return nil
}

// finish ends the input: when anything was spilled, the last buffer is spilled as well, so
// that reading holds one record per run and not a whole buffer.
func (s *recordSorter) finish() error {
	if len(s.runs) > 0 && len(s.mem) > 0 {
		return s.spill()
	}
	slices.SortFunc(s.mem, bytes.Compare)
	return nil
}

func (s *recordSorter) spill() error {
	if s.dir == "" {
		dir, err := os.MkdirTemp(s.parent, ".rebuild-diff-")
		if err != nil {
			return fmt.Errorf("spill directory: %w", err)
		}
		s.dir = dir
	}
	slices.SortFunc(s.mem, bytes.Compare)
	name := filepath.Join(s.dir, "run-"+strconv.Itoa(len(s.runs)))
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("spill run: %w", err)
	}
	w := bufio.NewWriterSize(f, 256<<10)
	var num [binary.MaxVarintLen64]byte
	for _, r := range s.mem {
		w.Write(num[:binary.PutUvarint(num[:], uint64(len(r)))])
		w.Write(r)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("spill run %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("spill run %s: %w", name, err)
	}
	s.runs = append(s.runs, name)
	clear(s.mem)
	s.mem, s.held = nil, 0
	return nil
}

// close removes the spill runs.
func (s *recordSorter) close() {
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// recordRun reads a run back record by record.
type recordRun struct {
	name string
	f    *os.File
	r    *bufio.Reader
	cur  []byte
}

func (rr *recordRun) next() (bool, error) {
	n, err := binary.ReadUvarint(rr.r)
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err == nil {
		rr.cur = make([]byte, n)
		_, err = io.ReadFull(rr.r, rr.cur)
	}
	if err != nil {
		return false, fmt.Errorf("spill run %s: %w", rr.name, err)
	}
	return true, nil
}

type recordHeap []*recordRun

func (h recordHeap) Len() int           { return len(h) }
func (h recordHeap) Less(i, j int) bool { return bytes.Compare(h[i].cur, h[j].cur) < 0 }
func (h recordHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *recordHeap) Push(x any)        { *h = append(*h, x.(*recordRun)) }
func (h *recordHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// recordIter yields a finished sorter's records in order, merging its runs and its buffer.
type recordIter struct {
	h   recordHeap
	mem [][]byte
}

func (s *recordSorter) iter() (*recordIter, error) {
	it := &recordIter{mem: s.mem}
	for _, name := range s.runs {
		f, err := os.Open(name)
		if err != nil {
			it.close()
			return nil, fmt.Errorf("spill run: %w", err)
		}
		rr := &recordRun{name: name, f: f, r: bufio.NewReaderSize(f, 32<<10)}
		ok, err := rr.next()
		if err != nil || !ok {
			f.Close()
			if err != nil {
				it.close()
				return nil, err
			}
			continue
		}
		it.h = append(it.h, rr)
	}
	heap.Init(&it.h)
	return it, nil
}

// next returns the next record; ok is false at the end.
func (it *recordIter) next() (rec []byte, ok bool, err error) {
	if len(it.h) == 0 || (len(it.mem) > 0 && bytes.Compare(it.mem[0], it.h[0].cur) < 0) {
		if len(it.mem) == 0 {
			return nil, false, nil
		}
		r := it.mem[0]
		it.mem[0] = nil
		it.mem = it.mem[1:]
		return r, true, nil
	}
	rr := it.h[0]
	r := rr.cur
	more, err := rr.next()
	if err != nil {
		return nil, false, err
	}
	if more {
		heap.Fix(&it.h, 0)
	} else {
		rr.f.Close()
		heap.Pop(&it.h)
	}
	return r, true, nil
}

func (it *recordIter) close() {
	for _, rr := range it.h {
		rr.f.Close()
	}
	it.h = nil
}
