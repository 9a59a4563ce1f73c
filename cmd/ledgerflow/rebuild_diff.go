package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// The diff compares two tables by key without holding either: each table is read file by
// file, every row becomes one byte record (its key, its compared columns, their printed
// values) fed to an external sort (recordSorter) under the memory budget, and the two sorted
// streams are walked together, one record of each at a time.
//
// A record is key NUL canon NUL cells: key is the JSON array of the key values and canon the
// JSON array of the compared columns (JSON never holds a raw NUL, so byte order is key
// order, then canon order, as the in-memory diff sorted them); cells are, per compared
// column, uvarint(len+1) and the printed value, or uvarint(0) for a null, for the examples.

// tableDiff is the comparison of two tables by key.
type tableDiff struct {
	current, rebuilt                 string
	currentVersion, rebuiltVersion   int64
	key                              []string
	onlyCurrentCols, onlyRebuiltCols []string
	currentRows, rebuiltRows         int
	onlyCurrent, onlyRebuilt, differ int
	examples                         []string
	currentPositions                 map[string]int64 // topic/partition → last offset the current table committed
	spillRuns                        int              // runs the two sorts spilled, for the tests
}

func (d *tableDiff) equal() bool {
	return len(d.onlyCurrentCols) == 0 && len(d.onlyRebuiltCols) == 0 && d.onlyCurrent == 0 && d.onlyRebuilt == 0 && d.differ == 0
}

// openForDiff opens the table at path and finds the key columns in it.
func openForDiff(ctx context.Context, path string, key []string) (*delta.Snapshot, *schema.StructType, []int, error) {
	t := delta.OpenLocal(path)
	if ok, err := t.Exists(ctx); err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", path, err)
	} else if !ok {
		return nil, nil, nil, fmt.Errorf("%s: no Delta table there", path)
	}
	snap, err := t.Snapshot(ctx)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	st, err := snap.Schema()
	if err != nil {
		return nil, nil, nil, err
	}
	var keyIdx []int
	for _, k := range key {
		i := st.Index(k)
		if i < 0 {
			return nil, nil, nil, fmt.Errorf("%s: no key column %s", path, k)
		}
		keyIdx = append(keyIdx, i)
	}
	return snap, st, keyIdx, nil
}

// sortForDiff scans a table into a sorter of diff records; it returns the row count.
func sortForDiff(ctx context.Context, path string, snap *delta.Snapshot, keyIdx, compared []int, s *recordSorter) (int, error) {
	n := 0
	var num [binary.MaxVarintLen64]byte
	kv := make([]any, len(keyIdx))
	vals := make([]any, len(compared))
	var b bytes.Buffer
	err := snap.Scan(ctx, func(_ *delta.Add, rows [][]any) error {
		for _, r := range rows {
			b.Reset()
			for j, i := range keyIdx {
				kv[j] = jsonValue(r[i])
			}
			kb, _ := json.Marshal(kv)
			b.Write(kb)
			b.WriteByte(0)
			for j, i := range compared {
				vals[j] = jsonValue(r[i])
			}
			cb, _ := json.Marshal(vals)
			b.Write(cb)
			b.WriteByte(0)
			for _, i := range compared {
				if r[i] == nil {
					b.WriteByte(0)
					continue
				}
				text := render(r[i])
				b.Write(num[:binary.PutUvarint(num[:], uint64(len(text))+1)])
				b.WriteString(text)
			}
			if err := s.add(bytes.Clone(b.Bytes())); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return n, s.finish()
}

// diffRecord is a diff record split into its parts.
type diffRecord struct {
	key, canon []byte
	cells      []byte
}

func splitRecord(rec []byte) diffRecord {
	k := bytes.IndexByte(rec, 0)
	c := k + 1 + bytes.IndexByte(rec[k+1:], 0)
	return diffRecord{key: rec[:k], canon: rec[k+1 : c], cells: rec[c+1:]}
}

// cellValues decodes the printed values; a null is ok=false.
func (r diffRecord) cellValues(n int) (texts []string, ok []bool) {
	texts, ok = make([]string, n), make([]bool, n)
	rest := r.cells
	for i := 0; i < n && len(rest) > 0; i++ {
		l, w := binary.Uvarint(rest)
		rest = rest[w:]
		if l == 0 {
			texts[i] = "NULL"
			continue
		}
		texts[i], ok[i] = string(rest[:l-1]), true
		rest = rest[l-1:]
	}
	return texts, ok
}

// diffTables compares the rebuilt table with the current one by key. SCD type 2 tables
// (with __start_at) are keyed by key and __start_at. budget bounds the rows held while
// sorting (<= 0: no limit; half of it for each table); spill runs go to a temporary
// directory under spillParent and are removed before it returns.
func diffTables(ctx context.Context, current, rebuilt string, key []string, examples int, budget int64, spillParent string) (*tableDiff, error) {
	rebSnap, rebSchema, _, err := openForDiff(ctx, rebuilt, key)
	if err != nil {
		return nil, err
	}
	if rebSchema.Index("__start_at") >= 0 {
		key = append(append([]string{}, key...), "__start_at")
	}
	curSnap, curSchema, curKey, err := openForDiff(ctx, current, key)
	if err != nil {
		return nil, err
	}
	_, _, rebKey, err := openForDiff(ctx, rebuilt, key)
	if err != nil {
		return nil, err
	}
	d := &tableDiff{current: current, rebuilt: rebuilt, currentVersion: curSnap.Version(), rebuiltVersion: rebSnap.Version(), key: key,
		currentPositions: partitionVersions(curSnap.Txns())}
	var compared []string
	var curCols, rebCols []int
	for i, f := range curSchema.Fields {
		j := rebSchema.Index(f.Name)
		switch {
		case ignoredInDiff(f.Name):
		case j < 0:
			d.onlyCurrentCols = append(d.onlyCurrentCols, f.Name)
		default:
			compared = append(compared, f.Name)
			curCols, rebCols = append(curCols, i), append(rebCols, j)
		}
	}
	for _, f := range rebSchema.Fields {
		if curSchema.Index(f.Name) < 0 && !ignoredInDiff(f.Name) {
			d.onlyRebuiltCols = append(d.onlyRebuiltCols, f.Name)
		}
	}

	half := budget / 2
	if budget > 0 && half == 0 {
		half = 1
	}
	cur := &recordSorter{budget: half, parent: spillParent}
	defer cur.close()
	reb := &recordSorter{budget: half, parent: spillParent}
	defer reb.close()
	if d.currentRows, err = sortForDiff(ctx, current, curSnap, curKey, curCols, cur); err != nil {
		return nil, err
	}
	if d.rebuiltRows, err = sortForDiff(ctx, rebuilt, rebSnap, rebKey, rebCols, reb); err != nil {
		return nil, err
	}
	d.spillRuns = len(cur.runs) + len(reb.runs)
	curIt, err := cur.iter()
	if err != nil {
		return nil, err
	}
	defer curIt.close()
	rebIt, err := reb.iter()
	if err != nil {
		return nil, err
	}
	defer rebIt.close()
	if err := d.compare(curIt, rebIt, compared, examples); err != nil {
		return nil, err
	}
	return d, nil
}

// compare walks the two sorted streams a record at a time. Within a key, rows pair in canon
// order (the first rows of each side, then the second, ...), and what one side has more of
// is only in that side: as both streams are in (key, canon) order, that is the record-wise
// merge, holding one record per side however many rows a key has.
func (d *tableDiff) compare(cur, reb *recordIter, compared []string, examples int) error {
	example := func(s string) {
		if len(d.examples) < examples {
			d.examples = append(d.examples, s)
		}
	}
	next := func(it *recordIter) (diffRecord, bool, error) {
		r, ok, err := it.next()
		if !ok || err != nil {
			return diffRecord{}, false, err
		}
		return splitRecord(r), true, nil
	}
	a, aok, err := next(cur)
	if err != nil {
		return err
	}
	b, bok, err := next(reb)
	if err != nil {
		return err
	}
	for aok || bok {
		c := bytes.Compare(a.key, b.key)
		switch {
		case !bok || (aok && c < 0):
			d.onlyCurrent++
			example(fmt.Sprintf("%s: only in current", keyText(d.key, string(a.key))))
			if a, aok, err = next(cur); err != nil {
				return err
			}
			continue
		case !aok || c > 0:
			d.onlyRebuilt++
			example(fmt.Sprintf("%s: only in rebuilt", keyText(d.key, string(b.key))))
			if b, bok, err = next(reb); err != nil {
				return err
			}
			continue
		}
		if !bytes.Equal(a.canon, b.canon) {
			d.differ++
			if len(d.examples) < examples {
				x, xok := a.cellValues(len(compared))
				y, yok := b.cellValues(len(compared))
				var cols []string
				for j, col := range compared {
					if x[j] != y[j] || xok[j] != yok[j] {
						cols = append(cols, fmt.Sprintf("%s: current %s, rebuilt %s", col, x[j], y[j]))
					}
				}
				example(fmt.Sprintf("%s: %s", keyText(d.key, string(a.key)), strings.Join(cols, "; ")))
			}
		}
		if a, aok, err = next(cur); err != nil {
			return err
		}
		if b, bok, err = next(reb); err != nil {
			return err
		}
	}
	return nil
}

// ignoredInDiff says which columns a rebuild changes by design.
func ignoredInDiff(name string) bool {
	return name == "_ingested_at" || strings.HasPrefix(name, "_kafka_")
}

func keyText(key []string, k string) string {
	var vals []any
	_ = json.Unmarshal([]byte(k), &vals)
	parts := make([]string, len(key))
	for i, name := range key {
		if i < len(vals) {
			b, _ := json.Marshal(vals[i])
			parts[i] = name + "=" + string(b)
		}
	}
	return strings.Join(parts, " ")
}

func (d *tableDiff) print(w io.Writer) {
	fmt.Fprintf(w, "current %s (version %d): %d rows; rebuilt %s (version %d): %d rows\n",
		d.current, d.currentVersion, d.currentRows, d.rebuilt, d.rebuiltVersion, d.rebuiltRows)
	fmt.Fprintf(w, "compared by key %s, ignoring _ingested_at and _kafka_*\n", strings.Join(d.key, ", "))
	if len(d.onlyCurrentCols) > 0 {
		fmt.Fprintf(w, "columns only in current: %s\n", strings.Join(d.onlyCurrentCols, ", "))
	}
	if len(d.onlyRebuiltCols) > 0 {
		fmt.Fprintf(w, "columns only in rebuilt: %s\n", strings.Join(d.onlyRebuiltCols, ", "))
	}
	fmt.Fprintf(w, "rows only in current: %d\nrows only in rebuilt: %d\nrows that differ: %d\n", d.onlyCurrent, d.onlyRebuilt, d.differ)
	if len(d.examples) > 0 {
		fmt.Fprintf(w, "examples (%d of %d):\n", len(d.examples), d.onlyCurrent+d.onlyRebuilt+d.differ)
		for _, e := range d.examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	if d.equal() {
		fmt.Fprintln(w, "result: equal")
	} else {
		fmt.Fprintln(w, "result: different")
	}
}
