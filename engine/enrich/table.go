package enrich

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// colEndAt is the SCD type 2 validity column the delta_lake output writes: null while the
// row is the key's current version.
const colEndAt = "__end_at"

// maxMissed bounds the keys remembered as recently missed per lookup.
const maxMissed = 1 << 16

// TableStats describes one lookup's table as of its follower's last poll.
type TableStats struct {
	Name, Table string
	// Exists is false while the table has no Delta log yet.
	Exists bool
	// Version is the table version the index holds (-1 before the table exists).
	Version int64
	// Rows is the number of keys in the index; Bytes estimates the memory it holds.
	Rows  int
	Bytes int64
	// LagVersions is how many versions the last poll found the index behind the log.
	LagVersions int64
	// LastPoll is when the last poll attempt ended; LastError its error (nil on success).
	LastPoll  time.Time
	LastError error
	// PollErrors, FilesRead and FullLoads count failed polls, data files read and full
	// (re)loads of the table since start.
	PollErrors, FilesRead, FullLoads int64
	// Waiting is the number of rows waiting for a key of this table right now; Waits counts
	// the rows that waited since start.
	Waiting, Waits int64
}

// table is one lookup: an index of the table's current rows and the follower that keeps it
// current. K is int64 for integer key columns and string for string ones.
type table[K int64 | string] struct {
	conf Config
	opts *Options
	dt   *delta.Table
	key  *keyExpr
	conv func(any) (K, error) // row key value -> K

	ix      atomic.Pointer[index[K]]
	fieldsV atomic.Pointer[[]Field]

	// follower-only
	snap      *delta.Snapshot
	plan      *plan
	lastGap   time.Time
	lastErr   string
	lastErrAt time.Time

	pollNow chan struct{}
	chMu    sync.Mutex
	ch      chan struct{}

	missMu sync.Mutex
	missed map[K]time.Time

	statMu  sync.Mutex
	stat    TableStats
	waiting atomic.Int64
	waits   atomic.Int64
}

// open builds the lookup from the table's current snapshot. A table that does not exist yet
// is not an error: the lookup starts empty and the follower loads the table once it appears.
func open[K int64 | string](ctx context.Context, conf Config, opts *Options, dt *delta.Table, key *keyExpr, conv func(any) (K, error)) (*table[K], error) {
	t := &table[K]{conf: conf, opts: opts, dt: dt, key: key, conv: conv,
		pollNow: make(chan struct{}, 1), ch: make(chan struct{}), missed: map[K]time.Time{}}
	t.stat = TableStats{Name: conf.Name, Table: conf.Table, Version: -1}
	t.ix.Store(newIndex[K](conf.Columns, nil, nil))
	if err := t.load(ctx); err != nil {
		if !errors.Is(err, delta.ErrNotTable) {
			return nil, err
		}
		opts.Logger.Warnf("enrich %s: table %s does not exist yet; lookups miss until it does (polled every %s)", conf.Name, conf.Table, opts.PollInterval)
	}
	t.publish(nil, 0)
	return t, nil
}

// plan is how a table's files are read: the projected columns (the table key, the selected
// columns, then __end_at for SCD type 2) and the selected columns' types.
type plan struct {
	proj     []string
	types    []schema.Type
	hasEndAt bool
}

// resolve checks the selected columns against the snapshot's schema and returns the read
// plan.
func (t *table[K]) resolve(snap *delta.Snapshot) (*plan, error) {
	st, err := snap.Schema()
	if err != nil {
		return nil, err
	}
	var have []string
	for _, f := range st.Fields {
		have = append(have, f.Name)
	}
	field := func(name string) (*schema.StructField, error) {
		i := st.Index(name)
		if i < 0 {
			return nil, fmt.Errorf("enrich %s: table %s has no column %q (it has %s)", t.conf.Name, t.conf.Table, name, strings.Join(have, ", "))
		}
		return &st.Fields[i], nil
	}
	kf, err := field(t.conf.TableKey)
	if err != nil {
		return nil, err
	}
	var zero K
	switch any(zero).(type) {
	case int64:
		switch kf.Type {
		case schema.Long, schema.Integer, schema.Short, schema.Byte:
		default:
			return nil, fmt.Errorf("enrich %s: key column %s is %s, expected an integer or string column", t.conf.Name, kf.Name, kf.Type)
		}
	case string:
		if kf.Type != schema.String {
			return nil, fmt.Errorf("enrich %s: key column %s is %s, expected a string", t.conf.Name, kf.Name, kf.Type)
		}
	}
	p := &plan{proj: []string{kf.Name}, types: make([]schema.Type, len(t.conf.Columns))}
	for i, name := range t.conf.Columns {
		f, err := field(name)
		if err != nil {
			return nil, err
		}
		p.proj = append(p.proj, f.Name)
		p.types[i] = f.Type
	}
	p.hasEndAt = st.Index(colEndAt) >= 0
	if p.hasEndAt {
		p.proj = append(p.proj, colEndAt)
	}
	return p, nil
}

// load reads the table in full into a new index and swaps it in.
func (t *table[K]) load(ctx context.Context) error {
	snap, err := t.dt.Snapshot(ctx)
	if err != nil {
		return err
	}
	p, err := t.resolve(snap)
	if err != nil {
		return err
	}
	cols, store := newColumns(t.conf.Columns, p.types)
	ix := newIndex[K](t.conf.Columns, cols, store)
	files := snap.Files()
	var rows int64
	for _, a := range files {
		n, _ := p.currentRows(a)
		rows += min(n, 8*max(a.Size, 0)) // no real file holds more than a few rows per byte
	}
	ix.reserve(int(min(rows, maxReserve)))
	read, err := t.sync(ctx, snap, p, ix)
	if err != nil {
		return err
	}
	fields := make([]Field, len(p.types))
	for i, c := range t.conf.Columns {
		fields[i] = Field{Name: c, Type: p.types[i]}
	}
	t.snap, t.plan = snap, p
	t.ix.Store(ix)
	t.fieldsV.Store(&fields)
	t.statMu.Lock()
	t.stat.FullLoads++
	t.stat.FilesRead += int64(read)
	t.statMu.Unlock()
	t.opts.Logger.Infof("enrich %s: loaded %d rows of %s at version %d (%d files, about %d MiB)", t.conf.Name, ix.len(), t.conf.Table, snap.Version(), len(files), ix.bytes()>>20)
	return nil
}

// currentRows is how many current rows a file holds according to its statistics: all of
// them for an SCD type 1 table, those with a null __end_at for SCD type 2. ok is false when
// the file has no usable statistics.
func (p *plan) currentRows(a *delta.Add) (n int64, ok bool) {
	if a.Stats == "" {
		return 0, false
	}
	var s struct {
		NumRecords *int64         `json:"numRecords"`
		NullCount  map[string]any `json:"nullCount"`
	}
	if json.Unmarshal([]byte(a.Stats), &s) != nil || s.NumRecords == nil || *s.NumRecords < 0 {
		return 0, false
	}
	if !p.hasEndAt {
		return *s.NumRecords, true
	}
	nc, isNum := s.NullCount[colEndAt].(float64)
	if !isNum || nc < 0 || nc > float64(*s.NumRecords) || nc != float64(int64(nc)) {
		return *s.NumRecords, false
	}
	return int64(nc), true
}

// maxReserve caps the rows reserved from file statistics before a load: statistics are a
// writer's claim, and a corrupt one must not make the reader allocate terabytes (each file's
// claim is also capped by its size). Larger tables simply grow as they load.
const maxReserve = 1 << 26

// sync brings ix to the files of snap: reads the files ix does not have (a few at a time,
// applying each batch in path order) and drops the rows of the files snap no longer has. A
// failure leaves ix consistent (every key one whole row); the next sync resumes from what ix
// holds.
func (t *table[K]) sync(ctx context.Context, snap *delta.Snapshot, p *plan, ix *index[K]) (read int, err error) {
	live := map[string]bool{}
	var added []*delta.Add
	var addedPaths []string
	for _, a := range snap.Files() {
		p, err := delta.DecodePath(a.Path)
		if err != nil {
			return 0, err
		}
		live[p] = true
		if _, ok := ix.files[p]; !ok {
			added = append(added, a)
			addedPaths = append(addedPaths, p)
		}
	}
	var removed []string
	for p := range ix.files {
		if !live[p] {
			removed = append(removed, p)
		}
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	for start := 0; start < len(added); start += workers {
		end := min(start+workers, len(added))
		batch := make([]decoded[K], end-start)
		errs := make([]error, end-start)
		var wg sync.WaitGroup
		for i := start; i < end; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				batch[i-start], errs[i-start] = t.decode(ctx, snap, p, added[i], addedPaths[i])
			}()
		}
		wg.Wait()
		for _, e := range errs {
			if e != nil {
				return read, e
			}
		}
		for _, d := range batch {
			if !d.skipped {
				read++
			}
		}
		ix.apply(batch, nil, ix.version)
	}
	ix.apply(nil, removed, snap.Version())
	return read, nil
}

// decode reads the current rows of one data file, selected columns only, and checks every
// value against its column type, so that apply cannot fail half-way.
func (t *table[K]) decode(ctx context.Context, snap *delta.Snapshot, p *plan, a *delta.Add, path string) (decoded[K], error) {
	d := decoded[K]{path: path}
	if a.DeletionVector != nil {
		return d, fmt.Errorf("enrich %s: file %s of %s has a deletion vector (table feature deletionVectors), which enrich does not read", t.conf.Name, path, t.conf.Table)
	}
	if n, ok := p.currentRows(a); ok && n == 0 {
		d.skipped = true // every row is a closed SCD2 version (or the file is empty)
		return d, nil
	}
	rows, err := snap.ReadFileColumns(ctx, a, p.proj)
	if err != nil {
		return d, fmt.Errorf("enrich %s: reading %s: %w", t.conf.Name, path, err)
	}
	nc := len(t.conf.Columns)
	d.keys = make([]K, 0, len(rows))
	d.rows = make([][]any, 0, len(rows))
	for r, row := range rows {
		if p.hasEndAt && row[1+nc] != nil {
			continue
		}
		k, err := tableKey[K](row[0])
		if err != nil {
			return d, fmt.Errorf("enrich %s: file %s row %d: key column %s: %w", t.conf.Name, path, r, t.conf.TableKey, err)
		}
		vals := row[1 : 1+nc : 1+nc]
		for c, v := range vals {
			if err := checkValue(t.conf.Columns[c], p.types[c], v); err != nil {
				return d, fmt.Errorf("enrich %s: file %s row %d: %w", t.conf.Name, path, r, err)
			}
		}
		d.keys = append(d.keys, k)
		d.rows = append(d.rows, vals)
	}
	return d, nil
}

// tableKey converts a key cell of the table to K. String keys are copied: the reader's
// strings share one buffer per file, which must not stay alive with the index.
func tableKey[K int64 | string](v any) (K, error) {
	var out K
	switch p := any(&out).(type) {
	case *int64:
		switch x := v.(type) {
		case int64:
			*p = x
		case int32:
			*p = int64(x)
		case int16:
			*p = int64(x)
		case int8:
			*p = int64(x)
		default:
			return out, fmt.Errorf("value %s is not an integer key", describe(v))
		}
	case *string:
		x, ok := v.(string)
		if !ok {
			return out, fmt.Errorf("value %s is not a string key", describe(v))
		}
		*p = strings.Clone(x)
	}
	return out, nil
}

// gapCheckEvery is how often a follower that found no new commit checks that the log did
// not move past it (commits it needs cleaned up from the log).
const gapCheckEvery = time.Minute

// poll applies the commits written since the last poll. It returns how many versions the
// index was behind.
func (t *table[K]) poll(ctx context.Context) (int64, error) {
	if t.snap == nil {
		if err := t.load(ctx); err != nil {
			if errors.Is(err, delta.ErrNotTable) {
				return 0, nil
			}
			return 0, err
		}
		return t.snap.Version() + 1, nil
	}
	next, err := t.snap.Update(ctx)
	if err != nil {
		return 0, err
	}
	if next == t.snap {
		if time.Since(t.lastGap) < gapCheckEvery {
			return 0, nil
		}
		t.lastGap = time.Now()
		return t.checkGap(ctx)
	}
	if changed, err := t.schemaChanged(next); err != nil {
		return 0, err
	} else if changed {
		t.opts.Logger.Warnf("enrich %s: a selected column of %s changed type at version %d; reloading the table", t.conf.Name, t.conf.Table, next.Version())
		before := t.snap.Version()
		if err := t.load(ctx); err != nil {
			return 0, err
		}
		return t.snap.Version() - before, nil
	}
	ix := t.ix.Load()
	read, err := t.sync(ctx, next, t.plan, ix)
	t.statMu.Lock()
	t.stat.FilesRead += int64(read)
	t.statMu.Unlock()
	if err != nil {
		return next.Version() - t.snap.Version(), err
	}
	lag := next.Version() - t.snap.Version()
	t.snap = next
	return lag, nil
}

// schemaChanged reports whether next changes the type of a selected column (or adds or drops
// __end_at): the typed columns could not hold the new values, so the table is reloaded.
func (t *table[K]) schemaChanged(next *delta.Snapshot) (bool, error) {
	if next.Metadata().SchemaString == t.snap.Metadata().SchemaString {
		return false, nil
	}
	p, err := t.resolve(next)
	if err != nil {
		return false, err
	}
	if p.hasEndAt != t.plan.hasEndAt {
		return true, nil
	}
	for i := range p.types {
		if p.types[i].String() != t.plan.types[i].String() {
			return true, nil
		}
	}
	return false, nil
}

// checkGap catches a log whose newer commits exist while the next one the follower needs
// does not: log cleanup removed it (the follower was stopped or stuck longer than the log
// retention). Update cannot step over the hole, so the table is reloaded from its latest
// checkpoint.
func (t *table[K]) checkGap(ctx context.Context) (int64, error) {
	h, err := t.dt.History(ctx, 1)
	if err != nil || len(h) == 0 || h[0].Version <= t.snap.Version() {
		return 0, nil // nothing newer listed; errors here are the next Update's to report
	}
	next, err := t.snap.Update(ctx)
	if err != nil {
		return 0, err
	}
	if next != t.snap {
		ix := t.ix.Load()
		if _, err := t.sync(ctx, next, t.plan, ix); err != nil {
			return 0, err
		}
		lag := next.Version() - t.snap.Version()
		t.snap = next
		return lag, nil
	}
	before := t.snap.Version()
	t.opts.Logger.Warnf("enrich %s: %s lists version %d but commit %d is gone (log cleanup); reloading the table", t.conf.Name, t.conf.Table, h[0].Version, before+1)
	if err := t.load(ctx); err != nil {
		return 0, err
	}
	return t.snap.Version() - before, nil
}

// run polls until ctx ends: every PollInterval, and at most every WaitPollInterval while
// rows wait for a key (they ask through pollNow).
func (t *table[K]) run(ctx context.Context) {
	timer := time.NewTimer(t.opts.PollInterval)
	defer timer.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.pollNow:
			if d := t.opts.WaitPollInterval - time.Since(last); d > 0 {
				timer.Reset(d)
				select {
				case <-ctx.Done():
					return
				case <-timer.C:
				}
			}
		case <-timer.C:
		}
		lag, err := t.poll(ctx)
		if ctx.Err() != nil {
			return
		}
		last = time.Now()
		t.publish(err, lag)
		t.notify()
		timer.Reset(t.opts.PollInterval)
	}
}

// publish records the outcome of a poll in the statistics, logs errors (once per distinct
// message, and again at most once a minute while it persists) and calls OnPoll.
func (t *table[K]) publish(err error, lag int64) {
	ix := t.ix.Load()
	t.statMu.Lock()
	st := &t.stat
	st.Exists = t.snap != nil
	st.Version = ix.version
	st.Rows = ix.len()
	st.Bytes = ix.bytes()
	st.LagVersions = lag
	st.LastPoll = time.Now()
	st.LastError = err
	if err != nil {
		st.PollErrors++
	}
	out := *st
	t.statMu.Unlock()
	if err != nil {
		if msg := err.Error(); msg != t.lastErr || time.Since(t.lastErrAt) > time.Minute {
			t.lastErr, t.lastErrAt = msg, time.Now()
			t.opts.Logger.Warnf("enrich %s: polling %s failed (the index stays at version %d and the poll is retried): %v", t.conf.Name, t.conf.Table, out.Version, err)
		}
	} else {
		t.lastErr = ""
	}
	if t.opts.OnPoll != nil {
		out.Waiting, out.Waits = t.waiting.Load(), t.waits.Load()
		t.opts.OnPoll(out)
	}
}

// notify wakes every row waiting for this table.
func (t *table[K]) notify() {
	t.chMu.Lock()
	close(t.ch)
	t.ch = make(chan struct{})
	t.chMu.Unlock()
}

// changed returns a channel closed after the next poll attempt ends.
func (t *table[K]) changed() <-chan struct{} {
	t.chMu.Lock()
	defer t.chMu.Unlock()
	return t.ch
}

func (t *table[K]) requestPoll() {
	select {
	case t.pollNow <- struct{}{}:
	default:
	}
}

func (t *table[K]) stats() TableStats {
	t.statMu.Lock()
	defer t.statMu.Unlock()
	out := t.stat
	out.Waiting, out.Waits = t.waiting.Load(), t.waits.Load()
	return out
}
