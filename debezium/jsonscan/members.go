package jsonscan

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// ErrNotObject is EachMember's error for a text that does not start with '{'.
var ErrNotObject = errors.New("expected a JSON object")

// EachMember calls fn for every member of the JSON object in b, with the key's bytes (still
// escaped when escaped is true) and the raw value. It checks the structure, not the values
// (nor UTF-8): the caller validates the values it uses. Nothing but white space may follow
// the object.
func EachMember(b []byte, fn func(key []byte, escaped bool, val []byte) error) error {
	s := Scanner{B: b}
	if s.Peek() != '{' {
		return ErrNotObject
	}
	s.I++
	if s.Peek() == '}' {
		return s.endObject()
	}
	for {
		if s.Peek() != '"' {
			return fail(s.I, "a member name")
		}
		ks := s.I
		end, esc, _, err := s.Str()
		if err != nil {
			return err
		}
		if s.Peek() != ':' {
			return fail(s.I, "':'")
		}
		s.I++
		s.WS()
		vs := s.I
		if err := s.Value(0); err != nil {
			return err
		}
		if err := fn(b[ks+1:end-1], esc, b[vs:s.I]); err != nil {
			return err
		}
		s.WS()
		switch {
		case s.I >= len(b):
			return errors.New("unterminated object")
		case b[s.I] == '}':
			return s.endObject()
		case b[s.I] != ',':
			return fail(s.I, "',' or '}'")
		}
		s.I++
	}
}

// endObject checks that only white space follows the '}' at the cursor.
func (s *Scanner) endObject() error {
	s.I++
	after := s.I
	if s.WS(); s.I != len(s.B) {
		return errors.New("unexpected data after the object at byte " + strconv.Itoa(after))
	}
	return nil
}

// StringValue returns the text of a JSON string value raw (quotes included), without
// allocating beyond the result when it holds no escapes. ok is false when raw is not one
// well-formed string, or has no escapes but is not valid UTF-8; escaped text is decoded as
// encoding/json does (invalid UTF-8 and unpaired surrogates become U+FFFD).
func StringValue(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	plain := true
	for _, c := range inner {
		if c == '\\' || c < 0x20 {
			plain = false
			break
		}
	}
	if plain {
		if !utf8.Valid(inner) {
			return "", false
		}
		return string(inner), true
	}
	s := Scanner{B: raw}
	if end, _, _, err := s.Str(); err != nil || end != len(raw) {
		return "", false
	}
	return string(DecodeString(nil, inner, true)), true
}
