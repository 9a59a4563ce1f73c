package fraud

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// AppendResult returns row (a JSON object) with the result members added before its
// closing brace, without decoding or re-encoding the row:
//
//	"fraud_score": 40, "fraud_band": "review",
//	"fraud_rules_hit": [{"id":"R1","version":1,"severity":"high","weight":40,"reason":"…"}],
//	"fraud_rules_version": "3f2a…"
//
// fraud_rules_hit is [] when nothing fired. The row must not already have these members
// (SetRow's RowInfo.HasResult; see RemoveResult). dst is reused when it has room; it must
// not overlap row.
func AppendResult(dst, row []byte, res *Result) ([]byte, error) {
	end := len(row)
	for end > 0 && isSpace(row[end-1]) {
		end--
	}
	if end == 0 || row[end-1] != '}' {
		return nil, errors.New("row: expected a JSON object")
	}
	closing := end - 1
	empty := true
	for i := closing - 1; i >= 0; i-- {
		if !isSpace(row[i]) {
			empty = row[i] == '{'
			break
		}
	}
	dst = append(dst[:0], row[:closing]...)
	if !empty {
		dst = append(dst, ',')
	}
	dst = append(dst, `"fraud_score":`...)
	dst = strconv.AppendInt(dst, int64(res.Score), 10)
	dst = append(dst, `,"fraud_band":`...)
	dst = appendJSONString(dst, res.Band)
	dst = append(dst, `,"fraud_rules_hit":[`...)
	for i, h := range res.Hits {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"id":`...)
		dst = appendJSONString(dst, h.Rule.ID)
		dst = append(dst, `,"version":`...)
		dst = strconv.AppendInt(dst, int64(h.Rule.Version), 10)
		dst = append(dst, `,"severity":`...)
		dst = appendJSONString(dst, h.Rule.Severity)
		dst = append(dst, `,"weight":`...)
		dst = strconv.AppendInt(dst, int64(h.Rule.Weight), 10)
		dst = append(dst, `,"reason":`...)
		dst = appendJSONString(dst, h.Reason)
		dst = append(dst, '}')
	}
	dst = append(dst, `],"fraud_rules_version":`...)
	dst = appendJSONString(dst, res.Version)
	dst = append(dst, '}')
	return dst, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// RemoveResult returns row without the members AppendResult writes (a row scored before),
// copying the other members' bytes as they are.
func RemoveResult(row []byte) ([]byte, error) {
	b := row
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, errors.New("row: expected a JSON object")
	}
	out := append(make([]byte, 0, len(b)), '{')
	first := true
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return append(out, '}'), nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, errors.New("row: expected a member name")
		}
		start := i
		ks, ke, kesc, next, err := scanString(b, i)
		if err != nil {
			return nil, err
		}
		key := b[ks:ke]
		if kesc {
			if key, err = unquote(b[i:next]); err != nil {
				return nil, err
			}
		}
		i = skipWS(b, next)
		if i >= len(b) || b[i] != ':' {
			return nil, errors.New("row: expected ':'")
		}
		if i, err = skipValue(b, skipWS(b, i+1), 0); err != nil {
			return nil, err
		}
		if !isResultMember(key) {
			if !first {
				out = append(out, ',')
			}
			out = append(out, b[start:i]...)
			first = false
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return nil, errors.New("row: unexpected end of JSON")
		}
		if b[i] == '}' {
			return append(out, '}'), nil
		}
		if b[i] != ',' {
			return nil, errors.New("row: expected ',' or '}'")
		}
		i = skipWS(b, i+1)
	}
}

// appendJSONString writes s as a JSON string, escaping quotes, backslashes and control
// characters, and replacing invalid UTF-8 (a reason may quote any column) with U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\ufffd"...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}
