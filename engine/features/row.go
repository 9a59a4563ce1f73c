package features

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// RowError is a row the engine cannot register, with a stable reason code.
type RowError struct {
	Reason string // missing_column, invalid_value, missing_source_ts, not_an_object
	Msg    string
}

func (e *RowError) Error() string { return e.Msg }

func rowErr(reason, format string, args ...any) error {
	return &RowError{Reason: reason, Msg: fmt.Sprintf(format, args...)}
}

// Version reads a debezium_unwrap row (one JSON object: the contract's columns, _op,
// _source_ts, _source_pos, _kafka_topic/_partition/_offset) into a Version. env holds the
// enrichment values an `of: object.field` reads (the ledgerflow_env metadata); it may be
// nil. It fails with a *RowError naming the member and value when the row cannot be placed
// in time or a value does not fit its column.
func (d *Decl) Version(row []byte, env map[string]map[string]any) (Version, error) {
	v := Version{Offset: -1, Values: make([]Value, len(d.cols))}
	for i := range v.Values {
		v.Values[i].Null = true
	}
	var op, pos, sourceTS, topic string
	partition := int64(-1)
	var haveID bool
	idName := d.idColumn
	err := scanObject(row, func(key, raw []byte) error {
		k := string(key) // no allocation for the map lookup and switch below
		switch k {
		case "_op":
			op, _ = jsonString(raw)
			return nil
		case "_source_pos":
			pos, _ = jsonString(raw)
			return nil
		case "_source_ts":
			sourceTS, _ = jsonString(raw)
			return nil
		case "_kafka_topic":
			topic, _ = jsonString(raw)
			return nil
		case "_kafka_partition":
			partition, _ = strconv.ParseInt(string(raw), 10, 64)
			return nil
		case "_kafka_offset":
			if o, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
				v.Offset = o
			}
			return nil
		}
		if k == idName {
			id, err := strconv.ParseInt(string(raw), 10, 64)
			if err != nil {
				return rowErr("invalid_value", "%s: %s is not an integer transaction id", idName, truncate(string(raw)))
			}
			v.TxID, haveID = id, true
		}
		s, ok := d.slotByName[k]
		if !ok {
			return nil
		}
		val, err := parseValue(raw, d.cols[s].typ)
		if err != nil {
			return rowErr("invalid_value", "%s: %v", d.cols[s].name, err)
		}
		v.Values[s] = val
		return nil
	})
	if err != nil {
		var re *RowError
		if errors.As(err, &re) {
			return v, err
		}
		return v, rowErr("not_an_object", "row: %v", err)
	}
	if !haveID {
		return v, rowErr("missing_column", "row has no %s (the transaction id)", idName)
	}
	if len(op) != 1 || (op[0] != 'c' && op[0] != 'u' && op[0] != 'd' && op[0] != 'r') {
		return v, rowErr("invalid_value", "_op: %q, expected c, u, d or r", truncate(op))
	}
	v.Op = op[0]
	if pos == "" {
		return v, rowErr("missing_column", "row of transaction %d has no _source_pos (versions are ordered by it)", v.TxID)
	}
	v.Pos = ParsePos(pos, v.Op == 'r')
	tv := v.Values[d.timeSlot]
	if tv.Null {
		return v, rowErr("missing_column", "row of transaction %d has no %s (the event time)", v.TxID, d.Time)
	}
	v.Anchor = tv.I
	v.Change = v.Anchor
	if v.Op == 'u' || v.Op == 'd' {
		ts, err := parseTime(sourceTS)
		if err != nil {
			return v, rowErr("missing_source_ts", "_source_ts: %q: an update or delete is placed in time by its source commit time: %v", truncate(sourceTS), err)
		}
		v.Change = ts
	}
	if partition >= 0 {
		v.Source = topic + "/" + strconv.FormatInt(partition, 10)
	}
	for s, c := range d.cols {
		if c.object == "" {
			continue
		}
		raw, ok := env[c.object][c.field]
		if !ok || raw == nil {
			continue
		}
		val, err := valueFromAny(raw, c.typ)
		if err != nil {
			return v, rowErr("invalid_value", "%s: %v", c.name, err)
		}
		v.Values[s] = val
	}
	return v, nil
}

func parseTime(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("missing")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// A zone-less "YYYY-MM-DD HH:MM:SS[.f]" or a date is UTC.
		for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02"} {
			if t2, err2 := time.Parse(layout, s); err2 == nil {
				return t2.UnixMicro(), nil
			}
		}
		return 0, fmt.Errorf("not a time (expected RFC 3339)")
	}
	return t.UnixMicro(), nil
}

// parseValue reads one JSON value for a column.
func parseValue(raw []byte, t colType) (Value, error) {
	if string(raw) == "null" {
		return Value{Null: true}, nil
	}
	s, isString := jsonString(raw)
	switch t.kind {
	case kInt:
		text := string(raw)
		if isString {
			text = s
		}
		i, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return Value{}, fmt.Errorf("%s is not an integer", truncate(string(raw)))
		}
		return Value{I: i}, nil
	case kDec:
		text := string(raw)
		if isString {
			text = s
		}
		return decValue(text, t)
	case kFloat:
		text := string(raw)
		if isString {
			text = s
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return Value{}, fmt.Errorf("%s is not a number", truncate(string(raw)))
		}
		return Value{I: int64(math.Float64bits(f))}, nil
	case kBool:
		switch string(raw) {
		case "true", "1":
			return Value{I: 1}, nil
		case "false", "0":
			return Value{}, nil
		}
		return Value{}, fmt.Errorf("%s is not a boolean", truncate(string(raw)))
	case kTime:
		if !isString {
			return Value{}, fmt.Errorf("%s is not a time string", truncate(string(raw)))
		}
		us, err := parseTime(s)
		if err != nil {
			return Value{}, fmt.Errorf("%q: %v", truncate(s), err)
		}
		return Value{I: us}, nil
	}
	if !isString {
		return Value{S: string(raw)}, nil
	}
	return Value{S: s}, nil
}

// decValue reads a decimal at the column scale exactly; more fractional digits than the
// scale is an error (never rounded).
func decValue(text string, t colType) (Value, error) {
	dv, err := ParseDec(text)
	if err != nil {
		return Value{}, err
	}
	if dv.Scale > t.scale {
		return Value{}, fmt.Errorf("%q has more than %d fractional digits", truncate(text), t.scale)
	}
	u, ok := dv.rescale(t.scale)
	if !ok {
		return Value{}, fmt.Errorf("%q does not fit 18 digits at scale %d", truncate(text), t.scale)
	}
	return Value{I: u}, nil
}

// valueFromAny converts an enrichment value (ledgerflow_env) for a column.
func valueFromAny(v any, t colType) (Value, error) {
	switch x := v.(type) {
	case string:
		b, _ := json.Marshal(x)
		return parseValue(b, t)
	case json.Number:
		return parseValue([]byte(x), t)
	case []byte:
		return valueFromAny(string(x), t)
	case time.Time:
		if t.kind == kTime {
			return Value{I: x.UnixMicro()}, nil
		}
	case bool:
		if t.kind == kBool {
			if x {
				return Value{I: 1}, nil
			}
			return Value{}, nil
		}
	case float64:
		switch t.kind {
		case kFloat:
			return Value{I: int64(math.Float64bits(x))}, nil
		case kDec:
			return decValue(strconv.FormatFloat(x, 'f', -1, 64), t)
		case kInt:
			if x == math.Trunc(x) && math.Abs(x) <= 1<<53 {
				return Value{I: int64(x)}, nil
			}
		}
	case int:
		return valueFromAny(int64(x), t)
	case int64:
		switch t.kind {
		case kInt:
			return Value{I: x}, nil
		case kFloat:
			return Value{I: int64(math.Float64bits(float64(x)))}, nil
		case kDec:
			return decValue(strconv.FormatInt(x, 10), t)
		}
	}
	return Value{}, fmt.Errorf("%T %s is not a %s", v, truncate(fmt.Sprint(v)), t.kind)
}
