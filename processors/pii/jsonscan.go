package pii

import (
	"encoding/binary"
	"errors"
	"unicode/utf16"
	"unicode/utf8"
)

// The processor runs on every row, and a row has a few dozen members of which two or three
// carry a policy. Decoding it into a map and encoding it again would cost far more than the
// hashing, so a scanner walks the object once, copies untouched members byte for byte and
// rewrites only the values a policy names.

var errSyntax = errors.New("malformed JSON")

// maxDepth bounds nesting in values the scanner skips (the unwrap's rows are flat, but the
// processor must not overflow the stack on hostile input).
const maxDepth = 512

type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// str reads the string at the cursor (which must be on its opening quote) and returns the
// index just after its closing quote, whether it contains escapes and whether it is all
// ASCII. It checks escapes and control characters, not UTF-8: decodeString repairs invalid
// UTF-8 the way encoding/json does, on the few values that are decoded at all.
func (s *scanner) str() (end int, esc, ascii bool, err error) {
	b := s.b
	ascii = true
	j := s.i + 1
	for {
		// Eight bytes at a time while none is a quote, a backslash, a control character or
		// non-ASCII: most of a row is plain ASCII text.
		for j+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[j:])
			if special(x) {
				break
			}
			j += 8
		}
		if j >= len(b) {
			return 0, false, false, errSyntax
		}
		switch c := b[j]; {
		case c == '"':
			s.i = j + 1
			return j + 1, esc, ascii, nil
		case c == '\\':
			esc = true
			if j+1 >= len(b) {
				return 0, false, false, errSyntax
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+5 >= len(b) || !isHex(b[j+2]) || !isHex(b[j+3]) || !isHex(b[j+4]) || !isHex(b[j+5]) {
					return 0, false, false, errSyntax
				}
				// An escaped non-ASCII character is non-ASCII text.
				if b[j+2] != '0' || b[j+3] != '0' || b[j+4] > '7' {
					ascii = false
				}
				j += 6
			default:
				return 0, false, false, errSyntax
			}
		case c < 0x20:
			return 0, false, false, errSyntax
		case c >= 0x80:
			ascii = false
			j++
		default:
			j++
		}
	}
}

// special reports whether one of the eight bytes of x is '"', '\\', below 0x20 or above 0x7f
// (the classic SWAR "has a zero byte" test, applied to x^'"', x^'\\' and x-0x20).
func special(x uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q := x ^ (lo * '"')
	bs := x ^ (lo * '\\')
	return ((q-lo)&^q|(bs-lo)&^bs|(x-lo*0x20)|x)&hi != 0
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// value skips the JSON value at the cursor.
func (s *scanner) value(depth int) error {
	if depth > maxDepth {
		return errSyntax
	}
	switch s.peek() {
	case '"':
		_, _, _, err := s.str()
		return err
	case '{', '[':
		closer := byte('}')
		if s.b[s.i] == '[' {
			closer = ']'
		}
		s.i++
		if s.peek() == closer {
			s.i++
			return nil
		}
		for {
			if closer == '}' {
				if s.peek() != '"' {
					return errSyntax
				}
				if _, _, _, err := s.str(); err != nil {
					return err
				}
				if s.peek() != ':' {
					return errSyntax
				}
				s.i++
			}
			if err := s.value(depth + 1); err != nil {
				return err
			}
			switch s.peek() {
			case ',':
				s.i++
			case closer:
				s.i++
				return nil
			default:
				return errSyntax
			}
		}
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		return s.number()
	}
}

func (s *scanner) literal(lit string) error {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return errSyntax
	}
	s.i += len(lit)
	return nil
}

// number skips a JSON number (RFC 8259 grammar).
func (s *scanner) number() error {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return errSyntax
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return errSyntax
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return errSyntax
		}
	}
	s.i = i
	return nil
}

// decodeString returns the text of the JSON string contents raw (between the quotes, known
// to be well formed), appending to dst when it must build it. Like encoding/json, it turns
// invalid UTF-8 and unpaired surrogates into U+FFFD, so that the hash of a value is the
// hash of the text any JSON reader sees.
func decodeString(dst, raw []byte, esc bool) []byte {
	if !esc && utf8.Valid(raw) {
		return raw
	}
	for i := 0; i < len(raw); {
		c := raw[i]
		if c == '\\' {
			switch raw[i+1] {
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
				r := hex4(raw[i+2 : i+6])
				i += 6
				if utf16.IsSurrogate(r) {
					if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
						if r2 := utf16.DecodeRune(r, hex4(raw[i+2:i+6])); r2 != utf8.RuneError {
							dst = utf8.AppendRune(dst, r2)
							i += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				dst = utf8.AppendRune(dst, r)
				continue
			default: // '"', '\\', '/'
				dst = append(dst, raw[i+1])
			}
			i += 2
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, raw[i:i+n]...)
		}
		i += n
	}
	return dst
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// appendEscaped writes text (valid UTF-8) as the contents of a JSON string.
func appendEscaped(dst, text []byte) []byte {
	for _, c := range text {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, `\u00`...)
			dst = append(dst, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
