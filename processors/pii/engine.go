package pii

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ledgerflow/ledgerflow/debezium/jsonscan"
)

// Engine applies a Plan to rows in the debezium_unwrap row format: a flat JSON object of
// the table's columns plus `_op`, `_source_*`, `_kafka_*` members and, for updates,
// `_before` (an object holding the before image, or null). It is safe for concurrent use.
type Engine struct {
	plan       *Plan
	work       *workPool
	table, db  []byte
	onFallback func(column string)
}

// NewEngine returns an engine for plan. key is required (and only used) when a policy
// hashes; LoadKey has checked it. onFallback, when not nil, is called with the column name
// each time a mask finds a value without the shape it keeps and redacts it whole.
func NewEngine(plan *Plan, key []byte, onFallback func(column string)) (*Engine, error) {
	e := &Engine{plan: plan, table: []byte(plan.Table.Name), db: []byte(plan.Table.Database), onFallback: onFallback}
	if !plan.NeedsKey() {
		key = nil
	} else if len(key) < MinKeyBytes {
		return nil, errors.New("a hash policy needs a key of at least 32 bytes")
	}
	e.work = newWorkPool(key)
	return e, nil
}

// Apply returns the row with every policy applied, in a new buffer; body is not modified.
// Members without a policy are copied byte for byte, in order. A column is matched
// case-insensitively (as MySQL names are, and as the delta_lake output matches them), and
// every member of that name is treated, so a repeated key cannot smuggle a clear value
// through. The same policies apply inside `_before`. A null stays null (drop removes it);
// an absent column stays absent.
//
// It fails, without returning any part of the row, when the body is not a JSON object,
// when a value cannot take its policy (see Reason), or when `_source_table` names another
// table than the contract's: a row of a table the policies were not written for must not
// pass with its personal data in clear.
func (e *Engine) Apply(body []byte) ([]byte, error) {
	s := &jsonscan.Scanner{B: body}
	if s.Peek() != '{' {
		return nil, &Error{Reason: ReasonMalformedJSON, Got: describe(body), Expected: "a JSON object (a debezium_unwrap row)"}
	}
	out := make([]byte, 0, len(body)+len(e.plan.rules)*160+16)
	w := e.work.get()
	out, err := e.object(out, s, w, true)
	e.work.put(w)
	if err != nil {
		return nil, err
	}
	if s.WS(); s.I != len(s.B) { // not peek: a NUL byte is data, not the end
		return nil, &Error{Reason: ReasonMalformedJSON, Got: "data after the object at byte " + strconv.Itoa(s.I), Expected: "one JSON object"}
	}
	return out, nil
}

func malformed(at int) error {
	return &Error{Reason: ReasonMalformedJSON, Got: "invalid JSON at byte " + strconv.Itoa(at), Expected: "a JSON object (a debezium_unwrap row)"}
}

// object rewrites the object at the cursor into dst. top is true for the row itself and
// false for `_before`.
func (e *Engine) object(dst []byte, s *jsonscan.Scanner, w *work, top bool) ([]byte, error) {
	b := s.B
	s.I++ // '{'
	dst = append(dst, '{')
	if s.Peek() == '}' {
		s.I++
		return append(dst, '}'), nil
	}
	var scratch [256]byte
	first := true
	for {
		if s.Peek() != '"' {
			return dst, malformed(s.I)
		}
		ks := s.I
		ke, kesc, kascii, err := s.Str()
		if err != nil {
			return dst, malformed(s.I)
		}
		if s.Peek() != ':' {
			return dst, malformed(s.I)
		}
		s.I++
		s.WS()
		vs := s.I
		name := b[ks+1 : ke-1]
		if kesc {
			name = jsonscan.DecodeString(scratch[:0], name, true)
		}
		r := e.lookup(name, kascii)
		switch {
		case r != nil:
			if r.policy == Drop {
				if err := s.Value(0); err != nil {
					return dst, malformed(s.I)
				}
				break
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = append(append(dst, b[ks:ke]...), ':')
			if dst, err = e.apply(dst, s, w, r, top); err != nil {
				return dst, err
			}
		case top && len(name) == 7 && name[0] == '_' && equalFold(name, "_before"):
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = append(append(dst, b[ks:ke]...), ':')
			switch s.Peek() {
			case '{':
				if dst, err = e.object(dst, s, w, false); err != nil {
					return dst, err
				}
			case 'n':
				if s.Literal("null") != nil {
					return dst, malformed(s.I)
				}
				dst = append(dst, "null"...)
			default:
				bs := s.I
				if err := s.Value(0); err != nil {
					return dst, malformed(s.I)
				}
				return dst, &Error{Reason: ReasonMalformedJSON, Column: "_before", Got: describe(b[bs:s.I]), Expected: "the before image as an object, or null"}
			}
		default:
			if err := s.Value(0); err != nil {
				return dst, malformed(s.I)
			}
			if top && len(name) == 13 && name[0] == '_' && equalFold(name, "_source_table") {
				if err := e.checkTable(b[vs:s.I]); err != nil {
					return dst, err
				}
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = append(dst, b[ks:s.I]...) // key, colon and value as written
		}
		switch s.Peek() {
		case ',':
			s.I++
		case '}':
			s.I++
			return append(dst, '}'), nil
		default:
			return dst, malformed(s.I)
		}
	}
}

// apply writes the protected form of the value at the cursor.
func (e *Engine) apply(dst []byte, s *jsonscan.Scanner, w *work, r *rule, top bool) ([]byte, error) {
	b := s.B
	vs := s.I
	c := s.Peek()
	if err := s.Value(0); err != nil {
		return dst, malformed(s.I)
	}
	raw := b[vs:s.I]
	if c == 'n' {
		return append(dst, "null"...), nil
	}
	var text []byte
	switch c {
	case '"':
		// The scanner checked the string; its end is the closing quote.
		inner := raw[1 : len(raw)-1]
		text = jsonscan.DecodeString(w.buf[:0], inner, bytes.IndexByte(raw, '\\') >= 0)
		// A string without escapes comes back as the input itself: keeping that as the
		// scratch buffer would let the next row's decoding write into this message.
		decoded := len(text) > 0 && &text[0] != &inner[0]
		if decoded && cap(text) > cap(w.buf) && cap(text) <= 64<<10 {
			w.buf = text[:0] // keep a grown buffer, within reason
		}
	case '{', '[':
		return dst, e.typeErr(r, top, raw, "a string or null")
	default: // number, true, false: their JSON text stands for the value
		text = raw
	}
	switch r.policy {
	case Hash:
		return w.appendHash(dst, text), nil
	case Mask:
		out, shaped := appendMask(dst, r.mask, text)
		if !shaped && e.onFallback != nil {
			e.onFallback(r.column)
		}
		return out, nil
	case Year:
		var ok bool
		if c == '"' {
			dst, ok = appendYearString(dst, r.date, text)
		} else if c == 't' || c == 'f' {
			return dst, e.typeErr(r, top, raw, "a date string, a number or null")
		} else {
			dst, ok = appendYearNumber(dst, r.date, raw)
		}
		if !ok {
			exp := "a date YYYY-MM-DD or days since 1970-01-01"
			if r.date == timestamp {
				exp = "an ISO-8601 timestamp with zone (YYYY-MM-DDTHH:MM:SS[.fff]Z or ±HH:MM) or epoch milliseconds"
			}
			return dst, &Error{Reason: ReasonInvalidValue, Column: e.colName(r, top), Policy: r.policy, Got: describe(raw), Expected: exp}
		}
		return dst, nil
	}
	return dst, errors.New("pii: unknown policy " + string(r.policy))
}

func (e *Engine) typeErr(r *rule, top bool, raw []byte, expected string) error {
	return &Error{Reason: ReasonTypeMismatch, Column: e.colName(r, top), Policy: r.policy, Got: describe(raw), Expected: expected}
}

func (e *Engine) colName(r *rule, top bool) string {
	if top {
		return r.column
	}
	return "_before." + r.column
}

// lookup finds the rule of a member name, case-insensitively as strings.ToLower folds. A
// row has a few dozen members and a plan a handful of rules, so an ASCII name is compared
// with each rule's lower-case name of the same length (no hashing, no allocation); other
// names go through strings.ToLower and the map, which also folds e.g. the Kelvin sign.
func (e *Engine) lookup(name []byte, ascii bool) *rule {
	if !ascii {
		return e.plan.byName[strings.ToLower(string(name))]
	}
	for i := range e.plan.rules {
		if r := &e.plan.rules[i]; len(r.lower) == len(name) && asciiLowerEqual(name, r.lower) {
			return r
		}
	}
	return nil
}

// asciiLowerEqual reports whether the ASCII name, lower-cased, equals lower.
func asciiLowerEqual(name []byte, lower string) bool {
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// checkTable compares `_source_table` ("db.table", or "db.schema.table") with the contract,
// case-insensitively.
func (e *Engine) checkTable(raw []byte) error {
	if len(raw) < 2 || raw[0] != '"' {
		return nil // null (no table) or not ours to judge
	}
	var scratch [128]byte
	name := jsonscan.DecodeString(scratch[:0], raw[1:len(raw)-1], bytes.IndexByte(raw, '\\') >= 0)
	last := bytes.LastIndexByte(name, '.')
	ok := bytes.EqualFold(name[last+1:], e.table)
	if ok && len(e.db) > 0 && last >= 0 {
		ok = bytes.EqualFold(name[:bytes.IndexByte(name, '.')], e.db)
	}
	if ok {
		return nil
	}
	want := string(e.table)
	if len(e.db) > 0 {
		want = string(e.db) + "." + want
	}
	return &Error{Reason: ReasonTableMismatch, Column: "_source_table", Got: strconv.Quote(truncate(string(name), 80)),
		Expected: want + " (the table of the contract the policies were checked against)"}
}

func equalFold(name []byte, lit string) bool {
	return len(name) == len(lit) && strings.EqualFold(string(name), lit)
}

// describe names a JSON value's type and size, never its content.
func describe(raw []byte) string {
	s := &jsonscan.Scanner{B: raw}
	switch s.Peek() {
	case '"':
		n := 0
		if end, esc, _, err := s.Str(); err == nil {
			n = utf8.RuneCount(jsonscan.DecodeString(nil, raw[1:end-1], esc))
		}
		return "a string of " + strconv.Itoa(n) + " characters (value withheld: personal data)"
	case '{':
		return "a JSON object"
	case '[':
		return "a JSON array"
	case 't', 'f':
		return "a JSON boolean"
	case 'n':
		return "null"
	case 0:
		return "nothing"
	}
	if c := s.B[s.I]; c == '-' || c >= '0' && c <= '9' {
		return "a JSON number (value withheld: personal data)"
	}
	return "something that is not JSON"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
