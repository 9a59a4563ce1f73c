package parquetio

import (
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// converter turns one non-null Parquet value into the delta/schema Go value of a column.
type converter func(v parquet.Value) (any, error)

// julianUnixEpoch is the Julian day number of 1970-01-01, the origin of INT96 timestamps.
const julianUnixEpoch = 2440588

func timestampUnit(n *fileNode) (string, bool) {
	if ts, ok := n.elem.LogicalType.Value.(*format.TimestampType); ok {
		switch ts.Unit.Value.(type) {
		case *format.MilliSeconds:
			return "millis", true
		case *format.MicroSeconds:
			return "micros", true
		case *format.NanoSeconds:
			return "nanos", true
		}
		return "", false
	}
	if ct, ok := n.elem.ConvertedType.Get(); ok {
		switch ct {
		case deprecated.TimestampMillis:
			return "millis", true
		case deprecated.TimestampMicros:
			return "micros", true
		}
	}
	return "", false
}

func decimalScale(n *fileNode) (int, bool) {
	if d, ok := n.elem.LogicalType.Value.(*format.DecimalType); ok {
		return int(d.Scale), true
	}
	if ct, ok := n.elem.ConvertedType.Get(); ok && ct == deprecated.Decimal {
		s, _ := n.elem.Scale.Get()
		return int(s), true
	}
	return 0, false
}

func isDate(n *fileNode) bool {
	if _, ok := n.elem.LogicalType.Value.(*format.DateType); ok {
		return true
	}
	ct, ok := n.elem.ConvertedType.Get()
	return ok && ct == deprecated.Date
}

// floorDiv divides rounding toward negative infinity, so pre-1970 instants truncate to the
// earlier microsecond as Spark does.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func int96Time(i deprecated.Int96) time.Time {
	nanos := int64(uint64(i[1])<<32 | uint64(i[0]))
	days := int64(int32(i[2])) - julianUnixEpoch
	secs := days*86400 + floorDiv(nanos, 1e9)
	rem := nanos - floorDiv(nanos, 1e9)*1e9
	return time.Unix(secs, rem/1000*1000).UTC()
}

// leafConverter picks the conversion from the leaf's physical/logical type to the Delta type
// t, or explains why the pair is not decodable.
func leafConverter(n *fileNode, t schema.Type) (converter, error) {
	pt, _ := n.elem.Type.Get()
	fail := func() (converter, error) {
		return nil, fmt.Errorf("column %q: cannot read Parquet %s as Delta %s", n.path, typeDesc(n), t)
	}
	switch t := t.(type) {
	case schema.DecimalType:
		fileScale, ok := decimalScale(n)
		if !ok {
			// Only plain integers widen to decimals (type widening); an integer is a
			// decimal of scale 0. Unannotated byte arrays have no known scale.
			if pt != format.Int32 && pt != format.Int64 {
				return fail()
			}
			if n.elem.LogicalType.Value != nil && !isIntAnnotation(n) {
				return fail()
			}
			fileScale = 0
		}
		want := t.Scale
		fix := func(d schema.Decimal) (any, error) {
			if fileScale == want {
				return d, nil
			}
			r, err := d.Rescale(want)
			if err != nil {
				return nil, fmt.Errorf("column %q: %w", n.path, err)
			}
			return r, nil
		}
		arena := newDecimalArena()
		switch pt {
		case format.Int32:
			if fileScale == want {
				return func(v parquet.Value) (any, error) { return arena.fromInt64(int64(v.Int32()), want), nil }, nil
			}
			return func(v parquet.Value) (any, error) {
				return fix(schema.Decimal{Unscaled: big.NewInt(int64(v.Int32())), Scale: fileScale})
			}, nil
		case format.Int64:
			if fileScale == want {
				return func(v parquet.Value) (any, error) { return arena.fromInt64(v.Int64(), want), nil }, nil
			}
			return func(v parquet.Value) (any, error) {
				return fix(schema.Decimal{Unscaled: big.NewInt(v.Int64()), Scale: fileScale})
			}, nil
		case format.FixedLenByteArray, format.ByteArray:
			return func(v parquet.Value) (any, error) {
				return fix(schema.DecimalFromBytes(v.ByteArray(), fileScale))
			}, nil
		}
		return fail()
	case schema.PrimitiveType:
		switch t {
		case schema.Boolean:
			if pt == format.Boolean {
				return func(v parquet.Value) (any, error) { return v.Boolean(), nil }, nil
			}
		case schema.Byte, schema.Short, schema.Integer:
			if pt != format.Int32 {
				return fail()
			}
			lo, hi, name := int32(math.MinInt8), int32(math.MaxInt8), "byte"
			i16 := newSlab[int16]()
			switch t {
			case schema.Short:
				lo, hi, name = math.MinInt16, math.MaxInt16, "short"
			case schema.Integer:
				sl := newSlab[int32]()
				return func(v parquet.Value) (any, error) { return sl.box(v.Int32()), nil }, nil
			}
			return func(v parquet.Value) (any, error) {
				x := v.Int32()
				if x < lo || x > hi {
					return nil, fmt.Errorf("column %q: value %d does not fit Delta %s", n.path, x, name)
				}
				if t == schema.Byte {
					return int8(x), nil
				}
				return i16.box(int16(x)), nil
			}, nil
		case schema.Long:
			sl := newSlab[int64]()
			switch pt {
			case format.Int64:
				return func(v parquet.Value) (any, error) { return sl.box(v.Int64()), nil }, nil
			case format.Int32: // type widening: files written while the column was narrower
				return func(v parquet.Value) (any, error) { return sl.box(int64(v.Int32())), nil }, nil
			}
		case schema.Float:
			if pt == format.Float {
				sl := newSlab[float32]()
				return func(v parquet.Value) (any, error) { return sl.box(v.Float()), nil }, nil
			}
		case schema.Double:
			switch pt {
			case format.Double:
				sl := newSlab[float64]()
				return func(v parquet.Value) (any, error) { return sl.box(v.Double()), nil }, nil
			case format.Float:
				return func(v parquet.Value) (any, error) { return float64(v.Float()), nil }, nil
			case format.Int32:
				if n.elem.LogicalType.Value == nil || isIntAnnotation(n) {
					return func(v parquet.Value) (any, error) { return float64(v.Int32()), nil }, nil
				}
			}
		case schema.String:
			if pt == format.ByteArray || pt == format.FixedLenByteArray {
				arena := newStringArena()
				return func(v parquet.Value) (any, error) { return arena.box(v.ByteArray()), nil }, nil
			}
		case schema.Binary:
			if pt == format.ByteArray || pt == format.FixedLenByteArray {
				return func(v parquet.Value) (any, error) {
					b := v.ByteArray()
					out := make([]byte, len(b))
					copy(out, b)
					return out, nil
				}, nil
			}
		case schema.DateType:
			if pt == format.Int32 && (isDate(n) || n.elem.LogicalType.Value == nil) {
				sl := newSlab[schema.Date]()
				return func(v parquet.Value) (any, error) { return sl.box(schema.Date(v.Int32())), nil }, nil
			}
		case schema.Timestamp, schema.TimestampNTZ:
			sl := newSlab[time.Time]()
			switch pt {
			case format.Int96:
				return func(v parquet.Value) (any, error) { return sl.box(int96Time(v.Int96())), nil }, nil
			case format.Int64:
				unit, ok := timestampUnit(n)
				if !ok {
					return fail()
				}
				switch unit {
				case "millis":
					return func(v parquet.Value) (any, error) { return sl.box(time.UnixMilli(v.Int64()).UTC()), nil }, nil
				case "micros":
					return func(v parquet.Value) (any, error) { return sl.box(time.UnixMicro(v.Int64()).UTC()), nil }, nil
				default:
					return func(v parquet.Value) (any, error) {
						return sl.box(time.UnixMicro(floorDiv(v.Int64(), 1000)).UTC()), nil
					}, nil
				}
			case format.Int32:
				if isDate(n) && t == schema.TimestampNTZ { // type widening date -> timestamp_ntz
					return func(v parquet.Value) (any, error) { return schema.Date(v.Int32()).Time(), nil }, nil
				}
			}
		}
	}
	return fail()
}

func isIntAnnotation(n *fileNode) bool {
	_, ok := n.elem.LogicalType.Value.(*format.IntType)
	return ok
}
