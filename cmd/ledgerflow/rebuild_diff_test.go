package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// writeTableFiles creates a Delta table (id long, the other columns strings) with one
// commit per element of files, so that a scan reads several files in commit order.
func writeTableFiles(t *testing.T, path string, cols []string, files [][][]any) {
	ctx := context.Background()
	st := &schema.StructType{}
	for _, c := range cols {
		typ := schema.Type(schema.String)
		if c == "id" {
			typ = schema.Long
		}
		st.Fields = append(st.Fields, schema.StructField{Name: c, Type: typ, Nullable: true})
	}
	table := delta.OpenLocal(path)
	snap, err := table.Create(ctx, st, delta.CreateOptions{})
	require.NoError(t, err)
	for _, rows := range files {
		tx := snap.NewTransaction("WRITE")
		_, err = tx.WriteRows(ctx, rows, delta.WriteOptions{})
		require.NoError(t, err)
		_, err = tx.Commit(ctx)
		require.NoError(t, err)
		snap, err = table.Snapshot(ctx)
		require.NoError(t, err)
	}
	require.Greater(t, len(snap.Files()), 1, "several files to read")
}

// byMod spreads rows over n files by id modulo n, so that no file holds a key range.
func byMod(rows [][]any, n int) [][][]any {
	files := make([][][]any, n)
	for _, r := range rows {
		i := int(r[0].(int64) % int64(n))
		files[i] = append(files[i], r)
	}
	return files
}

var diffCols = []string{"id", "name", "phone", "_kafka_offset"}

// TestStreamedDiffAtEveryBudget diffs two tables whose differences are known by
// construction, at budgets from one row per spill run (every difference at a run boundary,
// a key's rows in different runs) to everything in memory: the counts and the examples must
// be the same at every budget and the ones constructed.
func TestStreamedDiffAtEveryBudget(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var curRows, rebRows [][]any
	wantDiffer := 0
	for id := int64(0); id < 200; id++ {
		name, phone := fmt.Sprintf("n%d", id), any(fmt.Sprintf("p%d", id))
		curRows = append(curRows, []any{id, name, phone, "1"})
		switch id % 10 {
		case 3:
			continue // only in current
		case 7:
			name = fmt.Sprintf("N%d", id) // differs
			wantDiffer++
		case 9:
			phone = nil // a value became null: differs
			wantDiffer++
		}
		rebRows = append(rebRows, []any{id, name, phone, "2"})
		if id%25 == 0 {
			// A second row of the key (a broken key, or SCD2 history): its name sorts after
			// the first, so the first rows pair up and this one is only in rebuilt.
			rebRows = append(rebRows, []any{id, name + "~", phone, "2"})
		}
	}
	for id := int64(200); id < 215; id++ {
		rebRows = append(rebRows, []any{id, fmt.Sprintf("n%d", id), nil, "2"})
	}
	cur, reb := filepath.Join(dir, "cur"), filepath.Join(dir, "reb")
	writeTableFiles(t, cur, diffCols, byMod(curRows, 4))
	writeTableFiles(t, reb, diffCols, byMod(rebRows, 3))

	var first *tableDiff
	for _, budget := range []int64{1, 300, 4 << 10, 0} {
		spill := filepath.Join(dir, fmt.Sprintf("spill-%d", budget))
		require.NoError(t, os.Mkdir(spill, 0o755))
		d, err := diffTables(ctx, cur, reb, []string{"id"}, 1000, budget, spill)
		require.NoError(t, err, "budget %d", budget)
		assert.Equal(t, [5]int{200, len(rebRows), 20, 15 + 8, wantDiffer},
			[5]int{d.currentRows, d.rebuiltRows, d.onlyCurrent, d.onlyRebuilt, d.differ}, "budget %d", budget)
		assert.False(t, d.equal())
		switch budget {
		case 1:
			assert.Equal(t, 200+len(rebRows), d.spillRuns, "budget 1: one row per run")
		case 0:
			assert.Zero(t, d.spillRuns)
		default:
			assert.Greater(t, d.spillRuns, 2, "budget %d spills", budget)
		}
		left, err := os.ReadDir(spill)
		require.NoError(t, err)
		assert.Empty(t, left, "budget %d: the spill directory is removed", budget)
		if first == nil {
			first = d
			continue
		}
		assert.Equal(t, first.examples, d.examples, "budget %d: the same examples in the same order", budget)
	}
	var out bytes.Buffer
	first.print(&out)
	for _, want := range []string{
		"id=3: only in current", "id=7: name: current n7, rebuilt N7", "id=9: phone: current p9, rebuilt NULL",
		"id=0: only in rebuilt", "id=214: only in rebuilt", "rows that differ: 40", "result: different",
	} {
		assert.Contains(t, out.String(), want)
	}
	// Examples follow key order (the keys' JSON text), as the in-memory diff listed them.
	assert.Equal(t, []string{"id=0: only in rebuilt", "id=100: only in rebuilt", "id=103: only in current"}, first.examples[:3])

	// Fewer examples: the first ones, the counts unchanged.
	d, err := diffTables(ctx, cur, reb, []string{"id"}, 2, 1, dir)
	require.NoError(t, err)
	assert.Equal(t, first.examples[:2], d.examples)
	assert.Equal(t, wantDiffer, d.differ)
}

// TestStreamedDiffEqualAndOneSided checks equal tables in other file layouts (equal at a
// tiny budget, Kafka columns ignored) and tables whose keys are only on one side each.
func TestStreamedDiffEqualAndOneSided(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var rows, other [][]any
	for id := int64(0); id < 120; id++ {
		rows = append(rows, []any{id, fmt.Sprintf("n%d", id), nil, "1"})
		other = append(other, []any{id + 1000, fmt.Sprintf("n%d", id), nil, "1"})
	}
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	writeTableFiles(t, a, diffCols, byMod(rows, 2))
	shifted := make([][]any, len(rows))
	for i, r := range rows {
		shifted[i] = []any{r[0], r[1], r[2], "99"}
	}
	writeTableFiles(t, b, diffCols, byMod(shifted, 5))
	writeTableFiles(t, c, diffCols, byMod(other, 3))

	for _, budget := range []int64{1, 500, 0} {
		d, err := diffTables(ctx, a, b, []string{"id"}, 10, budget, dir)
		require.NoError(t, err)
		assert.True(t, d.equal(), "budget %d: %+v", budget, d)
		assert.Empty(t, d.examples)

		d, err = diffTables(ctx, a, c, []string{"id"}, 3, budget, dir)
		require.NoError(t, err)
		assert.Equal(t, [3]int{120, 120, 0}, [3]int{d.onlyCurrent, d.onlyRebuilt, d.differ}, "budget %d", budget)
		assert.Equal(t, []string{"id=0: only in current", "id=1000: only in rebuilt", "id=1001: only in rebuilt"}, d.examples, "budget %d", budget)

		d, err = diffTables(ctx, c, a, []string{"id"}, 2, budget, dir)
		require.NoError(t, err)
		assert.Equal(t, [3]int{120, 120, 0}, [3]int{d.onlyCurrent, d.onlyRebuilt, d.differ}, "budget %d", budget)
		assert.Equal(t, []string{"id=0: only in rebuilt", "id=1000: only in current"}, d.examples, "budget %d", budget)
	}
	left, err := filepath.Glob(filepath.Join(dir, ".rebuild-diff-*"))
	require.NoError(t, err)
	assert.Empty(t, left, "spill directories are removed")
}

// TestRecordSorterOrder checks the record sort against bytes order for budgets from one
// record per run to none, with records that are prefixes of each other and duplicates.
func TestRecordSorterOrder(t *testing.T) {
	recs := []string{"b", "a\x00z", "a", "ab", "a\x00", "", "b", "zz", "a\x00a", "ba"}
	want := []string{"", "a", "a\x00", "a\x00a", "a\x00z", "ab", "b", "b", "ba", "zz"}
	for _, budget := range []int64{1, 90, 0} {
		s := &recordSorter{budget: budget, parent: t.TempDir()}
		for _, r := range recs {
			require.NoError(t, s.add([]byte(r)))
		}
		require.NoError(t, s.finish())
		it, err := s.iter()
		require.NoError(t, err)
		var got []string
		for {
			r, ok, err := it.next()
			require.NoError(t, err)
			if !ok {
				break
			}
			got = append(got, string(r))
		}
		it.close()
		s.close()
		assert.Equal(t, want, got, "budget %d", budget)
	}
}
