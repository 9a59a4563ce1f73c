package delta

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotTable is returned (wrapped) when the storage holds no Delta log.
var ErrNotTable = errors.New("delta: not a Delta table")

// Table is a Delta table in a Storage. It holds no state besides its options: every
// Snapshot call reads the log, so one Table may be shared by goroutines.
type Table struct {
	store Storage
	opts  Options
}

// Options tunes a Table. The zero value is the default.
type Options struct {
	// CheckpointInterval is how many commits pass between classic checkpoints when the table
	// has no delta.checkpointInterval property. Default 10 (Spark's default).
	CheckpointInterval int64
	// MaxCommitAttempts bounds the optimistic-concurrency retries of one Commit. Default 100.
	MaxCommitAttempts int
	// Now returns the current time; tests override it. Default time.Now.
	Now func() time.Time
}

// NewTable returns the table stored in st (the table root). It does not touch storage.
func NewTable(st Storage, opts Options) *Table {
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = 10
	}
	if opts.MaxCommitAttempts <= 0 {
		opts.MaxCommitAttempts = 100
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Table{store: st, opts: opts}
}

// OpenLocal returns the table rooted at the local directory dir.
func OpenLocal(dir string) *Table { return NewTable(NewLocalStorage(dir), Options{}) }

// Storage returns the table's storage.
func (t *Table) Storage() Storage { return t.store }

// Snapshot loads the latest version. It fails with ErrNotTable when there is no log, when a
// version is missing from the log, when protocol or metaData is missing, or when the table
// needs a reader feature ledgerflow does not implement (see CheckReadable).
func (t *Table) Snapshot(ctx context.Context) (*Snapshot, error) { return t.load(ctx, -1) }

// SnapshotAt loads the table as of version (time travel). It fails like Snapshot, and when
// the version is newer than the latest or older than what the log still holds.
func (t *Table) SnapshotAt(ctx context.Context, version int64) (*Snapshot, error) {
	if version < 0 {
		return nil, fmt.Errorf("delta: version %d: expected a version >= 0", version)
	}
	return t.load(ctx, version)
}

// SnapshotAsOf loads the newest version committed at or before ts, judged by the commit
// file's modification time (tables without in-commit timestamps). It fails when every
// commit is newer than ts.
func (t *Table) SnapshotAsOf(ctx context.Context, ts time.Time) (*Snapshot, error) {
	l, err := listLog(ctx, t.store)
	if err != nil {
		return nil, err
	}
	best := int64(-1)
	for v, fi := range l.commits {
		if !commitTime(fi).After(ts) && v > best {
			best = v
		}
	}
	if best < 0 {
		return nil, fmt.Errorf("delta: no commit at or before %s", ts.UTC().Format(time.RFC3339Nano))
	}
	return t.loadFrom(ctx, l, best)
}

// Exists reports whether the table has a log with at least one commit or checkpoint.
func (t *Table) Exists(ctx context.Context) (bool, error) {
	l, err := listLog(ctx, t.store)
	if err != nil {
		return false, err
	}
	return l.maxVersion >= 0, nil
}
