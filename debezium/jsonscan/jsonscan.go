package jsonscan

import (
	"encoding/binary"
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth bounds nesting in values the scanner skips (rows are flat, but a reader must not
// overflow the stack on hostile input).
const MaxDepth = 512

// ErrSyntax is what every syntax error matches (errors.Is).
var ErrSyntax = errors.New("malformed JSON")

// SyntaxError says what the scanner expected at byte Offset.
type SyntaxError struct {
	Offset   int
	Expected string
}

func (e *SyntaxError) Error() string {
	return "expected " + e.Expected + " at byte " + strconv.Itoa(e.Offset)
}

// Is makes a SyntaxError match ErrSyntax.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

func fail(at int, expected string) error { return &SyntaxError{Offset: at, Expected: expected} }

// Scanner walks JSON text in B from cursor I. It checks structure, escapes and control
// characters, not UTF-8 (DecodeString repairs that on the values that are decoded at all,
// as encoding/json does). On an error the cursor stays where the fault was found.
type Scanner struct {
	B []byte
	I int
}

// WS skips white space.
func (s *Scanner) WS() {
	if s.I < len(s.B) && s.B[s.I] > ' ' {
		return // the common case: no space between tokens
	}
	for s.I < len(s.B) {
		switch s.B[s.I] {
		case ' ', '\t', '\n', '\r':
			s.I++
		default:
			return
		}
	}
}

// Peek returns the next byte after white space, or 0 at the end.
func (s *Scanner) Peek() byte {
	s.WS()
	if s.I >= len(s.B) {
		return 0
	}
	return s.B[s.I]
}

// Str reads the string at the cursor (which must be on its opening quote) and returns the
// index just after its closing quote, whether it contains escapes and whether it is all
// ASCII. It checks escapes and control characters, not UTF-8: DecodeString repairs invalid
// UTF-8 the way encoding/json does, on the few values that are decoded at all.
func (s *Scanner) Str() (end int, esc, ascii bool, err error) {
	b := s.B
	ascii = true
	j := s.I + 1
	for {
		// Eight bytes at a time while none is a quote, a backslash, a control character or
		// non-ASCII: most of a row is plain ASCII text.
		for j+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[j:])
			if Special(x) {
				break
			}
			j += 8
		}
		if j >= len(b) {
			return 0, false, false, fail(j, "a closing quote")
		}
		switch c := b[j]; {
		case c == '"':
			s.I = j + 1
			return j + 1, esc, ascii, nil
		case c == '\\':
			esc = true
			if j+1 >= len(b) {
				return 0, false, false, fail(j, "an escape")
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+5 >= len(b) || !isHex(b[j+2]) || !isHex(b[j+3]) || !isHex(b[j+4]) || !isHex(b[j+5]) {
					return 0, false, false, fail(j, `\u and four hex digits`)
				}
				// An escaped non-ASCII character is non-ASCII text.
				if b[j+2] != '0' || b[j+3] != '0' || b[j+4] > '7' {
					ascii = false
				}
				j += 6
			default:
				return 0, false, false, fail(j, "a valid escape")
			}
		case c < 0x20:
			return 0, false, false, fail(j, "no control character in a string")
		case c >= 0x80:
			ascii = false
			j++
		default:
			j++
		}
	}
}

// Special reports whether one of the eight bytes of x is '"', '\\', below 0x20 or above 0x7f
// (the classic SWAR "has a zero byte" test, applied to x^'"', x^'\\' and x-0x20).
func Special(x uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q := x ^ (lo * '"')
	bs := x ^ (lo * '\\')
	return ((q-lo)&^q|(bs-lo)&^bs|(x-lo*0x20)|x)&hi != 0
}

// IsHex4 reports whether b holds only hex digits (the four of a \u escape).
func IsHex4(b []byte) bool {
	for _, c := range b {
		if !isHex(c) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// Value skips the JSON value at the cursor.
func (s *Scanner) Value(depth int) error {
	if depth > MaxDepth {
		return fail(s.I, "nesting of at most 512 levels")
	}
	switch s.Peek() {
	case '"':
		_, _, _, err := s.Str()
		return err
	case '{', '[':
		closer := byte('}')
		if s.B[s.I] == '[' {
			closer = ']'
		}
		s.I++
		if s.Peek() == closer {
			s.I++
			return nil
		}
		for {
			if closer == '}' {
				if s.Peek() != '"' {
					return fail(s.I, "a member name")
				}
				if _, _, _, err := s.Str(); err != nil {
					return err
				}
				if s.Peek() != ':' {
					return fail(s.I, "':'")
				}
				s.I++
			}
			if err := s.Value(depth + 1); err != nil {
				return err
			}
			switch s.Peek() {
			case ',':
				s.I++
			case closer:
				s.I++
				return nil
			default:
				return fail(s.I, "',' or a closing bracket")
			}
		}
	case 't':
		return s.Literal("true")
	case 'f':
		return s.Literal("false")
	case 'n':
		return s.Literal("null")
	default:
		return s.number()
	}
}

// Literal skips lit (true, false or null).
func (s *Scanner) Literal(lit string) error {
	if len(s.B)-s.I < len(lit) || string(s.B[s.I:s.I+len(lit)]) != lit {
		return fail(s.I, lit)
	}
	s.I += len(lit)
	return nil
}

// NumberFault says which part of a JSON number is missing.
type NumberFault int

const (
	NumberOK         NumberFault = iota
	NumberNoInteger              // no digit where the number starts
	NumberNoFraction             // '.' without digits after it
	NumberNoExponent             // 'e' without exponent digits
)

// NumberEnd returns where the JSON number (RFC 8259 grammar) starting at b[i] ends, or, on a
// fault, the offset of the fault and what is missing there. Every scanner of JSON numbers
// here uses it, so they accept exactly the same numbers.
func NumberEnd(b []byte, i int) (int, NumberFault) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return i, NumberNoInteger
	}
	if i < len(b) && b[i] == '.' {
		d := i + 1
		if i = digits(b, d); i == d {
			return i, NumberNoFraction
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		if i = digits(b, d); i == d {
			return i, NumberNoExponent
		}
	}
	return i, NumberOK
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// number skips a JSON number.
func (s *Scanner) number() error {
	i, fault := NumberEnd(s.B, s.I)
	switch fault {
	case NumberNoInteger:
		return fail(i, "a JSON value")
	case NumberNoFraction:
		return fail(i, "digits after the decimal point")
	case NumberNoExponent:
		return fail(i, "exponent digits")
	}
	s.I = i
	return nil
}

// DecodeString returns the text of the JSON string contents raw (between the quotes, known
// to be well formed), appending to dst when it must build it. Like encoding/json, it turns
// invalid UTF-8 and unpaired surrogates into U+FFFD, so that the hash of a value is the
// hash of the text any JSON reader sees.
func DecodeString(dst, raw []byte, esc bool) []byte {
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
				r := Hex4(raw[i+2 : i+6])
				i += 6
				if utf16.IsSurrogate(r) {
					if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
						if r2 := utf16.DecodeRune(r, Hex4(raw[i+2:i+6])); r2 != utf8.RuneError {
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

// Hex4 is the value of the four hex digits b[:4] (checked by the scanner).
func Hex4(b []byte) rune {
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

// AppendEscaped writes text (valid UTF-8) as the contents of a JSON string: only '"', '\\'
// and control characters are escaped, the latter as \u00XX.
func AppendEscaped[T string | []byte](dst []byte, text T) []byte {
	for i := 0; i < len(text); i++ {
		c := text[i]
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
