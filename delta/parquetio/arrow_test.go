package parquetio

import (
	"bytes"
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	pqschema "github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// TestArrowReadsWrittenFile checks files this package writes with an independent reader
// (arrow-go's parquet/pqarrow): the physical and logical types in the footer are exactly
// PROTOCOL.md's mapping, and every value reads back identical.
func TestArrowReadsWrittenFile(t *testing.T) {
	s := allTypesSchema(t)
	rows := allTypesRows(t)
	for _, codec := range []string{"zstd", "snappy"} {
		data, _ := writeFile(t, s, rows, WriterOptions{Compression: codec})
		pf, err := file.NewParquetReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		type want struct {
			phys     pq.Type
			flba     int
			logical  func(pqschema.LogicalType) bool
			required bool
		}
		intOf := func(bits int8) func(pqschema.LogicalType) bool {
			return func(l pqschema.LogicalType) bool {
				it, ok := l.(interface {
					BitWidth() int8
					IsSigned() bool
				})
				return ok && it.BitWidth() == bits && it.IsSigned()
			}
		}
		ts := func(utc bool) func(pqschema.LogicalType) bool {
			return func(l pqschema.LogicalType) bool {
				tl, ok := l.(interface {
					IsAdjustedToUTC() bool
					TimeUnit() pqschema.TimeUnitType
				})
				return ok && tl.IsAdjustedToUTC() == utc && tl.TimeUnit() == pqschema.TimeUnitMicros
			}
		}
		decOf := func(p, sc int32) func(pqschema.LogicalType) bool {
			return func(l pqschema.LogicalType) bool {
				d, ok := l.(interface {
					Precision() int32
					Scale() int32
				})
				return ok && d.Precision() == p && d.Scale() == sc
			}
		}
		none := func(l pqschema.LogicalType) bool { _, ok := l.(pqschema.NoLogicalType); return ok || l == nil }
		isType := func(x pqschema.LogicalType) func(pqschema.LogicalType) bool {
			return func(l pqschema.LogicalType) bool { return l.Equals(x) }
		}
		wants := map[string]want{
			"b":   {phys: pq.Types.Boolean, logical: none},
			"i8":  {phys: pq.Types.Int32, logical: intOf(8)},
			"i16": {phys: pq.Types.Int32, logical: intOf(16)},
			"i32": {phys: pq.Types.Int32, logical: intOf(32)},
			"i64": {phys: pq.Types.Int64, logical: intOf(64), required: true},
			"f32": {phys: pq.Types.Float, logical: none},
			"f64": {phys: pq.Types.Double, logical: none},
			"s":   {phys: pq.Types.ByteArray, logical: isType(pqschema.StringLogicalType{})},
			"bin": {phys: pq.Types.ByteArray, logical: none},
			"d":   {phys: pq.Types.Int32, logical: isType(pqschema.DateLogicalType{})},
			"ts":  {phys: pq.Types.Int64, logical: ts(true)},
			"ntz": {phys: pq.Types.Int64, logical: ts(false)},
			"d5":  {phys: pq.Types.Int32, logical: decOf(5, 2)},
			"d18": {phys: pq.Types.Int64, logical: decOf(18, 2)},
			"d20": {phys: pq.Types.FixedLenByteArray, flba: 9, logical: decOf(20, 10)},
			"d38": {phys: pq.Types.FixedLenByteArray, flba: 16, logical: decOf(38, 0)},
		}
		sch := pf.MetaData().Schema
		if sch.NumColumns() != len(s.Fields) {
			t.Fatalf("%d columns, want %d", sch.NumColumns(), len(s.Fields))
		}
		for i := 0; i < sch.NumColumns(); i++ {
			col := sch.Column(i)
			if col.Name() != s.Fields[i].Name {
				t.Errorf("column %d is %q, want %q (schema order, exact names)", i, col.Name(), s.Fields[i].Name)
			}
			w := wants[col.Name()]
			if col.PhysicalType() != w.phys || (w.flba > 0 && col.TypeLength() != w.flba) {
				t.Errorf("%s: physical %s(%d), want %s(%d)", col.Name(), col.PhysicalType(), col.TypeLength(), w.phys, w.flba)
			}
			if !w.logical(col.LogicalType()) {
				t.Errorf("%s: logical type %s", col.Name(), col.LogicalType())
			}
			if required := col.MaxDefinitionLevel() == 0; required != w.required {
				t.Errorf("%s: required=%v, want %v (nullable fields OPTIONAL)", col.Name(), required, w.required)
			}
		}

		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := fr.ReadTable(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if tbl.NumRows() != int64(len(rows)) {
			t.Fatalf("arrow reads %d rows", tbl.NumRows())
		}
		for c := 0; c < int(tbl.NumCols()); c++ {
			chunks := tbl.Column(c).Data().Chunks()
			if len(chunks) != 1 {
				t.Fatalf("%d chunks", len(chunks))
			}
			arr := chunks[0]
			for r := range rows {
				got := arrowValue(t, arr, r)
				if !equalValue(rows[r][c], got) {
					t.Errorf("%s: arrow column %s row %d: got %#v want %#v", codec, s.Fields[c].Name, r, got, rows[r][c])
				}
			}
		}
		tbl.Release()
	}
}

// arrowValue converts an arrow cell to the delta/schema representation.
func arrowValue(t *testing.T, arr arrow.Array, i int) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.Boolean:
		return a.Value(i)
	case *array.Int8:
		return a.Value(i)
	case *array.Int16:
		return a.Value(i)
	case *array.Int32:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.Float32:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.Binary:
		return append([]byte{}, a.Value(i)...)
	case *array.Date32:
		return schema.Date(a.Value(i))
	case *array.Timestamp:
		tt := a.DataType().(*arrow.TimestampType)
		if tt.Unit != arrow.Microsecond {
			t.Fatalf("arrow sees timestamp unit %s", tt.Unit)
		}
		return time.UnixMicro(int64(a.Value(i))).UTC()
	case *array.Decimal128:
		dt := a.DataType().(*arrow.Decimal128Type)
		return schema.Decimal{Unscaled: new(big.Int).Set(a.Value(i).BigInt()), Scale: int(dt.Scale)}
	}
	t.Fatalf("unexpected arrow array %T", arr)
	return nil
}
