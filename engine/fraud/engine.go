package fraud

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures an Engine.
type Config struct {
	// Rules are rule files, directories or globs (see Expand).
	Rules []string
	// Description is the environment the rules compile against.
	Description *Description
	// Bands assign Result.Band; nil leaves it empty.
	Bands Bands
}

// Engine holds the current RuleSet of a set of rule files and replaces it when they change.
// Evaluations take the current set with RuleSet (one atomic load) and keep using it for
// the whole transaction, so a reload never mixes two versions in one result.
type Engine struct {
	cfg Config
	cur atomic.Pointer[RuleSet]
	mu  sync.Mutex // serialises loads and guards the snapshots
	// tried is the files' state at the last load attempt, successful or not, so that a
	// broken file is reported once, not at every poll.
	tried snapshot
	// pending is a changed state seen by the last poll and not loaded yet: a change is
	// loaded only once the files stayed the same for one poll interval, so a file being
	// written (truncated, then filled) is never compiled half-written.
	pending *snapshot
}

// snapshot is what polling compares: each file's modification time, size and content
// hash, or why the patterns could not be resolved. File times tick in milliseconds on some
// file systems, so two same-size writes within a tick are told apart by the hash (rule
// files are small; reading them at each poll costs nothing).
type snapshot struct {
	stamps []stamp
	err    string
}

type stamp struct {
	path  string
	mod   time.Time
	size  int64
	sum   [32]byte
	found bool
}

func (a snapshot) equal(b snapshot) bool { return a.err == b.err && sameStamps(a.stamps, b.stamps) }

// NewEngine loads and compiles the rule files. It fails (with a Diagnostics, or an Expand
// error) when they do not all compile: a pipeline must not start without its rules.
func NewEngine(cfg Config) (*Engine, error) {
	if cfg.Description == nil {
		return nil, errors.New("fraud: Config.Description is required")
	}
	if cfg.Bands != nil {
		if err := cfg.Bands.Validate(); err != nil {
			return nil, err
		}
	}
	e := &Engine{cfg: cfg}
	if _, _, err := e.load(); err != nil {
		return nil, err
	}
	return e, nil
}

// RuleSet returns the current rule set.
func (e *Engine) RuleSet() *RuleSet { return e.cur.Load() }

// Reload re-reads and recompiles the rule files now (what SIGHUP triggers). On success the
// new set replaces the current one atomically, and changed reports whether its version
// differs. On failure the current set stays in use and the error says why (every
// diagnostic, located).
func (e *Engine) Reload() (changed bool, err error) {
	_, changed, err = e.load()
	return changed, err
}

// ReloadIfChanged is one poll: it reloads when the rule files changed (a modification
// time or size, a file appearing or disappearing, the globs matching other files) since
// the last load attempt and have not changed since the previous poll. So a change is
// loaded at the second poll that sees it, once the writer is done; a broken file is
// reported once, not at every poll, and retried when it changes again. attempted reports
// whether it reloaded.
func (e *Engine) ReloadIfChanged() (attempted, changed bool, err error) {
	snap := currentSnapshot(e.cfg.Rules)
	e.mu.Lock()
	if snap.equal(e.tried) {
		e.pending = nil
		e.mu.Unlock()
		return false, false, nil
	}
	if e.pending == nil || !snap.equal(*e.pending) {
		e.pending = &snap
		e.mu.Unlock()
		return false, false, nil
	}
	e.pending = nil
	e.mu.Unlock()
	_, changed, err = e.load()
	return true, changed, err
}

// ReloadEvent reports one reload attempt to a Watch callback.
type ReloadEvent struct {
	Version string // the version in use after the attempt
	Changed bool   // a new version replaced the old one
	Err     error  // why the files were refused (the old version stays in use)
}

// Watch polls the rule files every interval until ctx is done, reloading them when they
// changed and then stayed unchanged for an interval (ReloadIfChanged), and calls report
// after each attempt. It blocks; run it in a
// goroutine. An interval of zero or less returns immediately.
func (e *Engine) Watch(ctx context.Context, interval time.Duration, report func(ReloadEvent)) {
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		attempted, changed, err := e.ReloadIfChanged()
		if attempted && report != nil {
			report(ReloadEvent{Version: e.RuleSet().Version(), Changed: changed, Err: err})
		}
	}
}

// load compiles the files and swaps the set in on success.
func (e *Engine) load() (*RuleSet, bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	// The snapshot first: a change made while we read is then seen by the next poll.
	stamps, serr := currentStamps(e.cfg.Rules)
	e.tried = snapshot{stamps: stamps}
	if serr != nil {
		e.tried.err = serr.Error()
		return nil, false, serr
	}
	files := make([]string, 0, len(stamps))
	for _, s := range stamps {
		files = append(files, s.path)
	}
	rs, err := LoadFiles(files, e.cfg.Description)
	if err != nil {
		return nil, false, err
	}
	if e.cfg.Bands != nil {
		rs.bands = e.cfg.Bands
	}
	old := e.cur.Load()
	if old != nil && old.version == rs.version {
		return old, false, nil // same rules: keep the set (and anything keyed by it)
	}
	e.cur.Store(rs)
	return rs, old != nil, nil
}

func currentSnapshot(patterns []string) snapshot {
	stamps, err := currentStamps(patterns)
	if err != nil {
		return snapshot{err: err.Error()}
	}
	return snapshot{stamps: stamps}
}

func currentStamps(patterns []string) ([]stamp, error) {
	files, err := Expand(patterns)
	if err != nil {
		return nil, err
	}
	out := make([]stamp, len(files))
	for i, f := range files {
		out[i].path = f
		if st, err := os.Stat(f); err == nil {
			out[i].mod, out[i].size, out[i].found = st.ModTime(), st.Size(), true
			if data, err := os.ReadFile(f); err == nil {
				out[i].sum = sha256.Sum256(data)
			}
		}
	}
	return out, nil
}

func sameStamps(a, b []stamp) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].path != b[i].path || a[i].found != b[i].found || a[i].size != b[i].size || !a[i].mod.Equal(b[i].mod) || a[i].sum != b[i].sum {
			return false
		}
	}
	return true
}
