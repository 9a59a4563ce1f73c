package mysql

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/inputs/dbzjson"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// appendValue appends column c's value v as Debezium's MySQL connector writes it with its
// default converters (decimal.handling.mode=precise, time.precision.mode=
// adaptive_time_microseconds, binary.handling.mode=bytes, bigint.unsigned.handling.mode=long)
// and Kafka's JsonConverter. v is what go-mysql's binlog decoder yields (UseDecimal,
// ParseTime off, TIMESTAMP strings in UTC) or what the snapshot's text protocol yields
// (int64, uint64, float64 or the value's text as []byte). Both paths must give the same
// bytes for the same stored value; the tests check that they do.
func appendValue(dst []byte, c *column, v any) ([]byte, error) {
	if v == nil {
		return append(dst, "null"...), nil
	}
	switch c.typ.Kind {
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
		d, err := schema.ParseDecimal(s, c.typ.Scale)
		if err != nil {
			return dst, fmt.Errorf("column %s (%s): %w", c.name, c.colType, err)
		}
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, d.Bytes())
		return append(dst, '"'), nil
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
			return dst, fmt.Errorf("column %s (%s): value is not valid UTF-8; only utf8/utf8mb4/ascii columns are supported", c.name, c.colType)
		}
		return appendJSONString(dst, s), nil
	case schemas.KindEnum:
		switch x := v.(type) {
		case int64:
			// The binlog holds the 1-based member index; 0 is MySQL's invalid-value "".
			if x < 0 || x > int64(len(c.typ.Values)) {
				return dst, fmt.Errorf("column %s (%s): ENUM index %d out of range 0..%d", c.name, c.colType, x, len(c.typ.Values))
			}
			if x == 0 {
				return append(dst, `""`...), nil
			}
			return appendJSONString(dst, c.typ.Values[x-1]), nil
		default:
			s, ok := text(v)
			if !ok {
				return dst, badValue(c, v, "an ENUM member")
			}
			return appendJSONString(dst, s), nil
		}
	case schemas.KindSet:
		switch x := v.(type) {
		case int64:
			var b strings.Builder
			for i, m := range c.typ.Values {
				if x&(1<<uint(i)) != 0 {
					if b.Len() > 0 {
						b.WriteByte(',')
					}
					b.WriteString(m)
				}
			}
			if x>>uint(len(c.typ.Values)) != 0 {
				return dst, fmt.Errorf("column %s (%s): SET bits %#x outside its %d members", c.name, c.colType, x, len(c.typ.Values))
			}
			return appendJSONString(dst, b.String()), nil
		default:
			s, ok := text(v)
			if !ok {
				return dst, badValue(c, v, "SET members")
			}
			return appendJSONString(dst, s), nil
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
		if c.typ.Kind == schemas.KindBinary && len(b) < c.typ.Length {
			p := make([]byte, c.typ.Length)
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
		nb := c.typ.Length/8 + 1
		if c.typ.Length%8 == 0 {
			nb = c.typ.Length / 8
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
			return dst, fmt.Errorf("column %s (%s): %w", c.name, c.colType, err)
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
			return dst, fmt.Errorf("column %s (%s): %w", c.name, c.colType, err)
		}
		if zero {
			return appendZero(dst, c, "0"), nil
		}
		if c.typ.Scale <= 3 {
			return strconv.AppendInt(dst, sec*1000+micro/1000, 10), nil // io.debezium.time.Timestamp
		}
		return strconv.AppendInt(dst, sec*1_000_000+micro, 10), nil // io.debezium.time.MicroTimestamp
	case schemas.KindTimestamp:
		s, ok := text(v)
		if !ok {
			return dst, badValue(c, v, "a TIMESTAMP")
		}
		iso, zero, err := zonedTimestamp(s)
		if err != nil {
			return dst, fmt.Errorf("column %s (%s): %w", c.name, c.colType, err)
		}
		if zero {
			return appendZero(dst, c, `"1970-01-01T00:00:00Z"`), nil
		}
		return appendJSONString(dst, iso), nil
	case schemas.KindTime:
		s, ok := text(v)
		if !ok {
			return dst, badValue(c, v, "a TIME")
		}
		us, err := parseTime(s)
		if err != nil {
			return dst, fmt.Errorf("column %s (%s): %w", c.name, c.colType, err)
		}
		return strconv.AppendInt(dst, us, 10), nil // io.debezium.time.MicroTime
	}
	return dst, fmt.Errorf("column %s: type %s is not supported", c.name, c.colType)
}

// appendZero writes MySQL's zero date: null when the column allows it, else the epoch, as
// Debezium does.
func appendZero(dst []byte, c *column, epoch string) []byte {
	if c.nullable {
		return append(dst, "null"...)
	}
	return append(dst, epoch...)
}

func badValue(c *column, v any, want string) error {
	return fmt.Errorf("column %s (%s): got %T %v, expected %s", c.name, c.colType, v, v, want)
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
func intValue(c *column, v any) (int64, error) {
	var n int64
	switch x := v.(type) {
	case int8:
		n = int64(x)
		if c.typ.Unsigned {
			n = int64(uint8(x))
		}
		return n, nil
	case int16:
		n = int64(x)
		if c.typ.Unsigned {
			n = int64(uint16(x))
		}
		return n, nil
	case int32:
		n = int64(x)
		if c.typ.Unsigned {
			if c.typ.Kind == schemas.KindMediumInt {
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
func bitValue(c *column, v any) (uint64, error) {
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

func appendFloat(dst []byte, f float64, bits int, c *column) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, fmt.Errorf("column %s (%s): %v cannot be written as JSON", c.name, c.colType, f)
	}
	// encoding/json's choice: plain digits unless the exponent is extreme.
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	return strconv.AppendFloat(dst, f, format, -1, bits), nil
}

// parseDate reads "YYYY-MM-DD" into days since 1970-01-01. zero reports MySQL's zero date
// (or a zero month/day), which has no calendar day.
func parseDate(s string) (days int64, zero bool, err error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false, fmt.Errorf("date %q: expected YYYY-MM-DD", s)
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return 0, false, fmt.Errorf("date %q: expected YYYY-MM-DD", s)
	}
	if m == 0 || d == 0 {
		return 0, true, nil
	}
	if m > 12 || d > 31 {
		return 0, false, fmt.Errorf("date %q: month or day out of range", s)
	}
	return daysFromCivil(y, m, d), false, nil
}

// parseDateTime reads "YYYY-MM-DD HH:MM:SS[.f…]" as a UTC wall clock: seconds since the
// epoch and the microseconds within the second.
func parseDateTime(s string) (sec, micro int64, zero bool, err error) {
	if len(s) < 19 || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return 0, 0, false, fmt.Errorf("datetime %q: expected YYYY-MM-DD HH:MM:SS[.ffffff]", s)
	}
	days, zero, err := parseDate(s[:10])
	if err != nil {
		return 0, 0, false, fmt.Errorf("datetime %q: %w", s, err)
	}
	h, ok1 := digits(s[11:13])
	mi, ok2 := digits(s[14:16])
	se, ok3 := digits(s[17:19])
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || se > 59 {
		return 0, 0, false, fmt.Errorf("datetime %q: bad time of day", s)
	}
	micro, err = fraction(s[19:])
	if err != nil {
		return 0, 0, false, fmt.Errorf("datetime %q: %w", s, err)
	}
	if zero {
		return 0, 0, true, nil
	}
	return days*86400 + h*3600 + mi*60 + se, micro, false, nil
}

// fraction reads "" or ".f…" (1 to 6 digits) as microseconds.
func fraction(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	if s[0] != '.' || len(s) < 2 || len(s) > 7 {
		return 0, fmt.Errorf("fractional seconds %q: expected . and 1 to 6 digits", s)
	}
	f, ok := digits(s[1:])
	if !ok {
		return 0, fmt.Errorf("fractional seconds %q: expected digits", s)
	}
	for i := len(s) - 1; i < 6; i++ {
		f *= 10
	}
	return f, nil
}

// zonedTimestamp turns a UTC "YYYY-MM-DD HH:MM:SS[.f…]" into io.debezium.time.ZonedTimestamp:
// ISO-8601 with "Z", the fraction printed with trailing zeros dropped (Java's
// ISO_OFFSET_DATE_TIME).
func zonedTimestamp(s string) (string, bool, error) {
	_, micro, zero, err := parseDateTime(s)
	if err != nil {
		return "", false, err
	}
	if zero {
		return "", true, nil
	}
	out := make([]byte, 0, 30)
	out = append(out, s[:10]...)
	out = append(out, 'T')
	out = append(out, s[11:19]...)
	if micro != 0 {
		f := []byte(fmt.Sprintf(".%06d", micro))
		for f[len(f)-1] == '0' {
			f = f[:len(f)-1]
		}
		out = append(out, f...)
	}
	out = append(out, 'Z')
	return string(out), false, nil
}

// parseTime reads MySQL's "[-]H…H:MM:SS[.f…]" as microseconds (io.debezium.time.MicroTime).
func parseTime(s string) (int64, error) {
	in := s
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	hs, rest, ok := strings.Cut(s, ":")
	if !ok || len(rest) < 5 || rest[2] != ':' {
		return 0, fmt.Errorf("time %q: expected [-]HH:MM:SS[.ffffff]", in)
	}
	h, ok1 := digits(hs)
	m, ok2 := digits(rest[0:2])
	se, ok3 := digits(rest[3:5])
	if !ok1 || !ok2 || !ok3 || len(hs) == 0 || len(hs) > 3 || m > 59 || se > 59 {
		return 0, fmt.Errorf("time %q: expected [-]HH:MM:SS[.ffffff]", in)
	}
	f, err := fraction(rest[5:])
	if err != nil {
		return 0, fmt.Errorf("time %q: %w", in, err)
	}
	us := (h*3600+m*60+se)*1_000_000 + f
	if neg {
		us = -us
	}
	return us, nil
}

func digits(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// daysFromCivil is the proleptic Gregorian day number relative to 1970-01-01 (Howard
// Hinnant's algorithm), the same calendar as java.time.LocalDate.toEpochDay.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// appendJSONString quotes s as Kafka Connect's JsonConverter does.
func appendJSONString(dst []byte, s string) []byte { return dbzjson.AppendString(dst, s) }
