package delta

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// Canonical value rendering shared by the two sides of every comparison: our rows (Go values
// of package schema) and the independent oracle (apache arrow-go arrays). Both must render a
// value to the same string exactly when the values are equal.

const nullText = "∅"

func renderFloat(f float64, bits int) string {
	if math.IsNaN(f) {
		return "NaN"
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}

func renderDecimal(unscaled *big.Int, scale int) string {
	r := new(big.Rat).SetFrac(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	return "d" + r.RatString()
}

func renderTime(t time.Time) string { return "t" + t.UTC().Format(time.RFC3339Nano) }

// renderValue renders one of our values of Delta type t.
func renderValue(v any, t schema.Type) string {
	if v == nil {
		return nullText
	}
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x)
	case int8:
		return strconv.FormatInt(int64(x), 10)
	case int16:
		return strconv.FormatInt(int64(x), 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case float32:
		return renderFloat(float64(x), 32)
	case float64:
		return renderFloat(x, 64)
	case string:
		return strconv.Quote(x)
	case []byte:
		return "0x" + hex.EncodeToString(x)
	case schema.Date:
		return "D" + x.String()
	case time.Time:
		return renderTime(x)
	case schema.Decimal:
		return renderDecimal(x.Unscaled, x.Scale)
	case []any:
		switch tt := t.(type) {
		case *schema.StructType:
			parts := make([]string, len(x))
			for i := range x {
				parts[i] = strings.ToLower(tt.Fields[i].Name) + ":" + renderValue(x[i], tt.Fields[i].Type)
			}
			sort.Strings(parts)
			return "{" + strings.Join(parts, ",") + "}"
		case *schema.ArrayType:
			parts := make([]string, len(x))
			for i := range x {
				parts[i] = renderValue(x[i], tt.ElementType)
			}
			return "[" + strings.Join(parts, ",") + "]"
		}
	case []schema.MapEntry:
		mt, ok := t.(*schema.MapType)
		if ok {
			parts := make([]string, len(x))
			for i, e := range x {
				parts[i] = renderValue(e.Key, mt.KeyType) + "=>" + renderValue(e.Value, mt.ValueType)
			}
			sort.Strings(parts)
			return "map{" + strings.Join(parts, ",") + "}"
		}
	}
	return fmt.Sprintf("?%T(%v) for %s", v, v, t)
}

// renderArrow renders element i of an arrow array.
func renderArrow(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return nullText
	}
	switch x := a.(type) {
	case *array.Boolean:
		return strconv.FormatBool(x.Value(i))
	case *array.Int8:
		return strconv.FormatInt(int64(x.Value(i)), 10)
	case *array.Int16:
		return strconv.FormatInt(int64(x.Value(i)), 10)
	case *array.Int32:
		return strconv.FormatInt(int64(x.Value(i)), 10)
	case *array.Int64:
		return strconv.FormatInt(x.Value(i), 10)
	case *array.Float32:
		return renderFloat(float64(x.Value(i)), 32)
	case *array.Float64:
		return renderFloat(x.Value(i), 64)
	case *array.String:
		return strconv.Quote(x.Value(i))
	case *array.LargeString:
		return strconv.Quote(x.Value(i))
	case *array.Binary:
		return "0x" + hex.EncodeToString(x.Value(i))
	case *array.LargeBinary:
		return "0x" + hex.EncodeToString(x.Value(i))
	case *array.FixedSizeBinary:
		return "0x" + hex.EncodeToString(x.Value(i))
	case *array.Date32:
		return "D" + x.Value(i).ToTime().Format("2006-01-02")
	case *array.Timestamp:
		unit := x.DataType().(*arrow.TimestampType).Unit
		return renderTime(x.Value(i).ToTime(unit))
	case *array.Decimal128:
		return renderDecimal(x.Value(i).BigInt(), int(x.DataType().(*arrow.Decimal128Type).Scale))
	case *array.Decimal256:
		return renderDecimal(x.Value(i).BigInt(), int(x.DataType().(*arrow.Decimal256Type).Scale))
	case *array.Struct:
		st := x.DataType().(*arrow.StructType)
		parts := make([]string, x.NumField())
		for f := 0; f < x.NumField(); f++ {
			parts[f] = strings.ToLower(st.Field(f).Name) + ":" + renderArrow(x.Field(f), i)
		}
		sort.Strings(parts)
		return "{" + strings.Join(parts, ",") + "}"
	case *array.Map:
		start, end := x.ValueOffsets(i)
		parts := make([]string, 0, end-start)
		for j := start; j < end; j++ {
			parts = append(parts, renderArrow(x.Keys(), int(j))+"=>"+renderArrow(x.Items(), int(j)))
		}
		sort.Strings(parts)
		return "map{" + strings.Join(parts, ",") + "}"
	case *array.List:
		start, end := x.ValueOffsets(i)
		parts := make([]string, 0, end-start)
		for j := start; j < end; j++ {
			parts = append(parts, renderArrow(x.ListValues(), int(j)))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case *array.LargeList:
		start, end := x.ValueOffsets(i)
		parts := make([]string, 0, end-start)
		for j := start; j < end; j++ {
			parts = append(parts, renderArrow(x.ListValues(), int(j)))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return fmt.Sprintf("?%s", a.DataType())
}
