package fraud

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
)

// Members AppendResult adds to a row.
const (
	MemberScore   = "fraud_score"
	MemberBand    = "fraud_band"
	MemberHits    = "fraud_rules_hit"
	MemberVersion = "fraud_rules_version"
)

func isResultMember(k []byte) bool {
	switch string(k) {
	case MemberScore, MemberBand, MemberHits, MemberVersion:
		return true
	}
	return false
}

// RowInfo describes a row SetRow read.
type RowInfo struct {
	// HasResult is true when the row already carries a member AppendResult writes (it was
	// scored before); remove them with RemoveResult before appending a new result.
	HasResult bool
}

// maxDepth bounds nesting in skipped values (_before images, JSON columns passed through).
const maxDepth = 64

// SetRow reads a row as debezium_unwrap writes it (one JSON object: the contract's
// columns, _op, _source_pos, …) into the tx object: each member that names a contract
// column is converted to the column's environment type (decimal strings and numbers to
// money exactly, timestamps to time.Time, …); _op and _source_pos become tx.op and
// tx.source_pos; other members are skipped. It does not build a map of the row and boxes
// enum-like strings once per Env.
//
// A row that is not a JSON object fails and sets nothing reliable. A member whose value
// does not fit its column type is left nil, the rest of the row is still read, and the
// returned error (a *FieldError, joined when several) names each such member.
func (e *Env) SetRow(row []byte) (RowInfo, error) {
	var info RowInfo
	var errs []error
	b := row
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return info, errors.New("row: expected a JSON object")
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return info, trailing(b, i+1)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return info, fmt.Errorf("row: expected a member name at byte %d", i)
		}
		ks, ke, kesc, next, err := scanString(b, i)
		if err != nil {
			return info, err
		}
		key := b[ks:ke]
		var unescaped []byte
		if kesc {
			if unescaped, err = unquote(b[i:next]); err != nil {
				return info, err
			}
			key = unescaped
		}
		i = skipWS(b, next)
		if i >= len(b) || b[i] != ':' {
			return info, fmt.Errorf("row: expected ':' after member %s", quote(string(key)))
		}
		i = skipWS(b, i+1)
		vs := i
		if i, err = skipValue(b, i, 0); err != nil {
			return info, err
		}
		if isResultMember(key) {
			info.HasResult = true
		} else if fi, ok := e.d.columns[string(key)]; ok {
			if err := e.setJSON(fi, b[vs:i]); err != nil {
				errs = append(errs, err)
			}
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return info, errors.New("row: unexpected end of JSON")
		}
		if b[i] == '}' {
			if err := trailing(b, i+1); err != nil {
				return info, err
			}
			return info, errors.Join(errs...)
		}
		if b[i] != ',' {
			return info, fmt.Errorf("row: expected ',' or '}' at byte %d", i)
		}
		i = skipWS(b, i+1)
	}
}

func trailing(b []byte, i int) error {
	if skipWS(b, i) != len(b) {
		return errors.New("row: data after the JSON object")
	}
	return nil
}

// setJSON converts one raw JSON value for a tx field.
func (e *Env) setJSON(fi *fieldInfo, v []byte) error {
	if len(v) == 4 && string(v) == "null" {
		e.slots[fi.idx] = nil
		return nil
	}
	bad := func(expected string) error {
		return &FieldError{Field: fi.key, Err: fmt.Errorf("got %s, expected %s", quote(string(v)), expected)}
	}
	str := func() ([]byte, bool) {
		if len(v) < 2 || v[0] != '"' {
			return nil, false
		}
		inner := v[1 : len(v)-1]
		for _, c := range inner {
			if c == '\\' {
				u, err := unquote(v)
				return u, err == nil
			}
		}
		return inner, true
	}
	switch fi.Type.Kind {
	case KindInt:
		n, ok := parseJSONInt(v)
		if !ok {
			return bad("an integer")
		}
		e.slots[fi.idx] = n
	case KindMoney:
		t := v
		if s, ok := str(); ok {
			t = s
		} else if v[0] == '"' {
			return bad("a decimal")
		}
		m, err := money.ParseBytes(t)
		if err != nil {
			return bad("a decimal")
		}
		e.slots[fi.idx] = m
	case KindFloat:
		if v[0] == '"' || v[0] == 't' || v[0] == 'f' || v[0] == '{' || v[0] == '[' {
			return bad("a number")
		}
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return bad("a number")
		}
		e.slots[fi.idx] = f
	case KindString:
		s, ok := str()
		if !ok {
			return bad("a string")
		}
		e.slots[fi.idx] = e.internString(fi, s)
	case KindBool:
		switch string(v) {
		case "true", "1":
			e.slots[fi.idx] = true
		case "false", "0":
			e.slots[fi.idx] = false
		default:
			return bad("a boolean")
		}
	case KindTime:
		s, ok := str()
		if !ok {
			return bad("a time string")
		}
		t, ok := parseTime(s)
		if !ok {
			return bad("a time (YYYY-MM-DDTHH:MM:SS[.f]Z or YYYY-MM-DD)")
		}
		e.slots[fi.idx] = t
	case KindDuration:
		s, ok := str()
		if !ok {
			return bad("a time of day string")
		}
		d, ok := parseClock(s)
		if !ok {
			return bad("a TIME value (HH:MM:SS[.f])")
		}
		e.slots[fi.idx] = d
	default:
		return bad(fi.Type.String())
	}
	return nil
}

// parseJSONInt reads a JSON integer (no fraction, no exponent) that fits an int64.
func parseJSONInt(v []byte) (int, bool) {
	i, neg := 0, false
	if len(v) > 0 && v[0] == '-' {
		neg, i = true, 1
	}
	if i == len(v) || len(v)-i > 19 {
		return 0, false
	}
	var u uint64
	for ; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return int(-int64(u)), true // u == 1<<63 wraps to MinInt64, as intended
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int(u), true
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scanString scans the JSON string starting at b[i] == '"'. It returns the content span,
// whether it contains escapes, and the index after the closing quote.
func scanString(b []byte, i int) (start, end int, escaped bool, next int, err error) {
	start = i + 1
	for j := start; j < len(b); j++ {
		c := b[j]
		switch {
		case c == '"':
			return start, j, escaped, j + 1, nil
		case c == '\\':
			escaped = true
			j++
			if j >= len(b) {
				return 0, 0, false, 0, errors.New("row: unterminated string")
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(b) || !isHex(b[j+1]) || !isHex(b[j+2]) || !isHex(b[j+3]) || !isHex(b[j+4]) {
					return 0, 0, false, 0, errors.New(`row: invalid \u escape`)
				}
				j += 4
			default:
				return 0, 0, false, 0, fmt.Errorf("row: invalid escape \\%c", b[j])
			}
		case c < 0x20:
			return 0, 0, false, 0, errors.New("row: control character in string")
		}
	}
	return 0, 0, false, 0, errors.New("row: unterminated string")
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// unquote decodes a quoted JSON string with escapes (rare in rows: only free text).
func unquote(q []byte) ([]byte, error) {
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		return nil, fmt.Errorf("row: invalid string: %w", err)
	}
	return []byte(s), nil
}

// skipValue returns the index after the JSON value at b[i].
func skipValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return i, errors.New("row: unexpected end of JSON")
	}
	switch c := b[i]; {
	case c == '"':
		_, _, _, next, err := scanString(b, i)
		return next, err
	case c == '{' || c == '[':
		if depth >= maxDepth {
			return i, errors.New("row: nesting too deep")
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == closer {
			return i + 1, nil
		}
		for {
			if c == '{' {
				if i >= len(b) || b[i] != '"' {
					return i, errors.New("row: expected a member name")
				}
				_, _, _, next, err := scanString(b, i)
				if err != nil {
					return i, err
				}
				i = skipWS(b, next)
				if i >= len(b) || b[i] != ':' {
					return i, errors.New("row: expected ':'")
				}
				i = skipWS(b, i+1)
			}
			var err error
			if i, err = skipValue(b, i, depth+1); err != nil {
				return i, err
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return i, errors.New("row: unexpected end of JSON")
			}
			if b[i] == closer {
				return i + 1, nil
			}
			if b[i] != ',' {
				return i, fmt.Errorf("row: expected ',' at byte %d", i)
			}
			i = skipWS(b, i+1)
		}
	case c == 't':
		return literal(b, i, "true")
	case c == 'f':
		return literal(b, i, "false")
	case c == 'n':
		return literal(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return number(b, i)
	}
	return i, fmt.Errorf("row: unexpected %q at byte %d", b[i], i)
}

func literal(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, fmt.Errorf("row: invalid literal at byte %d", i)
	}
	return i + len(lit), nil
}

// number validates a JSON number's grammar.
func number(b []byte, i int) (int, error) {
	start := i
	if b[i] == '-' {
		i++
	}
	d := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == d || (b[d] == '0' && i-d > 1) {
		return i, fmt.Errorf("row: invalid number at byte %d", start)
	}
	if i < len(b) && b[i] == '.' {
		i++
		f := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == f {
			return i, fmt.Errorf("row: invalid number at byte %d", start)
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		x := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == x {
			return i, fmt.Errorf("row: invalid number at byte %d", start)
		}
	}
	return i, nil
}
