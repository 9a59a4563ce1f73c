package money

import (
	"errors"
	"math"
	"math/big"
)

// ErrDivisionByZero is returned by Quo and Rem when the divisor is zero.
var ErrDivisionByZero = errors.New("money: division by zero")

// DivScaleIncrement is the number of fractional digits a quotient gains over its dividend,
// as MySQL's DECIMAL division does with the default div_precision_increment (4).
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

// Quo returns a / b rounded half away from zero to scale fractional digits (MySQL's
// rounding of DECIMAL division). It fails only when b is zero.
func (a Money) Quo(b Money, scale int32) (Money, error) {
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
			if r != 0 {
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
	if r.Sign() != 0 {
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

// Div returns a / b at a.Scale()+DivScaleIncrement fractional digits, rounded half away
// from zero: the `/` of the rule language, and MySQL's DECIMAL division.
func (a Money) Div(b Money) (Money, error) { return a.Quo(b, a.scale+DivScaleIncrement) }

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
