package parquetio

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/parquet-go/parquet-go"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

func edgeSchema(t testing.TB) *schema.StructType {
	t.Helper()
	s, err := schema.Parse(`{"type":"struct","fields":[
	{"name":"f64","type":"double","nullable":true,"metadata":{}},
	{"name":"f32","type":"float","nullable":true,"metadata":{}},
	{"name":"s","type":"string","nullable":true,"metadata":{}},
	{"name":"bin","type":"binary","nullable":true,"metadata":{}},
	{"name":"ts","type":"timestamp","nullable":true,"metadata":{}},
	{"name":"ntz","type":"timestamp_ntz","nullable":true,"metadata":{}},
	{"name":"d","type":"date","nullable":true,"metadata":{}},
	{"name":"d38","type":"decimal(38,0)","nullable":true,"metadata":{}},
	{"name":"d38s","type":"decimal(38,38)","nullable":true,"metadata":{}},
	{"name":"d19","type":"decimal(19,4)","nullable":true,"metadata":{}},
	{"name":"d18","type":"decimal(18,18)","nullable":true,"metadata":{}},
	{"name":"d1","type":"decimal(1,0)","nullable":true,"metadata":{}},
	{"name":"i64","type":"long","nullable":true,"metadata":{}},
	{"name":"i8","type":"byte","nullable":true,"metadata":{}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func nines(n int) string { return strings.Repeat("9", n) }

// edgeColumns lists, per column of edgeSchema, the extreme values the writer accepts.
func edgeColumns(t testing.TB) [][]any {
	negZero := math.Copysign(0, -1)
	payloadNaN := math.Float64frombits(0x7ff8_0000_dead_beef)
	ts := func(y int, mo time.Month, d, h, mi, s, us int) time.Time {
		return time.Date(y, mo, d, h, mi, s, us*1000, time.UTC)
	}
	zone := time.FixedZone("+05:30", 5*3600+1800)
	times := []any{
		ts(-290000, 1, 1, 0, 0, 0, 0), ts(290000, 12, 31, 23, 59, 59, 999999), ts(1, 1, 1, 0, 0, 0, 0),
		ts(9999, 12, 31, 23, 59, 59, 999999), ts(10000, 1, 1, 0, 0, 0, 0), ts(1969, 12, 31, 23, 59, 59, 999999),
		ts(1970, 1, 1, 0, 0, 0, 1), time.Date(2024, 2, 29, 23, 59, 59, 123456000, zone), ts(-1, 6, 15, 0, 0, 0, 0),
	}
	return [][]any{
		{math.NaN(), payloadNaN, math.Inf(1), math.Inf(-1), negZero, 0.0, math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64},
		{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), float32(negZero), float32(0), float32(math.MaxFloat32), -float32(math.MaxFloat32), float32(math.SmallestNonzeroFloat32)},
		{"", "\x00", "\uffff", "\U0010ffff", "\ufeffBOM", strings.Repeat("é", 32), strings.Repeat("é", 33), strings.Repeat("a", 31) + "😈", strings.Repeat("\U0010ffff", 40), "\x7f", "a\nb\"c\\"},
		{[]byte{}, []byte{0}, []byte{0xff, 0xfe}, bytes.Repeat([]byte{0xff}, 5000), []byte("\xed\xa0\x80")},
		times,
		times,
		{schema.Date(math.MinInt32), schema.Date(math.MaxInt32), schema.Date(-719162), schema.Date(2932896), schema.Date(2932897), schema.Date(-1), schema.Date(0)},
		{dec(t, nines(38), 0), dec(t, "-"+nines(38), 0), dec(t, "0", 0), dec(t, "-1", 0)},
		{dec(t, "0."+nines(38), 38), dec(t, "-0."+nines(38), 38), dec(t, "0."+strings.Repeat("0", 37)+"1", 38)},
		{dec(t, nines(15)+"."+nines(4), 4), dec(t, "-"+nines(15)+"."+nines(4), 4), dec(t, "-0.0001", 4)},
		{dec(t, "0."+nines(18), 18), dec(t, "-0."+nines(18), 18)},
		{dec(t, "9", 0), dec(t, "-9", 0), dec(t, "0", 0)},
		{int64(math.MinInt64), int64(math.MaxInt64), int64(0)},
		{int8(math.MinInt8), int8(math.MaxInt8)},
	}
}

// edgeRows spreads each column's values over rows (cycling, with a null row at the end).
func edgeRows(cols [][]any) [][]any {
	n := 0
	for _, c := range cols {
		n = max(n, len(c))
	}
	rows := make([][]any, n+1)
	for r := range rows {
		rows[r] = make([]any, len(cols))
		if r == n {
			continue
		}
		for c, vals := range cols {
			rows[r][c] = vals[r%len(vals)]
		}
	}
	return rows
}

// sameValue is equalValue with floats compared by bits (NaN payloads and the zero's sign
// must survive) and decimals by value.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case float32:
		y, ok := b.(float32)
		return ok && math.Float32bits(x) == math.Float32bits(y)
	case schema.Decimal:
		y, ok := b.(schema.Decimal)
		return ok && x.Cmp(y) == 0
	}
	return equalValue(a, b)
}

// totalLess orders floats as Java's Double.compare does (-0.0 < +0.0); NaN is not passed.
func totalLess(a, b float64) bool {
	if a == b {
		return math.Signbit(a) && !math.Signbit(b)
	}
	return a < b
}

// checkStatsBound fails when a non-null value of column c lies outside the add.stats
// min/max (strings against the 32-character prefix rules, timestamps against millisecond
// truncation, floats in total order).
func checkStatsBound(t testing.TB, st FileStats, s *schema.StructType, rows [][]any) {
	t.Helper()
	if !json.Valid([]byte(st.JSON())) {
		t.Fatalf("add.stats is not JSON: %s", st.JSON())
	}
	for c, f := range s.Fields {
		lo, hasLo := st.MinValues[f.Name]
		hi, hasHi := st.MaxValues[f.Name]
		var nulls int64
		for _, r := range rows {
			v := r[c]
			if v == nil {
				nulls++
				continue
			}
			below, above := false, false
			switch x := v.(type) {
			case float64:
				if math.IsNaN(x) {
					if hasLo || hasHi {
						t.Errorf("column %s: min/max %v/%v with a NaN in the file", f.Name, lo, hi)
					}
					continue
				}
				below = hasLo && totalLess(x, lo.(float64))
				above = hasHi && totalLess(hi.(float64), x)
			case float32:
				if math.IsNaN(float64(x)) {
					if hasLo || hasHi {
						t.Errorf("column %s: min/max %v/%v with a NaN in the file", f.Name, lo, hi)
					}
					continue
				}
				below = hasLo && totalLess(float64(x), float64(lo.(float32)))
				above = hasHi && totalLess(float64(hi.(float32)), float64(x))
			case string:
				below = hasLo && x < lo.(string)
				above = hasHi && x > hi.(string)
			case time.Time:
				below = hasLo && x.Before(lo.(time.Time))
				above = hasHi && !x.Before(hi.(time.Time).Add(time.Millisecond))
			case schema.Date:
				below = hasLo && x < lo.(schema.Date)
				above = hasHi && x > hi.(schema.Date)
			case schema.Decimal:
				below = hasLo && x.Cmp(lo.(schema.Decimal)) < 0
				above = hasHi && x.Cmp(hi.(schema.Decimal)) > 0
			case int64:
				below = hasLo && x < lo.(int64)
				above = hasHi && x > hi.(int64)
			case int32:
				below = hasLo && x < lo.(int32)
				above = hasHi && x > hi.(int32)
			case int16:
				below = hasLo && x < lo.(int16)
				above = hasHi && x > hi.(int16)
			case int8:
				below = hasLo && x < lo.(int8)
				above = hasHi && x > hi.(int8)
			}
			if below || above {
				t.Errorf("column %s: value %s outside the add.stats bounds [%v, %v]", f.Name, describe(v), lo, hi)
			}
		}
		if n, ok := st.NullCount[f.Name]; ok && n != nulls {
			t.Errorf("column %s: nullCount %d, the file has %d nulls", f.Name, n, nulls)
		}
	}
}

// checkFooterFloats fails when a FLOAT/DOUBLE footer bound is NaN, or a value lies outside
// it in total order.
func checkFooterFloats(t testing.TB, data []byte, s *schema.StructType, rows [][]any, rgRows int) {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("parquet-go (page index on) cannot open the file: %v", err)
	}
	for g, rg := range f.Metadata().RowGroups {
		for c, cc := range rg.Columns {
			if c >= len(s.Fields) {
				break // nested schemas: only flat leading columns are checked
			}
			t32, t64 := s.Fields[c].Type == schema.Float, s.Fields[c].Type == schema.Double
			st := cc.MetaData.Statistics
			if !t32 && !t64 || st.MinValue == nil {
				continue
			}
			get := func(b []byte) float64 {
				if t64 {
					return math.Float64frombits(binary.LittleEndian.Uint64(b))
				}
				return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
			}
			lo, hi := get(st.MinValue), get(st.MaxValue)
			if math.IsNaN(lo) || math.IsNaN(hi) {
				t.Errorf("row group %d column %s: NaN footer bound [%v, %v]", g, s.Fields[c].Name, lo, hi)
				continue
			}
			for _, r := range rows[g*rgRows : min((g+1)*rgRows, len(rows))] {
				var x float64
				switch v := r[c].(type) {
				case float64:
					x = v
				case float32:
					x = float64(v)
				default:
					continue
				}
				if !math.IsNaN(x) && (totalLess(x, lo) || totalLess(hi, x)) {
					t.Errorf("row group %d column %s: %v outside the footer bounds [%v, %v]", g, s.Fields[c].Name, x, lo, hi)
				}
			}
		}
	}
}

// arrowReads has arrow-go read the whole file and returns its row count.
func arrowReads(t testing.TB, data []byte) int64 {
	t.Helper()
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("arrow-go cannot open the file: %v", err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1024}, memory.DefaultAllocator)
	if err != nil {
		t.Fatalf("arrow-go: %v", err)
	}
	tbl, err := fr.ReadTable(t.Context())
	if err != nil {
		t.Fatalf("arrow-go cannot read the file: %v", err)
	}
	defer tbl.Release()
	return tbl.NumRows()
}

// TestEdgeValuesRoundTrip writes the extreme values of every type the writer accepts (NaN
// with a payload, ±Inf, -0.0, subnormals, U+10FFFF, BOMs, 5000 0xff bytes, timestamps from
// year -290000 to 290000 and in a non-UTC zone, dates at the int32 limits, decimals at
// precision 38 and scale 38, on INT32, INT64 and FIXED_LEN_BYTE_ARRAY) and checks that our
// reader returns them bit for bit, that arrow-go reads the file, and that every statistic
// (add.stats and the footer) is a valid bound: no NaN, and zeros signed so that readers
// ordering -0.0 below +0.0 keep them.
func TestEdgeValuesRoundTrip(t *testing.T) {
	s := edgeSchema(t)
	cols := edgeColumns(t)
	base := edgeRows(cols)
	// Each column's values alone, so each value is once its column's min and once its max,
	// plus all of them together.
	sets := [][][]any{base}
	for c := range cols {
		for _, v := range cols[c] {
			row := make([]any, len(cols))
			row[c] = v
			sets = append(sets, [][]any{row, base[len(base)-1]})
		}
	}
	// Both zeros, in both orders: a comparison keeps whichever came first.
	negZero := math.Copysign(0, -1)
	for _, zs := range [][2]float64{{negZero, 0}, {0, negZero}} {
		rows := [][]any{make([]any, len(cols)), make([]any, len(cols))}
		for i, z := range zs {
			rows[i][0], rows[i][1] = z, float32(z)
		}
		sets = append(sets, rows)
	}
	for _, codec := range []string{"zstd", "snappy", "uncompressed"} {
		for _, rows := range sets {
			data, st := writeFile(t, s, rows, WriterOptions{Compression: codec, RowGroupRows: 4})
			got, err := ReadFile(bytes.NewReader(data), int64(len(data)), s)
			if err != nil {
				t.Fatalf("%s: our reader refuses the file: %v", codec, err)
			}
			for r := range rows {
				for c := range rows[r] {
					if !sameValue(rows[r][c], got[r][c]) {
						t.Fatalf("%s: row %d column %s: got %s want %s", codec, r, s.Fields[c].Name, describe(got[r][c]), describe(rows[r][c]))
					}
				}
			}
			checkStatsBound(t, st, s, rows)
			checkFooterFloats(t, data, s, rows, 4)
			if n := arrowReads(t, data); n != int64(len(rows)) {
				t.Fatalf("arrow-go read %d rows, wrote %d", n, len(rows))
			}
		}
	}
}

// TestWriterRefusesWhatItCannotStore: values outside what Delta/Parquet can hold fail the
// batch with an error naming the column, and the file stays readable with the other rows.
func TestWriterRefusesWhatItCannotStore(t *testing.T) {
	s := edgeSchema(t)
	bad := []struct {
		col  int
		v    any
		want string
	}{
		{2, "\xed\xa0\x80", "UTF-8"}, // a UTF-16 surrogate encoded as UTF-8
		{2, "ok\xff", "UTF-8"},
		{4, time.Date(290001, 1, 1, 0, 0, 0, 0, time.UTC), "range"},
		{5, time.Date(-290001, 1, 1, 0, 0, 0, 0, time.UTC), "range"},
		{7, schema.Decimal{Unscaled: new(big.Int).Exp(big.NewInt(10), big.NewInt(38), nil)}, "does not fit"},
		{8, dec(t, "1", 0), "does not fit"},
		{11, dec(t, "10", 0), "does not fit"},
		{11, dec(t, "0.5", 1), "fractional"},
		{2, strings.Repeat("x", MaxValueBytes+1), "MaxValueBytes"},
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, s, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	good := edgeRows(edgeColumns(t))
	if err := w.Write(good[:2]); err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		row := make([]any, len(s.Fields))
		row[b.col] = b.v
		err := w.Write([][]any{good[2], row})
		if err == nil || !strings.Contains(err.Error(), `"`+s.Fields[b.col].Name+`"`) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("column %s value %s: want an error naming the column and %q, got %v", s.Fields[b.col].Name, describe(b.v), b.want, err)
		}
		if err != nil && len(err.Error()) > 400 {
			t.Errorf("error of %d bytes: the value is not truncated", len(err.Error()))
		}
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()), s)
	if err != nil || len(got) != 2 {
		t.Fatalf("after refused batches: %d rows, %v", len(got), err)
	}
}
