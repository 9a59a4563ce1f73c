package features

import (
	"math"
	"math/big"
	"math/bits"
	"time"
)

// acc accumulates one feature over the entries of a window. Everything it keeps is exact:
// counts, int64 sums that continue in math/big on overflow, and the sum of squares as an
// unsigned 128-bit integer (math/big beyond), so the result never depends on the order
// entries were added in.
type acc struct {
	n      int64
	sum    int64
	sumBig *big.Int
	sqHi   uint64
	sqLo   uint64
	sqBig  *big.Int
	has    bool
	best   Value
	last   int64
	ring   []Value // last_n: the newest n values, ring[pos-1] newest
	pos    int
	filled int
	set    map[Value]struct{}
	seen   bool
	capped bool
	target Value // seen: the scored transaction's own value
}

func (a *acc) reset(f *Feature) {
	set, ring := a.set, a.ring
	*a = acc{set: set, ring: ring}
	switch f.agg {
	case aggDistinct:
		if a.set == nil {
			a.set = make(map[Value]struct{})
		}
		clear(a.set)
	case aggLastN:
		if cap(a.ring) < f.N {
			a.ring = make([]Value, f.N)
		}
		a.ring = a.ring[:f.N]
	}
}

func (a *acc) addSum(x int64) {
	if a.sumBig != nil {
		a.sumBig.Add(a.sumBig, big.NewInt(x))
		return
	}
	r := a.sum + x
	if (a.sum^r)&(x^r) < 0 {
		a.sumBig = new(big.Int).SetInt64(a.sum)
		a.sumBig.Add(a.sumBig, big.NewInt(x))
		return
	}
	a.sum = r
}

func (a *acc) addSquare(x int64) {
	u := uint64(x)
	if x < 0 {
		u = uint64(-(x + 1)) + 1
	}
	hi, lo := bits.Mul64(u, u)
	if a.sqBig != nil {
		a.sqBig.Add(a.sqBig, u128(hi, lo))
		return
	}
	var c uint64
	a.sqLo, c = bits.Add64(a.sqLo, lo, 0)
	a.sqHi, c = bits.Add64(a.sqHi, hi, c)
	if c != 0 {
		a.sqBig = u128(a.sqHi, a.sqLo)
		a.sqBig.Add(a.sqBig, new(big.Int).Lsh(big.NewInt(1), 128))
	}
}

func u128(hi, lo uint64) *big.Int {
	b := new(big.Int).SetUint64(hi)
	b.Lsh(b, 64)
	return b.Or(b, new(big.Int).SetUint64(lo))
}

// add feeds one qualifying entry (its visible version's value of the of: column, its anchor).
// maxDistinct bounds the distinct set.
func (a *acc) add(f *Feature, v Value, anchor int64, maxDistinct int) {
	switch f.agg {
	case aggCount:
		a.n++
		return
	case aggLastTime:
		a.n++
		a.last = anchor
		return
	}
	if v.Null {
		return
	}
	switch f.agg {
	case aggSum:
		a.addSum(v.I)
	case aggStats:
		a.n++
		a.addSum(v.I)
		a.addSquare(v.I)
	case aggMin:
		if !a.has || v.less(a.best, f.ofType) {
			a.best, a.has = v, true
		}
	case aggMax:
		if !a.has || a.best.less(v, f.ofType) {
			a.best, a.has = v, true
		}
	case aggDistinct:
		if _, ok := a.set[v]; !ok && len(a.set) >= maxDistinct {
			a.capped = true
			return
		}
		a.set[v] = struct{}{}
	case aggLastN:
		a.ring[a.pos] = v
		a.pos = (a.pos + 1) % len(a.ring)
		a.filled = min(a.filled+1, len(a.ring))
	case aggSeen:
		if !a.target.Null && v.equal(a.target) {
			a.seen = true
		}
	}
}

// outputs writes the feature's output fields.
func (a *acc) outputs(f *Feature, out []any) {
	switch f.agg {
	case aggCount:
		out[0] = a.n
	case aggDistinct:
		out[0] = int64(len(a.set))
	case aggSum:
		out[0] = sumOut(a.sum, a.sumBig, f.ofType)
	case aggMin, aggMax:
		if a.has {
			out[0] = a.best.out(f.ofType)
		} else {
			out[0] = nil
		}
	case aggStats:
		if a.sumBig == nil && a.sqBig == nil {
			if mean, std, ok := statsFast(a.n, a.sum, a.sqHi, a.sqLo, f.ofType.scale); ok {
				out[0], out[1], out[2] = a.n, mean, std
				return
			}
		}
		sum := a.sumBig
		if sum == nil {
			sum = big.NewInt(a.sum)
		}
		sq := a.sqBig
		if sq == nil {
			sq = u128(a.sqHi, a.sqLo)
		}
		out[0] = a.n
		out[1], out[2] = statsOut(a.n, sum, sq, f.ofType.scale)
	case aggLastTime:
		if a.n > 0 {
			out[0] = time.UnixMicro(a.last).UTC()
		} else {
			out[0] = nil
		}
	case aggLastN:
		list := make([]any, 0, a.filled)
		for i := 1; i <= a.filled; i++ {
			list = append(list, a.ring[(a.pos-i+len(a.ring))%len(a.ring)].out(f.ofType))
		}
		out[0] = list
	case aggSeen:
		out[0] = a.seen
	}
}

// sumOut renders an exact sum: int64 for an integer column, a decimal string at the column
// scale for DECIMAL (a sum beyond int64 is still exact, through math/big).
func sumOut(sum int64, b *big.Int, t colType) any {
	if b == nil {
		if t.kind == kInt {
			return sum
		}
		return Dec{U: sum, Scale: t.scale}.String()
	}
	s := b.String()
	if t.scale == 0 {
		return s
	}
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	for len(s) <= int(t.scale) {
		s = "0" + s
	}
	s = s[:len(s)-int(t.scale)] + "." + s[len(s)-int(t.scale):]
	if neg {
		s = "-" + s
	}
	return s
}

// statsFast is statsOut without math/big, when every operand is exactly representable in
// a float64: one IEEE division of two exact values is correctly rounded, as big.Rat's
// Float64 is, so both give the same bits.
func statsFast(n, sum int64, sqHi, sqLo uint64, scale int32) (mean, std float64, ok bool) {
	const exact = 1 << 53
	if n == 0 {
		return 0, 0, true
	}
	if int(scale) >= len(pow10i) {
		return 0, 0, false
	}
	p := pow10i[scale]
	np, o := bits.Mul64(uint64(n), uint64(p))
	if o != 0 || np >= exact || sum >= exact || sum <= -exact {
		return 0, 0, false
	}
	mean = float64(sum) / float64(np)
	if n < 2 {
		return mean, 0, true
	}
	// num = n·Σx² − (Σx)², exact in 128 bits.
	if sqHi != 0 {
		h1, l1 := bits.Mul64(uint64(n), sqHi)
		if h1 != 0 || l1 != 0 {
			return 0, 0, false
		}
	}
	h1, l1 := bits.Mul64(uint64(n), sqLo)
	as := uint64(sum)
	if sum < 0 {
		as = uint64(-sum)
	}
	h2, l2 := bits.Mul64(as, as)
	l, borrow := bits.Sub64(l1, l2, 0)
	h, _ := bits.Sub64(h1, h2, borrow)
	if h != 0 || l >= exact {
		return 0, 0, false
	}
	dh, dl := bits.Mul64(uint64(n), uint64(n-1))
	if dh != 0 {
		return 0, 0, false
	}
	dh, dl = bits.Mul64(dl, uint64(p))
	if dh != 0 {
		return 0, 0, false
	}
	dh, dl = bits.Mul64(dl, uint64(p))
	if dh != 0 || dl >= exact {
		return 0, 0, false
	}
	return mean, math.Sqrt(float64(l) / float64(dl)), true
}

// statsOut computes the mean and the sample standard deviation (n − 1; 0 below two values)
// from the exact n, Σx and Σx² of unscaled values: mean = Σx / (n·10^s) and
// var = (nΣx² − (Σx)²) / (n(n−1)·10^2s), each a correctly rounded quotient of exact
// integers, so the result is the same bits whatever order the values came in.
func statsOut(n int64, sum, sq *big.Int, scale int32) (mean, std float64) {
	if n == 0 {
		return 0, 0
	}
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
	nb := big.NewInt(n)
	mean, _ = new(big.Rat).SetFrac(sum, new(big.Int).Mul(nb, p)).Float64()
	if n < 2 {
		return mean, 0
	}
	num := new(big.Int).Mul(nb, sq)
	num.Sub(num, new(big.Int).Mul(sum, sum))
	den := new(big.Int).Mul(nb, big.NewInt(n-1))
	den.Mul(den, p)
	den.Mul(den, p)
	v, _ := new(big.Rat).SetFrac(num, den).Float64()
	return mean, math.Sqrt(v)
}
