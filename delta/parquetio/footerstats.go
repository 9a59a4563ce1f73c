package parquetio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// Why the footer is edited: parquet-go copies the bounds of every page of a BYTE_ARRAY
// column whole, into the column index buffers, the footer's column chunk statistics and
// (with page statistics on) each page header. One 64 MB string thus cost a 64 MB footer
// that every reader loads first, a 128 MB page header, and about a gigabyte of transient
// copies while writing. So string and binary columns are written without parquet-go's
// bounds (SkipPageBounds); the Writer tracks each row group's bounds itself in bounded
// memory and puts them into the footer at Close, leaving out bounds larger than
// maxFooterStatBytes. parquet-go fills the column index of a column without bounds with
// empty min/max values, which a reader filtering pages would take as "every value is ''"
// (and gives wide decimals an index with no values at all), so those columns' column
// indexes are cut out of the page index section; the format makes them optional per column
// chunk. The section stays contiguous, as parquet-go's reader requires. Float and double
// columns lose theirs too: parquet-go's page bounds may be NaN or a -0.0 max (see
// floatBounds), and the footer, which is fixed here, keeps the row group's bounds.

// maxFooterStatBytes bounds min_value plus max_value of one column chunk in the footer, as
// parquet-mr (MAX_STATS_SIZE) and Arrow (max_statistics_size) do: larger bounds are left
// out. A missing bound is always safe (readers then cannot skip the row group); a truncated
// one could be taken as exact by an engine answering MIN/MAX from metadata, so bounds are
// dropped rather than truncated.
const maxFooterStatBytes = 4096

// byteBound is a running minimum or maximum of byte strings that keeps at most
// maxFooterStatBytes of it: long is set when the true bound is longer. Comparing (prefix,
// long) pairs orders the full values exactly (a longer value with the same prefix is
// greater), so the bound is exact whenever it is short enough to be written.
type byteBound struct {
	set    bool
	long   bool
	prefix []byte
}

func (b *byteBound) cmp(v []byte) int {
	p, long := v, false
	if len(v) > maxFooterStatBytes {
		p, long = v[:maxFooterStatBytes], true
	}
	if c := bytes.Compare(p, b.prefix); c != 0 {
		return c
	}
	switch {
	case long == b.long:
		return 0
	case long:
		return 1
	}
	return -1
}

func (b *byteBound) take(v []byte) {
	b.set = true
	b.long = len(v) > maxFooterStatBytes
	b.prefix = append(b.prefix[:0], v[:min(len(v), maxFooterStatBytes)]...)
}

// chunkBounds is the min and max of one byte-array column in one row group.
type chunkBounds struct{ lo, hi byteBound }

func (c *chunkBounds) add(v []byte) {
	if !c.lo.set || c.lo.cmp(v) < 0 {
		c.lo.take(v)
	}
	if !c.hi.set || c.hi.cmp(v) > 0 {
		c.hi.take(v)
	}
}

// statistics returns the footer bounds, or ok=false when they are absent or too large.
func (c *chunkBounds) statistics() (lo, hi []byte, ok bool) {
	if !c.lo.set || c.lo.long || c.hi.long || len(c.lo.prefix)+len(c.hi.prefix) > maxFooterStatBytes {
		return nil, nil, false
	}
	// A present empty bound must be a non-nil empty slice to be encoded.
	return append([]byte{}, c.lo.prefix...), append([]byte{}, c.hi.prefix...), true
}

// rowGroupBounds is what the Writer tracked for one row group.
type rowGroupBounds struct {
	rows int64
	cols []chunkBounds // by leaf column index
}

// trackBounds folds the string/binary values of rows (already accepted by parquet-go,
// starting at the file's row first) into the bounds of their row groups.
func (w *Writer) trackBounds(rows []parquet.Row, first int64) {
	if len(w.baCols) == 0 {
		return
	}
	for i, r := range rows {
		if n := first + int64(i); n == 0 || n%w.rgRows == 0 {
			w.rowGroups = append(w.rowGroups, &rowGroupBounds{cols: make([]chunkBounds, w.ncols)})
		}
		rg := w.rowGroups[len(w.rowGroups)-1]
		rg.rows++
		for _, v := range r {
			if c := v.Column(); w.baCols[c] && !v.IsNull() {
				rg.cols[c].add(v.ByteArray())
			}
		}
	}
}

// editFooter applies the Writer's bounds to the footer parquet-go wrote. A row group or
// column that does not line up with what the Writer tracked gets no bounds (never wrong
// ones).
func (w *Writer) editFooter(md *format.FileMetaData) {
	for i := range md.RowGroups {
		rg := &md.RowGroups[i]
		var tracked *rowGroupBounds
		if i < len(w.rowGroups) && w.rowGroups[i].rows == rg.NumRows && len(md.RowGroups) == len(w.rowGroups) {
			tracked = w.rowGroups[i]
		}
		for j := range rg.Columns {
			cc := &rg.Columns[j]
			if j >= len(w.leafTypes) {
				continue
			}
			st := &cc.MetaData.Statistics
			if t := w.leafTypes[j]; t == schema.Float || t == schema.Double {
				floatBounds(st, t == schema.Double)
				continue
			}
			if !w.baCols[j] {
				continue
			}
			st.MinValue, st.MaxValue, st.Min, st.Max = nil, nil, nil, nil
			if tracked == nil || !w.baCols[j] || j >= len(w.leafPaths) || strings.Join(cc.MetaData.PathInSchema, ".") != w.leafPaths[j] {
				continue
			}
			if lo, hi, ok := tracked.cols[j].statistics(); ok {
				st.MinValue, st.MaxValue = lo, hi
			}
		}
	}
}

// floatBounds applies the format's rules for FLOAT/DOUBLE statistics, which parquet-go does
// not: no NaN in min or max (parquet-go writes NaN bounds for a chunk holding only NaN) and a
// zero bound is -0.0 as min, +0.0 as max, so that readers ordering -0.0 below +0.0 (Java's
// Double.compare) never skip a zero.
func floatBounds(st *format.Statistics, double bool) {
	if st.MinValue == nil || st.MaxValue == nil {
		return
	}
	get := func(b []byte) float64 {
		if double && len(b) == 8 {
			return math.Float64frombits(binary.LittleEndian.Uint64(b))
		}
		if !double && len(b) == 4 {
			return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		}
		return math.NaN()
	}
	put := func(x float64) []byte {
		if double {
			return binary.LittleEndian.AppendUint64(nil, math.Float64bits(x))
		}
		return binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(x)))
	}
	lo, hi := get(st.MinValue), get(st.MaxValue)
	if math.IsNaN(lo) || math.IsNaN(hi) {
		st.MinValue, st.MaxValue, st.Min, st.Max = nil, nil, nil, nil
		return
	}
	if lo == 0 {
		st.MinValue = put(math.Copysign(0, -1))
	}
	if hi == 0 {
		st.MaxValue = put(0)
	}
	st.Min, st.Max = nil, nil
}

// tailWriter passes writes through to w until hold is set, then keeps them, so the footer
// parquet-go writes last can be edited before it reaches w.
type tailWriter struct {
	w      io.Writer
	hold   bool
	tail   []byte
	passed int64 // bytes written through to w: the tail's offset in the file
}

func (t *tailWriter) Write(p []byte) (int, error) {
	if t.hold {
		t.tail = append(t.tail, p...)
		return len(p), nil
	}
	n, err := t.w.Write(p)
	t.passed += int64(n)
	return n, err
}

// finish writes the held tail (page indexes, footer, footer length, magic) with the footer
// passed through edit and the column indexes of the column chunks that drop(row group,
// column) selects cut out. Only offsets inside the tail move.
func (t *tailWriter) finish(edit func(*format.FileMetaData), drop func(rg, col int) bool) error {
	tail := t.tail
	t.tail = nil
	if len(tail) < 8 || string(tail[len(tail)-4:]) != "PAR1" {
		return fmt.Errorf("parquet-go wrote no footer")
	}
	n := int(binary.LittleEndian.Uint32(tail[len(tail)-8:]))
	if n > len(tail)-8 {
		return fmt.Errorf("parquet-go footer of %d bytes outside the %d bytes written at close", n, len(tail))
	}
	footer := tail[len(tail)-8-n : len(tail)-8]
	var md format.FileMetaData
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), footer, &md); err != nil {
		return fmt.Errorf("decode parquet-go footer: %w", err)
	}
	edit(&md)
	indexes := cutColumnIndexes(&md, tail[:len(tail)-8-n], t.passed, drop)
	b, err := thrift.Marshal(new(thrift.CompactProtocol), &md)
	if err != nil {
		return fmt.Errorf("encode footer: %w", err)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(b)))
	b = append(b, "PAR1"...)
	if _, err := t.w.Write(indexes); err != nil {
		return err
	}
	_, err = t.w.Write(b)
	return err
}

// cutColumnIndexes removes the dropped column indexes from section, the bytes at file
// offset base that precede the footer, and shifts the page index offsets that follow each
// cut. Should a dropped index lie outside the section, no column index of the file is
// referenced any more (parquet-go's reader needs the referenced ones contiguous) and the
// section is returned unchanged.
func cutColumnIndexes(md *format.FileMetaData, section []byte, base int64, drop func(rg, col int) bool) []byte {
	type cut struct{ from, to int64 }
	var cuts []cut
	end := base + int64(len(section))
	for i := range md.RowGroups {
		for j := range md.RowGroups[i].Columns {
			cc := &md.RowGroups[i].Columns[j]
			if cc.ColumnIndexLength == 0 || !drop(i, j) {
				continue
			}
			from, to := cc.ColumnIndexOffset, cc.ColumnIndexOffset+int64(cc.ColumnIndexLength)
			if from < base || to > end || len(cuts) > 0 && from < cuts[len(cuts)-1].to {
				for i := range md.RowGroups {
					for j := range md.RowGroups[i].Columns {
						md.RowGroups[i].Columns[j].ColumnIndexOffset, md.RowGroups[i].Columns[j].ColumnIndexLength = 0, 0
					}
				}
				return section
			}
			cuts = append(cuts, cut{from, to})
			cc.ColumnIndexOffset, cc.ColumnIndexLength = 0, 0
		}
	}
	if len(cuts) == 0 {
		return section
	}
	shift := func(off int64) int64 {
		var d int64
		for _, c := range cuts {
			if c.from < off {
				d += c.to - c.from
			}
		}
		return off - d
	}
	for i := range md.RowGroups {
		for j := range md.RowGroups[i].Columns {
			cc := &md.RowGroups[i].Columns[j]
			if cc.ColumnIndexLength > 0 {
				cc.ColumnIndexOffset = shift(cc.ColumnIndexOffset)
			}
			if cc.OffsetIndexLength > 0 && cc.OffsetIndexOffset >= base {
				cc.OffsetIndexOffset = shift(cc.OffsetIndexOffset)
			}
		}
	}
	out := make([]byte, 0, len(section))
	prev := base
	for _, c := range cuts {
		out = append(out, section[prev-base:c.from-base]...)
		prev = c.to
	}
	return append(out, section[prev-base:]...)
}
