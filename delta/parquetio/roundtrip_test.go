package parquetio

import (
	"bytes"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

func dec(t testing.TB, s string, scale int) schema.Decimal {
	t.Helper()
	d, err := schema.ParseDecimal(s, scale)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func allTypesSchema(t testing.TB) *schema.StructType {
	t.Helper()
	s, err := schema.Parse(`{"type":"struct","fields":[
	{"name":"b","type":"boolean","nullable":true,"metadata":{}},
	{"name":"i8","type":"byte","nullable":true,"metadata":{}},
	{"name":"i16","type":"short","nullable":true,"metadata":{}},
	{"name":"i32","type":"integer","nullable":true,"metadata":{}},
	{"name":"i64","type":"long","nullable":false,"metadata":{}},
	{"name":"f32","type":"float","nullable":true,"metadata":{}},
	{"name":"f64","type":"double","nullable":true,"metadata":{}},
	{"name":"s","type":"string","nullable":true,"metadata":{}},
	{"name":"bin","type":"binary","nullable":true,"metadata":{}},
	{"name":"d","type":"date","nullable":true,"metadata":{}},
	{"name":"ts","type":"timestamp","nullable":true,"metadata":{}},
	{"name":"ntz","type":"timestamp_ntz","nullable":true,"metadata":{}},
	{"name":"d5","type":"decimal(5,2)","nullable":true,"metadata":{}},
	{"name":"d18","type":"decimal(18,2)","nullable":true,"metadata":{}},
	{"name":"d20","type":"decimal(20,10)","nullable":true,"metadata":{}},
	{"name":"d38","type":"decimal(38,0)","nullable":true,"metadata":{}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func allTypesRows(t testing.TB) [][]any {
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	return [][]any{
		{true, int8(-128), int16(-32768), int32(math.MinInt32), int64(math.MinInt64), float32(-1.5), -2.25, "", []byte{},
			schema.Date(-719162), ts("1900-01-01T00:00:00.000001Z"), ts("1969-12-31T23:59:59.999999Z"),
			dec(t, "-999.99", 2), dec(t, "-9999999999999999.99", 2), dec(t, "-9999999999.9999999999", 10), dec(t, "-"+strings.Repeat("9", 38), 0)},
		{false, int8(127), int16(32767), int32(math.MaxInt32), int64(math.MaxInt64), float32(math.MaxFloat32), math.SmallestNonzeroFloat64, "héllo 😈 \x00 wörld", []byte{0, 1, 2, 255},
			schema.Date(2932896), ts("9999-12-31T23:59:59.999999Z"), ts("2024-01-02T03:04:05.123456Z"),
			dec(t, "999.99", 2), dec(t, "9999999999999999.99", 2), dec(t, "9999999999.9999999999", 10), dec(t, strings.Repeat("9", 38), 0)},
		{nil, nil, nil, nil, int64(0), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		{true, int8(0), int16(0), int32(0), int64(-1), float32(0), 0.0, "0", []byte("x"),
			schema.Date(0), ts("1970-01-01T00:00:00Z"), ts("1970-01-01T00:00:00Z"),
			dec(t, "0", 2), dec(t, "-0.01", 2), dec(t, "0.0000000001", 10), dec(t, "1", 0)},
	}
}

func writeFile(t testing.TB, s *schema.StructType, rows [][]any, opts WriterOptions) ([]byte, FileStats) {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	st, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), st
}

// equalValue compares delta/schema values, decimals by value and byte slices by content.
func equalValue(a, b any) bool {
	switch x := a.(type) {
	case schema.Decimal:
		y, ok := b.(schema.Decimal)
		return ok && x.Scale == y.Scale && x.Unscaled.Cmp(y.Unscaled) == 0
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y) && y.Location() == time.UTC
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for i := range x {
			if !equalValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case []schema.MapEntry:
		y, ok := b.([]schema.MapEntry)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalValue(x[i].Key, y[i].Key) || !equalValue(x[i].Value, y[i].Value) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func TestRoundTripPrimitives(t *testing.T) {
	s := allTypesSchema(t)
	rows := allTypesRows(t)
	for _, codec := range []string{"zstd", "snappy", "uncompressed"} {
		data, st := writeFile(t, s, rows, WriterOptions{Compression: codec})
		got, err := ReadFile(bytes.NewReader(data), int64(len(data)), s)
		if err != nil {
			t.Fatalf("%s: %v", codec, err)
		}
		if len(got) != len(rows) {
			t.Fatalf("%s: %d rows, want %d", codec, len(got), len(rows))
		}
		for r := range rows {
			for c := range rows[r] {
				if !equalValue(rows[r][c], got[r][c]) {
					t.Errorf("%s: row %d column %s: got %#v want %#v", codec, r, s.Fields[c].Name, got[r][c], rows[r][c])
				}
			}
		}
		if st.NumRecords != int64(len(rows)) {
			t.Errorf("numRecords %d", st.NumRecords)
		}
	}
}

func TestReadMissingColumnAndCaseInsensitive(t *testing.T) {
	s, _ := schema.Parse(`{"type":"struct","fields":[{"name":"Id","type":"long","nullable":true,"metadata":{}}]}`)
	data, _ := writeFile(t, s, [][]any{{int64(7)}, {nil}}, WriterOptions{})
	read, _ := schema.Parse(`{"type":"struct","fields":[{"name":"added","type":"string","nullable":true,"metadata":{}},{"name":"id","type":"long","nullable":true,"metadata":{}}]}`)
	got, err := ReadFile(bytes.NewReader(data), int64(len(data)), read)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]any{{nil, int64(7)}, {nil, nil}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
}

func TestReadRefusesIncompatibleType(t *testing.T) {
	s, _ := schema.Parse(`{"type":"struct","fields":[{"name":"x","type":"string","nullable":true,"metadata":{}}]}`)
	data, _ := writeFile(t, s, [][]any{{"a"}}, WriterOptions{})
	read, _ := schema.Parse(`{"type":"struct","fields":[{"name":"x","type":"timestamp","nullable":true,"metadata":{}}]}`)
	_, err := ReadFile(bytes.NewReader(data), int64(len(data)), read)
	if err == nil || !strings.Contains(err.Error(), `"x"`) || !strings.Contains(err.Error(), "BYTE_ARRAY") || !strings.Contains(err.Error(), "timestamp") {
		t.Fatalf("want an error naming the column and both types, got %v", err)
	}
}

func TestWriteRejectsBadValuesWithoutCorruption(t *testing.T) {
	s := allTypesSchema(t)
	good := allTypesRows(t)
	var buf bytes.Buffer
	w, err := NewWriter(&buf, s, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(good[:1]); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		col  int
		v    any
		want string
	}{
		{4, int32(1), "int64"},
		{4, nil, "non-nullable"},
		{13, dec(t, "100000000000000000", 0), "does not fit"},
		{12, dec(t, "1.234", 3), "fractional"},
		{15, schema.Decimal{Unscaled: new(big.Int).Exp(big.NewInt(10), big.NewInt(38), nil)}, "does not fit"},
		{7, string([]byte{0xff}), "UTF-8"},
		{10, "2024-01-01", "time.Time"},
		{9, int32(3), "schema.Date"},
	}
	for _, b := range bad {
		row := append([]any(nil), good[1]...)
		row[b.col] = b.v
		err := w.Write([][]any{good[3], row})
		if err == nil || !strings.Contains(err.Error(), s.Fields[b.col].Name) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("column %s value %#v: want error naming the column and %q, got %v", s.Fields[b.col].Name, b.v, b.want, err)
		}
	}
	if err := w.Write(good[1:2]); err != nil {
		t.Fatal(err)
	}
	st, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || st.NumRecords != 2 {
		t.Fatalf("rejected batches leaked into the file: %d rows, numRecords %d", len(got), st.NumRecords)
	}
	if !equalValue(got[1][7], good[1][7]) {
		t.Fatalf("row after rejected batches: %#v", got[1])
	}
}

func nestedSchema(t testing.TB) *schema.StructType {
	t.Helper()
	s, err := schema.Parse(`{"type":"struct","fields":[
	{"name":"id","type":"long","nullable":false,"metadata":{}},
	{"name":"st","type":{"type":"struct","fields":[{"name":"a","type":"integer","nullable":true,"metadata":{}},{"name":"b","type":"string","nullable":false,"metadata":{}}]},"nullable":true,"metadata":{}},
	{"name":"arr","type":{"type":"array","elementType":"long","containsNull":true},"nullable":true,"metadata":{}},
	{"name":"arrs","type":{"type":"array","elementType":{"type":"struct","fields":[{"name":"x","type":"double","nullable":true,"metadata":{}}]},"containsNull":true},"nullable":true,"metadata":{}},
	{"name":"m","type":{"type":"map","keyType":"string","valueType":{"type":"array","elementType":"integer","containsNull":true},"valueContainsNull":true},"nullable":true,"metadata":{}},
	{"name":"nested","type":{"type":"array","elementType":{"type":"array","elementType":"string","containsNull":false},"containsNull":false},"nullable":true,"metadata":{}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func nestedRows() [][]any {
	return [][]any{
		{int64(1), []any{int32(1), "x"}, []any{int64(1), nil, int64(3)}, []any{[]any{1.5}, nil, []any{nil}},
			[]schema.MapEntry{{Key: "k", Value: []any{int32(1), nil}}, {Key: "e", Value: []any{}}, {Key: "n", Value: nil}},
			[]any{[]any{"a", "b"}, []any{}, []any{"c"}}},
		{int64(2), nil, nil, nil, nil, nil},
		{int64(3), []any{nil, ""}, []any{}, []any{}, []schema.MapEntry{}, []any{}},
	}
}

func TestRoundTripNested(t *testing.T) {
	s := nestedSchema(t)
	rows := nestedRows()
	data, st := writeFile(t, s, rows, WriterOptions{})
	got, err := ReadFile(bytes.NewReader(data), int64(len(data)), s)
	if err != nil {
		t.Fatal(err)
	}
	for r := range rows {
		for c := range rows[r] {
			if !equalValue(rows[r][c], got[r][c]) {
				t.Errorf("row %d column %s: got %#v want %#v", r, s.Fields[c].Name, got[r][c], rows[r][c])
			}
		}
	}
	want := `{"numRecords":3,"minValues":{"id":1,"st":{"a":1,"b":""}},"maxValues":{"id":3,"st":{"a":1,"b":"x"}},"nullCount":{"id":0,"st":{"a":2,"b":1},"arr":1,"arrs":1,"m":1,"nested":1}}`
	if st.JSON() != want {
		t.Errorf("stats\n got %s\nwant %s", st.JSON(), want)
	}
}

func TestWrittenGrowsAndRowGroups(t *testing.T) {
	s := transactionsSchema(t)
	rows := transactionsRows(5000)
	var buf bytes.Buffer
	w, err := NewWriter(&buf, s, WriterOptions{RowGroupRows: 1000, Compression: "snappy"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(rows); i += 500 {
		if err := w.Write(rows[i : i+500]); err != nil {
			t.Fatal(err)
		}
		// Written must never under-report what already reached the io.Writer, and must
		// account for buffered rows (file rolling relies on both).
		if w.Written() < int64(buf.Len()) || w.Written() == 0 {
			t.Fatalf("after %d rows Written()=%d, flushed %d", i+500, w.Written(), buf.Len())
		}
	}
	st, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if st.NumRecords != 5000 {
		t.Fatalf("numRecords %d", st.NumRecords)
	}
	got, err := ReadFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows) {
		t.Fatalf("%d rows", len(got))
	}
	for r := range rows {
		for c := range rows[r] {
			if !equalValue(rows[r][c], got[r][c]) {
				t.Fatalf("row %d col %d: %#v vs %#v", r, c, got[r][c], rows[r][c])
			}
		}
	}
	lo, hi := rows[0][4].(schema.Decimal), rows[0][4].(schema.Decimal)
	for _, r := range rows {
		d := r[4].(schema.Decimal)
		if d.Cmp(lo) < 0 {
			lo = d
		}
		if d.Cmp(hi) > 0 {
			hi = d
		}
	}
	if got := st.MinValues["amount"].(schema.Decimal); !got.Equal(lo) {
		t.Errorf("min amount %s, want %s", got, lo)
	}
	if got := st.MaxValues["amount"].(schema.Decimal); !got.Equal(hi) {
		t.Errorf("max amount %s, want %s", got, hi)
	}
	if st.NullCount["merchant_id"] == 0 || st.NullCount["transaction_id"] != 0 {
		t.Errorf("null counts %v", st.NullCount)
	}
}
