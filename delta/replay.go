package delta

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// fileKey identifies a file in log replay: the decoded path plus the deletion vector id.
type fileKey struct{ path, dv string }

// Snapshot is an immutable view of a table at one version: the reconciled protocol,
// metadata, live files, tombstones and application transaction versions. It is safe for
// concurrent use.
type Snapshot struct {
	table      *Table
	version    int64
	protocol   *Protocol
	metadata   *Metadata
	files      map[fileKey]*Add
	tombstones map[fileKey]*Remove
	txns       map[string]Txn
	domains    map[string]DomainMetadata
	infos      map[int64]CommitInfo

	schemaOnce sync.Once
	schema     *schema.StructType
	schemaErr  error
}

func newSnapshot(t *Table) *Snapshot {
	return &Snapshot{
		table: t, version: -1,
		files: map[fileKey]*Add{}, tombstones: map[fileKey]*Remove{},
		txns: map[string]Txn{}, domains: map[string]DomainMetadata{}, infos: map[int64]CommitInfo{},
	}
}

// clone copies the state so a newer snapshot can be derived without touching s.
func (s *Snapshot) clone() *Snapshot {
	c := newSnapshot(s.table)
	c.version, c.protocol, c.metadata = s.version, s.protocol, s.metadata
	for k, v := range s.files {
		c.files[k] = v
	}
	for k, v := range s.tombstones {
		c.tombstones[k] = v
	}
	for k, v := range s.txns {
		c.txns[k] = v
	}
	for k, v := range s.domains {
		c.domains[k] = v
	}
	for k, v := range s.infos {
		c.infos[k] = v
	}
	return c
}

// apply reconciles one commit's (or a checkpoint's) actions into the state, in order.
func (s *Snapshot) apply(version int64, actions []Action) error {
	for i := range actions {
		a := &actions[i]
		switch {
		case a.Add != nil:
			p, err := DecodePath(a.Add.Path)
			if err != nil {
				return fmt.Errorf("version %d: add: %w", version, err)
			}
			k := fileKey{p, a.Add.DeletionVector.UniqueID()}
			s.files[k] = a.Add
			delete(s.tombstones, k)
		case a.Remove != nil:
			p, err := DecodePath(a.Remove.Path)
			if err != nil {
				return fmt.Errorf("version %d: remove: %w", version, err)
			}
			k := fileKey{p, a.Remove.DeletionVector.UniqueID()}
			delete(s.files, k)
			s.tombstones[k] = a.Remove
		case a.MetaData != nil:
			s.metadata = a.MetaData
		case a.Protocol != nil:
			s.protocol = a.Protocol
		case a.Txn != nil:
			s.txns[a.Txn.AppID] = *a.Txn
		case a.DomainMetadata != nil:
			if a.DomainMetadata.Removed {
				delete(s.domains, a.DomainMetadata.Domain)
			} else {
				s.domains[a.DomainMetadata.Domain] = *a.DomainMetadata
			}
		case a.CommitInfo != nil:
			s.infos[version] = a.CommitInfo
		case a.CheckpointMetadata != nil || a.Sidecar != nil:
			return fmt.Errorf("version %d: V2 checkpoint actions in a commit (table feature %q), which ledgerflow does not support", version, "v2Checkpoint")
		}
	}
	return nil
}

func (t *Table) load(ctx context.Context, target int64) (*Snapshot, error) {
	l, err := listLog(ctx, t.store)
	if err != nil {
		return nil, err
	}
	return t.loadFrom(ctx, l, target)
}

// loadFrom replays the log: the newest complete checkpoint at or below target, then every
// commit after it up to target, each of which must exist.
func (t *Table) loadFrom(ctx context.Context, l *logListing, target int64) (*Snapshot, error) {
	if l.maxVersion < 0 {
		return nil, fmt.Errorf("%w: no commits or checkpoints in %s/", ErrNotTable, logDir)
	}
	if target < 0 {
		target = l.maxVersion
	}
	if target > l.maxVersion {
		return nil, fmt.Errorf("delta: version %d does not exist (latest is %d)", target, l.maxVersion)
	}
	s := newSnapshot(t)
	start := int64(0)
	cp, v2 := l.bestCheckpoint(target)
	if cp != nil {
		if err := s.loadCheckpoint(ctx, cp); err != nil {
			return nil, err
		}
		start = cp.version + 1
	}
	for v := start; v <= target; v++ {
		if _, ok := l.commits[v]; !ok {
			if v2 != nil && v2.version >= v {
				return nil, fmt.Errorf("delta: version %d can only be read through V2 checkpoint %s (table feature %q), which ledgerflow does not support", v, v2.v2, "v2Checkpoint")
			}
			return nil, fmt.Errorf("delta: log is missing commit %d (replaying %d..%d): versions must be contiguous", v, start, target)
		}
		if err := s.applyCommit(ctx, v); err != nil {
			return nil, err
		}
	}
	s.version = target
	if err := s.checkComplete(); err != nil {
		return nil, err
	}
	if err := CheckReadable(s.protocol); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Snapshot) checkComplete() error {
	if s.protocol == nil {
		return fmt.Errorf("delta: table has no protocol action at version %d", s.version)
	}
	if s.metadata == nil {
		return fmt.Errorf("delta: table has no metaData action at version %d", s.version)
	}
	return nil
}

func (s *Snapshot) applyCommit(ctx context.Context, v int64) error {
	data, err := s.table.store.Read(ctx, commitPath(v))
	if err != nil {
		return err
	}
	actions, err := ParseCommit(data)
	if err != nil {
		return fmt.Errorf("%s: %w", commitPath(v), err)
	}
	return s.apply(v, actions)
}

func (s *Snapshot) loadCheckpoint(ctx context.Context, cp *checkpointSet) error {
	parts := make([]int, 0, len(cp.parts))
	for p := range cp.parts {
		parts = append(parts, p)
	}
	sort.Ints(parts)
	for _, p := range parts {
		name := logDir + "/" + cp.parts[p]
		f, err := s.table.store.Open(ctx, name)
		if err != nil {
			return err
		}
		actions, err := ReadCheckpoint(f, f.Size())
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := s.apply(cp.version, actions); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if s.protocol == nil {
		return fmt.Errorf("delta: checkpoint at version %d has no protocol action", cp.version)
	}
	if s.metadata == nil {
		return fmt.Errorf("delta: checkpoint at version %d has no metaData action", cp.version)
	}
	return nil
}

// Update returns a snapshot of the newest version, reading only the commits after s (no
// listing). It returns s itself when nothing was committed since.
func (s *Snapshot) Update(ctx context.Context) (*Snapshot, error) {
	var n *Snapshot
	for v := s.version + 1; ; v++ {
		data, err := s.table.store.Read(ctx, commitPath(v))
		if errors.Is(err, ErrNotExist) {
			break
		}
		if err != nil {
			return nil, err
		}
		actions, err := ParseCommit(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", commitPath(v), err)
		}
		if n == nil {
			n = s.clone()
		}
		if err := n.apply(v, actions); err != nil {
			return nil, err
		}
		n.version = v
	}
	if n == nil {
		return s, nil
	}
	if err := CheckReadable(n.protocol); err != nil {
		return nil, err
	}
	return n, nil
}

// Table returns the table the snapshot was read from.
func (s *Snapshot) Table() *Table { return s.table }

// Version is the table version of the snapshot.
func (s *Snapshot) Version() int64 { return s.version }

// Protocol returns the table's protocol.
func (s *Snapshot) Protocol() Protocol { return *s.protocol }

// Metadata returns the table's metadata (id, schema string, partition columns,
// configuration...).
func (s *Snapshot) Metadata() Metadata { return *s.metadata }

// PartitionColumns returns the partition column names, in table order.
func (s *Snapshot) PartitionColumns() []string { return s.metadata.PartitionColumns }

// Configuration returns the table properties (delta.appendOnly, delta.checkpointInterval...).
func (s *Snapshot) Configuration() map[string]string { return s.metadata.Configuration }

// Schema parses and returns the table schema. It fails when schemaString is missing or
// invalid; log-only uses of a snapshot do not need it.
func (s *Snapshot) Schema() (*schema.StructType, error) {
	s.schemaOnce.Do(func() {
		if s.metadata.SchemaString == "" {
			s.schemaErr = fmt.Errorf("delta: metaData at version %d has no schemaString", s.version)
			return
		}
		s.schema, s.schemaErr = schema.Parse(s.metadata.SchemaString)
	})
	return s.schema, s.schemaErr
}

// Files returns the live data files, sorted by path. The Add values are shared: do not
// modify them.
func (s *Snapshot) Files() []*Add {
	out := make([]*Add, 0, len(s.files))
	for _, a := range s.files {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// NumFiles is the number of live data files.
func (s *Snapshot) NumFiles() int { return len(s.files) }

// Tombstones returns the remove actions still in the state (for VACUUM and checkpoints),
// sorted by path.
func (s *Snapshot) Tombstones() []*Remove {
	out := make([]*Remove, 0, len(s.tombstones))
	for _, r := range s.tombstones {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// TxnVersion returns the last version committed by appID (the txn action), and false when
// the application never committed to this table.
func (s *Snapshot) TxnVersion(appID string) (int64, bool) {
	t, ok := s.txns[appID]
	return t.Version, ok
}

// Txns returns every application's last committed version.
func (s *Snapshot) Txns() map[string]int64 {
	out := make(map[string]int64, len(s.txns))
	for k, v := range s.txns {
		out[k] = v.Version
	}
	return out
}

// CommitInfo returns the commitInfo of version v when that commit was replayed from JSON
// (checkpoints do not keep commitInfo; use Table.History for the full history).
func (s *Snapshot) CommitInfo(v int64) (CommitInfo, bool) {
	ci, ok := s.infos[v]
	return ci, ok
}
