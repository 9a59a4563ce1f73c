package enrich

import (
	"fmt"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// TestEveryTypeRoundTrips stores one value of every column type (and nulls) and reads it back
// as the rule environment types it.
func TestEveryTypeRoundTrips(t *testing.T) {
	types := []schema.Type{schema.Long, schema.Integer, schema.Short, schema.Byte, schema.Double, schema.Float,
		schema.Boolean, schema.Timestamp, schema.TimestampNTZ, schema.DateType, schema.DecimalType{Precision: 18, Scale: 2},
		schema.String, schema.Binary, schema.DecimalType{Precision: 38, Scale: 4}}
	names := make([]string, len(types))
	for i := range names {
		names[i] = fmt.Sprintf("c%d", i)
	}
	ts := time.Date(1969, 7, 20, 20, 17, 40, 123456000, time.UTC)
	wide, _ := new(big.Int).SetString("-12345678901234567890123456789", 10)
	in := []any{int64(math.MinInt64), int32(math.MinInt32), int16(-7), int8(-128), math.Inf(-1), float32(1.5),
		true, ts, ts, schema.Date(-1), schema.Decimal{Unscaled: big.NewInt(math.MaxInt64), Scale: 2},
		"héllo", []byte{0, 1, 2}, schema.Decimal{Unscaled: wide, Scale: 4}}
	want := []any{int64(math.MinInt64), int64(math.MinInt32), int64(-7), int64(-128), math.Inf(-1), 1.5,
		true, ts, ts, time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), "92233720368547758.07",
		"héllo", []byte{0, 1, 2}, "-1234567890123456789012345.6789"}
	for i, v := range in {
		if err := checkValue(names[i], types[i], v); err != nil {
			t.Fatalf("checkValue %s: %v", types[i], err)
		}
	}
	cols, rs := newColumns(names, types)
	ix := newIndex[int64](names, cols, rs)
	nulls := make([]any, len(in))
	ix.apply([]decoded[int64]{{path: "f1", keys: []int64{1, 2}, rows: [][]any{in, nulls}}}, nil, 0)
	got := map[string]any{}
	if !ix.get(1, got) {
		t.Fatal("key 1 missing")
	}
	for i, n := range names {
		g := got[n]
		if d, ok := g.(schema.Decimal); ok {
			g = d.String()
		}
		if fmt.Sprintf("%#v", g) != fmt.Sprintf("%#v", want[i]) {
			t.Errorf("%s (%s): got %#v, want %#v", n, types[i], g, want[i])
		}
	}
	ix.get(2, got)
	for n, v := range got {
		if v != nil {
			t.Errorf("null %s read back as %#v", n, v)
		}
	}
	// Wrong Go types and decimals that do not fit are refused before anything is applied.
	for i, bad := range []any{int32(1), int64(1), int64(1), int64(1), float32(1), 1.0, 1, "x", "x", 1,
		schema.Decimal{Unscaled: big.NewInt(1), Scale: 3}, []byte("x")} {
		if err := checkValue(names[i], types[i], bad); err == nil {
			t.Errorf("%s accepted %#v", types[i], bad)
		}
	}
	if err := checkValue("d", types[10], schema.Decimal{Unscaled: wide, Scale: 2}); err == nil {
		t.Error("a 29-digit decimal was accepted into DECIMAL(18,2)")
	}
}

// TestDictionaryWidensAndCompacts: a string column with more than 255 and then 65,535
// distinct values widens its codes (moving every record) without disturbing the other
// columns; a dictionary full of values no row uses any more is rebuilt.
func TestDictionaryWidensAndCompacts(t *testing.T) {
	names := []string{"before", "s", "after"}
	types := []schema.Type{schema.Long, schema.String, schema.Integer}
	cols, rs := newColumns(names, types)
	ix := newIndex[int64](names, cols, rs)
	check := func(n int, label string) {
		t.Helper()
		got := map[string]any{}
		for k := int64(0); k < int64(n); k++ {
			if !ix.get(k, got) {
				t.Fatalf("%s: key %d missing", label, k)
			}
			if got["before"] != -k || got["s"] != fmt.Sprintf("%s-%d", label, k) || got["after"] != k%1000 {
				t.Fatalf("%s: key %d = %v", label, k, got)
			}
		}
	}
	load := func(n int, label string, file string) {
		var keys []int64
		var rows [][]any
		for k := int64(0); k < int64(n); k++ {
			keys = append(keys, k)
			rows = append(rows, []any{-k, fmt.Sprintf("%s-%d", label, k), int32(k % 1000)})
		}
		ix.apply([]decoded[int64]{{path: file, keys: keys, rows: rows}}, nil, 0)
	}
	load(200, "a", "f1")
	if rs.fields[1].width != 1 {
		t.Fatalf("width %d with 200 values", rs.fields[1].width)
	}
	check(200, "a")
	load(70000, "b", "f2")
	if rs.fields[1].width != 4 {
		t.Fatalf("width %d with 70,200 values", rs.fields[1].width)
	}
	check(70000, "b")
	// Rewrite every row with new values twice: the dictionary would hold 210,200 values for
	// 70,000 rows without compaction.
	load(70000, "c", "f3")
	load(70000, "d", "f4")
	check(70000, "d")
	d := cols[1].(*fixedCol).dict
	if len(d.values) > 2*70000+1024+1 {
		t.Fatalf("dictionary holds %d values for 70,000 rows", len(d.values))
	}
}
