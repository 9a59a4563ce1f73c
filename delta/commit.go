package delta

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Transaction stages the actions of one commit on top of the snapshot it was built from.
// It is not safe for concurrent use. Build it with Snapshot.NewTransaction, stage actions,
// then Commit once.
type Transaction struct {
	snap      *Snapshot
	operation string
	info      CommitInfo

	adds     []*Add
	removes  []*Remove
	txns     map[string]Txn
	metadata *Metadata

	readAppIDs map[string]bool
	readFiles  map[string]bool // decoded paths this transaction read or removes
	readAll    bool
	committed  bool
}

// NewTransaction starts a transaction on top of s. operation is recorded in commitInfo
// ("WRITE", "MERGE", "STREAMING UPDATE"...).
func (s *Snapshot) NewTransaction(operation string) *Transaction {
	return &Transaction{
		snap: s, operation: operation, info: CommitInfo{},
		txns: map[string]Txn{}, readAppIDs: map[string]bool{}, readFiles: map[string]bool{},
	}
}

// Snapshot returns the snapshot the transaction reads.
func (t *Transaction) Snapshot() *Snapshot { return t.snap }

// Add stages a data file. Its path must be URI-encoded and relative to the table root.
func (t *Transaction) Add(a *Add) { t.adds = append(t.adds, a) }

// Remove stages the removal of a live file, keeping its partition values, size and deletion
// vector (the remove must carry the same DV as the add it cancels). The file counts as read:
// a concurrent commit that removes it too makes Commit fail with ErrConcurrentDeleteDelete.
func (t *Transaction) Remove(a *Add, dataChange bool) {
	now := t.snap.table.opts.Now().UnixMilli()
	t.removes = append(t.removes, &Remove{
		Path: a.Path, DeletionTimestamp: &now, DataChange: dataChange, ExtendedFileMetadata: ptr(true),
		PartitionValues: a.PartitionValues, Size: ptr(a.Size), DeletionVector: a.DeletionVector,
		BaseRowID: a.BaseRowID, DefaultRowCommitVersion: a.DefaultRowCommitVersion,
	})
	if p, err := DecodePath(a.Path); err == nil {
		t.readFiles[p] = true
	}
}

// MarkFilesRead records that the transaction's output depends on these files (for example a
// MERGE that read them to find matching keys): a concurrent removal of any of them makes
// Commit fail with ErrConcurrentDeleteRead.
func (t *Transaction) MarkFilesRead(files ...*Add) {
	for _, a := range files {
		if p, err := DecodePath(a.Path); err == nil {
			t.readFiles[p] = true
		}
	}
}

// MarkTableRead records that the transaction read the whole table: any concurrent data
// change other than a blind append makes Commit fail.
func (t *Transaction) MarkTableRead() { t.readAll = true }

// TxnVersion returns the snapshot's last committed version for appID and records that this
// transaction depends on it: a concurrent commit that sets a txn for appID makes Commit fail
// with ErrConcurrentTransaction.
func (t *Transaction) TxnVersion(appID string) (int64, bool) {
	t.readAppIDs[appID] = true
	return t.snap.TxnVersion(appID)
}

// SetTxn stages a txn action: appID has committed everything up to version. Setting it also
// makes a concurrent txn for the same appID a conflict.
func (t *Transaction) SetTxn(appID string, version int64) {
	now := t.snap.table.opts.Now().UnixMilli()
	t.txns[appID] = Txn{AppID: appID, Version: version, LastUpdated: &now}
	t.readAppIDs[appID] = true
}

// UpdateMetadata stages a replacement metaData (for example an evolved schema). The table id
// must stay the same.
func (t *Transaction) UpdateMetadata(md Metadata) { t.metadata = &md }

// SetCommitInfo adds a free-form field to the commit's commitInfo (pipeline name, config
// hash, source position range...).
func (t *Transaction) SetCommitInfo(key string, value any) { t.info[key] = value }

// CommitResult reports a successful commit.
type CommitResult struct {
	// Version is the table version the commit landed at.
	Version int64
	// Attempts is 1 plus the number of times a concurrent writer won the version first.
	Attempts int
	// Checkpointed reports that a checkpoint was written at Version.
	Checkpointed bool
	// CheckpointErr is a failed checkpoint; the commit itself succeeded and the table stays
	// readable, so callers should log it and carry on.
	CheckpointErr error
}

// ErrTooManyAttempts is returned (wrapped) when every commit attempt lost to a concurrent
// writer. Nothing was committed; the staged data files are unreferenced.
var ErrTooManyAttempts = errors.New("delta: commit lost to concurrent writers too many times")

// Commit writes the staged actions as the next table version with put-if-absent. When a
// concurrent writer took that version, it reads the winning commits, fails if they conflict
// (see the Err* conflict errors; ErrConcurrentTransaction means the caller must re-check its
// exactly-once state before retrying anything) and otherwise retries at the next free version,
// with jittered backoff, up to Options.MaxCommitAttempts times. It never leaves a gap in the
// version sequence. Every commit at a multiple of the checkpoint interval also writes a
// checkpoint; a checkpoint failure is reported in CommitResult, not as an error.
//
// It fails before writing when the table has features ledgerflow cannot honour
// (CheckWritable) or when the commit would remove data from an append-only table.
func (t *Transaction) Commit(ctx context.Context) (*CommitResult, error) {
	if t.committed {
		return nil, errors.New("delta: transaction already committed")
	}
	s := t.snap
	md := s.metadata
	if t.metadata != nil {
		md = t.metadata
		if md.ID != s.metadata.ID {
			return nil, fmt.Errorf("delta: metadata update changes the table id from %q to %q", s.metadata.ID, md.ID)
		}
	}
	if err := CheckWritable(s.protocol, md); err != nil {
		return nil, err
	}
	if isAppendOnly(s.metadata) || isAppendOnly(md) {
		for _, r := range t.removes {
			if r.DataChange {
				return nil, fmt.Errorf("delta: table is append-only (delta.appendOnly=true): cannot remove %s", r.Path)
			}
		}
	}
	actions := t.actions()
	data, err := EncodeCommit(actions)
	if err != nil {
		return nil, err
	}
	store := s.table.store
	version := s.version + 1
	maxAttempts := s.table.opts.MaxCommitAttempts
	for attempt := 1; ; attempt++ {
		err := store.PutIfAbsent(ctx, commitPath(version), data)
		if err == nil {
			t.committed = true
			res := &CommitResult{Version: version, Attempts: attempt}
			t.maybeCheckpoint(ctx, res)
			return res, nil
		}
		if !errors.Is(err, ErrExist) {
			return nil, err
		}
		if attempt >= maxAttempts {
			return nil, fmt.Errorf("%w (%d attempts, last tried version %d)", ErrTooManyAttempts, attempt, version)
		}
		// Read every winner from version on; the first missing version is the next candidate.
		for {
			wdata, err := store.Read(ctx, commitPath(version))
			if errors.Is(err, ErrNotExist) {
				break
			}
			if err != nil {
				return nil, err
			}
			winner, err := ParseCommit(wdata)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", commitPath(version), err)
			}
			if err := t.checkConflict(version, winner); err != nil {
				return nil, err
			}
			version++
		}
		backoff := time.Duration(rand.Int64N(int64(time.Millisecond) * int64(min(attempt, 20))))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(backoff):
		}
	}
}

// actions renders the commit: commitInfo first (required first when in-commit timestamps are
// on), then metaData, txns, removes and adds.
func (t *Transaction) actions() []Action {
	now := t.snap.table.opts.Now().UnixMilli()
	ci := CommitInfo{}
	for k, v := range t.info {
		ci[k] = v
	}
	blind := len(t.removes) == 0 && t.metadata == nil && !t.readAll && len(t.readFiles) == 0
	ci["timestamp"] = now
	ci["operation"] = t.operation
	ci["readVersion"] = t.snap.version
	ci["isolationLevel"] = "WriteSerializable"
	ci["isBlindAppend"] = blind
	ci["engineInfo"] = engineInfo
	var rows, bytes int64
	for _, a := range t.adds {
		bytes += a.Size
		if n, ok := a.NumRecords(); ok {
			rows += n
		}
	}
	ci["operationMetrics"] = map[string]any{
		"numFiles": fmt.Sprint(len(t.adds)), "numOutputRows": fmt.Sprint(rows),
		"numOutputBytes": fmt.Sprint(bytes), "numRemovedFiles": fmt.Sprint(len(t.removes)),
	}
	out := []Action{{CommitInfo: ci}}
	if t.metadata != nil {
		out = append(out, Action{MetaData: t.metadata})
	}
	for _, tx := range t.txns {
		out = append(out, Action{Txn: &tx})
	}
	for _, r := range t.removes {
		out = append(out, Action{Remove: r})
	}
	for _, a := range t.adds {
		out = append(out, Action{Add: a})
	}
	return out
}

// maybeCheckpoint writes a checkpoint when the committed version is a multiple of the
// checkpoint interval.
func (t *Transaction) maybeCheckpoint(ctx context.Context, res *CommitResult) {
	if res.Version%t.snap.checkpointInterval() != 0 {
		return
	}
	snap, err := t.snap.table.SnapshotAt(ctx, res.Version)
	if err == nil {
		err = snap.WriteCheckpoint(ctx)
	}
	if err != nil {
		res.CheckpointErr = fmt.Errorf("delta: checkpoint at version %d: %w", res.Version, err)
		return
	}
	res.Checkpointed = true
}
