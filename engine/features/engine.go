package features

import (
	"container/heap"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/expr-lang/expr/vm"
)

// Mode says when a transaction is scored.
type Mode int

const (
	// EventTime scores a transaction once the watermark passes its event time, or with what
	// is known (provisional) after max_delay.
	EventTime Mode = iota
	// OnArrival scores at once; values are provisional unless the watermark had passed.
	OnArrival
)

// Options tune an Engine; zero values take the defaults.
type Options struct {
	Mode Mode
	// CorrectionHorizon: transactions scored at an event time this far behind the watermark
	// are final; a version that would change them is counted as too late. Default 24h.
	CorrectionHorizon time.Duration
	// MaxEntriesPerKey caps the transactions kept per key value (oldest dropped, values of
	// that key flagged capped). Default 1,000,000.
	MaxEntriesPerKey int
	// MaxDistinct caps the values a distinct feature counts in one evaluation. Default 100,000.
	MaxDistinct int
	// Watermark overrides the declaration's watermark settings when non-nil.
	Watermark *Watermark
	// ExpectedSources is the number of sources (Kafka partitions) the engine should hear
	// from. Until all have delivered or idle_timeout has passed since the first version, the
	// watermark does not advance: a partition that has not delivered yet would otherwise not
	// hold it back. 0: do not wait.
	ExpectedSources int
}

// Stats are the engine's counters (cumulative) and gauges.
type Stats struct {
	Registered, Duplicates, Scored, Provisional, Corrections, TooLate uint64
	CapsHit                                                           map[string]uint64
	WhereErrors                                                       uint64
	Pending                                                           int     // tickets waiting for the watermark
	Transactions, Keys                                                int     // held in state
	Watermark                                                         int64   // Unix µs; math.MinInt64 before any version
	MaxChange                                                         int64   // the newest change time seen, Unix µs
	LagSeconds                                                        float64 // MaxChange − Watermark
}

// Result is the feature values of one transaction version.
type Result struct {
	// Values are aligned with Decl.Fields. The fields of an object whose key is null in this
	// version (no device, no merchant) are nil.
	Values []any
	// Provisional: scored before the watermark passed the event time.
	Provisional bool
	// Capped: a cap (max_entries_per_key, max_distinct) cut what the values saw.
	Capped bool
	// Watermark at scoring time, Unix µs.
	Watermark int64
	// Missing has bit i set when the row's key of Decl.Keys[i] is null (see Decl.Present).
	Missing uint64
	// Seq orders the engine's emissions (results and corrections) within one run: for a
	// transaction, the emission with the highest Seq is the current value.
	Seq uint64
}

// Correction is a new value of a transaction scored before: a version it had not seen
// changed it. The last emission for a transaction (its first Result, or its latest
// Correction) is the value the complete history gives once the watermark passed it.
type Correction struct {
	// Trigger is the index, in the Submit call's versions, of the version that caused it.
	Trigger int
	TxID    int64
	Pos     Pos
	Anchor  int64   // event time of the corrected version, Unix µs
	Values  []Value // the stored slots of the corrected version (Decl.StoredColumns)
	Result
}

// Engine holds the event-time state of one declaration. It is safe for concurrent use; every
// method takes one lock (the state is a single consistent set).
type Engine struct {
	mu      sync.Mutex
	d       *Decl
	opt     Options
	wmk     Watermark
	objs    []objectState
	txns    map[int64]*txn
	sources map[string]*source
	wm      int64
	maxChg  int64
	pending ticketHeap
	fifo    []*Ticket
	accs    []acc
	vm      vm.VM
	env     map[string]any
	mark    uint64
	marks   map[*txn]uint64
	stats   Stats
	seq     uint64
	started time.Time
}

type source struct {
	max  int64
	last time.Time
}

// New returns an empty engine for d.
func New(d *Decl, opt Options) *Engine {
	if opt.CorrectionHorizon <= 0 {
		opt.CorrectionHorizon = 24 * time.Hour
	}
	if opt.MaxEntriesPerKey <= 0 {
		opt.MaxEntriesPerKey = 1_000_000
	}
	if opt.MaxDistinct <= 0 {
		opt.MaxDistinct = 100_000
	}
	e := &Engine{d: d, opt: opt, wmk: d.Watermark, txns: map[int64]*txn{}, sources: map[string]*source{},
		wm: math.MinInt64, maxChg: math.MinInt64, accs: make([]acc, len(d.Features)),
		env: map[string]any{}, marks: map[*txn]uint64{}}
	if opt.Watermark != nil {
		e.wmk = *opt.Watermark
	}
	e.objs = make([]objectState, len(d.Keys))
	for i := range e.objs {
		e.objs[i].keys = map[keyVal]*keyState{}
	}
	e.stats.CapsHit = map[string]uint64{}
	return e
}

// Decl returns the declaration the engine computes.
func (e *Engine) Decl() *Decl { return e.d }

// Ticket is a submitted transaction version waiting for its values.
type Ticket struct {
	tx         *txn
	pos        Pos
	t          int64
	registered time.Time
	done       chan struct{}
	resolved   bool
	res        Result
	idx        int
}

// Done is closed when the values are ready.
func (t *Ticket) Done() <-chan struct{} { return t.done }

// Result returns the values; valid once Done is closed.
func (t *Ticket) Result() Result { return t.res }

// Submit registers versions (advancing the watermarks; redeliveries are recognised and
// change nothing) and returns one ticket per version, in order, plus the corrections the
// new versions caused. now is the processing time. A ticket is resolved at once when the
// watermark is already past its event time (or in OnArrival mode); otherwise Tick resolves
// it when the watermark passes or max_delay expires.
func (e *Engine) Submit(now time.Time, vs []Version) ([]*Ticket, []Correction) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var corrs []Correction
	tickets := make([]*Ticket, len(vs))
	for i := range vs {
		x, c := e.register(&vs[i], now)
		for j := range c {
			c[j].Trigger = i
		}
		corrs = append(corrs, c...)
		t := &Ticket{tx: x, pos: vs[i].Pos, t: vs[i].Anchor, registered: now, done: make(chan struct{})}
		tickets[i] = t
	}
	e.advance(now)
	for _, t := range tickets {
		switch {
		case t.t < e.wm:
			e.resolve(t, false)
		case e.opt.Mode == OnArrival:
			e.resolve(t, true)
		default:
			heap.Push(&e.pending, t)
			e.fifo = append(e.fifo, t)
		}
	}
	e.release()
	return tickets, corrs
}

// Tick advances processing time: partitions idle for idle_timeout stop holding the
// watermark back, and tickets older than max_delay are resolved provisional.
func (e *Engine) Tick(now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.advance(now)
	e.release()
	for len(e.fifo) > 0 {
		t := e.fifo[0]
		if !t.resolved && now.Sub(t.registered) < e.wmk.MaxDelay {
			break
		}
		e.fifo = e.fifo[1:]
		if !t.resolved {
			heap.Remove(&e.pending, t.idx)
			e.resolve(t, true)
		}
	}
}

// Resolve scores t now with what is known (provisional unless the watermark passed): for
// a caller that cannot wait longer (shutdown).
func (e *Engine) Resolve(t *Ticket) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t.resolved {
		return
	}
	heap.Remove(&e.pending, t.idx)
	e.resolve(t, t.t >= e.wm)
}

// Stats returns a snapshot of the counters.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.stats
	s.CapsHit = make(map[string]uint64, len(e.stats.CapsHit))
	for k, v := range e.stats.CapsHit {
		s.CapsHit[k] = v
	}
	s.Pending = e.pending.Len()
	s.Transactions = len(e.txns)
	for i := range e.objs {
		s.Keys += len(e.objs[i].keys)
	}
	s.Watermark, s.MaxChange = e.wm, e.maxChg
	if e.wm != math.MinInt64 && e.maxChg != math.MinInt64 {
		s.LagSeconds = float64(e.maxChg-e.wm) / 1e6
	}
	return s
}

func (e *Engine) release() {
	for e.pending.Len() > 0 && e.pending[0].t < e.wm {
		t := heap.Pop(&e.pending).(*Ticket)
		e.resolve(t, false)
	}
}

// advance recomputes the watermark: the minimum over active sources of (max change time −
// max_out_of_orderness); when every source is idle, everything received is complete (the
// newest change time + 1µs). It never goes back.
func (e *Engine) advance(now time.Time) {
	if len(e.sources) == 0 {
		return
	}
	if len(e.sources) < e.opt.ExpectedSources && (e.wmk.IdleTimeout <= 0 || now.Sub(e.started) < e.wmk.IdleTimeout) {
		return
	}
	low, active := int64(math.MaxInt64), false
	ooo := e.wmk.MaxOutOfOrderness.Microseconds()
	for _, s := range e.sources {
		if e.wmk.IdleTimeout > 0 && now.Sub(s.last) >= e.wmk.IdleTimeout {
			continue
		}
		active = true
		low = min(low, s.max-ooo)
	}
	w := low
	if !active {
		w = e.maxChg + 1
	}
	if w > e.wm {
		e.wm = w
	}
}

func (e *Engine) resolve(t *Ticket, provisional bool) {
	t.resolved = true
	x := t.tx
	i, ok := x.find(t.pos)
	if !ok {
		panic(fmt.Sprintf("features: ticket for transaction %d lost its version", x.id))
	}
	t.res = e.compute(x, &x.versions[i])
	t.res.Provisional = provisional
	e.seq++
	t.res.Seq = e.seq
	if !x.scored || t.pos.Compare(x.scoredPos) >= 0 {
		x.scored, x.scoredPos, x.scoredT, x.provisional = true, t.pos, t.t, provisional
	}
	e.stats.Scored++
	if provisional {
		e.stats.Provisional++
	}
	close(t.done)
}

type ticketHeap []*Ticket

func (h ticketHeap) Len() int { return len(h) }
func (h ticketHeap) Less(i, j int) bool {
	return entryLess(h[i].t, h[i].tx.id, h[j].t, h[j].tx.id)
}
func (h ticketHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i]; h[i].idx = i; h[j].idx = j }
func (h *ticketHeap) Push(x any)   { t := x.(*Ticket); t.idx = len(*h); *h = append(*h, t) }
func (h *ticketHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

// register adds one version; it returns the transaction and the corrections it caused.
func (e *Engine) register(v *Version, now time.Time) (*txn, []Correction) {
	d := e.d
	if e.started.IsZero() {
		e.started = now
	}
	src := e.sources[v.Source]
	if src == nil {
		src = &source{max: math.MinInt64}
		e.sources[v.Source] = src
	}
	src.max = max(src.max, v.Change)
	src.last = now
	e.maxChg = max(e.maxChg, v.Change)
	x := e.txns[v.TxID]
	if x == nil {
		x = &txn{id: v.TxID, stable: true}
	}
	i, dup := x.find(v.Pos)
	if dup {
		e.stats.Duplicates++
		return x, nil
	}
	e.stats.Registered++
	nv := version{pos: v.Pos, change: v.Change, anchor: v.Anchor, deleted: v.Op == 'd'}
	for bi, w := range d.wheres {
		ok, err := w.eval(&e.vm, e.env, v.Values, d.colTypes())
		if err != nil {
			e.stats.WhereErrors++
		}
		if ok {
			nv.where |= 1 << bi
		}
	}
	nv.vals = v.Values[:d.nStored:d.nStored]
	if len(x.versions) > 0 {
		// Share the stored values with a neighbour when equal (a status update changes none).
		nb := &x.versions[max(i-1, 0)]
		if slices.EqualFunc(nb.vals, nv.vals, Value.equal) {
			nv.vals = nb.vals
		} else {
			nv.vals = slices.Clone(nv.vals)
		}
	} else {
		nv.vals = slices.Clone(nv.vals)
	}
	affected := e.affected(x, &nv)
	var before []Result
	for _, a := range affected {
		before = append(before, e.computeScored(a))
	}
	if len(x.versions) == 0 {
		e.txns[x.id] = x
	} else if x.stable {
		f := &x.versions[0]
		if f.anchor != nv.anchor || !e.sameKeys(f.vals, nv.vals) {
			x.stable = false
		}
	}
	x.versions = slices.Insert(x.versions, i, nv)
	for ki := range d.Keys {
		kv, ok := keyOf(&d.Keys[ki], d.cols, nv.vals)
		if !ok {
			continue
		}
		ks := e.objs[ki].get(kv, true)
		e.expire(ki, ks, false)
		if ks.add(nv.anchor, x) {
			x.refs++
			if len(ks.entries) > e.opt.MaxEntriesPerKey {
				// Drop the oldest sixteenth at once: one entry per insert would move the whole
				// slice every time.
				n := max(1, e.opt.MaxEntriesPerKey/16)
				for j := 0; j < n; j++ {
					e.release1(ks.entries[j].tx)
				}
				ks.entries = slices.Delete(ks.entries, 0, n)
				ks.capped = true
				e.stats.CapsHit["max_entries_per_key"]++
			}
		}
	}
	if x.refs == 0 {
		// No key at all: nothing can ever see it; only its own tickets need it.
		delete(e.txns, x.id)
	}
	e.sweep()
	var corrs []Correction
	for ai, a := range affected {
		after := e.computeScored(a)
		if resultsEqual(before[ai], after) {
			continue
		}
		j, _ := a.find(a.scoredPos)
		after.Provisional = a.scoredT >= e.wm
		e.seq++
		after.Seq = e.seq
		corrs = append(corrs, Correction{TxID: a.id, Pos: a.scoredPos, Anchor: a.scoredT, Values: a.versions[j].vals, Result: after})
		e.stats.Corrections++
	}
	return x, corrs
}

func (e *Engine) sameKeys(a, b []Value) bool {
	for ki := range e.d.Keys {
		for _, s := range e.d.Keys[ki].slots {
			if !a[s].equal(b[s]) {
				return false
			}
		}
	}
	return true
}

// affected returns the transactions scored before whose values the new version nv of x may
// change: of a key x has (or gets), with a scoring point after nv's change point, close
// enough to see x, and within the correction horizon.
func (e *Engine) affected(x *txn, nv *version) []*txn {
	d := e.d
	e.mark++
	var out []*txn
	horizon := int64(math.MinInt64) // no watermark yet: nothing is final
	if e.wm != math.MinInt64 {
		horizon = e.wm - e.opt.CorrectionHorizon.Microseconds()
	}
	maxA := nv.anchor
	if len(x.versions) > 0 {
		maxA = max(maxA, x.maxAnchor())
	}
	tooLate := false
	for ki := range d.Keys {
		reach := maxA + d.Keys[ki].maxWindow.Microseconds()
		seenKeys := make([]keyVal, 0, 2)
		consider := func(vals []Value) {
			kv, ok := keyOf(&d.Keys[ki], d.cols, vals)
			if !ok || slices.Contains(seenKeys, kv) {
				return
			}
			seenKeys = append(seenKeys, kv)
			ks := e.objs[ki].get(kv, false)
			if ks == nil {
				return
			}
			for j := ks.search(nv.change, math.MinInt64); j < len(ks.entries); j++ {
				en := ks.entries[j]
				if en.anchor > reach {
					break
				}
				a := en.tx
				if a == x || !a.scored || e.marks[a] == e.mark {
					continue
				}
				if !entryLess(nv.change, x.id, a.scoredT, a.id) || a.scoredT > reach {
					continue
				}
				e.marks[a] = e.mark
				if a.scoredT < horizon {
					tooLate = true
					continue
				}
				out = append(out, a)
			}
		}
		consider(nv.vals)
		for vi := range x.versions {
			consider(x.versions[vi].vals)
		}
	}
	if tooLate {
		e.stats.TooLate++
	}
	if len(e.marks) > 4096 {
		clear(e.marks)
	}
	return out
}

func (e *Engine) computeScored(a *txn) Result {
	j, _ := a.find(a.scoredPos)
	return e.compute(a, &a.versions[j])
}

// expire drops the entries of ks that no scoring point can reach any more.
func (e *Engine) expire(ki int, ks *keyState, removeEmpty bool) {
	if e.wm == math.MinInt64 {
		return
	}
	cut := e.wm - e.opt.CorrectionHorizon.Microseconds() - e.d.Keys[ki].maxWindow.Microseconds()
	n := 0
	for n < len(ks.entries) && ks.entries[n].anchor < cut {
		n++
	}
	for i := 0; i < n; i++ {
		e.release1(ks.entries[i].tx)
	}
	if n > 0 {
		ks.entries = slices.Delete(ks.entries, 0, n)
	}
	if removeEmpty && len(ks.entries) == 0 {
		e.objs[ki].remove(ks)
	}
}

func (e *Engine) release1(x *txn) {
	x.refs--
	if x.refs <= 0 {
		delete(e.txns, x.id)
	}
}

// sweep expires two keys of every object per registration, round robin, so idle keys are
// freed without a full scan.
func (e *Engine) sweep() {
	for ki := range e.objs {
		o := &e.objs[ki]
		for n := 0; n < 2 && len(o.list) > 0; n++ {
			o.sweep++
			if o.sweep >= len(o.list) {
				o.sweep = 0
			}
			e.expire(ki, o.list[o.sweep], true)
		}
	}
}

func resultsEqual(a, b Result) bool {
	if len(a.Values) != len(b.Values) || a.Capped != b.Capped {
		return false
	}
	for i := range a.Values {
		if !valueEqual(a.Values[i], b.Values[i]) {
			return false
		}
	}
	return true
}

func valueEqual(a, b any) bool {
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !valueEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	}
	return a == b
}
