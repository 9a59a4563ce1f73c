package delta

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// The rows of a pipeline are JSON objects of a few dozen flat members. Decoding them through
// encoding/json into a map cost about 35 µs a row, most of the bronze path's CPU; this
// scanner walks the object once and hands each member's raw bytes over without allocating.

var errNotObject = errors.New("expected a JSON object")

// eachMember calls fn for every member of the JSON object in b, with the key's bytes (still
// escaped when escaped is true) and the raw value. It checks the structure, not the values:
// the caller validates the values it uses.
func eachMember(b []byte, fn func(key []byte, escaped bool, val []byte) error) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errNotObject
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		if skipSpace(b, i+1) != len(b) {
			return fmt.Errorf("unexpected data after the object at byte %d", i+1)
		}
		return nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return fmt.Errorf("expected a member name at byte %d", i)
		}
		end, escaped, err := scanString(b, i)
		if err != nil {
			return err
		}
		key := b[i+1 : end-1]
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return fmt.Errorf("expected ':' at byte %d", i)
		}
		i = skipSpace(b, i+1)
		vend, err := skipValue(b, i, 0)
		if err != nil {
			return err
		}
		if err := fn(key, escaped, b[i:vend]); err != nil {
			return err
		}
		i = skipSpace(b, vend)
		if i >= len(b) {
			return errors.New("unterminated object")
		}
		if b[i] == '}' {
			if skipSpace(b, i+1) != len(b) {
				return fmt.Errorf("unexpected data after the object at byte %d", i+1)
			}
			return nil
		}
		if b[i] != ',' {
			return fmt.Errorf("expected ',' or '}' at byte %d", i)
		}
		i = skipSpace(b, i+1)
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString returns the index after the closing quote of the string starting at b[i].
func scanString(b []byte, i int) (end int, escaped bool, err error) {
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, escaped, nil
		case c == '\\':
			escaped = true
			if j+1 >= len(b) {
				return 0, false, errors.New("unterminated string")
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if j+5 >= len(b) || !isHex(b[j+2]) || !isHex(b[j+3]) || !isHex(b[j+4]) || !isHex(b[j+5]) {
					return 0, false, fmt.Errorf("invalid \\u escape at byte %d", j)
				}
				j += 5
			default:
				return 0, false, fmt.Errorf("invalid escape at byte %d", j)
			}
		case c < 0x20:
			return 0, false, fmt.Errorf("control character in string at byte %d", j)
		}
	}
	return 0, false, errors.New("unterminated string")
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

const maxDepth = 512

// skipValue returns the index after the JSON value starting at b[i].
func skipValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("unexpected end of input")
	}
	if depth > maxDepth {
		return 0, errors.New("nesting too deep")
	}
	switch c := b[i]; {
	case c == '"':
		end, _, err := scanString(b, i)
		return end, err
	case c == '{' || c == '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		j := skipSpace(b, i+1)
		if j < len(b) && b[j] == closer {
			return j + 1, nil
		}
		for {
			if c == '{' {
				if j >= len(b) || b[j] != '"' {
					return 0, fmt.Errorf("expected a member name at byte %d", j)
				}
				end, _, err := scanString(b, j)
				if err != nil {
					return 0, err
				}
				j = skipSpace(b, end)
				if j >= len(b) || b[j] != ':' {
					return 0, fmt.Errorf("expected ':' at byte %d", j)
				}
				j = skipSpace(b, j+1)
			}
			end, err := skipValue(b, j, depth+1)
			if err != nil {
				return 0, err
			}
			j = skipSpace(b, end)
			if j >= len(b) {
				return 0, errors.New("unexpected end of input")
			}
			if b[j] == closer {
				return j + 1, nil
			}
			if b[j] != ',' {
				return 0, fmt.Errorf("expected ',' at byte %d", j)
			}
			j = skipSpace(b, j+1)
		}
	default:
		j := i
		for j < len(b) {
			c := b[j]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				break
			}
			j++
		}
		lit := b[i:j]
		switch {
		case string(lit) == "null" || string(lit) == "true" || string(lit) == "false":
		case len(lit) > 0 && (lit[0] == '-' || (lit[0] >= '0' && lit[0] <= '9')) && json.Valid(lit):
		default:
			return 0, fmt.Errorf("invalid literal %q at byte %d", truncateBytes(lit), i)
		}
		return j, nil
	}
}

// stringValue returns the text of a JSON string value, without allocating beyond the
// result when it holds no escapes.
func stringValue(raw []byte) (string, bool) {
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
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

func truncateBytes(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
