// Package money is the exact decimal type of the fraud rule environment. A Money is an
// unscaled integer and a scale (value = unscaled × 10^-scale); the unscaled part is an
// int64 and moves to a math/big.Int only when a value or an intermediate result does not
// fit, so the common case (DECIMAL(18,2) amounts) never allocates. No operation goes
// through float64: a float operand is first converted through its shortest decimal text
// (FromFloat), so 0.9 is exactly 9/10.
//
// The zero value is 0 with scale 0. Money values are immutable and safe to share.
package money

import (
	"math"
	"math/big"
	"strconv"
)

// MaxScale bounds the number of fractional digits a parsed or converted value may have,
// so that hostile input ("1e-999999999") cannot make every later operation build huge
// powers of ten.
const MaxScale = 1000

// Money is an exact decimal number. Compare values with Cmp or Equal, never with ==:
// 1.50 and 1.5 are equal numbers with different scales.
type Money struct {
	u     int64    // unscaled value when b == nil
	b     *big.Int // unscaled value when it does not fit an int64; never modified once set
	scale int32    // fractional digits, >= 0
}

// New returns unscaled × 10^-scale. It panics on a negative scale or one above MaxScale,
// which is a programming error.
func New(unscaled int64, scale int32) Money {
	if scale < 0 || scale > MaxScale {
		panic("money: scale out of range: " + strconv.Itoa(int(scale)))
	}
	return Money{u: unscaled, scale: scale}
}

// FromInt returns i with scale 0.
func FromInt(i int64) Money { return Money{u: i} }

// FromBig returns unscaled × 10^-scale; it copies unscaled. It panics like New.
func FromBig(unscaled *big.Int, scale int32) Money {
	if scale < 0 || scale > MaxScale {
		panic("money: scale out of range: " + strconv.Itoa(int(scale)))
	}
	return norm(new(big.Int).Set(unscaled), scale)
}

// norm stores b (owned by the result) as an int64 when it fits, keeping the invariant that
// b is set only for values outside the int64 range.
func norm(b *big.Int, scale int32) Money {
	if b.IsInt64() {
		return Money{u: b.Int64(), scale: scale}
	}
	return Money{b: b, scale: scale}
}

// Scale returns the number of fractional digits.
func (m Money) Scale() int32 { return m.scale }

// Unscaled returns the unscaled value when it fits an int64.
func (m Money) Unscaled() (int64, bool) { return m.u, m.b == nil }

// BigUnscaled returns a copy of the unscaled value.
func (m Money) BigUnscaled() *big.Int {
	if m.b != nil {
		return new(big.Int).Set(m.b)
	}
	return big.NewInt(m.u)
}

// Rat returns the exact value as a big.Rat.
func (m Money) Rat() *big.Rat {
	r := new(big.Rat).SetInt(m.BigUnscaled())
	if m.scale > 0 {
		r.Quo(r, new(big.Rat).SetInt(bigPow10(m.scale)))
	}
	return r
}

// Sign returns -1, 0 or +1.
func (m Money) Sign() int {
	if m.b != nil {
		return m.b.Sign()
	}
	switch {
	case m.u < 0:
		return -1
	case m.u > 0:
		return 1
	}
	return 0
}

// IsZero reports whether m is zero (at any scale).
func (m Money) IsZero() bool { return m.b == nil && m.u == 0 }

// Float64 returns the nearest float64. It exists for non-monetary uses of decimal columns,
// such as coordinates stored as DECIMAL; never use it for money arithmetic.
func (m Money) Float64() float64 {
	if m.b == nil && m.scale < int32(len(pow10f)) && (m.u < 1<<53 && m.u > -(1<<53)) {
		// Exactly representable numerator and power of ten: one correctly rounded division.
		return float64(m.u) / pow10f[m.scale]
	}
	f, _ := strconv.ParseFloat(m.String(), 64)
	return f
}

var pow10f = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// pow10 holds the powers of ten that fit an int64.
var pow10 = [...]int64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// mulPow10 returns x × 10^n when it fits an int64.
func mulPow10(x int64, n int32) (int64, bool) {
	if x == 0 {
		return 0, true
	}
	if n < 0 || int(n) >= len(pow10) {
		return 0, false
	}
	p := pow10[n]
	r := x * p
	if r/p != x {
		return 0, false
	}
	return r, true
}

var bigPow10Cache [64]*big.Int

func init() {
	for i := range bigPow10Cache {
		bigPow10Cache[i] = new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(i)), nil)
	}
}

// bigPow10 returns 10^n; the result for small n is shared and must not be modified.
func bigPow10(n int32) *big.Int {
	if int(n) < len(bigPow10Cache) {
		return bigPow10Cache[n]
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// bigScaled returns the unscaled value of m at scale s >= m.scale as a new big.Int.
func (m Money) bigScaled(s int32) *big.Int {
	x := m.BigUnscaled()
	if s > m.scale {
		x.Mul(x, bigPow10(s-m.scale))
	}
	return x
}

// align returns a and b's unscaled values at their common (larger) scale, when both fit.
func align(a, b Money) (x, y int64, s int32, ok bool) {
	if a.b != nil || b.b != nil {
		return 0, 0, 0, false
	}
	switch {
	case a.scale == b.scale:
		return a.u, b.u, a.scale, true
	case a.scale < b.scale:
		x, ok = mulPow10(a.u, b.scale-a.scale)
		return x, b.u, b.scale, ok
	default:
		y, ok = mulPow10(b.u, a.scale-b.scale)
		return a.u, y, a.scale, ok
	}
}

// Cmp returns -1, 0 or +1 as a is less than, equal to or greater than b.
func (a Money) Cmp(b Money) int {
	if x, y, _, ok := align(a, b); ok {
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	if sa, sb := a.Sign(), b.Sign(); sa != sb {
		if sa < sb {
			return -1
		}
		return 1
	}
	s := max(a.scale, b.scale)
	return a.bigScaled(s).Cmp(b.bigScaled(s))
}

// Equal reports whether a and b are the same number (1.5 equals 1.50).
func (a Money) Equal(b Money) bool { return a.Cmp(b) == 0 }

// Neg returns -m.
func (m Money) Neg() Money {
	if m.b == nil && m.u != math.MinInt64 {
		return Money{u: -m.u, scale: m.scale}
	}
	return norm(new(big.Int).Neg(m.BigUnscaled()), m.scale)
}

// Abs returns |m|.
func (m Money) Abs() Money {
	if m.Sign() < 0 {
		return m.Neg()
	}
	return m
}
