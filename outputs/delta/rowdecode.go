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

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// FieldError says which column of an event could not be stored and why. It is the reason
// recorded in the dead-letter table.
type FieldError struct {
	Column   string
	Value    string
	Expected string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("column %s: value %s is not %s", e.Column, e.Value, e.Expected)
}

func fieldErr(col string, raw []byte, expected string) error {
	v := string(raw)
	if len(v) > 80 {
		v = v[:80] + "..."
	}
	return &FieldError{Column: col, Value: v, Expected: expected}
}

// decodeRow turns one unwrapped event (the debezium_unwrap row format: a JSON object of
// columns plus _op, _source_* and _kafka_* fields) into a row of the layout. ingestedAt
// fills _ingested_at. Unknown fields are ignored here; schema evolution decides about them.
func (l *layout) decodeRow(body []byte, ingestedAt time.Time) ([]any, error) {
	raws := make([][]byte, len(l.schema.Fields))
	err := eachMember(body, func(key []byte, escaped bool, val []byte) error {
		name := string(key)
		if escaped {
			var ok bool
			if name, ok = stringValue(append(append([]byte{'"'}, key...), '"')); !ok {
				return fmt.Errorf("invalid member name %q", truncateBytes(key))
			}
		}
		if i, ok := l.fieldIndex(name); ok && raws[i] == nil {
			raws[i] = val
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("event is not a JSON object: %v", err)
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
				return nil, &FieldError{Column: f.Name, Value: "null", Expected: "a value (the column is NOT NULL)"}
			}
			continue
		}
		if f.Name == colBefore {
			var buf bytes.Buffer
			if err := json.Compact(&buf, raw); err != nil {
				return nil, fieldErr(f.Name, raw, "a JSON object")
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
				return nil, &FieldError{Column: l.schema.Fields[i].Name, Value: "null", Expected: "a date derived from " + l.schema.Fields[d.source].Name}
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
			if text, ok = stringValue(raw); !ok {
				return nil, fieldErr(col, raw, t.String())
			}
		}
		d, err := schema.ParseDecimal(text, t.Scale)
		if err != nil {
			return nil, fieldErr(col, raw, fmt.Sprintf("a %s (%v)", t, err))
		}
		if d.Precision() > t.Precision {
			return nil, fieldErr(col, raw, fmt.Sprintf("a %s: it has %d digits, the column holds %d", t, d.Precision(), t.Precision))
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
				return buf.String(), nil
			}
			s, ok := stringValue(raw)
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
		return nil, fieldErr(col, raw, fmt.Sprintf("an integer in [%d, %d] (%s)", lo, hi, t))
	}
	switch t {
	case schema.Byte:
		return int8(n), nil
	case schema.Short:
		return int16(n), nil
	}
	return int32(n), nil
}

// decodeTimestamp accepts ISO-8601 with a zone (the unwrap writes UTC with Z) or epoch
// milliseconds. Sub-microsecond digits are refused rather than silently cut: Delta stores
// microseconds.
func decodeTimestamp(col string, raw json.RawMessage) (any, error) {
	if raw[0] != '"' {
		ms, err := strconv.ParseInt(string(raw), 10, 64)
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
		return nil, fieldErr(col, raw, "a timestamp with at most microsecond precision")
	}
	return ts.UTC(), nil
}

func unquote(raw []byte) (string, error) {
	s, ok := stringValue(raw)
	if !ok {
		return "", errors.New("not a valid JSON string")
	}
	return s, nil
}
