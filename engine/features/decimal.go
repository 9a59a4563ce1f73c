package features

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Dec is an exact decimal: unscaled × 10^-scale. It is how a DECIMAL column appears inside a
// `where` predicate (so `amount <= 2` and `amount % 1000 == 0` are exact, never float
// comparisons) and how the engine stores money. Arithmetic that does not fit an int64 fails
// (the predicate then counts as false and the error is counted); comparisons never fail.
type Dec struct {
	U     int64
	Scale int32
}

var errDecOverflow = errors.New("decimal arithmetic overflows int64")

// pow10i holds the powers of ten that fit an int64.
var pow10i = [...]int64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// ParseDec reads a decimal string ("-12.50", "3", "1e3" is refused) exactly.
func ParseDec(s string) (Dec, error) {
	in := s
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return Dec{}, fmt.Errorf("%q is not a decimal number", truncate(in))
	}
	var u int64
	digits := intPart + frac
	if len(digits) > 18 {
		// Leading zeros do not count towards precision.
		trimmed := strings.TrimLeft(digits, "0")
		if len(trimmed) > 18 {
			return Dec{}, fmt.Errorf("%q has more than 18 significant digits", truncate(in))
		}
	}
	for _, c := range []byte(digits) {
		if c < '0' || c > '9' {
			return Dec{}, fmt.Errorf("%q is not a decimal number", truncate(in))
		}
		u = u*10 + int64(c-'0')
	}
	if neg {
		u = -u
	}
	return Dec{U: u, Scale: int32(len(frac))}, nil
}

// String renders the value with exactly its scale.
func (d Dec) String() string {
	neg := d.U < 0
	var digits string
	if neg {
		digits = strconv.FormatUint(uint64(-(d.U+1))+1, 10)
	} else {
		digits = strconv.FormatInt(d.U, 10)
	}
	if d.Scale > 0 {
		if pad := int(d.Scale) + 1 - len(digits); pad > 0 {
			digits = strings.Repeat("0", pad) + digits
		}
		digits = digits[:len(digits)-int(d.Scale)] + "." + digits[len(digits)-int(d.Scale):]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// rescale returns d at scale s ≥ d.Scale, or false when it does not fit.
func (d Dec) rescale(s int32) (int64, bool) {
	k := s - d.Scale
	if k == 0 {
		return d.U, true
	}
	if k < 0 || int(k) >= len(pow10i) {
		return 0, d.U == 0 && k >= 0
	}
	p := pow10i[k]
	r := d.U * p
	if d.U != 0 && (r/p != d.U) {
		return 0, false
	}
	return r, true
}

func (d Dec) big() *big.Rat {
	r := new(big.Rat).SetInt64(d.U)
	if d.Scale > 0 {
		r.Quo(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale)), nil)))
	}
	return r
}

// Cmp compares numerically (1.5 == 1.50).
func (d Dec) Cmp(o Dec) int {
	s := max(d.Scale, o.Scale)
	a, ok1 := d.rescale(s)
	b, ok2 := o.rescale(s)
	if ok1 && ok2 {
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	}
	return d.big().Cmp(o.big())
}

func (d Dec) align(o Dec) (a, b int64, s int32, err error) {
	s = max(d.Scale, o.Scale)
	a, ok1 := d.rescale(s)
	b, ok2 := o.rescale(s)
	if !ok1 || !ok2 {
		return 0, 0, 0, errDecOverflow
	}
	return a, b, s, nil
}

// Add returns d + o.
func (d Dec) Add(o Dec) (Dec, error) {
	a, b, s, err := d.align(o)
	if err != nil {
		return Dec{}, err
	}
	r := a + b
	if (r > a) != (b > 0) {
		return Dec{}, errDecOverflow
	}
	return Dec{U: r, Scale: s}, nil
}

// Sub returns d − o.
func (d Dec) Sub(o Dec) (Dec, error) {
	if o.U == math.MinInt64 {
		return Dec{}, errDecOverflow
	}
	return d.Add(Dec{U: -o.U, Scale: o.Scale})
}

// Mul returns d × o.
func (d Dec) Mul(o Dec) (Dec, error) {
	r := d.U * o.U
	if d.U != 0 && (r/d.U != o.U || (d.U == -1 && o.U == math.MinInt64)) {
		return Dec{}, errDecOverflow
	}
	s := d.Scale + o.Scale
	if s > 36 {
		return Dec{}, errDecOverflow
	}
	return Dec{U: r, Scale: s}, nil
}

// Rem returns d mod o with the sign of d (as Go's %): 1234.50 % 1000 = 234.50.
func (d Dec) Rem(o Dec) (Dec, error) {
	a, b, s, err := d.align(o)
	if err != nil {
		return Dec{}, err
	}
	if b == 0 {
		return Dec{}, errors.New("decimal remainder by zero")
	}
	return Dec{U: a % b, Scale: s}, nil
}

// decFromFloat converts a float literal through its shortest decimal text, so 0.9 is 9/10.
func decFromFloat(f float64) (Dec, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Dec{}, fmt.Errorf("%v is not a decimal number", f)
	}
	return ParseDec(strconv.FormatFloat(f, 'f', -1, 64))
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
