package delta

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ledgerflow/ledgerflow/debezium/jsonscan"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// FieldError says which column of an event could not be stored and why. It is the reason
// recorded in the dead-letter table; Code is its reason_code.
type FieldError struct {
	Column   string
	Value    string
	Expected string
	Code     string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("column %s: value %s is not %s", e.Column, e.Value, e.Expected)
}

// fieldErr is a type_mismatch of column col.
func fieldErr(col string, raw []byte, expected string) error {
	return codedFieldErr(codeTypeMismatch, col, raw, expected)
}

// rangeErr is a value of the right type that does not fit column col.
func rangeErr(col string, raw []byte, expected string) error {
	return codedFieldErr(codeValueOutOfRange, col, raw, expected)
}

// codedFieldErr quotes at most 80 bytes of the value, cut on a rune boundary: the message
// goes to a UTF-8 column of the dead-letter table.
func codedFieldErr(code, col string, raw []byte, expected string) error {
	return &FieldError{Column: col, Value: truncateText(string(raw), 80), Expected: expected, Code: code}
}

func notNullErr(col, expected string) error {
	return &FieldError{Column: col, Value: "null", Expected: expected, Code: codeMissingNotNull}
}

// decodeRow turns one unwrapped event (the debezium_unwrap row format: a JSON object of
// columns plus _op, _source_* and _kafka_* fields) into a row of the layout. ingestedAt
// fills _ingested_at. Unknown fields are ignored here; schema evolution decides about them.
func (l *layout) decodeRow(body []byte, ingestedAt time.Time) ([]any, error) {
	raws := make([][]byte, len(l.schema.Fields))
	err := jsonscan.EachMember(body, func(key []byte, escaped bool, val []byte) error {
		name := string(key)
		if escaped {
			var ok bool
			if name, ok = jsonscan.StringValue(append(append([]byte{'"'}, key...), '"')); !ok {
				return withCode(codeMalformedRow, fmt.Errorf("invalid member name %q", truncateText(string(key), 40)))
			}
		}
		if i, ok := l.fieldIndex(name); ok && raws[i] == nil {
			raws[i] = val
		}
		return nil
	})
	if err != nil {
		if reasonCode(err, "") != "" {
			return nil, err
		}
		return nil, withCode(codeMalformedRow, fmt.Errorf("event is not a JSON object: %v", err))
	}
	row := make([]any, len(l.schema.Fields))
	for i, f := range l.schema.Fields {
		if _, ok := l.derived[i]; ok {
			continue
		}
		if f.Name == colIngestedAt {
			row[i] = ingestedAt.UTC().Truncate(time.Microsecond)
			continue
		}
		raw := raws[i]
		if raw == nil || isNull(raw) {
			if !f.Nullable && !l.relaxNulls {
				return nil, notNullErr(f.Name, "a value (the column is NOT NULL)")
			}
			continue
		}
		if f.Name == colBefore {
			var buf bytes.Buffer
			if err := json.Compact(&buf, raw); err != nil {
				return nil, fieldErr(f.Name, raw, "a JSON object")
			}
			if !utf8.Valid(buf.Bytes()) {
				return nil, codedFieldErr(codeInvalidUTF8, f.Name, raw, "valid UTF-8 JSON")
			}
			row[i] = buf.String()
			continue
		}
		v, err := decodeValue(f.Name, f.Type, raw)
		if err != nil {
			return nil, err
		}
		row[i] = v
	}
	for i, d := range l.derived {
		switch src := row[d.source].(type) {
		case time.Time:
			row[i] = schema.DateOf(src)
		case schema.Date:
			row[i] = src
		case nil:
			if !l.schema.Fields[i].Nullable {
				return nil, notNullErr(l.schema.Fields[i].Name, "a date derived from "+l.schema.Fields[d.source].Name)
			}
		}
	}
	return row, nil
}

func isNull(raw []byte) bool { return len(raw) == 4 && string(raw) == "null" }

// decodeValue converts one JSON value to the Go value of Delta type t (see delta/schema).
func decodeValue(col string, t schema.Type, raw json.RawMessage) (any, error) {
	switch t := t.(type) {
	case schema.DecimalType:
		text := string(raw)
		if len(raw) > 0 && raw[0] == '"' {
			var ok bool
			if text, ok = jsonscan.StringValue(raw); !ok {
				return nil, fieldErr(col, raw, t.String())
			}
		}
		d, err := schema.ParseDecimal(text, t.Scale)
		if err != nil {
			if plainDecimal(text) {
				return nil, rangeErr(col, raw, fmt.Sprintf("a %s (%v)", t, err)) // too many fractional digits
			}
			return nil, fieldErr(col, raw, fmt.Sprintf("a %s (%v)", t, err))
		}
		if d.Precision() > t.Precision {
			return nil, rangeErr(col, raw, fmt.Sprintf("a %s: it has %d digits, the column holds %d", t, d.Precision(), t.Precision))
		}
		return d, nil
	case schema.PrimitiveType:
		switch t {
		case schema.Long, schema.Integer, schema.Short, schema.Byte:
			return decodeInt(col, t, raw)
		case schema.Boolean:
			switch string(raw) {
			case "true", "1":
				return true, nil
			case "false", "0":
				return false, nil
			}
			return nil, fieldErr(col, raw, "a boolean (true, false, 1 or 0)")
		case schema.Float, schema.Double:
			f, err := strconv.ParseFloat(string(raw), 64)
			if errors.Is(err, strconv.ErrRange) {
				return nil, rangeErr(col, raw, "a number within the range of "+t.String())
			}
			if err != nil {
				return nil, fieldErr(col, raw, "a JSON number")
			}
			if t == schema.Float {
				return float32(f), nil
			}
			return f, nil
		case schema.String:
			if raw[0] != '"' {
				// JSON columns may arrive as documents; keep their text.
				var buf bytes.Buffer
				if err := json.Compact(&buf, raw); err != nil {
					return nil, fieldErr(col, raw, "a string")
				}
				if !utf8.Valid(buf.Bytes()) {
					return nil, codedFieldErr(codeInvalidUTF8, col, raw, "a valid UTF-8 JSON document")
				}
				return buf.String(), nil
			}
			s, ok := jsonscan.StringValue(raw)
			if !ok && !utf8.Valid(raw) {
				return nil, codedFieldErr(codeInvalidUTF8, col, raw, "a valid UTF-8 string")
			}
			if !ok || !utf8.ValidString(s) {
				return nil, fieldErr(col, raw, "a valid UTF-8 string")
			}
			return s, nil
		case schema.Binary:
			s, err := unquote(raw)
			if err != nil {
				return nil, fieldErr(col, raw, "a base64 string")
			}
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return nil, fieldErr(col, raw, "a base64 string")
			}
			return b, nil
		case schema.DateType:
			if raw[0] != '"' {
				n, err := strconv.ParseInt(string(raw), 10, 32)
				if errors.Is(err, strconv.ErrRange) {
					return nil, rangeErr(col, raw, "a date (days since 1970-01-01 within 32 bits)")
				}
				if err != nil {
					return nil, fieldErr(col, raw, "a date (YYYY-MM-DD or days since 1970-01-01)")
				}
				return schema.Date(n), nil
			}
			s, _ := unquote(raw)
			d, err := schema.ParseDate(s)
			if err != nil {
				return nil, fieldErr(col, raw, "a date (YYYY-MM-DD)")
			}
			return d, nil
		case schema.Timestamp, schema.TimestampNTZ:
			return decodeTimestamp(col, raw)
		}
	}
	return nil, fieldErr(col, raw, "a value of type "+t.String()+" (unsupported by the delta_lake output)")
}

func decodeInt(col string, t schema.PrimitiveType, raw json.RawMessage) (any, error) {
	text := string(raw)
	if raw[0] == '"' {
		text, _ = unquote(raw)
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if errors.Is(err, strconv.ErrRange) {
		return nil, rangeErr(col, raw, "an integer within the range of "+string(t))
	}
	if err != nil {
		return nil, fieldErr(col, raw, "an integer ("+string(t)+")")
	}
	var lo, hi int64
	switch t {
	case schema.Byte:
		lo, hi = math.MinInt8, math.MaxInt8
	case schema.Short:
		lo, hi = math.MinInt16, math.MaxInt16
	case schema.Integer:
		lo, hi = math.MinInt32, math.MaxInt32
	default:
		return n, nil
	}
	if n < lo || n > hi {
		return nil, rangeErr(col, raw, fmt.Sprintf("an integer in [%d, %d] (%s)", lo, hi, t))
	}
	switch t {
	case schema.Byte:
		return int8(n), nil
	case schema.Short:
		return int16(n), nil
	}
	return int32(n), nil
}

// Timestamps are kept within years 0001 to 9999: what every engine reading Delta
// (Spark, Trino, DuckDB) and MySQL's DATETIME agree on. Epoch milliseconds far beyond would
// also overflow Delta's int64 microseconds, and the Parquet writer refuses those: a batch
// holding one would never commit.
var (
	minTimestamp = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTimestamp = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
)

// Bounds of the Kafka record timestamps a dead letter keeps (else null).
var (
	minTimestampMs = minTimestamp.UnixMilli()
	maxTimestampMs = maxTimestamp.UnixMilli()
)

const timestampRange = "a timestamp between 0001-01-01 and 9999-12-31"

// decodeTimestamp accepts ISO-8601 with a zone (the unwrap writes UTC with Z) or epoch
// milliseconds. Sub-microsecond digits are refused rather than silently cut: Delta stores
// microseconds.
func decodeTimestamp(col string, raw json.RawMessage) (any, error) {
	if raw[0] != '"' {
		ms, err := strconv.ParseInt(string(raw), 10, 64)
		if errors.Is(err, strconv.ErrRange) || err == nil && (ms < minTimestampMs || ms > maxTimestampMs) {
			return nil, rangeErr(col, raw, timestampRange+" (epoch milliseconds)")
		}
		if err != nil {
			return nil, fieldErr(col, raw, "a timestamp (ISO-8601 with zone, or epoch milliseconds)")
		}
		return time.UnixMilli(ms).UTC(), nil
	}
	s, _ := unquote(raw)
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, fieldErr(col, raw, "a timestamp (ISO-8601 with zone, e.g. 2024-01-02T03:04:05.123Z)")
	}
	if ts.Nanosecond()%1000 != 0 {
		return nil, rangeErr(col, raw, "a timestamp with at most microsecond precision")
	}
	ts = ts.UTC()
	if ts.Before(minTimestamp) || ts.After(maxTimestamp) {
		return nil, rangeErr(col, raw, timestampRange)
	}
	return ts, nil
}

// plainDecimal reports whether s is digits with an optional sign and point: a ParseDecimal
// failure on such text is a scale overflow, not a malformed number.
func plainDecimal(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	seenPoint, digits := false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !seenPoint:
			seenPoint = true
		default:
			return false
		}
	}
	return digits > 0
}

func unquote(raw []byte) (string, error) {
	s, ok := jsonscan.StringValue(raw)
	if !ok {
		return "", errors.New("not a valid JSON string")
	}
	return s, nil
}
