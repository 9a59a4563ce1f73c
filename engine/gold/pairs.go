package gold

import (
	"context"
	"fmt"
	"slices"

	"github.com/ledgerflow/ledgerflow/delta"
)

// PairsFromRewrite derives a silver commit's change pairs from the rows of the files it
// removed (old images) and added (new images): a copy-on-write merge rewrites a file with
// its untouched rows copied, which appear on both sides and cancel. Keys are read at
// b.KeyIndexes(). A key present twice on one side (not one current row per key, e.g. SCD2
// history rows that were not filtered to the open versions) is an error. Pairs are ordered by
// key.
func PairsFromRewrite(b *Binding, removed, added [][]any) ([]Pair, error) {
	type side struct{ old, new []any }
	byKey := map[string]*side{}
	keyOf := func(row []any) (string, error) {
		var k []byte
		for _, i := range b.keyIdx {
			if i >= len(row) || row[i] == nil {
				return "", fmt.Errorf("silver table %s: a row has no primary key value", b.d.Source)
			}
			k = appendKey(k, exprValue(row[i]))
		}
		return string(k), nil
	}
	for _, pass := range []struct {
		rows [][]any
		old  bool
	}{{removed, true}, {added, false}} {
		for _, row := range pass.rows {
			k, err := keyOf(row)
			if err != nil {
				return nil, err
			}
			sd := byKey[k]
			if sd == nil {
				sd = &side{}
				byKey[k] = sd
			}
			slot := &sd.new
			what := "added"
			if pass.old {
				slot, what = &sd.old, "removed"
			}
			if *slot != nil {
				return nil, fmt.Errorf("silver table %s: key %s appears twice among the rows the commit %s", b.d.Source, b.describeKey(row), what)
			}
			*slot = row
		}
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []Pair
	for _, k := range keys {
		sd := byKey[k]
		if sd.old != nil && sd.new != nil && rowsEqual(sd.old, sd.new) {
			continue // copied unchanged
		}
		out = append(out, Pair{Old: sd.old, New: sd.new})
	}
	return out, nil
}

// CommitPairs reads silver's commit at version from its log and returns its change pairs
// (PairsFromRewrite over the files it removed and added). Rows are read in the schema of
// the snapshot at version, which must be the schema b was bound to (after a schema change,
// Bind again). Version 0 (the table's creation) has no previous version: all its rows are
// inserts.
func CommitPairs(ctx context.Context, t *delta.Table, version int64, b *Binding) ([]Pair, error) {
	snap, err := t.SnapshotAt(ctx, version)
	if err != nil {
		return nil, err
	}
	st, err := snap.Schema()
	if err != nil {
		return nil, err
	}
	if st.String() != b.st.String() {
		return nil, fmt.Errorf("silver table %s: the schema at version %d differs from the one gold table %s was bound to: bind again", b.d.Source, version, b.d.Table)
	}
	now := map[string]*delta.Add{}
	for _, a := range snap.Files() {
		now[a.Path] = a
	}
	before := map[string]*delta.Add{}
	if version > 0 {
		prev, err := t.SnapshotAt(ctx, version-1)
		if err != nil {
			return nil, err
		}
		for _, a := range prev.Files() {
			before[a.Path] = a
		}
	}
	var removed, added [][]any
	for p, a := range before {
		if _, ok := now[p]; !ok {
			rows, err := snap.ReadFileRows(ctx, a)
			if err != nil {
				return nil, fmt.Errorf("silver table %s version %d: removed file %s: %w", b.d.Source, version, p, err)
			}
			removed = append(removed, rows...)
		}
	}
	for p, a := range now {
		if _, ok := before[p]; !ok {
			rows, err := snap.ReadFileRows(ctx, a)
			if err != nil {
				return nil, fmt.Errorf("silver table %s version %d: added file %s: %w", b.d.Source, version, p, err)
			}
			added = append(added, rows...)
		}
	}
	return PairsFromRewrite(b, removed, added)
}
