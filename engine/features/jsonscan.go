package features

import (
	"encoding/json"
	"errors"
	"fmt"
)

// scanObject calls fn for each top-level member of a JSON object with its key (unescaped
// only when it has escapes) and its raw value. Nested values are skipped, not decoded.
func scanObject(b []byte, fn func(key, raw []byte) error) error {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errors.New("expected a JSON object")
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return fmt.Errorf("expected a member name at byte %d", i)
		}
		end, esc, err := stringEnd(b, i)
		if err != nil {
			return err
		}
		key := b[i+1 : end-1]
		if esc {
			var s string
			if err := json.Unmarshal(b[i:end], &s); err != nil {
				return fmt.Errorf("member name at byte %d: %v", i, err)
			}
			key = []byte(s)
		}
		i = skipWS(b, end)
		if i >= len(b) || b[i] != ':' {
			return fmt.Errorf("expected ':' at byte %d", i)
		}
		i = skipWS(b, i+1)
		vend, err := valueEnd(b, i, 0)
		if err != nil {
			return err
		}
		if err := fn(key, b[i:vend]); err != nil {
			return err
		}
		i = skipWS(b, vend)
		if i < len(b) && b[i] == ',' {
			i = skipWS(b, i+1)
			continue
		}
		if i < len(b) && b[i] == '}' {
			if j := skipWS(b, i+1); j != len(b) {
				return fmt.Errorf("trailing data at byte %d", j)
			}
			return nil
		}
		return fmt.Errorf("expected ',' or '}' at byte %d", i)
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the closing quote of the string starting at b[i].
func stringEnd(b []byte, i int) (int, bool, error) {
	esc := false
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			esc = true
			j++
		case '"':
			return j + 1, esc, nil
		}
	}
	return 0, false, errors.New("unterminated string")
}

const maxNesting = 64

func valueEnd(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("unexpected end of JSON")
	}
	switch c := b[i]; {
	case c == '"':
		end, _, err := stringEnd(b, i)
		return end, err
	case c == '{' || c == '[':
		if depth >= maxNesting {
			return 0, errors.New("JSON nested too deep")
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		j := skipWS(b, i+1)
		if j < len(b) && b[j] == closer {
			return j + 1, nil
		}
		for {
			if c == '{' {
				if j >= len(b) || b[j] != '"' {
					return 0, fmt.Errorf("expected a member name at byte %d", j)
				}
				end, _, err := stringEnd(b, j)
				if err != nil {
					return 0, err
				}
				j = skipWS(b, end)
				if j >= len(b) || b[j] != ':' {
					return 0, fmt.Errorf("expected ':' at byte %d", j)
				}
				j = skipWS(b, j+1)
			}
			end, err := valueEnd(b, j, depth+1)
			if err != nil {
				return 0, err
			}
			j = skipWS(b, end)
			if j < len(b) && b[j] == ',' {
				j = skipWS(b, j+1)
				continue
			}
			if j < len(b) && b[j] == closer {
				return j + 1, nil
			}
			return 0, fmt.Errorf("expected ',' or '%c' at byte %d", closer, j)
		}
	default:
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\t' && b[j] != '\r' {
			j++
		}
		if j == i {
			return 0, fmt.Errorf("expected a value at byte %d", i)
		}
		lit := b[i:j]
		switch string(lit) {
		case "true", "false", "null":
			return j, nil
		}
		if !json.Valid(lit) {
			return 0, fmt.Errorf("invalid value %q at byte %d", truncate(string(lit)), i)
		}
		return j, nil
	}
}

// jsonString returns the decoded string when raw is a JSON string.
func jsonString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	for _, c := range inner {
		if c == '\\' {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return "", false
			}
			return s, true
		}
	}
	return string(inner), true
}
