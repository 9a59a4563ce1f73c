package delta

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/google/uuid"
	"github.com/ledgerflow/ledgerflow/delta/parquetio"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// WriteOptions tunes Transaction.WriteRows. The zero value is the default.
type WriteOptions struct {
	// TargetFileSize rolls to a new data file once the bytes already flushed to it reach this
	// size, or once the uncompressed size of the values written reaches twice this size (the
	// writer buffers a row group in memory, so flushed bytes lag). Checked every 8192 rows
	// or every eighth of this size of raw values, whichever comes first. Default 128 MiB.
	TargetFileSize int64
	// MaxRowsPerFile also rolls files by row count; 0 means no limit.
	MaxRowsPerFile int
	// Compression is the Parquet codec: "zstd" (default), "snappy" or "uncompressed". When
	// empty, the table property delta.parquet.compression.codec is used if set.
	Compression string
	// RowGroupRows caps the rows of one Parquet row group. Default 131072.
	RowGroupRows int
	// NoDataChange marks the adds dataChange=false (compaction, rewrites that change no data).
	NoDataChange bool
}

const (
	defaultTargetFileSize = 128 << 20
	defaultRowGroupRows   = 128 << 10
)

// rollCheckRows is how many rows are written between file-size checks.
const rollCheckRows = 8192

// WriteRows writes rows (in table-schema order, values as package schema documents) into new
// data files and stages one add per file in the transaction. Rows are split by their
// partition values; each partition gets files named
// <col=value/...>/part-00000-<uuid>.c000.<codec>.parquet under Hive-style directories escaped
// as Spark does, with add.path URI-encoded. Partition columns are not stored in the files.
//
// It fails, before anything is staged, on a row of the wrong width or a value that does not
// match its column's type. Files already written by a failed call stay unreferenced (a later
// VACUUM removes them); nothing becomes visible until Commit.
func (t *Transaction) WriteRows(ctx context.Context, rows [][]any, opts WriteOptions) ([]*Add, error) {
	adds, _, err := t.WriteRowsTracked(ctx, rows, opts)
	return adds, err
}

// WriteRowsTracked is WriteRows that also says where each row went: fileOf[i] is the index in
// adds of the file holding rows[i]. A merge writer keeps its key-to-file index current with it
// instead of reading back the files it just wrote.
func (t *Transaction) WriteRowsTracked(ctx context.Context, rows [][]any, opts WriteOptions) (adds []*Add, fileOf []int, err error) {
	p, err := t.snap.scanPlan()
	if err != nil {
		return nil, nil, err
	}
	if t.metadata != nil {
		st, err := schema.Parse(t.metadata.SchemaString)
		if err != nil {
			return nil, nil, err
		}
		p = newScanPlan(st, t.metadata.PartitionColumns)
	}
	if opts.TargetFileSize <= 0 {
		opts.TargetFileSize = defaultTargetFileSize
	}
	if opts.Compression == "" {
		opts.Compression = t.snap.metadata.Configuration["delta.parquet.compression.codec"]
	}
	if opts.Compression == "" {
		opts.Compression = "zstd"
	}
	if opts.RowGroupRows <= 0 {
		opts.RowGroupRows = defaultRowGroupRows
	}
	wopts := parquetio.WriterOptions{Compression: opts.Compression, RowGroupRows: opts.RowGroupRows,
		IndexedColumns: indexedColumns(t.snap.metadata)}

	type group struct {
		dir  string
		pv   map[string]*string
		rows [][]any
		idx  []int // the rows' indexes in the caller's slice
	}
	var order []*group
	groups := map[string]*group{}
	for r, row := range rows {
		if len(row) != len(p.table.Fields) {
			return nil, nil, fmt.Errorf("delta: row %d has %d values, the table has %d columns", r, len(row), len(p.table.Fields))
		}
		var key strings.Builder
		pv := map[string]*string{}
		var cols []string
		var vals []*string
		for i, di := range p.dataIdx {
			if di >= 0 {
				continue
			}
			f := p.table.Fields[i]
			s := schema.FormatPartitionValue(row[i], f.Type)
			// Delta stores "" and null alike, so an empty string partition value reads as null.
			if row[i] != nil && s == nil && row[i] != "" {
				return nil, nil, fmt.Errorf("delta: row %d: partition column %q: value %v (%T) does not match type %s", r, f.Name, row[i], row[i], f.Type)
			}
			pv[p.partKeys[i]] = s
			cols, vals = append(cols, p.partKeys[i]), append(vals, s)
			if s == nil {
				key.WriteString("\x00N")
			} else {
				key.WriteString("\x00V" + *s)
			}
		}
		g := groups[key.String()]
		if g == nil {
			g = &group{dir: schema.PartitionPath(cols, vals), pv: pv}
			groups[key.String()] = g
			order = append(order, g)
		}
		drow := make([]any, len(p.data.Fields))
		for i, di := range p.dataIdx {
			if di >= 0 {
				drow[di] = row[i]
			}
		}
		g.rows = append(g.rows, drow)
		g.idx = append(g.idx, r)
	}

	// Files are encoded in parallel: with a row limit each group splits into chunks up front
	// (a chunk may still roll by size into several files, in order).
	type chunk struct {
		g          *group
		start, end int
		adds       []*Add
		counts     []int
		err        error
	}
	var chunks []*chunk
	for _, g := range order {
		step := len(g.rows)
		if opts.MaxRowsPerFile > 0 {
			step = opts.MaxRowsPerFile
		}
		for start := 0; start < len(g.rows); start += step {
			chunks = append(chunks, &chunk{g: g, start: start, end: min(start+step, len(g.rows))})
		}
	}
	work := make(chan *chunk)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(chunks)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				for start := c.start; start < c.end && c.err == nil; {
					a, n, err := t.writeFile(ctx, p.data, c.g.dir, c.g.pv, c.g.rows[start:c.end], opts, wopts)
					if err != nil {
						c.err = err
						break
					}
					c.adds, c.counts = append(c.adds, a), append(c.counts, n)
					start += n
				}
			}
		}()
	}
	for _, c := range chunks {
		work <- c
	}
	close(work)
	wg.Wait()
	fileOf = make([]int, len(rows))
	for _, c := range chunks {
		if c.err != nil {
			return nil, nil, c.err
		}
		start := c.start
		for i, a := range c.adds {
			for _, r := range c.g.idx[start : start+c.counts[i]] {
				fileOf[r] = len(adds)
			}
			adds = append(adds, a)
			start += c.counts[i]
		}
	}
	for _, a := range adds {
		t.Add(a)
	}
	return adds, fileOf, nil
}

// writeFile writes one data file from the front of rows, rolling at the size or row limit,
// and returns its add and how many rows it took.
func (t *Transaction) writeFile(ctx context.Context, data *schema.StructType, dir string, pv map[string]*string,
	rows [][]any, opts WriteOptions, wopts parquetio.WriterOptions) (*Add, int, error) {
	var buf bytes.Buffer
	w, err := parquetio.NewWriter(&buf, data, wopts)
	if err != nil {
		return nil, 0, err
	}
	n := 0
	var raw int64
	for n < len(rows) {
		limit := min(n+rollCheckRows, len(rows))
		if opts.MaxRowsPerFile > 0 {
			limit = min(limit, opts.MaxRowsPerFile)
		}
		// A batch also ends after an eighth of the target size of raw values, so rows of
		// megabyte values roll files near the target instead of every 8192 rows.
		end := n
		var batch int64
		for end < limit && (end == n || batch < opts.TargetFileSize/8) {
			batch += rawSize(rows[end])
			end++
		}
		if err := w.Write(rows[n:end]); err != nil {
			return nil, 0, fmt.Errorf("delta: write data file: %w", err)
		}
		raw += batch
		n = end
		if int64(buf.Len()) >= opts.TargetFileSize || raw >= 2*opts.TargetFileSize ||
			opts.MaxRowsPerFile > 0 && n >= opts.MaxRowsPerFile {
			break
		}
	}
	stats, err := w.Close()
	if err != nil {
		return nil, 0, fmt.Errorf("delta: write data file: %w", err)
	}
	ext := strings.ToLower(opts.Compression)
	if ext == "uncompressed" || ext == "none" {
		ext = ""
	} else {
		ext += "."
	}
	name := "part-00000-" + uuid.NewString() + ".c000." + ext + "parquet"
	if dir != "" {
		name = dir + "/" + name
	}
	if err := t.snap.table.store.Put(ctx, name, buf.Bytes()); err != nil {
		return nil, 0, err
	}
	return &Add{
		Path: EncodePath(name), PartitionValues: pv, Size: int64(buf.Len()),
		ModificationTime: t.snap.table.opts.Now().UnixMilli(), DataChange: !opts.NoDataChange,
		Stats: stats.JSON(),
	}, n, nil
}

func indexedColumns(md *Metadata) int {
	if v, err := strconv.Atoi(md.Configuration["delta.dataSkippingNumIndexedCols"]); err == nil {
		return v
	}
	return 0
}

// rawSize estimates the uncompressed bytes of a value (for rolling files by size).
func rawSize(v any) int64 {
	switch x := v.(type) {
	case nil:
		return 1
	case string:
		return int64(len(x)) + 4
	case []byte:
		return int64(len(x)) + 4
	case []any:
		var n int64
		for _, e := range x {
			n += rawSize(e)
		}
		return n
	case []schema.MapEntry:
		var n int64
		for _, e := range x {
			n += rawSize(e.Key) + rawSize(e.Value)
		}
		return n
	case schema.Decimal:
		return 16
	}
	return 8
}
