package parquetio

import (
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// WriterOptions tunes a Writer. The zero value is valid.
type WriterOptions struct {
	// Compression is the page codec: "zstd" (the default, as PROTOCOL.md §"Table Properties"
	// recommends when delta.parquet.compression.codec is unset), "snappy" (what Spark
	// writes) or "uncompressed".
	Compression string
	// RowGroupRows caps the rows of one row group (default 1,048,576). Rows of the current
	// row group are buffered in memory until it is flushed.
	RowGroupRows int
	// IndexedColumns is delta.dataSkippingNumIndexedCols: min/max/nullCount are collected for
	// the first IndexedColumns leaf columns (default 32; -1 collects all). numRecords is
	// always written.
	IndexedColumns int
	// StatsColumns, when non-nil, is delta.dataSkippingStatsColumns: stats are collected
	// exactly for these columns (top-level names or dotted nested paths) and IndexedColumns
	// is ignored.
	StatsColumns []string
}

const (
	dictionaryMaxBytes    = 256 << 10
	defaultRowGroupRows   = 1 << 20
	defaultIndexedColumns = 32
)

// MaxValueBytes is the most bytes one row may hold in one string or binary column (a value,
// or the elements of an array or map together). A row cannot span two Parquet pages, so
// this also bounds a page, far below the 2 GiB int32 page sizes of the format and the 1 GiB
// pages ReadFile accepts. Write refuses a larger value with an error naming the column.
const MaxValueBytes = 256 << 20

// writeChunkBytes is how many bytes of string/binary values Write hands parquet-go at once.
// parquet-go cuts pages only between its WriteRows calls (and every 64 rows), so large
// values handed over together would share one page: 64 values of 64 MB make a 4 GiB page
// whose int32 size overflows.
const writeChunkBytes = 256 << 10

// Writer writes one Delta data file. It is not safe for concurrent use.
type Writer struct {
	schema  *schema.StructType
	pw      *parquet.Writer
	fields  []*wnode
	ncols   int
	flat    bool // no repeated columns: every row has exactly one value per column
	stats   []*colStats
	rows    int64
	scratch [][]parquet.Value
	slab    []parquet.Value
	prows   []parquet.Row
	batch   []colStats
	closed  bool
	out     *tailWriter
	// rowBytes is the string/binary bytes of the row being shredded, in total and per
	// column (cell, only for repeated columns, where a row holds several values).
	rowBytes  int
	cell      []int
	chunkEnds []int
	// Per leaf column: its dotted path and Delta type, whether it is a string/binary column
	// whose bounds this Writer tracks (baCols), and whether its column index is cut
	// (noIndex: those, wide decimals, floats). See footerstats.go.
	leafPaths []string
	leafTypes []schema.Type
	baCols    []bool
	noIndex   []bool
	rgRows    int64
	rowGroups []*rowGroupBounds
}

// NewWriter starts a Parquet file with schema s on w. Field names become column names
// verbatim and every type is mapped as PROTOCOL.md prescribes. It fails, naming the column,
// when s holds a type this writer cannot store (variant, void) or an unknown codec is given.
func NewWriter(w io.Writer, s *schema.StructType, opts WriterOptions) (*Writer, error) {
	var codec compress.Codec
	switch strings.ToLower(opts.Compression) {
	case "", "zstd":
		codec = &zstdCodec{zstd.Codec{Level: zstd.SpeedFastest}}
	case "snappy":
		codec = snappyCodec{}
	case "uncompressed", "none":
		codec = nil
	default:
		return nil, fmt.Errorf("parquet compression %q: expected zstd, snappy or uncompressed", opts.Compression)
	}
	if len(s.Fields) == 0 {
		return nil, fmt.Errorf("parquet schema has no columns")
	}
	root := &orderedGroup{}
	for _, f := range s.Fields {
		n, err := parquetNode(f.Type, f.Nullable, f.Name)
		if err != nil {
			return nil, err
		}
		root.add(f.Name, n)
	}
	wr := &Writer{schema: s, flat: true}
	b := planBuilder{w: wr, indexed: opts.IndexedColumns, statsCols: opts.StatsColumns}
	if b.indexed == 0 {
		b.indexed = defaultIndexedColumns
	}
	for _, f := range s.Fields {
		wn, err := b.plan([]string{f.Name}, f.Type, f.Nullable, 0, 0, true)
		if err != nil {
			return nil, err
		}
		wr.fields = append(wr.fields, wn)
	}
	wr.ncols = b.cols
	rgRows := opts.RowGroupRows
	if rgRows <= 0 {
		rgRows = defaultRowGroupRows
	}
	options := []parquet.WriterOption{
		parquet.NewSchema("spark_schema", root),
		parquet.MaxRowsPerRowGroup(int64(rgRows)),
		parquet.CreatedBy("ledgerflow", "0", ""),
		parquet.DataPageVersion(1),
		// Page header statistics repeat what the column index (truncated to 16 bytes per
		// bound) and the footer already hold, untruncated: a 5 MB string was copied into its
		// page header twice (min_value and the deprecated max), making a 10 MB header.
		parquet.DataPageStatistics(false),
	}
	if codec != nil {
		options = append(options, parquet.Compression(codec))
	}
	// Dictionary pages fall back to PLAIN once a column's dictionary passes this size, so
	// high-cardinality strings (ids, addresses) do not pay for a dictionary that never pays
	// off while enum-like columns (status, currency) shrink to a few bits per value.
	options = append(options, parquet.DictionaryMaxBytes(dictionaryMaxBytes))
	// parquet-go orders FIXED_LEN_BYTE_ARRAY bounds as unsigned bytes, which is wrong for
	// negative two's-complement decimals; a wrong bound would let readers skip row groups
	// that hold matching rows, so those columns get no bounds at all.
	for _, p := range b.flbaPaths {
		options = append(options, parquet.SkipPageBounds(p...), parquet.SkipPageStatistics(p...))
	}
	// String and binary bounds are tracked by the Writer instead (footerstats.go).
	for _, p := range b.baPaths {
		options = append(options, parquet.SkipPageBounds(p...))
	}
	wr.rgRows = int64(rgRows)
	wr.out = &tailWriter{w: w}
	wr.pw = parquet.NewWriter(wr.out, options...)
	wr.scratch = make([][]parquet.Value, wr.ncols)
	wr.cell = make([]int, wr.ncols)
	wr.batch = make([]colStats, len(wr.stats))
	return wr, nil
}

const (
	kindLeaf = iota
	kindStruct
	kindList
	kindMap
)

// wnode is the write plan of one field: how to validate/encode it and where its levels go.
type wnode struct {
	kind     int
	path     string
	typ      schema.Type
	optional bool
	def, rep int // levels of this node when present (def includes its own optionality)
	col      int
	enc      encoder
	stat     int // index into Writer.stats, or -1
	children []*wnode
	elem     *wnode
	key, val *wnode
	leafCols []int
}

type planBuilder struct {
	w         *Writer
	cols      int
	indexed   int
	units     int
	statsCols []string
	flbaPaths [][]string
	baPaths   [][]string
}

func (b *planBuilder) wantStats(path string) bool {
	if b.statsCols != nil {
		for _, c := range b.statsCols {
			if strings.EqualFold(c, path) || strings.HasPrefix(strings.ToLower(path), strings.ToLower(c)+".") {
				return true
			}
		}
		return false
	}
	b.units++
	return b.indexed < 0 || b.units <= b.indexed
}

func (b *planBuilder) addStats(path string, t schema.Type) int {
	b.w.stats = append(b.w.stats, &colStats{path: path, typ: t})
	return len(b.w.stats) - 1
}

func (b *planBuilder) plan(parts []string, t schema.Type, nullable bool, def, rep int, stats bool) (*wnode, error) {
	path := strings.Join(parts, ".")
	n := &wnode{path: path, typ: t, optional: nullable, def: def, rep: rep, stat: -1}
	if nullable {
		n.def++
	}
	switch tt := t.(type) {
	case *schema.StructType:
		n.kind = kindStruct
		for _, f := range tt.Fields {
			c, err := b.plan(appendPath(parts, f.Name), f.Type, f.Nullable, n.def, rep, stats)
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, c)
			n.leafCols = append(n.leafCols, c.leafCols...)
		}
	case *schema.ArrayType:
		n.kind = kindList
		b.w.flat = false
		if stats && b.wantStats(path) {
			n.stat = b.addStats(path, t)
		}
		e, err := b.plan(appendPath(parts, "list", "element"), tt.ElementType, tt.ContainsNull, n.def+1, rep+1, false)
		if err != nil {
			return nil, err
		}
		n.elem = e
		n.leafCols = e.leafCols
	case *schema.MapType:
		n.kind = kindMap
		b.w.flat = false
		if stats && b.wantStats(path) {
			n.stat = b.addStats(path, t)
		}
		k, err := b.plan(appendPath(parts, "key_value", "key"), tt.KeyType, false, n.def+1, rep+1, false)
		if err != nil {
			return nil, err
		}
		v, err := b.plan(appendPath(parts, "key_value", "value"), tt.ValueType, tt.ValueContainsNull, n.def+1, rep+1, false)
		if err != nil {
			return nil, err
		}
		n.key, n.val = k, v
		n.leafCols = append(append([]int{}, k.leafCols...), v.leafCols...)
	default:
		n.kind = kindLeaf
		n.col = b.cols
		b.cols++
		n.leafCols = []int{n.col}
		enc, err := newEncoder(t, path)
		if err != nil {
			return nil, err
		}
		n.enc = enc
		if stats && b.wantStats(path) {
			n.stat = b.addStats(path, t)
		}
		b.w.leafPaths = append(b.w.leafPaths, path)
		b.w.leafTypes = append(b.w.leafTypes, t)
		ba := t == schema.String || t == schema.Binary
		b.w.baCols = append(b.w.baCols, ba)
		b.w.noIndex = append(b.w.noIndex, ba || t == schema.Float || t == schema.Double)
		if ba {
			b.baPaths = append(b.baPaths, parts)
		}
		if d, ok := t.(schema.DecimalType); ok && d.Precision > 18 {
			b.flbaPaths = append(b.flbaPaths, parts)
			b.w.noIndex[n.col] = true
		}
	}
	return n, nil
}

func appendPath(parts []string, more ...string) []string {
	return append(append(make([]string, 0, len(parts)+len(more)), parts...), more...)
}

// Write validates and appends rows (each aligned to the writer's schema). The whole batch is
// checked before anything is appended: on error nothing of the batch is written, the file
// stays consistent, and the error names the column, the offending value and the expected type.
func (w *Writer) Write(rows [][]any) error {
	if w.closed {
		return fmt.Errorf("parquet writer is closed")
	}
	if len(rows) == 0 {
		return nil
	}
	for i := range w.batch {
		w.batch[i] = colStats{}
	}
	w.prows = w.prows[:0]
	w.slab = w.slab[:0]
	w.chunkEnds = w.chunkEnds[:0]
	chunk := 0
	if w.flat && cap(w.slab) < len(rows)*w.ncols {
		w.slab = make([]parquet.Value, 0, len(rows)*w.ncols)
	}
	nf := len(w.fields)
	for ri, row := range rows {
		if len(row) != nf {
			return fmt.Errorf("row %d has %d values, the schema has %d columns", ri, len(row), nf)
		}
		start := len(w.slab)
		w.rowBytes = 0
		if w.flat {
			for fi, f := range w.fields {
				if err := w.shredFlat(f, row[fi]); err != nil {
					return fmt.Errorf("row %d: %w", ri, err)
				}
			}
		} else {
			for c := range w.scratch {
				w.scratch[c] = w.scratch[c][:0]
				w.cell[c] = 0
			}
			for fi, f := range w.fields {
				if err := w.shred(f, row[fi], 0, f.def-boolInt(f.optional), true); err != nil {
					return fmt.Errorf("row %d: %w", ri, err)
				}
			}
			for _, vs := range w.scratch {
				w.slab = append(w.slab, vs...)
			}
		}
		w.prows = append(w.prows, parquet.Row(w.slab[start:len(w.slab):len(w.slab)]))
		if chunk += w.rowBytes; chunk >= writeChunkBytes {
			w.chunkEnds = append(w.chunkEnds, len(w.prows))
			chunk = 0
		}
	}
	if len(w.chunkEnds) == 0 || w.chunkEnds[len(w.chunkEnds)-1] != len(w.prows) {
		w.chunkEnds = append(w.chunkEnds, len(w.prows))
	}
	// The slab may have been reallocated while appending; re-slice rows onto its final array.
	off := 0
	for i, r := range w.prows {
		w.prows[i] = parquet.Row(w.slab[off : off+len(r) : off+len(r)])
		off += len(r)
	}
	from := 0
	for _, to := range w.chunkEnds {
		if _, err := w.pw.WriteRows(w.prows[from:to]); err != nil {
			return fmt.Errorf("parquet write: %w", err)
		}
		from = to
	}
	w.trackBounds(w.prows, w.rows)
	w.rows += int64(len(rows))
	for i := range w.batch {
		w.stats[i].merge(&w.batch[i])
	}
	return nil
}

func tooLarge(f *wnode, v any, n int) error {
	return fmt.Errorf("column %q: value %s makes %d bytes in one row, expected at most %d (MaxValueBytes) for Delta %s", f.path, describe(v), n, MaxValueBytes, f.typ)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (w *Writer) shredFlat(f *wnode, v any) error {
	switch f.kind {
	case kindLeaf:
		if v == nil {
			if !f.optional {
				return fmt.Errorf("column %q: null in a non-nullable %s column", f.path, f.typ)
			}
			if f.stat >= 0 {
				w.batch[f.stat].nulls++
			}
			w.slab = append(w.slab, parquet.NullValue().Level(0, f.def-1, f.col))
			return nil
		}
		var st *colStats
		if f.stat >= 0 {
			st = &w.batch[f.stat]
		}
		pv, err := f.enc(v, st)
		if err != nil {
			return err
		}
		if pv.Kind() == parquet.ByteArray {
			n := len(pv.ByteArray())
			if n > MaxValueBytes {
				return tooLarge(f, v, n)
			}
			w.rowBytes += n
		}
		w.slab = append(w.slab, pv.Level(0, f.def, f.col))
		return nil
	case kindStruct:
		if v == nil {
			if !f.optional {
				return fmt.Errorf("column %q: null in a non-nullable struct column", f.path)
			}
			w.nullStats(f)
			for _, c := range f.leafCols {
				w.slab = append(w.slab, parquet.NullValue().Level(0, f.def-1, c))
			}
			return nil
		}
		vals, ok := v.([]any)
		if !ok || len(vals) != len(f.children) {
			return fmt.Errorf("column %q: value %s, expected []any with %d fields for %s", f.path, describe(v), len(f.children), f.typ)
		}
		for i, c := range f.children {
			if err := w.shredFlat(c, vals[i]); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("column %q: internal error: repeated column in flat schema", f.path)
}

// nullStats counts a null for every stats unit below a null struct, as Spark's per-leaf
// null counts do.
func (w *Writer) nullStats(f *wnode) {
	if f.stat >= 0 {
		w.batch[f.stat].nulls++
	}
	for _, c := range f.children {
		w.nullStats(c)
	}
}

// shred appends the values of v (Dremel striping) to the per-column scratch buffers. def is
// the definition level reached by the parent; stats is false below arrays and maps.
func (w *Writer) shred(f *wnode, v any, rep, def int, stats bool) error {
	if v == nil {
		if !f.optional {
			return fmt.Errorf("column %q: null in a non-nullable %s column", f.path, f.typ)
		}
		if stats {
			w.nullStats(f)
		}
		for _, c := range f.leafCols {
			w.scratch[c] = append(w.scratch[c], parquet.NullValue().Level(rep, def, c))
		}
		return nil
	}
	switch f.kind {
	case kindLeaf:
		var st *colStats
		if stats && f.stat >= 0 {
			st = &w.batch[f.stat]
		}
		pv, err := f.enc(v, st)
		if err != nil {
			return err
		}
		if pv.Kind() == parquet.ByteArray {
			n := len(pv.ByteArray())
			if w.cell[f.col] += n; w.cell[f.col] > MaxValueBytes {
				return tooLarge(f, v, w.cell[f.col])
			}
			w.rowBytes += n
		}
		w.scratch[f.col] = append(w.scratch[f.col], pv.Level(rep, f.def, f.col))
	case kindStruct:
		vals, ok := v.([]any)
		if !ok || len(vals) != len(f.children) {
			return fmt.Errorf("column %q: value %s, expected []any with %d fields for %s", f.path, describe(v), len(f.children), f.typ)
		}
		for i, c := range f.children {
			if err := w.shred(c, vals[i], rep, f.def, stats); err != nil {
				return err
			}
		}
	case kindList:
		elems, ok := v.([]any)
		if !ok {
			return fmt.Errorf("column %q: value %s, expected []any for %s", f.path, describe(v), f.typ)
		}
		if len(elems) == 0 {
			for _, c := range f.leafCols {
				w.scratch[c] = append(w.scratch[c], parquet.NullValue().Level(rep, f.def, c))
			}
			return nil
		}
		for i, e := range elems {
			r := rep
			if i > 0 {
				r = f.elem.rep
			}
			if err := w.shred(f.elem, e, r, f.def+1, false); err != nil {
				return err
			}
		}
	case kindMap:
		entries, ok := v.([]schema.MapEntry)
		if !ok {
			return fmt.Errorf("column %q: value %s, expected []schema.MapEntry for %s", f.path, describe(v), f.typ)
		}
		if len(entries) == 0 {
			for _, c := range f.leafCols {
				w.scratch[c] = append(w.scratch[c], parquet.NullValue().Level(rep, f.def, c))
			}
			return nil
		}
		for i, e := range entries {
			r := rep
			if i > 0 {
				r = f.key.rep
			}
			if e.Key == nil {
				return fmt.Errorf("column %q: null map key", f.path)
			}
			if err := w.shred(f.key, e.Key, r, f.def+1, false); err != nil {
				return err
			}
			if err := w.shred(f.val, e.Value, r, f.def+1, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// Written returns the file size so far: bytes already flushed to the io.Writer plus an
// estimate of the buffered row group, which is uncompressed and so pessimistic; the figure
// can therefore drop when a row group is flushed and compressed. Use it to roll files at a
// target size.
func (w *Writer) Written() int64 { return w.pw.Size() }

// Rows returns the number of rows written so far.
func (w *Writer) Rows() int64 { return w.rows }

// Close flushes the last row group and the footer and returns the file's statistics. The
// underlying io.Writer is not closed. After Close the Writer must not be used.
func (w *Writer) Close() (FileStats, error) {
	if w.closed {
		return FileStats{}, fmt.Errorf("parquet writer already closed")
	}
	w.closed = true
	// The last row group goes straight through; only the page indexes and the footer that
	// Close writes after it are held back, so that the footer gets the Writer's bounds.
	if err := w.pw.Flush(); err != nil {
		return FileStats{}, fmt.Errorf("parquet close: %w", err)
	}
	w.out.hold = true
	if err := w.pw.Close(); err != nil {
		return FileStats{}, fmt.Errorf("parquet close: %w", err)
	}
	if err := w.out.finish(w.editFooter, func(_, col int) bool { return col < len(w.noIndex) && w.noIndex[col] }); err != nil {
		return FileStats{}, fmt.Errorf("parquet close: %w", err)
	}
	return w.fileStats(), nil
}

func describe(v any) string {
	s := fmt.Sprintf("%v", v)
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return fmt.Sprintf("%q (%T)", s, v)
}

// encoder validates one non-null value, updates its stats (st may be nil) and encodes it.
type encoder func(v any, st *colStats) (parquet.Value, error)

func wrongType(path string, v any, t schema.Type, want string) error {
	return fmt.Errorf("column %q: value %s, expected %s for Delta %s", path, describe(v), want, t)
}

func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func newEncoder(t schema.Type, path string) (encoder, error) {
	switch tt := t.(type) {
	case schema.DecimalType:
		return decimalEncoder(tt, path), nil
	case schema.PrimitiveType:
		switch tt {
		case schema.Boolean:
			return func(v any, st *colStats) (parquet.Value, error) {
				b, ok := v.(bool)
				if !ok {
					return parquet.Value{}, wrongType(path, v, t, "bool")
				}
				return parquet.BooleanValue(b), nil
			}, nil
		case schema.Byte:
			return func(v any, st *colStats) (parquet.Value, error) {
				x, ok := v.(int8)
				if !ok {
					return parquet.Value{}, wrongType(path, v, t, "int8")
				}
				st.int(int64(x))
				return parquet.Int32Value(int32(x)), nil
			}, nil
		case schema.Short:
			return func(v any, st *colStats) (parquet.Value, error) {
				x, ok := v.(int16)
				if !ok {
					return parquet.Value{}, wrongType(path, v, t, "int16")
				}
				st.int(int64(x))
				return parquet.Int32Value(int32(x)), nil
			}, nil
		case schema.Integer:
			return func(v any, st *colStats) (parquet.Value, error) {
				x, ok := v.(int32)
				if !ok {
					return parquet.Value{}, wrongType(path, v, t, "int32")
				}
				st.int(int64(x))
				return parquet.Int32Value(x), nil
			}, nil
		case schema.Long:
			return func(v any, st *colStats) (parquet.Value, error) {
				x, ok := v.(int64)
				if !ok {
					return parquet.Value{}, wrongType(path, v, t, "int64")
				}
				st.int(x)
				return parquet.Int64Value(x), nil
			}, nil
		case schema.Float:
			return func(v any, st *colStats) (parquet.Value, error) {
				x, ok := v.(float32)
				if !ok {
					return parquet.Value{}, wrongType(path, v, t, "float32")
				}
				st.float(float64(x))
				return parquet.FloatValue(x), nil
			}, nil
		case schema.Double:
			return func(v any, st *colStats) (parquet.Value, error) {
				x, ok := v.(float64)
				if !ok {
					return parquet.Value{}, wrongType(path, v, t, "float64")
				}
				st.float(x)
				return parquet.DoubleValue(x), nil
			}, nil
		case schema.String:
			return func(v any, st *colStats) (parquet.Value, error) {
				s, ok := v.(string)
				if !ok {
					return parquet.Value{}, wrongType(path, v, t, "string")
				}
				if !utf8.ValidString(s) {
					return parquet.Value{}, fmt.Errorf("column %q: value %s is not valid UTF-8, expected a UTF-8 string", path, describe(v))
				}
				st.str(s)
				return parquet.ByteArrayValue(bytesOf(s)), nil
			}, nil
		case schema.Binary:
			return func(v any, st *colStats) (parquet.Value, error) {
				b, ok := v.([]byte)
				if !ok {
					return parquet.Value{}, wrongType(path, v, t, "[]byte")
				}
				st.count()
				return parquet.ByteArrayValue(b), nil
			}, nil
		case schema.DateType:
			return func(v any, st *colStats) (parquet.Value, error) {
				d, ok := v.(schema.Date)
				if !ok {
					return parquet.Value{}, wrongType(path, v, t, "schema.Date")
				}
				st.int(int64(d))
				return parquet.Int32Value(int32(d)), nil
			}, nil
		case schema.Timestamp, schema.TimestampNTZ:
			return func(v any, st *colStats) (parquet.Value, error) {
				ts, ok := v.(time.Time)
				if !ok {
					return parquet.Value{}, wrongType(path, v, t, "time.Time")
				}
				y := ts.UTC().Year()
				if y < -290000 || y > 290000 {
					return parquet.Value{}, fmt.Errorf("column %q: value %s is outside the INT64 microsecond range of Delta %s", path, describe(v), t)
				}
				us := ts.UnixMicro()
				st.int(us)
				return parquet.Int64Value(us), nil
			}, nil
		}
	}
	return nil, fmt.Errorf("column %q: Delta type %s cannot be written to Parquet by this writer", path, t)
}

var pow10Int64 = func() [19]int64 {
	var p [19]int64
	p[0] = 1
	for i := 1; i < 19; i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

func decimalEncoder(t schema.DecimalType, path string) encoder {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(t.Precision)), nil)
	width := decimalBytes(t.Precision)
	fits := func(d schema.Decimal, v any) (schema.Decimal, error) {
		if d.Unscaled == nil {
			return d, fmt.Errorf("column %q: value %s has a nil unscaled value, expected a %s", path, describe(v), t)
		}
		if d.Scale != t.Scale {
			r, err := d.Rescale(t.Scale)
			if err != nil {
				return d, fmt.Errorf("column %q: value %s has more fractional digits than Delta %s allows", path, d, t)
			}
			d = r
		}
		if new(big.Int).Abs(d.Unscaled).Cmp(limit) >= 0 {
			return d, fmt.Errorf("column %q: value %s does not fit Delta %s (more than %d digits)", path, d, t, t.Precision)
		}
		return d, nil
	}
	return func(v any, st *colStats) (parquet.Value, error) {
		d, ok := v.(schema.Decimal)
		if !ok {
			return parquet.Value{}, wrongType(path, v, t, "schema.Decimal")
		}
		if t.Precision <= 18 && d.Scale == t.Scale && d.Unscaled != nil && d.Unscaled.IsInt64() {
			// Fast path for money-sized decimals: no big.Int arithmetic.
			u := d.Unscaled.Int64()
			if u >= pow10Int64[t.Precision] || u <= -pow10Int64[t.Precision] {
				return parquet.Value{}, fmt.Errorf("column %q: value %s does not fit Delta %s (more than %d digits)", path, d, t, t.Precision)
			}
			st.int(u)
			if t.Precision <= 9 {
				return parquet.Int32Value(int32(u)), nil
			}
			return parquet.Int64Value(u), nil
		}
		d, err := fits(d, v)
		if err != nil {
			return parquet.Value{}, err
		}
		switch {
		case t.Precision <= 9:
			st.int(d.Unscaled.Int64())
			return parquet.Int32Value(int32(d.Unscaled.Int64())), nil
		case t.Precision <= 18:
			st.int(d.Unscaled.Int64())
			return parquet.Int64Value(d.Unscaled.Int64()), nil
		}
		b, err := d.FixedBytes(width)
		if err != nil {
			return parquet.Value{}, fmt.Errorf("column %q: %w", path, err)
		}
		st.big(d.Unscaled)
		return parquet.FixedLenByteArrayValue(b), nil
	}
}
