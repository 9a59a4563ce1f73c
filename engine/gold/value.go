package gold

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
)

// exprValue converts a cell value (package schema's Go types) into what expressions see:
// integers become int, decimals exact Money, float32 float64, binary a string.
func exprValue(v any) any {
	switch v := v.(type) {
	case int64:
		return int(v)
	case int32:
		return int(v)
	case int16:
		return int(v)
	case int8:
		return int(v)
	case schema.Decimal:
		if v.Unscaled == nil {
			return nil
		}
		if v.Unscaled.IsInt64() && v.Scale >= 0 && v.Scale <= money.MaxScale {
			return money.New(v.Unscaled.Int64(), int32(v.Scale))
		}
		return money.FromBig(v.Unscaled, int32(v.Scale))
	case float32:
		return float64(v)
	case []byte:
		return string(v)
	}
	return v
}

// asMoney reads an int or Money operand of a sum or ratio.
func asMoney(v any) (money.Money, bool) {
	switch v := v.(type) {
	case money.Money:
		return v, true
	case int:
		return money.FromInt(int64(v)), true
	}
	return money.Money{}, false
}

// deltaValue converts an expression value into a cell of Delta type t. A decimal that
// needs rounding to fit t's scale, or more digits than its precision, is an error: gold
// never writes a value other than the one it computed.
func deltaValue(v any, t schema.Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch t := t.(type) {
	case schema.DecimalType:
		m, ok := asMoney(v)
		if !ok {
			return nil, fmt.Errorf("value %v (%T) is not a decimal", v, v)
		}
		return decimalOf(m, t)
	case schema.PrimitiveType:
		switch t {
		case schema.Long:
			switch v := v.(type) {
			case int:
				return int64(v), nil
			case money.Money:
				if u, ok := v.Unscaled(); ok && v.Scale() == 0 {
					return u, nil
				}
				return nil, fmt.Errorf("value %s does not fit BIGINT", truncate(v.String(), 60))
			}
		case schema.Integer:
			if i, ok := v.(int); ok {
				if i < math.MinInt32 || i > math.MaxInt32 {
					return nil, fmt.Errorf("value %d does not fit INT", i)
				}
				return int32(i), nil
			}
		case schema.Double:
			if f, ok := v.(float64); ok {
				return f, nil
			}
		case schema.String:
			if s, ok := v.(string); ok {
				return s, nil
			}
		case schema.Boolean:
			if b, ok := v.(bool); ok {
				return b, nil
			}
		case schema.DateType:
			if d, ok := v.(schema.Date); ok {
				return d, nil
			}
		case schema.Timestamp, schema.TimestampNTZ:
			if ts, ok := v.(time.Time); ok {
				return ts.UTC(), nil
			}
		}
	}
	return nil, fmt.Errorf("value %v (%T) cannot be stored as %s", v, v, sqlTypeName(t))
}

// decimalOf is m at t's scale, exactly, within t's precision.
func decimalOf(m money.Money, t schema.DecimalType) (schema.Decimal, error) {
	s := int32(t.Scale)
	var at money.Money
	if m.Scale() <= s {
		at = m.Add(money.New(0, s))
	} else {
		at = m.Round(s)
		if at.Cmp(m) != 0 {
			return schema.Decimal{}, fmt.Errorf("value %s needs rounding to fit %s", truncate(m.String(), 60), sqlTypeName(t))
		}
	}
	u := at.BigUnscaled()
	if digits(u) > t.Precision {
		return schema.Decimal{}, fmt.Errorf("value %s has more than %d digits (%s)", truncate(m.String(), 60), t.Precision, sqlTypeName(t))
	}
	return schema.Decimal{Unscaled: u, Scale: t.Scale}, nil
}

func digits(u *big.Int) int {
	s := u.String()
	return len(strings.TrimPrefix(s, "-"))
}

// compareValues orders two non-nil values of one expression type (min, max, Reference).
func compareValues(a, b any) int {
	switch x := a.(type) {
	case int:
		return cmp.Compare(x, b.(int))
	case string:
		return strings.Compare(x, b.(string))
	case money.Money:
		return x.Cmp(b.(money.Money))
	case time.Time:
		return x.Compare(b.(time.Time))
	case schema.Date:
		return cmp.Compare(x, b.(schema.Date))
	case float64:
		return cmp.Compare(x, b.(float64))
	case bool:
		return cmp.Compare(boolInt(x), boolInt(b.(bool)))
	}
	panic(fmt.Sprintf("gold: values of type %T are not ordered", a))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// equalValues reports whether two contributions are the same value (numerically for
// decimals: 1.5 and 1.50 add the same to a sum).
func equalValues(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	switch x := a.(type) {
	case money.Money:
		y, ok := b.(money.Money)
		return ok && x.Cmp(y) == 0
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	}
	return a == b
}

// appendKey appends an encoding of v that is equal for equal values and differs for
// different ones (group keys, distinct values). Decimals are encoded by numeric value.
func appendKey(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, 'n')
	case int:
		return binary.BigEndian.AppendUint64(append(b, 'l'), uint64(v))
	case string:
		b = binary.AppendUvarint(append(b, 's'), uint64(len(v)))
		return append(b, v...)
	case money.Money:
		s := canonicalDecimal(v)
		b = binary.AppendUvarint(append(b, 'd'), uint64(len(s)))
		return append(b, s...)
	case schema.Date:
		return binary.BigEndian.AppendUint32(append(b, 'D'), uint32(int32(v)))
	case time.Time:
		return binary.BigEndian.AppendUint64(append(b, 't'), uint64(v.UnixMicro()))
	case bool:
		if v {
			return append(b, 'T')
		}
		return append(b, 'F')
	case float64:
		return binary.BigEndian.AppendUint64(append(b, 'f'), math.Float64bits(v))
	}
	panic(fmt.Sprintf("gold: values of type %T cannot be a key", v))
}

// canonicalDecimal is m's text without trailing fractional zeros: one text per number.
func canonicalDecimal(m money.Money) string {
	s := m.String()
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
