package enrich

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// Status is the outcome of one lookup for one row.
type Status uint8

const (
	// Found: the key's row was in the index.
	Found Status = iota
	// FoundAfterWait: the key was missing at first and appeared while the row waited.
	FoundAfterWait
	// Missing: the key was not in the table and the row did not wait for it (NoWait, MaxWait
	// 0, or the key's earlier wait ran out less than MissTTL ago). The lookup's fields are
	// null.
	Missing
	// MissingAfterWait: the key was still missing when the wait ended. Fields null.
	MissingAfterWait
	// NullKey: the row's key is null (a transfer has no merchant): nothing to look up, the
	// fields are null, and the lookup is not reported missing.
	NullKey
	// KeyError: the key could not be computed or converted to the table key's type (a
	// misnamed key column, an expression error). Fields null, reported missing.
	KeyError
)

func (s Status) String() string {
	return [...]string{"found", "found_after_wait", "missing", "missing_after_wait", "null_key", "key_error"}[s]
}

// Row is one input row.
type Row struct {
	// Values are the row's columns (a JSON object decoded with numbers as json.Number, or any
	// map of Go values).
	Values map[string]any
	// NoWait looks the keys up without waiting for missing ones (deletes, replays).
	NoWait bool
}

// Result is the enrichment of one row.
type Result struct {
	// Objects holds, per lookup in configuration order, the selected columns by name (every
	// column present; nil values when null or not found). Each map is new: the caller owns it.
	Objects []map[string]any
	// Status is each lookup's outcome, in configuration order.
	Status []Status
	// Missing names the lookups whose status is Missing, MissingAfterWait or KeyError, in
	// configuration order; nil when none is.
	Missing []string
	// Errs holds the key error of each lookup with status KeyError (nil otherwise); the slice
	// is nil when there is none.
	Errs []error
}

// source is a table lookup with its key type hidden.
type source interface {
	config() *Config
	find(row map[string]any, dst map[string]any) (Status, any, error)
	findKey(key any, dst map[string]any) bool
	recentlyMissed(key any, now time.Time) bool
	noteMissed(key any, now time.Time)
	requestPoll()
	changed() <-chan struct{}
	addWaiting(n int64)
	stats() TableStats
	fields() []Field
	run(ctx context.Context)
}

// Field is a selected column and its Delta type (what the rule environment types it as).
type Field struct {
	Name string
	Type schema.Type
}

// Enricher looks rows up in several tables. It is safe for concurrent use; Close stops its
// followers.
type Enricher struct {
	opts   Options
	srcs   []source
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New opens every lookup's table, builds its index from the current snapshot (reading the
// selected columns of every live file) and starts a follower per table. It fails on an
// invalid configuration, on a table that exists but cannot be read, or whose schema lacks a
// selected column or has a key column that is neither an integer nor a string; a table that
// does not exist yet only logs a warning (its lookups miss until it appears).
func New(ctx context.Context, confs []Config, opts Options) (*Enricher, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if len(confs) == 0 {
		return nil, fmt.Errorf("enrich: no lookups configured")
	}
	e := &Enricher{opts: opts}
	names := map[string]bool{}
	for i := range confs {
		c := confs[i]
		if err := c.validate(); err != nil {
			return nil, err
		}
		if names[c.Name] {
			return nil, fmt.Errorf("enrich: lookup name %q is used twice", c.Name)
		}
		names[c.Name] = true
		src, err := e.open(ctx, c)
		if err != nil {
			return nil, err
		}
		e.srcs = append(e.srcs, src)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	for _, s := range e.srcs {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			s.run(runCtx)
		}()
	}
	return e, nil
}

func (e *Enricher) open(ctx context.Context, c Config) (source, error) {
	key, err := compileKey(c.Key)
	if err != nil {
		return nil, fmt.Errorf("lookup %s: %w", c.Name, err)
	}
	st := c.Storage
	if st == nil {
		st = delta.NewLocalStorage(filepath.Clean(c.Table))
	}
	dt := delta.NewTable(st, delta.Options{})
	// The key type follows the table's key column; peek at the schema to choose it.
	stringKey := false
	if snap, err := dt.Snapshot(ctx); err == nil {
		if s, err := snap.Schema(); err == nil {
			if f := s.Field(c.TableKey); f != nil && f.Type == schema.String {
				stringKey = true
			}
		}
	}
	if stringKey {
		t, err := open[string](ctx, c, &e.opts, dt, key, toStringKey)
		if err != nil {
			return nil, err
		}
		return t, nil
	}
	t, err := open[int64](ctx, c, &e.opts, dt, key, toInt64)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Close stops the followers and waits for them. Lookups keep answering from the last state.
func (e *Enricher) Close() {
	e.cancel()
	e.wg.Wait()
}

// Names returns the lookup names in configuration order.
func (e *Enricher) Names() []string {
	out := make([]string, len(e.srcs))
	for i, s := range e.srcs {
		out[i] = s.config().Name
	}
	return out
}

// Fields returns the selected columns of each lookup with their Delta types, by lookup name
// (empty for a table that does not exist yet).
func (e *Enricher) Fields() map[string][]Field {
	out := map[string][]Field{}
	for _, s := range e.srcs {
		out[s.config().Name] = s.fields()
	}
	return out
}

// Stats returns each lookup's table statistics, in configuration order.
func (e *Enricher) Stats() []TableStats {
	out := make([]TableStats, len(e.srcs))
	for i, s := range e.srcs {
		out[i] = s.stats()
	}
	return out
}

type pending struct {
	row, src int
	key      any
}

// Enrich looks every row up in every table. Missing keys wait (see the package doc) until
// they appear, MaxWait has passed since the call began, or ctx ends; the rows then continue
// with those lookups' fields null. It never fails and never drops a row: key problems are
// reported per row and lookup in the Result.
func (e *Enricher) Enrich(ctx context.Context, rows []Row) []Result {
	start := time.Now()
	n := len(e.srcs)
	res := make([]Result, len(rows))
	statuses := make([]Status, len(rows)*n)
	objects := make([]map[string]any, len(rows)*n)
	var waits []pending
	for i, r := range rows {
		res[i].Status = statuses[i*n : (i+1)*n : (i+1)*n]
		res[i].Objects = objects[i*n : (i+1)*n : (i+1)*n]
		for j, s := range e.srcs {
			cols := s.config().Columns
			dst := make(map[string]any, len(cols))
			st, key, err := s.find(r.Values, dst)
			if st != Found {
				for _, c := range cols {
					dst[c] = nil
				}
			}
			res[i].Objects[j] = dst
			res[i].Status[j] = st
			switch {
			case err != nil:
				if res[i].Errs == nil {
					res[i].Errs = make([]error, n)
				}
				res[i].Errs[j] = fmt.Errorf("lookup %s: %w", s.config().Name, err)
			case st == Missing && !r.NoWait && e.opts.MaxWait > 0 && !s.recentlyMissed(key, start):
				waits = append(waits, pending{row: i, src: j, key: key})
			}
		}
	}
	if len(waits) > 0 {
		e.wait(ctx, start.Add(e.opts.MaxWait), waits, res)
	}
	for i := range res {
		for j, st := range res[i].Status {
			if st == Missing || st == MissingAfterWait || st == KeyError {
				res[i].Missing = append(res[i].Missing, e.srcs[j].config().Name)
			}
		}
	}
	return res
}

// wait retries the missing keys after every poll of their tables until they are all found
// or the deadline passes. The tables are asked to poll at once and are polled concurrently.
func (e *Enricher) wait(ctx context.Context, deadline time.Time, waits []pending, res []Result) {
	bySrc := make([][]pending, len(e.srcs))
	for _, p := range waits {
		bySrc[p.src] = append(bySrc[p.src], p)
	}
	for j, ps := range bySrc {
		if len(ps) > 0 {
			e.srcs[j].requestPoll()
		}
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	expired := false
	for j, ps := range bySrc {
		if len(ps) == 0 {
			continue
		}
		s := e.srcs[j]
		s.addWaiting(int64(len(ps)))
		for len(ps) > 0 && !expired {
			ch := s.changed() // taken before the retry, so a poll ending in between is not missed
			kept := ps[:0]
			for _, p := range ps {
				if s.findKey(p.key, res[p.row].Objects[j]) {
					res[p.row].Status[j] = FoundAfterWait
				} else {
					kept = append(kept, p)
				}
			}
			ps = kept
			if len(ps) == 0 {
				break
			}
			s.requestPoll()
			select {
			case <-ch:
			case <-timer.C:
				expired = true
			case <-ctx.Done():
				expired = true
			}
		}
		if expired {
			// A last look: the poll that ended as the deadline passed may have brought them.
			now := time.Now()
			for _, p := range ps {
				if s.findKey(p.key, res[p.row].Objects[j]) {
					res[p.row].Status[j] = FoundAfterWait
				} else {
					res[p.row].Status[j] = MissingAfterWait
					s.noteMissed(p.key, now)
				}
			}
		}
		s.addWaiting(-int64(len(bySrc[j])))
	}
}
