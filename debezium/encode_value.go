package debezium

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/schemas"
)

func (t *Table) appendValue(dst []byte, c *encColumn, v any) ([]byte, error) {
	if t.checked {
		return appendCheckedValue(dst, c, v)
	}
	return appendDBValue(dst, c, v)
}

// appendCheckedValue writes v, one of a contract's Go values (see AppendEnvelope), checking
// it against column c first: the values of a generator were never checked by a database.
func appendCheckedValue(dst []byte, c *encColumn, v any) ([]byte, error) {
	if v == nil {
		if !c.Nullable {
			return dst, fmt.Errorf("column %s (%s): null in a NOT NULL column", c.Name, c.TypeText)
		}
		return append(dst, "null"...), nil
	}
	switch c.Type.Kind {
	case schemas.KindTinyInt, schemas.KindSmallInt, schemas.KindMediumInt, schemas.KindInt, schemas.KindBigInt:
		switch x := v.(type) {
		case int64:
			return strconv.AppendInt(dst, x, 10), nil
		case int:
			return strconv.AppendInt(dst, int64(x), 10), nil
		case bool:
			if c.Type.Kind == schemas.KindTinyInt && c.Type.Length == 1 {
				if x {
					return append(dst, '1'), nil
				}
				return append(dst, '0'), nil
			}
		}
		return dst, badValue(c, v, "an int64")
	case schemas.KindDecimal:
		d, ok := v.(schema.Decimal)
		if !ok || d.Unscaled == nil {
			return dst, badValue(c, v, "a schema.Decimal")
		}
		r, err := d.Rescale(c.Type.Scale)
		if err != nil {
			return dst, fmt.Errorf("column %s (%s): %s: %w", c.Name, c.TypeText, d, err)
		}
		if r.Unscaled.CmpAbs(c.limit) >= 0 {
			return dst, fmt.Errorf("column %s (%s): %s has %d digits, more than the precision %d", c.Name, c.TypeText, d, r.Precision(), c.Type.Precision)
		}
		return appendConnectDecimal(dst, r), nil
	case schemas.KindChar, schemas.KindVarchar, schemas.KindText:
		s, ok := v.(string)
		if !ok {
			return dst, badValue(c, v, "a string")
		}
		return AppendString(dst, s), nil
	case schemas.KindEnum:
		s, ok := v.(string)
		if !ok {
			return dst, badValue(c, v, "an ENUM member string")
		}
		for _, m := range c.Type.Values {
			if m == s {
				return AppendString(dst, s), nil
			}
		}
		return dst, fmt.Errorf("column %s (%s): %q is not a member", c.Name, c.TypeText, s)
	case schemas.KindDateTime:
		ts, ok := v.(time.Time)
		if !ok {
			return dst, badValue(c, v, "a time.Time")
		}
		return appendConnectDateTime(dst, c, ts.Unix(), int64(ts.Nanosecond()/1000)), nil
	case schemas.KindDate:
		d, ok := v.(schema.Date)
		if !ok {
			return dst, badValue(c, v, "a schema.Date")
		}
		return strconv.AppendInt(dst, int64(d), 10), nil
	}
	return dst, fmt.Errorf("column %s: type %s is not supported by this encoder", c.Name, c.TypeText)
}

// appendConnectDecimal writes d (already at the column scale) as a Connect Decimal: the
// base64 of its unscaled value's big-endian two's complement.
func appendConnectDecimal(dst []byte, d schema.Decimal) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, d.Bytes())
	return append(dst, '"')
}

// appendConnectDateTime writes a DATETIME's UTC wall clock (seconds since the epoch and
// microseconds within the second) as io.debezium.time.Timestamp (DATETIME(0..3), epoch ms)
// or MicroTimestamp (DATETIME(4..6), epoch µs).
func appendConnectDateTime(dst []byte, c *encColumn, sec, micro int64) []byte {
	if c.Type.Scale <= 3 {
		return strconv.AppendInt(dst, sec*1000+micro/1000, 10)
	}
	return strconv.AppendInt(dst, sec*1_000_000+micro, 10)
}

// appendDBValue appends column c's value v as Debezium's MySQL connector writes it with its
// default converters (decimal.handling.mode=precise, time.precision.mode=
// adaptive_time_microseconds, binary.handling.mode=bytes, bigint.unsigned.handling.mode=long)
// and Kafka's JsonConverter. v is what go-mysql's binlog decoder yields (UseDecimal,
// ParseTime off, TIMESTAMP strings in UTC) or what the snapshot's text protocol yields
// (int64, uint64, float64 or the value's text as []byte). Both paths must give the same
// bytes for the same stored value; the tests check that they do.
func appendDBValue(dst []byte, c *encColumn, v any) ([]byte, error) {
	if v == nil {
		return append(dst, "null"...), nil
	}
	switch c.Type.Kind {
	case schemas.KindTinyInt, schemas.KindSmallInt, schemas.KindMediumInt, schemas.KindInt, schemas.KindBigInt:
		n, err := intValue(c, v)
		if err != nil {
			return dst, err
		}
		return strconv.AppendInt(dst, n, 10), nil
	case schemas.KindYear:
		n, err := intValue(c, v)
		if err != nil {
			return dst, err
		}
		return strconv.AppendInt(dst, n, 10), nil
	case schemas.KindDecimal:
		var s string
		switch x := v.(type) {
		case decimal.Decimal:
			s = x.String()
		case []byte:
			s = string(x)
		case string:
			s = x
		default:
			return dst, badValue(c, v, "a decimal")
		}
		d, err := schema.ParseDecimal(s, c.Type.Scale)
		if err != nil {
			return dst, fmt.Errorf("column %s (%s): %w", c.Name, c.TypeText, err)
		}
		return appendConnectDecimal(dst, d), nil
	case schemas.KindFloat:
		var f float64
		switch x := v.(type) {
		case float32:
			f = float64(x)
		case float64:
			f = float64(float32(x))
		case []byte:
			p, err := strconv.ParseFloat(string(x), 32)
			if err != nil {
				return dst, badValue(c, v, "a float")
			}
			f = p
		default:
			return dst, badValue(c, v, "a float")
		}
		return appendFloat(dst, f, 32, c)
	case schemas.KindDouble:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case float32:
			f = float64(x)
		case []byte:
			p, err := strconv.ParseFloat(string(x), 64)
			if err != nil {
				return dst, badValue(c, v, "a double")
			}
			f = p
		default:
			return dst, badValue(c, v, "a double")
		}
		return appendFloat(dst, f, 64, c)
	case schemas.KindChar, schemas.KindVarchar, schemas.KindText, schemas.KindJSON:
		s, ok := text(v)
		if !ok {
			return dst, badValue(c, v, "text")
		}
		if !utf8.ValidString(s) {
			return dst, fmt.Errorf("column %s (%s): value is not valid UTF-8; only utf8/utf8mb4/ascii columns are supported", c.Name, c.TypeText)
		}
		return AppendString(dst, s), nil
	case schemas.KindEnum:
		switch x := v.(type) {
		case int64:
			// The binlog holds the 1-based member index; 0 is MySQL's invalid-value "".
			if x < 0 || x > int64(len(c.Type.Values)) {
				return dst, fmt.Errorf("column %s (%s): ENUM index %d out of range 0..%d", c.Name, c.TypeText, x, len(c.Type.Values))
			}
			if x == 0 {
				return append(dst, `""`...), nil
			}
			return AppendString(dst, c.Type.Values[x-1]), nil
		default:
			s, ok := text(v)
			if !ok {
				return dst, badValue(c, v, "an ENUM member")
			}
			return AppendString(dst, s), nil
		}
	case schemas.KindSet:
		switch x := v.(type) {
		case int64:
			var b strings.Builder
			for i, m := range c.Type.Values {
				if x&(1<<uint(i)) != 0 {
					if b.Len() > 0 {
						b.WriteByte(',')
					}
					b.WriteString(m)
				}
			}
			if x>>uint(len(c.Type.Values)) != 0 {
				return dst, fmt.Errorf("column %s (%s): SET bits %#x outside its %d members", c.Name, c.TypeText, x, len(c.Type.Values))
			}
			return AppendString(dst, b.String()), nil
		default:
			s, ok := text(v)
			if !ok {
				return dst, badValue(c, v, "SET members")
			}
			return AppendString(dst, s), nil
		}
	case schemas.KindBinary, schemas.KindVarBinary, schemas.KindBlob:
		var b []byte
		switch x := v.(type) {
		case []byte:
			b = x
		case string:
			b = []byte(x)
		default:
			return dst, badValue(c, v, "bytes")
		}
		// The binlog drops BINARY(n)'s trailing zero padding; the stored value (and the
		// snapshot) has it, and so does Debezium's event.
		if c.Type.Kind == schemas.KindBinary && len(b) < c.Type.Length {
			p := make([]byte, c.Type.Length)
			copy(p, b)
			b = p
		}
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, b)
		return append(dst, '"'), nil
	case schemas.KindBool:
		n, err := bitValue(c, v)
		if err != nil {
			return dst, err
		}
		if n != 0 {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case schemas.KindBit:
		n, err := bitValue(c, v)
		if err != nil {
			return dst, err
		}
		nb := c.Type.Length/8 + 1
		if c.Type.Length%8 == 0 {
			nb = c.Type.Length / 8
		}
		b := make([]byte, nb) // io.debezium.data.Bits is little-endian
		for i := range b {
			b[i] = byte(n >> (8 * uint(i)))
		}
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, b)
		return append(dst, '"'), nil
	case schemas.KindDate:
		s, ok := text(v)
		if !ok {
			return dst, badValue(c, v, "a DATE")
		}
		days, zero, err := parseDate(s)
		if err != nil {
			return dst, fmt.Errorf("column %s (%s): %w", c.Name, c.TypeText, err)
		}
		if zero {
			return appendZero(dst, c, "0"), nil
		}
		return strconv.AppendInt(dst, days, 10), nil
	case schemas.KindDateTime:
		s, ok := text(v)
		if !ok {
			return dst, badValue(c, v, "a DATETIME")
		}
		sec, micro, zero, err := parseDateTime(s)
		if err != nil {
			return dst, fmt.Errorf("column %s (%s): %w", c.Name, c.TypeText, err)
		}
		if zero {
			return appendZero(dst, c, "0"), nil
		}
		return appendConnectDateTime(dst, c, sec, micro), nil
	case schemas.KindTimestamp:
		s, ok := text(v)
		if !ok {
			return dst, badValue(c, v, "a TIMESTAMP")
		}
		iso, zero, err := zonedTimestamp(s)
		if err != nil {
			return dst, fmt.Errorf("column %s (%s): %w", c.Name, c.TypeText, err)
		}
		if zero {
			return appendZero(dst, c, `"1970-01-01T00:00:00Z"`), nil
		}
		return AppendString(dst, iso), nil
	case schemas.KindTime:
		s, ok := text(v)
		if !ok {
			return dst, badValue(c, v, "a TIME")
		}
		us, err := parseTime(s)
		if err != nil {
			return dst, fmt.Errorf("column %s (%s): %w", c.Name, c.TypeText, err)
		}
		return strconv.AppendInt(dst, us, 10), nil // io.debezium.time.MicroTime
	}
	return dst, fmt.Errorf("column %s: type %s is not supported", c.Name, c.TypeText)
}

// appendZero writes MySQL's zero date: null when the column allows it, else the epoch, as
// Debezium does.
func appendZero(dst []byte, c *encColumn, epoch string) []byte {
	if c.Nullable {
		return append(dst, "null"...)
	}
	return append(dst, epoch...)
}

func badValue(c *encColumn, v any, want string) error {
	return fmt.Errorf("column %s (%s): got %T %v, expected %s", c.Name, c.TypeText, v, v, want)
}

func text(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

// intValue returns an integer column's value as Debezium's Connect type holds it. The
// binlog does not say whether a column is unsigned (unless binlog_row_metadata=FULL), so
// go-mysql decodes every integer as signed; the column type restores the unsigned value.
// BIGINT UNSIGNED stays a wrapped int64, as bigint.unsigned.handling.mode=long does.
func intValue(c *encColumn, v any) (int64, error) {
	var n int64
	switch x := v.(type) {
	case int8:
		n = int64(x)
		if c.Type.Unsigned {
			n = int64(uint8(x))
		}
		return n, nil
	case int16:
		n = int64(x)
		if c.Type.Unsigned {
			n = int64(uint16(x))
		}
		return n, nil
	case int32:
		n = int64(x)
		if c.Type.Unsigned {
			if c.Type.Kind == schemas.KindMediumInt {
				n = int64(uint32(x) & 0xFFFFFF)
			} else {
				n = int64(uint32(x))
			}
		}
		return n, nil
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case uint64:
		return int64(x), nil
	case []byte:
		if p, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return p, nil
		}
		if p, err := strconv.ParseUint(string(x), 10, 64); err == nil {
			return int64(p), nil
		}
	}
	return 0, badValue(c, v, "an integer")
}

// bitValue reads BIT columns: go-mysql's binlog decoder gives int64, the text protocol the
// raw big-endian bytes.
func bitValue(c *encColumn, v any) (uint64, error) {
	switch x := v.(type) {
	case int64:
		return uint64(x), nil
	case []byte:
		if len(x) > 8 {
			return 0, badValue(c, v, "at most 64 bits")
		}
		var n uint64
		for _, b := range x {
			n = n<<8 | uint64(b)
		}
		return n, nil
	case uint64:
		return x, nil
	}
	return 0, badValue(c, v, "bits")
}

func appendFloat(dst []byte, f float64, bits int, c *encColumn) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, fmt.Errorf("column %s (%s): %v cannot be written as JSON", c.Name, c.TypeText, f)
	}
	// encoding/json's choice: plain digits unless the exponent is extreme.
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	return strconv.AppendFloat(dst, f, format, -1, bits), nil
}
