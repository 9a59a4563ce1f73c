package main

import (
	"bufio"
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// The rebuild sorts the change log by Kafka position (the order the merge output must get
// it in) with an external merge sort: bronze files are read one at a time, events collect
// until the memory budget is reached, each full buffer is sorted and written to a spill run
// on disk, and the runs are merged while the events go to the output. Memory is the budget
// plus one buffered event per run, whatever the size of bronze. The output receives the
// same events in the same order and batches as when everything was sorted in memory, so
// the rebuilt table is the same.

// defaultMemoryBudget is the bytes of change events the rebuild holds before spilling.
const defaultMemoryBudget = 64 << 20

// eventOverhead approximates what an event costs beyond its strings: the struct, slice
// headers and allocator rounding.
const eventOverhead = 160

func (ev *changeEvent) size() int {
	return eventOverhead + len(ev.topic) + len(ev.pos) + len(ev.body) + len(ev.unknown) + len(ev.unknownTypes)
}

// seqEvent is an event with its place in the scan: ties in Kafka position (a row read
// twice) keep scan order, as the stable in-memory sort did.
type seqEvent struct {
	changeEvent
	seq int64
}

func kafkaLess(a, b *seqEvent) bool {
	if a.topic != b.topic {
		return a.topic < b.topic
	}
	if a.partition != b.partition {
		return a.partition < b.partition
	}
	if a.topic == "" {
		if a.pos != b.pos {
			return a.pos < b.pos
		}
	} else if a.offset != b.offset {
		return a.offset < b.offset
	}
	return a.seq < b.seq
}

// changeLog is a bronze change log sorted by Kafka position: spilled runs on disk and the
// last buffer in memory.
type changeLog struct {
	dir  string // spill directory; "" while nothing was spilled
	runs []string
	mem  []seqEvent
	n    int64
}

// spillChangeLog reads the bronze table at path into a changeLog, holding at most budget
// bytes of events (budget <= 0: no limit, nothing is spilled). Spill runs go to a new
// directory under spillParent; close removes it.
func spillChangeLog(ctx context.Context, path string, contract *schemas.Table, budget int64, spillParent string) (*changeLog, *delta.Snapshot, error) {
	t := delta.OpenLocal(path)
	if ok, err := t.Exists(ctx); err != nil {
		return nil, nil, fmt.Errorf("bronze %s: %w", path, err)
	} else if !ok {
		return nil, nil, fmt.Errorf("bronze %s: no Delta table there", path)
	}
	snap, err := t.Snapshot(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("bronze %s: %w", path, err)
	}
	st, err := snap.Schema()
	if err != nil {
		return nil, nil, err
	}
	conv, err := newRowConverter(st, contract)
	if err != nil {
		return nil, nil, fmt.Errorf("bronze %s: %w", path, err)
	}
	cl := &changeLog{}
	var held int64
	spill := func() error {
		if cl.dir == "" {
			if cl.dir, err = os.MkdirTemp(spillParent, ".rebuild-spill-"); err != nil {
				return fmt.Errorf("spill directory: %w", err)
			}
		}
		name := filepath.Join(cl.dir, "run-"+strconv.Itoa(len(cl.runs)))
		if err := writeRun(name, cl.mem); err != nil {
			return err
		}
		cl.runs = append(cl.runs, name)
		clear(cl.mem) // let the bodies go before the buffer refills
		cl.mem, held = cl.mem[:0], 0
		return nil
	}
	err = snap.Scan(ctx, func(_ *delta.Add, rows [][]any) error {
		for _, r := range rows {
			ev, err := conv.event(r)
			if err != nil {
				return fmt.Errorf("bronze %s: %w", path, err)
			}
			cl.mem = append(cl.mem, seqEvent{ev, cl.n})
			cl.n++
			held += int64(ev.size())
			if budget > 0 && held >= budget {
				if err := spill(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil && len(cl.runs) > 0 && len(cl.mem) > 0 {
		// Once anything was spilled, the last buffer goes to a run too: kept in memory it
		// would hold up to the budget for the whole merge, beside the merge output's own work.
		err = spill()
	}
	if err != nil {
		cl.close()
		return nil, nil, err
	}
	sortEvents(cl.mem)
	if len(cl.mem) == 0 {
		cl.mem = nil // the emptied buffer's array, too
	}
	return cl, snap, nil
}

func sortEvents(evs []seqEvent) {
	sort.Slice(evs, func(i, j int) bool { return kafkaLess(&evs[i], &evs[j]) })
}

// close removes the spill runs.
func (cl *changeLog) close() {
	if cl.dir != "" {
		os.RemoveAll(cl.dir)
	}
}

// writeRun sorts the events and writes them to a run file: per event, the fields as
// uvarint-prefixed strings, then partition, offset and seq as varints.
func writeRun(name string, evs []seqEvent) error {
	sortEvents(evs)
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("spill run: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var num [binary.MaxVarintLen64]byte
	str := func(s []byte) {
		w.Write(num[:binary.PutUvarint(num[:], uint64(len(s)))])
		w.Write(s)
	}
	for i := range evs {
		ev := &evs[i]
		str([]byte(ev.topic))
		str([]byte(ev.pos))
		str(ev.body)
		str([]byte(ev.unknown))
		str([]byte(ev.unknownTypes))
		w.Write(num[:binary.PutVarint(num[:], int64(ev.partition))])
		w.Write(num[:binary.PutVarint(num[:], ev.offset)])
		w.Write(num[:binary.PutVarint(num[:], ev.seq)])
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("spill run %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("spill run %s: %w", name, err)
	}
	return nil
}

// runReader reads a run file back event by event.
type runReader struct {
	name string
	f    *os.File
	r    *bufio.Reader
	cur  seqEvent
}

func (rr *runReader) next() (bool, error) {
	bytesField := func() ([]byte, error) {
		n, err := binary.ReadUvarint(rr.r)
		if err != nil {
			return nil, err
		}
		b := make([]byte, n)
		_, err = io.ReadFull(rr.r, b)
		return b, err
	}
	topic, err := bytesField()
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	var ev seqEvent
	ev.topic = string(topic)
	var pos, unknown, types []byte
	if err == nil {
		pos, err = bytesField()
	}
	if err == nil {
		ev.body, err = bytesField()
	}
	if err == nil {
		unknown, err = bytesField()
	}
	if err == nil {
		types, err = bytesField()
	}
	var part int64
	for _, p := range []*int64{&part, &ev.offset, &ev.seq} {
		if err == nil {
			*p, err = binary.ReadVarint(rr.r)
		}
	}
	if err != nil {
		return false, fmt.Errorf("spill run %s: %w", rr.name, err)
	}
	ev.partition, ev.pos, ev.unknown, ev.unknownTypes = int32(part), string(pos), string(unknown), string(types)
	rr.cur = ev
	return true, nil
}

// runHeap orders the runs' current events.
type runHeap []*runReader

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return kafkaLess(&h[i].cur, &h[j].cur) }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// each calls fn with every event in Kafka order, merging the runs and the buffer.
func (cl *changeLog) each(fn func(*changeEvent) error) error {
	var h runHeap
	defer func() {
		for _, rr := range h {
			rr.f.Close()
		}
	}()
	for _, name := range cl.runs {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("spill run: %w", err)
		}
		rr := &runReader{name: name, f: f, r: bufio.NewReaderSize(f, 64<<10)}
		ok, err := rr.next()
		if err != nil {
			f.Close()
			return err
		}
		if !ok {
			f.Close()
			continue
		}
		h = append(h, rr)
	}
	heap.Init(&h)
	mem := cl.mem
	for len(h) > 0 || len(mem) > 0 {
		if len(h) == 0 || (len(mem) > 0 && kafkaLess(&mem[0], &h[0].cur)) {
			if err := fn(&mem[0].changeEvent); err != nil {
				return err
			}
			mem = mem[1:]
			continue
		}
		rr := h[0]
		if err := fn(&rr.cur.changeEvent); err != nil {
			return err
		}
		ok, err := rr.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			rr.f.Close()
			heap.Pop(&h)
		}
	}
	return nil
}

// parseBytes reads a size such as 64MiB, 512KiB, 1GiB or a plain number of bytes.
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q: expected a size such as 64MiB, 512KiB, 1GiB or a number of bytes", s)
	}
	return n * mult, nil
}
