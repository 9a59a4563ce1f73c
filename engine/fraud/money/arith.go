package money

import (
	"errors"
	"math"
	"math/big"
)

// ErrDivisionByZero is returned by Quo and Rem when the divisor is zero.
var ErrDivisionByZero = errors.New("money: division by zero")

// DivScaleIncrement is the number of fractional digits Div's quotient gains over its
// dividend: MySQL's default div_precision_increment.
const DivScaleIncrement = 4

// Add returns a + b at the larger of the two scales. It is exact.
func (a Money) Add(b Money) Money {
	if x, y, s, ok := align(a, b); ok {
		r := x + y
		if !((x > 0 && y > 0 && r < 0) || (x < 0 && y < 0 && r >= 0)) {
			return Money{u: r, scale: s}
		}
	}
	s := max(a.scale, b.scale)
	return norm(a.bigScaled(s).Add(a.bigScaled(s), b.bigScaled(s)), s)
}

// Sub returns a - b at the larger of the two scales. It is exact.
func (a Money) Sub(b Money) Money {
	if x, y, s, ok := align(a, b); ok {
		r := x - y
		if !((y > 0 && r > x) || (y < 0 && r < x)) {
			return Money{u: r, scale: s}
		}
	}
	s := max(a.scale, b.scale)
	x := a.bigScaled(s)
	return norm(x.Sub(x, b.bigScaled(s)), s)
}

// Mul returns a × b with scale a.Scale()+b.Scale(). It is exact.
func (a Money) Mul(b Money) Money {
	s := a.scale + b.scale
	if a.b == nil && b.b == nil {
		x, y := a.u, b.u
		if x == 0 || y == 0 {
			return Money{scale: s}
		}
		r := x * y
		if r/y == x && !(x == -1 && y == math.MinInt64) && !(y == -1 && x == math.MinInt64) {
			return Money{u: r, scale: s}
		}
	}
	x := a.BigUnscaled()
	return norm(x.Mul(x, b.BigUnscaled()), s)
}

// Quo returns a / b correctly rounded, half away from zero, to scale fractional digits.
// It fails only when b is zero.
func (a Money) Quo(b Money, scale int32) (Money, error) { return a.quo(b, scale, true) }

// quo divides at scale fractional digits, rounding half away from zero or truncating.
func (a Money) quo(b Money, scale int32, round bool) (Money, error) {
	if b.IsZero() {
		return Money{}, ErrDivisionByZero
	}
	if scale < 0 {
		scale = 0
	}
	// a/b × 10^scale = (A × 10^(scale + sb - sa)) / B, with A and B the unscaled values.
	k := scale + b.scale - a.scale
	if a.b == nil && b.b == nil {
		n, d, ok := a.u, b.u, true
		if k >= 0 {
			n, ok = mulPow10(n, k)
		} else {
			d, ok = mulPow10(d, -k)
		}
		if ok && n != math.MinInt64 && d != math.MinInt64 {
			q, r := n/d, n%d
			if round && r != 0 {
				ar, ad := r, d
				if ar < 0 {
					ar = -ar
				}
				if ad < 0 {
					ad = -ad
				}
				if ar >= ad-ar { // 2|r| >= |d| without overflow
					if (n < 0) != (d < 0) {
						q--
					} else {
						q++
					}
				}
			}
			return Money{u: q, scale: scale}, nil
		}
	}
	n, d := a.BigUnscaled(), b.BigUnscaled()
	if k >= 0 {
		n.Mul(n, bigPow10(k))
	} else {
		d.Mul(d, bigPow10(-k))
	}
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	if round && r.Sign() != 0 {
		r2 := new(big.Int).Abs(r)
		r2.Lsh(r2, 1)
		if r2.Cmp(new(big.Int).Abs(d)) >= 0 {
			if n.Sign() != d.Sign() {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	return norm(q, scale), nil
}

// Div is the `/` of the rule language: DECIMAL division exactly as MySQL and MariaDB
// compute it, so that a rule and a SQL check of the same data agree to the last digit.
// The result has a.Scale()+DivScaleIncrement fractional digits. MySQL first computes the
// quotient, truncated, to whole 9-digit words of fractional digits (9·⌈(sa+sb+4)/9⌉), then
// rounds that half away from zero to the result scale; when the result scale is itself a
// multiple of 9 the quotient is therefore truncated (-6308143.54087 / 6778919 is
// -0.930553018, not …019). Use Quo for a correctly rounded quotient.
func (a Money) Div(b Money) (Money, error) {
	target := a.scale + DivScaleIncrement
	words := 9 * ((a.scale + b.scale + DivScaleIncrement + 8) / 9)
	q, err := a.quo(b, max(words, target), false)
	if err != nil {
		return Money{}, err
	}
	return q.Round(target), nil
}

// Round returns m with at most scale fractional digits, rounded half away from zero. A
// value with fewer digits is returned unchanged.
func (m Money) Round(scale int32) Money {
	if scale < 0 {
		scale = 0
	}
	if scale >= m.scale {
		return m
	}
	drop := m.scale - scale
	if m.b == nil && int(drop) < len(pow10) {
		p := pow10[drop]
		q, r := m.u/p, m.u%p
		if r < 0 {
			r = -r
		}
		if r >= p-r {
			if m.u < 0 {
				q--
			} else {
				q++
			}
		}
		return Money{u: q, scale: scale}
	}
	p := bigPow10(drop)
	q, r := new(big.Int).QuoRem(m.BigUnscaled(), p, new(big.Int))
	if r.Abs(r).Lsh(r, 1).Cmp(p) >= 0 {
		if m.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return norm(q, scale)
}

// Rem returns the remainder of a / b truncated toward zero: its sign is a's, its scale the
// larger of the two (MySQL's MOD and Go's %). It fails only when b is zero.
func (a Money) Rem(b Money) (Money, error) {
	if b.IsZero() {
		return Money{}, ErrDivisionByZero
	}
	if x, y, s, ok := align(a, b); ok {
		return Money{u: x % y, scale: s}, nil
	}
	s := max(a.scale, b.scale)
	x := a.bigScaled(s)
	return norm(x.Rem(x, b.bigScaled(s)), s), nil
}
