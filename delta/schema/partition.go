package schema

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// HivePartitionNull is the directory value Spark and Hive use for a null partition value.
const HivePartitionNull = "__HIVE_DEFAULT_PARTITION__"

// FormatPartitionValue renders a partition value for add.partitionValues as PROTOCOL.md
// §"Partition Value Serialization" prescribes: nil (and the empty string, which Delta reads
// as null) gives nil, i.e. JSON null; numbers in plain decimal form; dates YYYY-MM-DD;
// timestamps (UTC) and timestamp_ntz as "YYYY-MM-DD HH:MM:SS[.ffffff]" with trailing zeros of
// the fraction dropped, as Spark casts them; decimals with exactly their scale; binary as its
// raw bytes. A value whose Go type does not match t also gives nil: callers validate rows
// before partitioning, so this only guards against misuse.
func FormatPartitionValue(v any, t Type) *string {
	s, ok := formatPartition(v, t)
	if !ok || s == "" {
		return nil
	}
	return &s
}

func formatPartition(v any, t Type) (string, bool) {
	if v == nil {
		return "", false
	}
	switch x := v.(type) {
	case string:
		return x, t == String
	case bool:
		return strconv.FormatBool(x), t == Boolean
	case int8:
		return strconv.FormatInt(int64(x), 10), t == Byte
	case int16:
		return strconv.FormatInt(int64(x), 10), t == Short
	case int32:
		return strconv.FormatInt(int64(x), 10), t == Integer
	case int64:
		return strconv.FormatInt(x, 10), t == Long
	case float32:
		return JavaFloatString(float64(x), 32), t == Float
	case float64:
		return JavaFloatString(x, 64), t == Double
	case []byte:
		return string(x), t == Binary
	case Date:
		return x.String(), t == DateType
	case time.Time:
		if t != Timestamp && t != TimestampNTZ {
			return "", false
		}
		return formatPartitionTime(x), true
	case Decimal:
		dt, ok := t.(DecimalType)
		if !ok || x.Unscaled == nil {
			return "", false
		}
		r, err := x.Rescale(dt.Scale)
		if err != nil {
			return "", false
		}
		return r.String(), true
	}
	return "", false
}

func formatPartitionTime(t time.Time) string {
	t = t.UTC()
	s := t.Format("2006-01-02 15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%06d", us), "0")
	}
	return s
}

// JavaFloatString renders floats as Java's Float/Double.toString does, which is what Spark
// writes in partition values and statistics: "1.0", "0.1", "1.0E10", "NaN", "Infinity".
func JavaFloatString(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	a := math.Abs(f)
	if a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, bits)
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	neg := strings.HasPrefix(exp, "-")
	exp = strings.TrimLeft(strings.TrimLeft(exp, "+-"), "0")
	if exp == "" {
		exp = "0"
	}
	if neg {
		exp = "-" + exp
	}
	return mant + "E" + exp
}

// ParsePartitionValue reads an add.partitionValues entry back into the Go value of type t.
// nil and "" are null. Timestamps accept Spark's zone-less "YYYY-MM-DD HH:MM:SS[.f…]" (read
// as UTC) and ISO-8601 with a zone ("1970-01-01T00:00:00.123456Z", "+02:00") as newer writers
// produce; timestamp_ntz accepts the zone-less forms with a space or a "T". Errors name the
// value and the expected form.
func ParsePartitionValue(s *string, t Type) (any, error) {
	if s == nil || *s == "" {
		return nil, nil
	}
	v := *s
	switch tt := t.(type) {
	case DecimalType:
		d, err := ParseDecimal(v, tt.Scale)
		if err != nil {
			return nil, fmt.Errorf("partition value %q: expected a %s: %w", v, tt, err)
		}
		if d.Precision() > tt.Precision && d.Unscaled.Sign() != 0 {
			return nil, fmt.Errorf("partition value %q: more than %d digits for %s", v, tt.Precision, tt)
		}
		return d, nil
	case PrimitiveType:
		switch tt {
		case String:
			return v, nil
		case Binary:
			return []byte(v), nil
		case Boolean:
			switch strings.ToLower(v) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
			return nil, fmt.Errorf("partition value %q: expected true or false for boolean", v)
		case Byte, Short, Integer, Long:
			bits := map[PrimitiveType]int{Byte: 8, Short: 16, Integer: 32, Long: 64}[tt]
			n, err := strconv.ParseInt(v, 10, bits)
			if err != nil {
				return nil, fmt.Errorf("partition value %q: expected a %d-bit integer for %s", v, bits, tt)
			}
			switch tt {
			case Byte:
				return int8(n), nil
			case Short:
				return int16(n), nil
			case Integer:
				return int32(n), nil
			}
			return n, nil
		case Float, Double:
			bits := 64
			if tt == Float {
				bits = 32
			}
			f, err := strconv.ParseFloat(v, bits)
			if err != nil {
				return nil, fmt.Errorf("partition value %q: expected a number for %s", v, tt)
			}
			if tt == Float {
				return float32(f), nil
			}
			return f, nil
		case DateType:
			d, err := ParseDate(v)
			if err != nil {
				return nil, fmt.Errorf("partition value %q: expected YYYY-MM-DD for date", v)
			}
			return d, nil
		case Timestamp, TimestampNTZ:
			ts, err := parsePartitionTime(v, tt == Timestamp)
			if err != nil {
				return nil, err
			}
			return ts, nil
		}
	}
	return nil, fmt.Errorf("partition value %q: partition columns of type %s are not supported", v, t)
}

var zonelessLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
}

func parsePartitionTime(v string, zoned bool) (time.Time, error) {
	for _, l := range zonelessLayouts {
		if t, err := time.ParseInLocation(l, v, time.UTC); err == nil {
			return t.Truncate(time.Microsecond), nil
		}
	}
	if zoned {
		for _, l := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00"} {
			if t, err := time.Parse(l, v); err == nil {
				return t.UTC().Truncate(time.Microsecond), nil
			}
		}
		if t, err := time.ParseInLocation("2006-01-02", v, time.UTC); err == nil {
			return t, nil
		}
		return time.Time{}, fmt.Errorf("partition value %q: expected \"YYYY-MM-DD HH:MM:SS[.ffffff]\" or ISO-8601 with a zone for timestamp", v)
	}
	return time.Time{}, fmt.Errorf("partition value %q: expected \"YYYY-MM-DD HH:MM:SS[.ffffff]\" for timestamp_ntz", v)
}

// PartitionPath builds the Hive-style directory for a file's partition values,
// "col1=v1/col2=v2" (no trailing slash), escaping names and values as Spark's
// ExternalCatalogUtils.escapePathName does and writing null as __HIVE_DEFAULT_PARTITION__.
// The result is a file-system path: URI-encode it once more for add.path.
func PartitionPath(cols []string, vals []*string) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteByte('/')
		}
		escapePathName(&b, c)
		b.WriteByte('=')
		if i >= len(vals) || vals[i] == nil || *vals[i] == "" {
			b.WriteString(HivePartitionNull)
			continue
		}
		escapePathName(&b, *vals[i])
	}
	return b.String()
}

func needsEscape(c byte) bool {
	switch {
	case c >= 0x01 && c <= 0x1F, c == 0x7F:
		return true
	}
	switch c {
	case '"', '#', '%', '\'', '*', '/', ':', '=', '?', '\\', '{', '[', ']', '^':
		return true
	}
	return false
}

func escapePathName(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if needsEscape(c) {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
}
