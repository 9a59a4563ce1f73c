package features

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// emission is one value the engine gave out for a transaction version.
type emission struct {
	run    int
	seq    uint64
	txID   int64
	pos    Pos
	values []any
	prov   bool
}

type runner struct {
	t     testing.TB
	d     *Decl
	e     *Engine
	now   time.Time
	run   int
	emits []emission
	all   []Version // every version submitted (for the reference)

	pendingTickets []pendingTicket
	batches        []*batchTickets
	nextIndex      int
}

func (rn *runner) submit(batch []change) {
	vs := make([]Version, len(batch))
	for i, c := range batch {
		vs[i] = toVersion(rn.t, rn.d, c)
	}
	rn.all = append(rn.all, vs...)
	tickets, corrs := rn.e.Submit(rn.now, vs)
	bt := &batchTickets{versions: vs, index: rn.nextIndex}
	rn.nextIndex++
	for _, c := range corrs {
		em := emission{run: rn.run, seq: c.Seq, txID: c.TxID, pos: c.Pos, values: c.Result.Values, prov: c.Provisional}
		bt.emits = append(bt.emits, em)
		rn.emits = append(rn.emits, em)
	}
	for i, tk := range tickets {
		rn.pendingTickets = append(rn.pendingTickets, pendingTicket{tk, vs[i], bt})
	}
	bt.waiting = len(tickets)
	rn.batches = append(rn.batches, bt)
	rn.collect()
}

// batchTickets is one submitted batch: it is written downstream (its rows and the
// corrections it caused) once every ticket is resolved, as ProcessBatch returns then.
type batchTickets struct {
	versions []Version
	emits    []emission
	waiting  int
	written  bool
	index    int
}

type pendingTicket struct {
	tk *Ticket
	v  Version
	b  *batchTickets
}

func (rn *runner) collect() {
	keep := rn.pendingTickets[:0]
	for _, p := range rn.pendingTickets {
		select {
		case <-p.tk.Done():
			res := p.tk.Result()
			em := emission{run: rn.run, seq: res.Seq, txID: p.v.TxID, pos: p.v.Pos, values: res.Values, prov: res.Provisional}
			rn.emits = append(rn.emits, em)
			p.b.emits = append(p.b.emits, em)
			p.b.waiting--
		default:
			keep = append(keep, p)
		}
	}
	rn.pendingTickets = keep
	for _, b := range rn.batches {
		if b.waiting == 0 && !b.written {
			b.written = true
		}
	}
}

// final returns, per transaction, the last emission for its latest scored version.
func final(emits []emission) map[int64]emission {
	out := map[int64]emission{}
	for _, em := range emits {
		cur, ok := out[em.txID]
		if !ok || em.pos.Compare(cur.pos) > 0 || (em.pos.Compare(cur.pos) == 0 && (em.run > cur.run || (em.run == cur.run && em.seq > cur.seq))) {
			out[em.txID] = em
		}
	}
	return out
}

func checkAgainstReference(t *testing.T, d *Decl, history []Version, got map[int64]emission, label string) {
	t.Helper()
	ref := NewReference(d, history)
	for id, em := range got {
		want, ok := ref.Values(id, em.pos)
		require.True(t, ok)
		for fi, f := range d.Fields {
			if !valueEqual(want[fi], em.values[fi]) {
				t.Fatalf("%s: transaction %d (pos %+v, run %d seq %d provisional %v): %s.%s = %#v, the reference gives %#v",
					label, id, em.pos, em.run, em.seq, em.prov, f.Object, f.Name, em.values[fi], want[fi])
			}
		}
	}
}

// Every interleaving of the partitions, with redeliveries, gives every version the
// reference's values, final and without corrections, when the watermark is right (change
// times are ordered within a partition, as a binlog is).
func TestPropertyEventTimeExact(t *testing.T) {
	d := loadDesign(t)
	for seed := uint64(1); seed <= seeds(); seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		parts := 1 + r.IntN(4)
		hist := genHistory(r, histOpts{txns: 40 + r.IntN(120), partitions: parts, span: time.Duration(10+r.IntN(50)) * time.Minute})
		wm := Watermark{MaxOutOfOrderness: 0, IdleTimeout: time.Minute, MaxDelay: time.Hour}
		rn := &runner{t: t, d: d, e: New(d, Options{Watermark: &wm, ExpectedSources: parts}), now: t0}
		for _, b := range arrivals(r, hist, parts, true) {
			rn.submit(b)
		}
		rn.now = rn.now.Add(2 * time.Minute) // every partition idle: the watermark passes everything
		rn.e.Tick(rn.now)
		rn.collect()
		require.Empty(t, rn.pendingTickets)
		st := rn.e.Stats()
		require.Zero(t, st.Corrections, "seed %d", seed)
		require.Zero(t, st.Provisional, "seed %d", seed)
		require.NotZero(t, st.Duplicates+1)
		// Every emission, not only the last, is the reference's value.
		ref := NewReference(d, rn.all)
		for _, em := range rn.emits {
			want, _ := ref.Values(em.txID, em.pos)
			for fi, f := range d.Fields {
				require.True(t, valueEqual(want[fi], em.values[fi]), "seed %d tx %d %s.%s: got %#v want %#v", seed, em.txID, f.Object, f.Name, em.values[fi], want[fi])
			}
		}
	}
}

// With late data (snapshot reads out of order, small idle timeouts and max_delay, partitions
// far apart), values may be provisional, but the last emission per transaction always
// equals the reference after the corrections.
func TestPropertyCorrectionsConverge(t *testing.T) {
	d := loadDesign(t)
	for seed := uint64(1); seed <= seeds(); seed++ {
		r := rand.New(rand.NewPCG(seed, 11))
		parts := 1 + r.IntN(4)
		hist := genHistory(r, histOpts{txns: 40 + r.IntN(120), partitions: parts, snapshots: true, span: time.Duration(10+r.IntN(50)) * time.Minute})
		wm := Watermark{MaxOutOfOrderness: time.Duration(r.IntN(3)) * time.Second, IdleTimeout: 2 * time.Second, MaxDelay: 5 * time.Second}
		mode := EventTime
		if seed%4 == 0 {
			mode = OnArrival
		}
		rn := &runner{t: t, d: d, e: New(d, Options{Watermark: &wm, Mode: mode}), now: t0}
		for _, b := range arrivals(r, hist, parts, true) {
			rn.now = rn.now.Add(time.Duration(r.IntN(3000)) * time.Millisecond)
			rn.e.Tick(rn.now)
			rn.submit(b)
		}
		rn.now = rn.now.Add(time.Hour)
		rn.e.Tick(rn.now)
		rn.collect()
		require.Empty(t, rn.pendingTickets)
		checkAgainstReference(t, d, rn.all, final(rn.emits), fmt.Sprintf("seed %d mode %d", seed, mode))
	}
}

// A restart at a random point (the state rebuilt from the records committed so far, the
// way Restore does from bronze; Kafka redelivering from a committed offset at or before
// the cut) gives the same final values as the uninterrupted run.
func TestPropertyRestartIdentical(t *testing.T) {
	d := loadDesign(t)
	for seed := uint64(1); seed <= seeds(); seed++ {
		r := rand.New(rand.NewPCG(seed, 13))
		parts := 1 + r.IntN(4)
		hist := genHistory(r, histOpts{txns: 40 + r.IntN(100), partitions: parts, snapshots: seed%2 == 0, span: 30 * time.Minute})
		wm := Watermark{MaxOutOfOrderness: time.Second, IdleTimeout: 2 * time.Second, MaxDelay: 5 * time.Second}
		batches := arrivals(r, hist, parts, true)
		times := make([]time.Duration, len(batches))
		for i := range times {
			times[i] = time.Duration(r.IntN(3000)) * time.Millisecond
		}
		play := func(rn *runner, from, to int) {
			for i := from; i < to; i++ {
				rn.now = rn.now.Add(times[i])
				rn.e.Tick(rn.now)
				rn.submit(batches[i])
			}
		}
		// Uninterrupted.
		full := &runner{t: t, d: d, e: New(d, Options{Watermark: &wm}), now: t0}
		play(full, 0, len(batches))
		full.now = full.now.Add(time.Hour)
		full.e.Tick(full.now)
		full.collect()
		// Killed after batch k was submitted: the batches written downstream are those whose
		// tickets were all resolved (ProcessBatch had returned); their rows and the corrections
		// they caused are committed, nothing else is.
		k := r.IntN(len(batches) + 1)
		first := &runner{t: t, d: d, e: New(d, Options{Watermark: &wm}), now: t0}
		play(first, 0, k)
		first.collect()
		var committed []Version
		var kept []emission
		var redo []int
		for _, b := range first.batches {
			if b.written {
				committed = append(committed, b.versions...)
				kept = append(kept, b.emits...)
			} else {
				redo = append(redo, b.index)
			}
		}
		second := &runner{t: t, d: d, e: New(d, Options{Watermark: &wm}), now: first.now.Add(3 * time.Second), run: 1, emits: kept}
		second.e.Restore(second.now, committed)
		second.all = append(second.all, committed...)
		// Kafka redelivers what was not committed, and (its committed offset may lag the
		// downstream commit) a few batches that were.
		for i := max(0, k-r.IntN(3)); i < k; i++ {
			if !first.batches[i].written {
				continue
			}
			redo = append(redo, i)
		}
		for _, i := range redo {
			second.now = second.now.Add(times[i])
			second.e.Tick(second.now)
			second.submit(batches[i])
		}
		play(second, k, len(batches))
		second.now = second.now.Add(time.Hour)
		second.e.Tick(second.now)
		second.collect()
		got := final(second.emits)
		want := final(full.emits)
		require.Equal(t, len(want), len(got), "seed %d", seed)
		for id, w := range want {
			g := got[id]
			require.Equal(t, w.pos, g.pos, "seed %d tx %d", seed, id)
			for fi, f := range d.Fields {
				require.True(t, valueEqual(w.values[fi], g.values[fi]), "seed %d k %d/%d tx %d %s.%s: restarted %#v, uninterrupted %#v", seed, k, len(batches), id, f.Object, f.Name, g.values[fi], w.values[fi])
			}
		}
		checkAgainstReference(t, d, full.all, got, fmt.Sprintf("seed %d restart", seed))
	}
}

// seeds is how many random histories each property test runs (fewer with -short).
func seeds() uint64 {
	if testing.Short() {
		return 8
	}
	return 40
}
