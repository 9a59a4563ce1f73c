package parquetio

import (
	"bytes"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/parquet-go/parquet-go"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

func boundsSchema(t testing.TB) *schema.StructType {
	t.Helper()
	s, err := schema.Parse(`{"type":"struct","fields":[
	{"name":"id","type":"long","nullable":false,"metadata":{}},
	{"name":"s","type":"string","nullable":true,"metadata":{}},
	{"name":"b","type":"binary","nullable":true,"metadata":{}},
	{"name":"tags","type":{"type":"array","elementType":"string","containsNull":true},"nullable":true,"metadata":{}},
	{"name":"m","type":{"type":"map","keyType":"string","valueType":"binary","valueContainsNull":true},"nullable":true,"metadata":{}},
	{"name":"d38","type":"decimal(38,2)","nullable":true,"metadata":{}},
	{"name":"n","type":"integer","nullable":true,"metadata":{}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func randBytes(r *rand.Rand) []byte {
	var n int
	switch r.IntN(10) {
	case 0:
		n = 0
	case 1:
		n = 2000 + r.IntN(3000) // around the 4096-byte footer limit
	default:
		n = r.IntN(12)
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = []byte{0, 'a', 'b', 0x7f, 0x80, 0xff}[r.IntN(6)]
	}
	return b
}

func randUTF8(r *rand.Rand) string {
	b := randBytes(r)
	for i := range b {
		b[i] = "aAzZ0~ \x00"[b[i]%8]
	}
	if r.IntN(8) == 0 {
		return string(b) + "é😈"
	}
	return string(b)
}

func boundsRows(r *rand.Rand, n int) [][]any {
	rows := make([][]any, n)
	for i := range rows {
		row := []any{int64(i), randUTF8(r), randBytes(r), nil, nil,
			schema.Decimal{Unscaled: big.NewInt(r.Int64N(2000) - 1000), Scale: 2}, int32(r.IntN(100))}
		if r.IntN(3) > 0 {
			tags := []any{}
			for range r.IntN(4) {
				if r.IntN(5) == 0 {
					tags = append(tags, nil)
				} else {
					tags = append(tags, randUTF8(r))
				}
			}
			row[3] = tags
		}
		if r.IntN(3) > 0 {
			m := []schema.MapEntry{}
			for k := range r.IntN(3) {
				var v any
				if r.IntN(4) > 0 {
					v = randBytes(r)
				}
				m = append(m, schema.MapEntry{Key: fmt.Sprintf("%s%d", randUTF8(r), k), Value: v})
			}
			row[4] = m
		}
		for c := 1; c < len(row); c++ {
			if r.IntN(6) == 0 {
				row[c] = nil
			}
		}
		rows[i] = row
	}
	return rows
}

// leafBytes returns the non-null string/binary values of row for leaf columns 1..5
// (s, b, tags element, m key, m value).
func leafBytes(row []any) map[int][][]byte {
	out := map[int][][]byte{}
	add := func(c int, v any) {
		switch x := v.(type) {
		case string:
			out[c] = append(out[c], []byte(x))
		case []byte:
			out[c] = append(out[c], x)
		}
	}
	add(1, row[1])
	add(2, row[2])
	if tags, ok := row[3].([]any); ok {
		for _, e := range tags {
			add(3, e)
		}
	}
	if m, ok := row[4].([]schema.MapEntry); ok {
		for _, e := range m {
			add(4, e.Key)
			add(5, e.Value)
		}
	}
	return out
}

// TestFooterBoundsExact checks the footer statistics the Writer puts in place of
// parquet-go's for string and binary columns: per row group, min_value and max_value are
// exactly the smallest and largest value in unsigned byte order (empty strings, 0xff bytes,
// list elements and map keys/values included), and are left out when they exceed 4096 bytes
// together. String/binary and wide decimal columns carry no column index; the others keep
// theirs, and parquet-go and arrow-go read the page index section.
func TestFooterBoundsExact(t *testing.T) {
	s := boundsSchema(t)
	r := rand.New(rand.NewPCG(3, 4))
	rows := boundsRows(r, 2500)
	const rg = 300
	data, _ := writeFile(t, s, rows, WriterOptions{RowGroupRows: rg, Compression: "snappy"})
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(bytes.NewReader(data), int64(len(data)), s)
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, "bounds", s, rows, got)
	md := f.Metadata()
	if len(md.RowGroups) != (len(rows)+rg-1)/rg {
		t.Fatalf("%d row groups", len(md.RowGroups))
	}
	var withBounds, dropped int
	for i, g := range md.RowGroups {
		lo, hi := map[int][]byte{}, map[int][]byte{}
		for _, row := range rows[i*rg : min((i+1)*rg, len(rows))] {
			for c, vs := range leafBytes(row) {
				for _, v := range vs {
					if l, ok := lo[c]; !ok || bytes.Compare(v, l) < 0 {
						lo[c] = v
					}
					if h, ok := hi[c]; !ok || bytes.Compare(v, h) > 0 {
						hi[c] = v
					}
				}
			}
		}
		for c, cc := range g.Columns {
			st := cc.MetaData.Statistics
			path := strings.Join(cc.MetaData.PathInSchema, ".")
			switch {
			case c >= 1 && c <= 5:
				if cc.ColumnIndexOffset != 0 || cc.ColumnIndexLength != 0 {
					t.Errorf("row group %d %s: column index kept (parquet-go's has empty bounds)", i, path)
				}
				l, ok := lo[c]
				if !ok || len(l)+len(hi[c]) > maxFooterStatBytes {
					if st.MinValue != nil || st.MaxValue != nil {
						t.Errorf("row group %d %s: bounds of %d+%d bytes written, want them left out", i, path, len(st.MinValue), len(st.MaxValue))
					}
					dropped++
					continue
				}
				withBounds++
				if st.MinValue == nil || st.MaxValue == nil || !bytes.Equal(st.MinValue, l) || !bytes.Equal(st.MaxValue, hi[c]) {
					t.Errorf("row group %d %s: bounds [%q, %q], want [%q, %q]", i, path, st.MinValue, st.MaxValue, l, hi[c])
				}
			case c == 6: // d38: parquet-go's unsigned order is wrong for it, so none
				if st.MinValue != nil || cc.ColumnIndexOffset != 0 {
					t.Errorf("row group %d %s: bounds or column index for a wide decimal", i, path)
				}
			default:
				if st.MinValue == nil || cc.ColumnIndexOffset == 0 {
					t.Errorf("row group %d %s: parquet-go's bounds or column index missing", i, path)
				}
			}
		}
	}
	if withBounds == 0 || dropped == 0 {
		t.Fatalf("%d chunks with bounds, %d without: the data does not exercise both", withBounds, dropped)
	}
	if len(f.ColumnIndexes()) == 0 || len(f.OffsetIndexes()) == 0 {
		t.Fatal("parquet-go read no page index")
	}
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	pir := pf.GetPageIndexReader()
	for i := range md.RowGroups {
		rgr, err := pir.RowGroup(i)
		if err != nil {
			t.Fatal(err)
		}
		for c := range md.RowGroups[i].Columns {
			ci, err := rgr.GetColumnIndex(c)
			if err != nil {
				t.Fatalf("arrow: row group %d column %d index: %v", i, c, err)
			}
			if (ci == nil) != (c >= 1 && c <= 6) {
				t.Errorf("arrow: row group %d column %d: column index %v", i, c, ci)
			}
			if oi, err := rgr.GetOffsetIndex(c); err != nil || oi == nil {
				t.Fatalf("arrow: row group %d column %d offset index: %v %v", i, c, oi, err)
			}
		}
	}
}

// TestByteBoundOrdersLikeFullValues checks the bounded comparison byteBound uses against
// bytes.Compare on full values, around the prefix length.
func TestByteBoundOrdersLikeFullValues(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	gen := func() []byte {
		n := maxFooterStatBytes - 2 + r.IntN(5)
		if r.IntN(3) == 0 {
			n = r.IntN(10)
		}
		b := bytes.Repeat([]byte{'a'}, n)
		if n > 0 && r.IntN(2) == 0 {
			b[r.IntN(n)] = 'b'
		}
		return b
	}
	for range 20000 {
		var cb chunkBounds
		var vals [][]byte
		for range 1 + r.IntN(5) {
			v := gen()
			vals = append(vals, v)
			cb.add(v)
		}
		lo, hi := vals[0], vals[0]
		for _, v := range vals {
			if bytes.Compare(v, lo) < 0 {
				lo = v
			}
			if bytes.Compare(v, hi) > 0 {
				hi = v
			}
		}
		glo, ghi, ok := cb.statistics()
		want := len(lo)+len(hi) <= maxFooterStatBytes
		if ok != want || ok && (!bytes.Equal(glo, lo) || !bytes.Equal(ghi, hi)) {
			t.Fatalf("bounds of %d values: got %d/%d bytes ok=%v, want %d/%d ok=%v", len(vals), len(glo), len(ghi), ok, len(lo), len(hi), want)
		}
		if !ok && (cb.lo.long != (len(lo) > maxFooterStatBytes) || cb.hi.long != (len(hi) > maxFooterStatBytes)) {
			t.Fatalf("long flags %v/%v for bounds of %d/%d bytes", cb.lo.long, cb.hi.long, len(lo), len(hi))
		}
	}
}
