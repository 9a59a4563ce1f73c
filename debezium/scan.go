package debezium

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"

	"github.com/ledgerflow/ledgerflow/debezium/jsonscan"
)

// scanner walks JSON text in place. It never builds maps or interface values: callers ask
// for the next token and get byte offsets into the input, which keeps unwrap allocation-free
// on the hot path. Every method validates what it passes over, so text the unwrap copies
// verbatim into its output is known to be valid JSON and valid UTF-8.
type scanner struct {
	// The cursor over B and the structural primitives (WS, Peek, the SWAR string test, hex
	// digits) are the shared jsonscan scanner's; what is strict here (UTF-8, reason codes)
	// is this type's.
	jsonscan.Scanner
	// lenient: validateJSON's mode. An encoding fault (invalid UTF-8, a lone surrogate) is
	// recorded in encErr and scanning goes on, so that a syntax fault anywhere later still
	// wins: text that is not JSON is malformed_json whatever else is wrong with it.
	lenient bool
	encErr  *Error
}

// encoding reports an encoding fault: returned at once normally, recorded (the first one)
// in lenient mode.
func (s *scanner) encoding(e *Error) error {
	if !s.lenient {
		return e
	}
	if s.encErr == nil {
		s.encErr = e
	}
	return nil
}

// strClass marks bytes that end the fast path inside a string: the quote, the backslash,
// control characters (invalid raw in JSON) and non-ASCII (needs UTF-8 validation).
var strClass = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	for c := 0x80; c < 0x100; c++ {
		t[c] = true
	}
	return t
}()

func (s *scanner) expect(c byte) error {
	if s.Peek() != c {
		return s.syntax("'" + string(c) + "'")
	}
	s.I++
	return nil
}

// atEnd reports whether only whitespace is left. (peek returns 0 at the end, but also for
// a NUL byte, which is garbage, not the end.)
func (s *scanner) atEnd() bool {
	s.WS()
	return s.I >= len(s.B)
}

func (s *scanner) surrogate(esc []byte) *Error {
	return &Error{Reason: ReasonInvalidUTF8, Value: string(esc), Expected: "a UTF-16 surrogate pair (\\uD800-\\uDBFF followed by \\uDC00-\\uDFFF), not a lone surrogate"}
}

// syntax reports malformed JSON at the current offset, quoting up to 20 bytes from it but
// never into a string: a syntax error names no column, so it cannot know whether the
// string holds personal data (see withhold), and the structure around the fault is what
// an operator needs.
func (s *scanner) syntax(expected string) error {
	n := 20
	if s.I < len(s.B) {
		if j := bytes.IndexByte(s.B[s.I+1:min(s.I+n, len(s.B))], '"'); j >= 0 {
			n = j + 1
		}
	}
	return s.syntaxN(expected, n)
}

// syntaxN reports malformed JSON at the current offset, quoting n bytes from it (faults
// inside a string quote only the bad escape or byte, not the text around it).
func (s *scanner) syntaxN(expected string, n int) error {
	got := "end of input"
	if s.I < len(s.B) {
		got = string(s.B[s.I:min(s.I+n, len(s.B))])
	}
	return &Error{Reason: ReasonMalformedJSON, Field: "", Value: got, Expected: expected + " at byte " + itoa(s.I)}
}

// str reads a string token; the cursor must be on its opening quote. It returns the span of
// the raw contents (between the quotes) and whether it holds escapes.
func (s *scanner) str() (start, end int, esc bool, err error) {
	if s.Peek() != '"' {
		return 0, 0, false, s.syntax("a string")
	}
	s.I++
	start = s.I
	b := s.B
	ascii := true
	for s.I < len(b) {
		// Eight bytes at a time while none is special (quote, backslash, control, non-ASCII).
		for s.I+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[s.I:])
			if jsonscan.Special(x) {
				break
			}
			s.I += 8
		}
		if s.I >= len(b) {
			break
		}
		c := b[s.I]
		if !strClass[c] {
			s.I++
			continue
		}
		switch {
		case c == '"':
			end = s.I
			s.I++
			if !ascii && !utf8.Valid(b[start:end]) {
				if err := s.encoding(&Error{Reason: ReasonInvalidUTF8, Value: string(b[start:end]), Expected: "valid UTF-8 text"}); err != nil {
					return 0, 0, false, err
				}
			}
			return start, end, esc, nil
		case c == '\\':
			esc = true
			if s.I+1 >= len(b) {
				return 0, 0, false, s.syntaxN("an escape sequence", 1)
			}
			switch b[s.I+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.I += 2
			case 'u':
				if s.I+6 > len(b) || !jsonscan.IsHex4(b[s.I+2:s.I+6]) {
					return 0, 0, false, s.syntaxN(`\uXXXX`, 6)
				}
				// A UTF-16 surrogate is only text as a high+low pair; alone it decodes to
				// nothing (Go would silently substitute U+FFFD).
				switch r := jsonscan.Hex4(b[s.I+2 : s.I+6]); {
				case r >= 0xD800 && r < 0xDC00:
					if s.I+12 > len(b) || b[s.I+6] != '\\' || b[s.I+7] != 'u' || !jsonscan.IsHex4(b[s.I+8:s.I+12]) {
						if err := s.encoding(s.surrogate(b[s.I : s.I+6])); err != nil {
							return 0, 0, false, err
						}
						s.I += 6 // lenient: the escape is well-formed JSON
						continue
					}
					if r2 := jsonscan.Hex4(b[s.I+8 : s.I+12]); r2 < 0xDC00 || r2 >= 0xE000 {
						if err := s.encoding(s.surrogate(b[s.I : s.I+12])); err != nil {
							return 0, 0, false, err
						}
					}
					s.I += 12
				case r >= 0xDC00 && r < 0xE000:
					if err := s.encoding(s.surrogate(b[s.I : s.I+6])); err != nil {
						return 0, 0, false, err
					}
					s.I += 6
				default:
					s.I += 6
				}
			default:
				return 0, 0, false, s.syntaxN("a valid escape sequence", 2)
			}
		case c < 0x20:
			return 0, 0, false, s.syntaxN("no raw control character in a string", 1)
		default:
			ascii = false
			s.I++
		}
	}
	return 0, 0, false, s.syntax(`closing '"'`)
}

// skipObjectFast finds the end of the object or array starting at the cursor without
// validating it; used for row images, which are fully validated when they are typed.
func (s *scanner) skipObjectFast() (start, end int, err error) {
	s.WS()
	b := s.B
	start = s.I
	depth := 0
	i := s.I
	for i < len(b) {
		switch b[i] {
		case '"':
			i++
			for {
				j := bytes.IndexByte(b[i:], '"')
				if j < 0 {
					s.I = len(b)
					return start, 0, s.syntax(`closing '"'`)
				}
				i += j
				k := i - 1
				for k >= start && b[k] == '\\' {
					k--
				}
				i++
				if (i-2-k)%2 == 0 {
					break
				}
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				s.I = i + 1
				return start, s.I, nil
			}
		}
		i++
	}
	s.I = i
	return start, 0, s.syntax("the end of the object")
}

// num reads a number token per the JSON grammar and returns its span.
func (s *scanner) num() (start, end int, err error) {
	s.WS()
	start = s.I
	i, fault := jsonscan.NumberEnd(s.B, s.I)
	switch fault {
	case jsonscan.NumberNoInteger:
		s.I = i
		return 0, 0, s.syntax("a number")
	case jsonscan.NumberNoFraction:
		s.I = i
		return 0, 0, s.syntax("digits after '.'")
	case jsonscan.NumberNoExponent:
		s.I = i
		return 0, 0, s.syntax("exponent digits")
	}
	s.I = i
	return start, i, nil
}

// lit consumes a literal such as true, false or null.
func (s *scanner) lit(word string) error {
	if len(s.B)-s.I < len(word) || string(s.B[s.I:s.I+len(word)]) != word {
		return s.syntax(word)
	}
	s.I += len(word)
	return nil
}

// isNull consumes a null literal if one is next.
func (s *scanner) isNull() bool {
	if s.Peek() == 'n' && len(s.B)-s.I >= 4 && string(s.B[s.I:s.I+4]) == "null" {
		s.I += 4
		return true
	}
	return false
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 512

// envelopeDepth is how deep the values the unwrap skips one by one (column values, source
// members) sit in a schema-wrapped event: wrapper, payload, image. maxDepth counts from
// them, so validateJSON allows that much more for the whole document.
const envelopeDepth = 3

// validateJSON checks that b is exactly one JSON text (RFC 8259): one value, nothing but
// whitespace around it, nesting within maxDepth below the envelope. The first syntax fault
// is malformed_json, wherever it is; a document that is JSON but holds invalid UTF-8 or a
// lone surrogate escape is invalid_utf8. nil means valid. It costs a full scan, so the
// unwrap calls it only when it already failed for another reason, or on image bytes it
// did not type.
func validateJSON(b []byte) *Error {
	return validateSpan(b, 0, -envelopeDepth)
}

// validateSpan checks the one JSON value that starts at offset a of b and ends at len(b);
// depth is the nesting level it starts at (negative: levels that maxDepth does not count).
func validateSpan(b []byte, a, depth int) *Error {
	s := &scanner{Scanner: jsonscan.Scanner{B: b, I: a}, lenient: true}
	err := s.skipDepth(depth)
	if err == nil && !s.atEnd() {
		err = s.syntax("end of input after the JSON value (only whitespace may follow)")
	}
	if err != nil {
		if e, ok := err.(*Error); ok {
			return e
		}
		return &Error{Reason: ReasonMalformedJSON, Value: err.Error()}
	}
	return s.encErr
}

// skip passes over one value, validating it, and returns its span.
func (s *scanner) skip() (start, end int, err error) {
	s.WS()
	start = s.I
	err = s.skipDepth(0)
	return start, s.I, err
}

func (s *scanner) skipDepth(depth int) error {
	if depth > maxDepth {
		return s.syntax("nesting at most 512 levels deep")
	}
	switch s.Peek() {
	case '"':
		_, _, _, err := s.str()
		return err
	case '{':
		s.I++
		if s.Peek() == '}' {
			s.I++
			return nil
		}
		for {
			if _, _, _, err := s.str(); err != nil {
				return err
			}
			if err := s.expect(':'); err != nil {
				return err
			}
			if err := s.skipDepth(depth + 1); err != nil {
				return err
			}
			switch s.Peek() {
			case ',':
				s.I++
			case '}':
				s.I++
				return nil
			default:
				return s.syntax("',' or '}'")
			}
		}
	case '[':
		s.I++
		if s.Peek() == ']' {
			s.I++
			return nil
		}
		for {
			if err := s.skipDepth(depth + 1); err != nil {
				return err
			}
			switch s.Peek() {
			case ',':
				s.I++
			case ']':
				s.I++
				return nil
			default:
				return s.syntax("',' or ']'")
			}
		}
	case 't':
		return s.lit("true")
	case 'f':
		return s.lit("false")
	case 'n':
		return s.lit("null")
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		_, _, err := s.num()
		return err
	default:
		return s.syntax("a JSON value (object, array, string, number, true, false or null)")
	}
}

// objectStart consumes '{' and reports whether the object is empty (then '}' is consumed too).
func (s *scanner) objectStart() (empty bool, err error) {
	if err := s.expect('{'); err != nil {
		return false, err
	}
	if s.Peek() == '}' {
		s.I++
		return true, nil
	}
	return false, nil
}

// key reads a member name and the colon after it.
func (s *scanner) key() (start, end int, esc bool, err error) {
	start, end, esc, err = s.str()
	if err != nil {
		return
	}
	err = s.expect(':')
	return
}

// next consumes the separator after a member and reports whether another member follows.
func (s *scanner) next() (more bool, err error) {
	switch s.Peek() {
	case ',':
		s.I++
		return true, nil
	case '}':
		s.I++
		return false, nil
	}
	return false, s.syntax("',' or '}'")
}

// unquote decodes a string token's contents with escapes into dst. raw must have been
// validated by str().
func unquote(dst, raw []byte) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := rune(jsonscan.Hex4(raw[i+1 : i+5]))
			i += 4
			// str() admits surrogates only as valid pairs.
			if r >= 0xD800 && r < 0xDC00 && i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				r2 := rune(jsonscan.Hex4(raw[i+3 : i+7]))
				if r2 >= 0xDC00 && r2 < 0xE000 {
					r = (r-0xD800)<<10 + (r2 - 0xDC00) + 0x10000
					i += 6
				}
			}
			dst = utf8.AppendRune(dst, r)
		default:
			dst = append(dst, raw[i])
		}
	}
	return dst
}

func itoa(n int) string {
	var buf [20]byte
	return string(appendInt(buf[:0], int64(n)))
}

func appendInt(dst []byte, n int64) []byte {
	if n >= 0 && n < 10 {
		return append(dst, byte('0'+n))
	}
	var buf [20]byte
	i := len(buf)
	neg := n < 0
	u := uint64(n)
	if neg {
		u = uint64(-n)
	}
	for u >= 10 {
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
	}
	i--
	buf[i] = byte('0' + u)
	if neg {
		i--
		buf[i] = '-'
	}
	return append(dst, buf[i:]...)
}
