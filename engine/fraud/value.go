package fraud

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
)

// Coerce converts v to the Go value the environment holds for type t, or fails with an
// error naming what it got and what it expected. A value already of the right Go type is
// returned as is (no allocation). Accepted conversions:
//
//	int       any Go integer type in range, json.Number, a float64 with an integral value ≤ 2^53
//	money     money.Money, a decimal string or json.Number (read exactly), any Go integer;
//	          never a float64, which would not be exact
//	float     float64, float32, any Go integer, json.Number
//	string    string, []byte
//	bool      bool
//	time      time.Time (converted to UTC), an RFC 3339 string, "YYYY-MM-DD", or
//	          "YYYY-MM-DD HH:MM:SS[.fraction]" (UTC)
//	duration  time.Duration, a duration string ("90s", "1h30m", "2d")
//	list<k>   []any (each element converted; nil elements are refused), or a typed slice
//	          such as []money.Money, []int, []float64, []string, []time.Time
//
// nil stays nil: it is how a missing value is written.
func Coerce(t Type, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if t.List {
		return coerceList(t, v)
	}
	if isKind(t.Kind, v) {
		return v, nil // the caller's own box: no allocation
	}
	switch t.Kind {
	case KindInt:
		switch x := v.(type) {
		case int:
			return x, nil
		case int64:
			return int(x), nil
		case int32:
			return int(x), nil
		case int16:
			return int(x), nil
		case int8:
			return int(x), nil
		case uint8:
			return int(x), nil
		case uint16:
			return int(x), nil
		case uint32:
			return int(x), nil
		case uint:
			if uint64(x) <= math.MaxInt64 {
				return int(x), nil
			}
		case uint64:
			if x <= math.MaxInt64 {
				return int(x), nil
			}
		case json.Number:
			if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
				return int(i), nil
			}
		case float64:
			if x == math.Trunc(x) && math.Abs(x) <= 1<<53 {
				return int(x), nil
			}
		}
	case KindMoney:
		switch x := v.(type) {
		case money.Money:
			return x, nil
		case string:
			m, err := money.Parse(x)
			if err != nil {
				return nil, err
			}
			return m, nil
		case json.Number:
			m, err := money.Parse(string(x))
			if err != nil {
				return nil, err
			}
			return m, nil
		case int, int64, int32, int16, int8, uint8, uint16, uint32:
			i, _ := Coerce(Int, x)
			return money.FromInt(int64(i.(int))), nil
		case float64, float32:
			return nil, fmt.Errorf("got float %v, expected money: pass a decimal string or money.Money, a float is not exact", x)
		}
	case KindFloat:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		case json.Number:
			if f, err := strconv.ParseFloat(string(x), 64); err == nil {
				return f, nil
			}
		case int, int64, int32, int16, int8, uint8, uint16, uint32:
			i, _ := Coerce(Int, x)
			return float64(i.(int)), nil
		}
	case KindString:
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
	case KindBool:
		if x, ok := v.(bool); ok {
			return x, nil
		}
	case KindTime:
		switch x := v.(type) {
		case time.Time:
			if x.Location() != time.UTC {
				x = x.UTC()
			}
			return x, nil
		case string:
			tm, ok := parseTime([]byte(x))
			if !ok {
				return nil, fmt.Errorf("got %s, expected a time (RFC 3339, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)", quote(x))
			}
			return tm, nil
		}
	case KindDuration:
		switch x := v.(type) {
		case time.Duration:
			return x, nil
		case string:
			d, err := ParseDuration(x)
			if err != nil {
				return nil, err
			}
			return d, nil
		}
	}
	return nil, fmt.Errorf("got %T %s, expected %s", v, quote(fmt.Sprint(v)), t)
}

// isKind reports whether v already has the Go type of k (a time only when in UTC).
func isKind(k Kind, v any) bool {
	switch k {
	case KindInt:
		_, ok := v.(int)
		return ok
	case KindMoney:
		_, ok := v.(money.Money)
		return ok
	case KindFloat:
		_, ok := v.(float64)
		return ok
	case KindString:
		_, ok := v.(string)
		return ok
	case KindBool:
		_, ok := v.(bool)
		return ok
	case KindTime:
		t, ok := v.(time.Time)
		return ok && t.Location() == time.UTC
	case KindDuration:
		_, ok := v.(time.Duration)
		return ok
	}
	return false
}

func coerceList(t Type, v any) (any, error) {
	elem := Type{Kind: t.Kind}
	var src []any
	switch x := v.(type) {
	case []any:
		same := true
		for i, e := range x {
			if e == nil {
				return nil, fmt.Errorf("element %d is nil, expected %s", i, elem)
			}
			if !isKind(t.Kind, e) {
				if _, err := Coerce(elem, e); err != nil {
					return nil, fmt.Errorf("element %d: %w", i, err)
				}
				same = false
			}
		}
		if same {
			return v, nil
		}
		src = x
	case []money.Money:
		src = toAnySlice(x)
	case []int:
		src = toAnySlice(x)
	case []int64:
		src = toAnySlice(x)
	case []float64:
		src = toAnySlice(x)
	case []string:
		src = toAnySlice(x)
	case []time.Time:
		src = toAnySlice(x)
	case []bool:
		src = toAnySlice(x)
	case []time.Duration:
		src = toAnySlice(x)
	default:
		return nil, fmt.Errorf("got %T, expected %s", v, t)
	}
	out := make([]any, len(src))
	for i, e := range src {
		c, err := Coerce(elem, e)
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
		out[i] = c
	}
	return out, nil
}

func toAnySlice[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// quote renders a value for an error message, truncated so a huge input cannot flood logs.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return strconv.Quote(s)
}

// ParseDuration reads a Go duration ("90s", "1h30m") or a number of days ("2d", "400d"),
// which Go's time.ParseDuration does not know.
func ParseDuration(s string) (time.Duration, error) {
	if n := len(s); n > 1 && s[n-1] == 'd' {
		days, err := strconv.ParseInt(s[:n-1], 10, 64)
		if err != nil || days < -106751 || days > 106751 {
			return 0, fmt.Errorf("invalid duration %s: expected a whole number of days such as \"7d\"", quote(s))
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %s: expected e.g. \"90s\", \"15m\", \"24h\" or \"7d\"", quote(s))
	}
	return d, nil
}
