package parquetio

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// maxColumnValues bounds the values decoded for one column chunk, so a corrupt header cannot
// make ReadFile allocate without limit. Delta data files hold far fewer values per row group.
const maxColumnValues = 1 << 27

var errMalformedLevels = errors.New("repetition/definition levels do not match the schema (corrupt file)")

// ReadFile decodes one Delta data file into rows aligned to read's fields.
//
// Parquet columns are matched to fields by name (exact, then case-insensitive), recursively
// inside structs; a field the file lacks (the file predates the column) reads as nil in every
// row, and file columns the schema does not name (for example _change_type) are ignored.
// Values follow delta/schema's package doc. Every encoding Spark, delta-rs and parquet-go
// produce is handled, including INT96 and INT64 millis/micros/nanos timestamps, decimals on
// INT32/INT64/FIXED_LEN_BYTE_ARRAY/BYTE_ARRAY (dictionary encoded or not) and 3-level or
// legacy 2-level lists. A column whose Parquet type cannot represent its Delta type fails the
// whole read with an error naming the column and both types; a corrupt file fails with an
// error, never a panic. The rows are decoded column by column and share one backing array
// per row group. For column-mapping tables pass read with fields renamed to their physical
// names (delta.columnMapping.physicalName); files are matched by name only, not field id.
func ReadFile(r io.ReaderAt, size int64, read *schema.StructType) (rows [][]any, err error) {
	defer func() {
		// parquet-go's decoders may panic on corrupt pages; a data file is input, so it
		// must fail like any other bad input.
		if p := recover(); p != nil {
			rows, err = nil, fmt.Errorf("parquet file is corrupt: decoder panicked: %v", p)
		}
	}()
	if err := checkFooter(r, size); err != nil {
		return nil, err
	}
	f, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("open parquet file: %w", err)
	}
	md := f.Metadata()
	root, ncols, err := buildFileTree(md.Schema)
	if err != nil {
		return nil, err
	}
	var spans []chunkSpan
	for _, rg := range md.RowGroups {
		for _, cc := range rg.Columns {
			m := cc.MetaData
			start := m.DataPageOffset
			if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < start {
				start = m.DictionaryPageOffset
			}
			spans = append(spans, chunkSpan{path: strings.Join(m.PathInSchema, "."), start: start, length: m.TotalCompressedSize})
		}
	}
	if err := checkPages(r, size, spans); err != nil {
		return nil, err
	}
	fields := make([]asm, len(read.Fields))
	var leafCols []*leafColumn
	for i, fld := range read.Fields {
		n := root.child(fld.Name)
		if n == nil {
			continue
		}
		a, err := compile(n, fld.Type, false, &leafCols)
		if err != nil {
			return nil, err
		}
		fields[i] = a
	}
	for _, lc := range leafCols {
		if lc.node.column >= ncols {
			return nil, fmt.Errorf("parquet column %q has index %d, the file has %d columns", lc.node.path, lc.node.column, ncols)
		}
	}

	if len(leafCols) == 0 {
		// No requested column is in the file (all added later): decode one file column
		// anyway so that the row count is proven by data rather than taken from the footer.
		if first := firstLeaf(root); first != nil {
			leafCols = append(leafCols, &leafColumn{node: first, maxDef: first.def,
				conv: func(parquet.Value) (any, error) { return nil, nil }})
		}
	}
	total := f.NumRows()
	if total < 0 || total > maxColumnValues {
		return nil, fmt.Errorf("parquet footer claims %d rows", total)
	}
	for _, rg := range f.RowGroups() {
		for _, cc := range rg.ColumnChunks() {
			if n := cc.NumValues(); n < 0 || n > maxColumnValues {
				return nil, fmt.Errorf("parquet column chunk claims %d values (corrupt file or over the %d limit)", n, maxColumnValues)
			}
		}
	}
	width := len(read.Fields)
	for _, rg := range f.RowGroups() {
		n := rg.NumRows()
		if n < 0 || int64(len(rows))+n > total {
			return nil, fmt.Errorf("parquet row groups hold more rows than the footer's %d", total)
		}
		chunks := rg.ColumnChunks()
		for _, lc := range leafCols {
			if lc.node.column >= len(chunks) {
				return nil, fmt.Errorf("parquet row group lacks column %q", lc.node.path)
			}
			if err := lc.load(chunks[lc.node.column]); err != nil {
				return nil, err
			}
			if got := lc.rowCount(); got != n {
				return nil, fmt.Errorf("column %q holds %d rows, its row group says %d (corrupt file)", lc.node.path, got, n)
			}
		}
		// Allocate only once the data has proven the row count.
		slab := make([]any, int(n)*width)
		base := len(rows)
		for r := 0; r < int(n); r++ {
			rows = append(rows, slab[r*width:(r+1)*width:(r+1)*width])
		}
		for i, a := range fields {
			if a == nil {
				continue
			}
			if err := assembleColumn(a, rows[base:], i); err != nil {
				return nil, fmt.Errorf("column %q: %w", read.Fields[i].Name, err)
			}
		}
	}
	if rows == nil {
		rows = [][]any{}
	}
	if len(rows) != int(total) {
		return nil, fmt.Errorf("parquet row groups hold %d rows, the footer says %d", len(rows), total)
	}
	return rows, nil
}

func assembleColumn(a asm, rows [][]any, i int) error {
	if l, ok := a.(*leafAsm); ok && l.col.node.rep == 0 {
		// Flat column: one value per row, no level bookkeeping needed.
		if len(l.col.vals) != len(rows) {
			return fmt.Errorf("column chunk has %d values for %d rows (corrupt file)", len(l.col.vals), len(rows))
		}
		for r, v := range l.col.vals {
			rows[r][i] = v
		}
		return nil
	}
	st := &asmState{}
	for r := range rows {
		rows[r][i] = a.read(st)
		if st.err != nil {
			return st.err
		}
	}
	if lead := a.lead(); lead != nil && lead.pos != len(lead.vals) {
		return errMalformedLevels
	}
	return nil
}

// leafColumn holds one decoded column chunk: converted values plus, for nested columns, the
// levels needed to reassemble them.
type leafColumn struct {
	node   *fileNode
	conv   converter
	maxDef int
	defs   []uint8
	reps   []uint8
	vals   []any
	pos    int
}

func (lc *leafColumn) load(chunk parquet.ColumnChunk) error {
	lc.defs, lc.reps, lc.vals, lc.pos = lc.defs[:0], lc.reps[:0], lc.vals[:0], 0
	nested := lc.node.rep > 0 || !lc.isTopLevel()
	pages := chunk.Pages()
	defer pages.Close()
	buf := make([]parquet.Value, 4096)
	for {
		p, err := pages.ReadPage()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("column %q: %w", lc.node.path, err)
		}
		vr := p.Values()
		for {
			n, rerr := vr.ReadValues(buf)
			if len(lc.vals)+n > maxColumnValues {
				parquet.Release(p)
				return fmt.Errorf("column %q: more than %d values in one column chunk", lc.node.path, maxColumnValues)
			}
			for _, v := range buf[:n] {
				d := v.DefinitionLevel()
				if nested {
					if d > lc.maxDef || v.RepetitionLevel() > lc.node.rep {
						parquet.Release(p)
						return fmt.Errorf("column %q: %w", lc.node.path, errMalformedLevels)
					}
					lc.defs = append(lc.defs, uint8(d))
					lc.reps = append(lc.reps, uint8(v.RepetitionLevel()))
				}
				if d < lc.maxDef || v.IsNull() {
					lc.vals = append(lc.vals, nil)
					continue
				}
				x, err := lc.conv(v)
				if err != nil {
					parquet.Release(p)
					return err
				}
				lc.vals = append(lc.vals, x)
			}
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				parquet.Release(p)
				return fmt.Errorf("column %q: %w", lc.node.path, rerr)
			}
			if n == 0 {
				break
			}
		}
		parquet.Release(p)
	}
}

// rowCount is the number of rows the decoded chunk spans (entries starting a new row).
func (lc *leafColumn) rowCount() int64 {
	if lc.reps == nil || lc.node.rep == 0 {
		return int64(len(lc.vals))
	}
	var n int64
	for _, r := range lc.reps {
		if r == 0 {
			n++
		}
	}
	return n
}

func firstLeaf(n *fileNode) *fileNode {
	if n.isLeaf() {
		return n
	}
	for _, c := range n.children {
		if l := firstLeaf(c); l != nil {
			return l
		}
	}
	return nil
}

func (lc *leafColumn) isTopLevel() bool { return lc.node.path == lc.node.name }

type asmState struct{ err error }

func (lc *leafColumn) peekDef(st *asmState) int {
	if lc.pos >= len(lc.vals) || lc.pos >= len(lc.defs) {
		st.err = errMalformedLevels
		return 0
	}
	return int(lc.defs[lc.pos])
}

// asm reassembles one value of a (possibly nested) field from the levels of its leaves
// (Dremel record assembly).
type asm interface {
	// read consumes one instance, returning nil for null.
	read(st *asmState) any
	// skip consumes the single entry every leaf below holds for a null or empty ancestor.
	skip(st *asmState)
	// lead is the first leaf below, whose levels decide nulls and list boundaries.
	lead() *leafColumn
}

type missingAsm struct{}

func (missingAsm) read(*asmState) any { return nil }
func (missingAsm) skip(*asmState)     {}
func (missingAsm) lead() *leafColumn  { return nil }

type leafAsm struct{ col *leafColumn }

func (l *leafAsm) read(st *asmState) any {
	if l.col.pos >= len(l.col.vals) {
		st.err = errMalformedLevels
		return nil
	}
	v := l.col.vals[l.col.pos]
	l.col.pos++
	return v
}
func (l *leafAsm) skip(st *asmState) { l.read(st) }
func (l *leafAsm) lead() *leafColumn { return l.col }

type structAsm struct {
	optional bool
	def      int
	fields   []asm
	first    *leafColumn
}

func (s *structAsm) read(st *asmState) any {
	if s.first == nil {
		return nil
	}
	if s.optional && s.first.peekDef(st) < s.def {
		s.skip(st)
		return nil
	}
	out := make([]any, len(s.fields))
	for i, f := range s.fields {
		out[i] = f.read(st)
	}
	return out
}

func (s *structAsm) skip(st *asmState) {
	for _, f := range s.fields {
		f.skip(st)
	}
}
func (s *structAsm) lead() *leafColumn { return s.first }

// listAsm reads arrays and maps: def is the level at which the collection is non-null,
// elemDef the level at which it has at least one element, rep the repeated node's level.
type listAsm struct {
	def, elemDef, rep int
	elem              asm // arrays
	key, value        asm // maps (elem nil)
	first             *leafColumn
}

func (l *listAsm) skip(st *asmState) {
	if l.elem != nil {
		l.elem.skip(st)
		return
	}
	l.key.skip(st)
	l.value.skip(st)
}
func (l *listAsm) lead() *leafColumn { return l.first }

func (l *listAsm) read(st *asmState) any {
	lead := l.first
	d := lead.peekDef(st)
	if st.err != nil {
		return nil
	}
	if d < l.def {
		l.skip(st)
		return nil
	}
	if d < l.elemDef {
		l.skip(st)
		if l.elem != nil {
			return []any{}
		}
		return []schema.MapEntry{}
	}
	var arr []any
	var entries []schema.MapEntry
	for {
		before := lead.pos
		if l.elem != nil {
			arr = append(arr, l.elem.read(st))
		} else {
			k := l.key.read(st)
			entries = append(entries, schema.MapEntry{Key: k, Value: l.value.read(st)})
		}
		if st.err != nil {
			return nil
		}
		if lead.pos == before {
			st.err = errMalformedLevels
			return nil
		}
		if lead.pos >= len(lead.reps) || int(lead.reps[lead.pos]) < l.rep {
			break
		}
	}
	if l.elem != nil {
		return arr
	}
	return entries
}

func isListGroup(n *fileNode) bool {
	if _, ok := n.elem.LogicalType.Value.(*format.ListType); ok {
		return true
	}
	ct, ok := n.elem.ConvertedType.Get()
	return ok && ct == deprecated.List
}

func isMapGroup(n *fileNode) bool {
	if _, ok := n.elem.LogicalType.Value.(*format.MapType); ok {
		return true
	}
	ct, ok := n.elem.ConvertedType.Get()
	return ok && (ct == deprecated.Map || ct == deprecated.MapKeyValue)
}

// compile builds the assembler of Delta type t from file node n. asElement is set when n is
// the repeated node of a 2-level list, whose presence is implied by the list's levels.
func compile(n *fileNode, t schema.Type, asElement bool, cols *[]*leafColumn) (asm, error) {
	if n.repType == format.Repeated && !asElement {
		// A bare repeated field outside a LIST group is a list of required elements.
		at, ok := t.(*schema.ArrayType)
		if !ok {
			return nil, fmt.Errorf("column %q: Parquet repeated %s cannot be read as Delta %s", n.path, typeDesc(n), t)
		}
		elem, err := compile(n, at.ElementType, true, cols)
		if err != nil {
			return nil, err
		}
		return &listAsm{def: n.def - 1, elemDef: n.def, rep: n.rep, elem: elem, first: elem.lead()}, nil
	}
	optional := n.repType == format.Optional
	switch tt := t.(type) {
	case *schema.StructType:
		if n.isLeaf() || isListGroup(n) || isMapGroup(n) {
			return nil, fmt.Errorf("column %q: cannot read Parquet %s as Delta %s", n.path, typeDesc(n), t)
		}
		s := &structAsm{optional: optional, def: n.def}
		for _, f := range tt.Fields {
			c := n.child(f.Name)
			if c == nil {
				s.fields = append(s.fields, missingAsm{})
				continue
			}
			a, err := compile(c, f.Type, false, cols)
			if err != nil {
				return nil, err
			}
			if s.first == nil {
				s.first = a.lead()
			}
			s.fields = append(s.fields, a)
		}
		if s.first == nil {
			return missingAsm{}, nil
		}
		return s, nil
	case *schema.ArrayType:
		if n.isLeaf() || len(n.children) != 1 || n.children[0].repType != format.Repeated {
			return nil, fmt.Errorf("column %q: cannot read Parquet %s as Delta %s (expected a LIST group with one repeated child)", n.path, typeDesc(n), t)
		}
		r := n.children[0]
		var elemNode *fileNode
		asElem := false
		switch {
		case r.isLeaf(), len(r.children) > 1, r.name == "array", r.name == n.name+"_tuple":
			// Legacy 2-level list: the repeated node is the element.
			elemNode, asElem = r, true
		default:
			elemNode = r.children[0]
		}
		elem, err := compile(elemNode, tt.ElementType, asElem, cols)
		if err != nil {
			return nil, err
		}
		if elem.lead() == nil {
			return missingAsm{}, nil
		}
		return &listAsm{def: n.def, elemDef: r.def, rep: r.rep, elem: elem, first: elem.lead()}, nil
	case *schema.MapType:
		if n.isLeaf() || len(n.children) != 1 || n.children[0].repType != format.Repeated || n.children[0].isLeaf() {
			return nil, fmt.Errorf("column %q: cannot read Parquet %s as Delta %s (expected a MAP group with one repeated key_value group)", n.path, typeDesc(n), t)
		}
		r := n.children[0]
		kn := r.child("key")
		vn := r.child("value")
		if kn == nil && len(r.children) > 0 {
			kn = r.children[0]
		}
		if vn == nil && len(r.children) > 1 {
			vn = r.children[1]
		}
		if kn == nil {
			return nil, fmt.Errorf("column %q: map has no key column", n.path)
		}
		key, err := compile(kn, tt.KeyType, false, cols)
		if err != nil {
			return nil, err
		}
		var value asm = missingAsm{}
		if vn != nil {
			if value, err = compile(vn, tt.ValueType, false, cols); err != nil {
				return nil, err
			}
		}
		if key.lead() == nil {
			return missingAsm{}, nil
		}
		return &listAsm{def: n.def, elemDef: r.def, rep: r.rep, key: key, value: value, first: key.lead()}, nil
	default:
		if !n.isLeaf() {
			return nil, fmt.Errorf("column %q: cannot read Parquet %s as Delta %s", n.path, typeDesc(n), t)
		}
		conv, err := leafConverter(n, t)
		if err != nil {
			return nil, err
		}
		lc := &leafColumn{node: n, conv: conv, maxDef: n.def}
		*cols = append(*cols, lc)
		return &leafAsm{col: lc}, nil
	}
}
