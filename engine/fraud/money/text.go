package money

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
)

// Parse reads a decimal literal exactly: an optional sign, digits with an optional
// fractional part (".5" and "5." are accepted, as YAML and SQL accept them), and an
// optional exponent ("1.5e3"). The scale is the number of fractional digits after the
// exponent is applied, never below zero ("1.50" has scale 2, "1.5e3" scale 0). Anything
// else (spaces, "NaN", "Inf", hex, underscores, a scale above MaxScale) fails with an
// error quoting the text.
func Parse(s string) (Money, error) { return parse(s) }

// ParseBytes is Parse for a byte slice; it does not retain b.
func ParseBytes(b []byte) (Money, error) { return parse(b) }

// MustParse is Parse for constants in code and tests; it panics on an invalid literal.
func MustParse(s string) Money {
	m, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return m
}

type text interface{ ~string | ~[]byte }

func syntaxError[T text](s T, why string) error {
	q := string(s)
	if len(q) > 64 {
		q = q[:64] + "…"
	}
	return fmt.Errorf("money: invalid decimal %q: %s", q, why)
}

func parse[T text](s T) (Money, error) {
	i, n := 0, len(s)
	neg := false
	if i < n && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var (
		u          uint64
		overflow   bool
		digits     int
		frac       int
		seenPoint  bool
		startDigit = i
	)
	for ; i < n; i++ {
		c := s[i]
		if c == '.' {
			if seenPoint {
				return Money{}, syntaxError(s, "two decimal points")
			}
			seenPoint = true
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		digits++
		if seenPoint {
			frac++
		}
		if !overflow {
			if u > (math.MaxUint64-9)/10 {
				overflow = true
			} else {
				u = u*10 + uint64(c-'0')
			}
		}
	}
	if digits == 0 {
		return Money{}, syntaxError(s, "expected digits")
	}
	mantEnd := i
	exp := 0
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < n && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == n {
			return Money{}, syntaxError(s, "exponent without digits")
		}
		for ; i < n; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return Money{}, syntaxError(s, "unexpected character in exponent")
			}
			if exp > 10*MaxScale {
				continue // already out of range; keep validating the syntax
			}
			exp = exp*10 + int(c-'0')
		}
		if eneg {
			exp = -exp
		}
	}
	if i != n {
		return Money{}, syntaxError(s, fmt.Sprintf("unexpected character %q", rune(s[i])))
	}
	scale := frac - exp
	shift := 0 // extra zeros to append to the unscaled digits when the exponent exceeds frac
	if scale < 0 {
		shift, scale = -scale, 0
	}
	if scale > MaxScale || shift > MaxScale {
		return Money{}, syntaxError(s, fmt.Sprintf("more than %d digits of scale or exponent", MaxScale))
	}
	if !overflow && u <= math.MaxInt64 {
		v := int64(u)
		if neg {
			v = -v
		}
		if r, ok := mulPow10(v, int32(shift)); ok {
			return Money{u: r, scale: int32(scale)}, nil
		}
	} else if !overflow && neg && u == 1<<63 && shift == 0 {
		return Money{u: math.MinInt64, scale: int32(scale)}, nil
	}
	// Slow path: rebuild the digits without the point.
	buf := make([]byte, 0, digits+1)
	if neg {
		buf = append(buf, '-')
	}
	for j := startDigit; j < mantEnd; j++ {
		if s[j] != '.' {
			buf = append(buf, s[j])
		}
	}
	b, ok := new(big.Int).SetString(string(buf), 10)
	if !ok {
		return Money{}, syntaxError(s, "not a number")
	}
	if shift > 0 {
		b.Mul(b, bigPow10(int32(shift)))
	}
	return norm(b, int32(scale)), nil
}

// ErrNotFinite is returned by FromFloat for NaN and ±Inf.
var ErrNotFinite = errors.New("money: NaN or infinite float")

// FromFloat converts f through its shortest decimal text (strconv 'g', -1), so 0.9 becomes
// exactly 9/10 and 1e-7 becomes 0.0000001, not the binary approximation. NaN and ±Inf fail.
func FromFloat(f float64) (Money, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Money{}, ErrNotFinite
	}
	if f == math.Trunc(f) && f >= -(1<<53) && f <= 1<<53 {
		return Money{u: int64(f)}, nil
	}
	var buf [32]byte
	return parse(strconv.AppendFloat(buf[:0], f, 'g', -1, 64))
}

// String returns the exact decimal text with exactly Scale() fractional digits: "12.00",
// "-0.05", "7".
func (m Money) String() string { return string(m.AppendText(nil)) }

// AppendText appends String() to dst.
func (m Money) AppendText(dst []byte) []byte {
	var digits []byte
	neg := false
	var tmp [24]byte
	if m.b == nil {
		u := uint64(m.u)
		if m.u < 0 {
			neg = true
			u = uint64(-(m.u + 1)) + 1 // |MinInt64| without overflow
		}
		digits = strconv.AppendUint(tmp[:0], u, 10)
	} else {
		neg = m.b.Sign() < 0
		digits = new(big.Int).Abs(m.b).Append(nil, 10)
	}
	if neg {
		dst = append(dst, '-')
	}
	s := int(m.scale)
	if s == 0 {
		return append(dst, digits...)
	}
	if len(digits) <= s {
		dst = append(dst, '0', '.')
		for i := len(digits); i < s; i++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[:len(digits)-s]...)
	dst = append(dst, '.')
	return append(dst, digits[len(digits)-s:]...)
}

// MarshalJSON writes the value as a JSON string ("12.00"), as debezium_unwrap renders
// decimals, so that no JSON reader turns it into a float.
func (m Money) MarshalJSON() ([]byte, error) {
	b := append([]byte{'"'}, m.AppendText(nil)...)
	return append(b, '"'), nil
}

// UnmarshalJSON accepts a JSON string or a JSON number, both read exactly.
func (m *Money) UnmarshalJSON(b []byte) error {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		b = b[1 : len(b)-1]
	}
	v, err := parse(b)
	if err != nil {
		return err
	}
	*m = v
	return nil
}
