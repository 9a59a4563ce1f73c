package delta

import (
	"context"
	"encoding/hex"
	"fmt"
	"maps"
	"sort"
	"time"

	"github.com/ledgerflow/ledgerflow/delta"
)

// staged is a merge written into a transaction but not committed: what the index and the
// tombstones learn once the commit succeeds.
type staged struct {
	removed    []fileID
	adds       []*delta.Add
	outKeys    []string
	outOrders  []string
	fileOf     []int
	rewritten  map[string]bool // keys with rows in the rewritten files or resolved
	resolved   map[string]bool // keys whose changes were applied
	dels       []*change
	delAt      time.Time // when dels were recorded as tombstones
	truncOrder string
	truncTS    time.Time

	stale                 int // changes ignored: not newer than the stored state
	incomplete            []string
	rowsRewritten         int64 // unchanged rows copied out of rewritten files
	bytesRemoved, written int64
}

// stage plans and writes a merge of changes (table order, with verdict write) into tx:
// it finds the files holding the touched keys through the index, reads them, resolves every
// touched key, writes the surviving rows of those files and the new rows into new files,
// removes the old files, and records the deletes in the tombstone table (committed first).
// The caller commits tx and then calls commitStaged.
func (m *merger) stage(ctx context.Context, snap *delta.Snapshot, tx *delta.Transaction, changes []*change, wopts delta.WriteOptions, now time.Time) (*staged, error) {
	st := &staged{truncOrder: m.truncOrder, truncTS: m.truncTS, rewritten: map[string]bool{}, resolved: map[string]bool{}}
	byKey := map[string][]*change{}
	for _, c := range changes {
		if c.trunc && c.order > st.truncOrder {
			st.truncOrder, st.truncTS = c.order, c.ts
		}
	}
	for _, c := range changes {
		if c.trunc {
			continue
		}
		if c.order <= st.truncOrder && !m.opts.scd2 {
			st.stale++ // SCD2 keeps such a change as history before the truncate
			continue
		}
		byKey[c.key] = append(byKey[c.key], c)
	}
	touchedKeys := st.resolved
	touchedFiles := map[fileID]bool{}
	// appendOnly keys (SCD2) change only after their newest stored version: only the file
	// holding that version is rewritten, to close it; older versions stay where they are.
	appendOnly := map[string]bool{}
	touch := func(key string, ks keyState) {
		touchedKeys[key] = true
		if len(ks.files) == 0 {
			return
		}
		if appendOnly[key] {
			touchedFiles[ks.cur] = true
			return
		}
		for _, f := range ks.files {
			touchedFiles[f] = true
		}
	}
	for key, cs := range byKey {
		ks, indexed := m.index.keys[key]
		tomb := m.tombs.entries[key]
		latest := max(ks.order, tomb.max)
		need := indexed && tomb.max > ks.order // a row older than its key's delete (an interrupted commit)
		after := true
		for _, c := range cs {
			if m.opts.scd2 {
				need = need || (c.order != ks.order && !tomb.has(c.order))
				after = after && c.order >= ks.order
			} else {
				need = need || c.order > latest
			}
		}
		if m.opts.scd2 && after {
			appendOnly[key] = true
		}
		if !need {
			st.stale += len(cs)
			delete(byKey, key)
			continue
		}
		// Equal orders are one change delivered twice: the first delivery (the lower offset)
		// is the one kept, whatever order pipeline threads put them in.
		sort.SliceStable(cs, func(a, b int) bool {
			if cs[a].order != cs[b].order {
				return cs[a].order < cs[b].order
			}
			return cs[a].pos.offset < cs[b].pos.offset
		})
		touch(key, ks)
	}
	if st.truncOrder > m.truncOrder {
		for key, ks := range m.index.keys {
			if ks.order < st.truncOrder {
				touch(key, ks)
			}
		}
	}

	// Read the touched files; rows of other keys in them are copied unchanged.
	ids := make([]fileID, 0, len(touchedFiles))
	for id := range touchedFiles {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(a, b int) bool { return ids[a] < ids[b] })
	stored := map[string][][]any{}
	var out [][]any
	emitted := map[string]bool{}
	emit := func(key string, rows [][]any) {
		for _, r := range rows {
			if i, ok := m.complete(r); !ok {
				st.incomplete = append(st.incomplete, fmt.Sprintf("key %q: column #%d is NOT NULL and nothing fills it", key, i))
				continue
			}
			out = append(out, r)
			st.outKeys = append(st.outKeys, key)
			st.outOrders = append(st.outOrders, m.rowOrder(r))
		}
	}
	type fileRows struct {
		keys []string
		rows [][]any
	}
	read := make([]fileRows, len(ids))
	errs := make([]error, len(ids))
	parallel(len(ids), func(n int) {
		a := m.index.files[ids[n]]
		rows, err := snap.ReadFileRows(ctx, a)
		if err != nil {
			errs[n] = fileErr(m.tablePath, a.Path, fmt.Errorf("merge: %w", err))
			return
		}
		keys := make([]string, len(rows))
		for i, r := range rows {
			if keys[i], err = encodeKey(r, m.keyIdx); err != nil {
				errs[n] = fileErr(m.tablePath, a.Path, fmt.Errorf("merge: row %d: %w", i, err))
				return
			}
		}
		read[n] = fileRows{keys, rows}
	})
	for n, id := range ids {
		if errs[n] != nil {
			return nil, errs[n]
		}
		a := m.index.files[id]
		for i, key := range read[n].keys {
			if touchedKeys[key] {
				stored[key] = append(stored[key], read[n].rows[i])
			}
		}
		st.bytesRemoved += a.Size
		tx.Remove(a, true)
		st.removed = append(st.removed, id)
	}
	resolve := func(key string) [][]any {
		cs := byKey[key]
		tomb := m.tombs.entries[key]
		if m.opts.scd2 {
			history := stored[key]
			var kept [][]any
			if appendOnly[key] {
				// Only the newest version takes part; the others are copied as they are.
				newest := m.index.keys[key].order
				history = nil
				for _, r := range stored[key] {
					if m.rowOrder(r) == newest {
						history = append(history, r)
					} else {
						kept = append(kept, r)
					}
				}
				tomb = tomb.after(newest)
			}
			rows, dels := m.resolveSCD2(history, tomb, cs, st.truncOrder, st.truncTS)
			st.dels = append(st.dels, dels...)
			return append(kept, rows...)
		}
		row, dels := m.resolveSCD1(stored[key], tomb, cs, st.truncOrder)
		st.dels = append(st.dels, dels...)
		if row == nil {
			return nil
		}
		return [][]any{row}
	}
	// Keep the rewritten files' row order (keys stay clustered by age), resolving a touched
	// key where its first stored row was; new keys follow, oldest change first.
	for _, fr := range read {
		for i, key := range fr.keys {
			st.rewritten[key] = true
			if !touchedKeys[key] {
				out = append(out, fr.rows[i])
				st.outKeys = append(st.outKeys, key)
				if m.opts.scd2 {
					st.outOrders = append(st.outOrders, m.rowOrder(fr.rows[i]))
				} else {
					st.outOrders = append(st.outOrders, "") // its one row, unchanged: the index keeps its order
				}
				st.rowsRewritten++
				continue
			}
			if !emitted[key] {
				emitted[key] = true
				emit(key, resolve(key))
			}
		}
	}
	type freshKey struct{ key, first string }
	var fresh []freshKey
	for key := range touchedKeys {
		if !emitted[key] {
			first := ""
			if cs := byKey[key]; len(cs) > 0 {
				first = cs[0].order
			}
			fresh = append(fresh, freshKey{key, first})
		}
	}
	sort.Slice(fresh, func(a, b int) bool { return fresh[a].first < fresh[b].first })
	for _, f := range fresh {
		st.rewritten[f.key] = true
		emit(f.key, resolve(f.key))
	}

	if len(out) > 0 {
		wopts.MaxRowsPerFile = m.opts.targetFileRows
		if err := m.write(ctx, tx, st, out, wopts); err != nil {
			return nil, err
		}
	}
	tx.MarkTableRead() // another writer's merge of the same keys must conflict with ours
	if st.truncOrder != m.truncOrder {
		md := snap.Metadata()
		md.Configuration = maps.Clone(md.Configuration)
		if md.Configuration == nil {
			md.Configuration = map[string]string{}
		}
		md.Configuration[truncateConfigKey] = hex.EncodeToString([]byte(st.truncOrder))
		md.Configuration[truncateTimeKey] = st.truncTS.UTC().Format(time.RFC3339Nano)
		tx.UpdateMetadata(md)
	}
	if err := m.tombs.write(ctx, st.dels, m.keyIdx, m.seqIdx, now); err != nil {
		return nil, err
	}
	// The deletes are remembered only once silver commits them (commitStaged): if this
	// commit fails, the retry, or another cut of the same records, must not see them.
	st.delAt = now
	return st, nil
}

// commitStaged updates the index after the commit of st succeeded at version v.
func (m *merger) commitStaged(st *staged, v int64) {
	ix := m.index
	gone := map[fileID]bool{}
	for _, id := range st.removed {
		gone[id] = true
	}
	for key := range st.rewritten {
		ks := ix.keys[key]
		kept := ks.files[:0]
		for _, f := range ks.files {
			if !gone[f] {
				kept = append(kept, f)
			}
		}
		ks.files = kept
		if st.resolved[key] {
			ks.order = "" // its new rows set it again
		}
		ix.keys[key] = ks
	}
	for _, id := range st.removed {
		ix.dropFile(id)
	}
	ids := make([]fileID, len(st.adds))
	for i, a := range st.adds {
		ids[i] = ix.addFile(a)
	}
	for i, key := range st.outKeys {
		ix.note(key, ids[st.fileOf[i]], st.outOrders[i])
	}
	for key := range st.rewritten {
		if ks := ix.keys[key]; len(ks.files) == 0 {
			delete(ix.keys, key)
		}
	}
	for _, c := range st.dels {
		m.tombs.remember(c.key, c.order, c.ts, st.delAt)
	}
	m.truncOrder, m.truncTS = st.truncOrder, st.truncTS
	ix.version = v
}

// write writes the merged rows. For SCD2, closed versions go to files of their own: a later
// change of a key rewrites only the file with its open version, so history written once is
// not copied again on every update (only a late older change reopens it).
func (m *merger) write(ctx context.Context, tx *delta.Transaction, st *staged, out [][]any, wopts delta.WriteOptions) error {
	st.fileOf = make([]int, len(out))
	if !m.opts.scd2 {
		return m.writeGroup(ctx, tx, st, out, nil, wopts)
	}
	var open, closed []int
	for i, r := range out {
		if r[m.endIdx] != nil {
			closed = append(closed, i)
		} else {
			open = append(open, i)
		}
	}
	for _, g := range [][]int{open, closed} {
		rows := make([][]any, len(g))
		for j, i := range g {
			rows[j] = out[i]
		}
		if err := m.writeGroup(ctx, tx, st, rows, g, wopts); err != nil {
			return err
		}
	}
	return nil
}

// writeGroup writes rows, which are out[idx[j]] (out itself when idx is nil), recording each
// row's file in st.fileOf.
func (m *merger) writeGroup(ctx context.Context, tx *delta.Transaction, st *staged, rows [][]any, idx []int, wopts delta.WriteOptions) error {
	if len(rows) == 0 {
		return nil
	}
	adds, fileOf, err := tx.WriteRowsTracked(ctx, rows, wopts)
	if err != nil {
		return writeErr(fmt.Errorf("merge: %w", err))
	}
	for j, f := range fileOf {
		i := j
		if idx != nil {
			i = idx[j]
		}
		st.fileOf[i] = len(st.adds) + f
	}
	st.adds = append(st.adds, adds...)
	for _, a := range adds {
		st.written += a.Size
	}
	return nil
}
