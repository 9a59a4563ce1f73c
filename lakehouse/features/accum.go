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
	switch f.Agg {
	case "distinct":
		if a.set == nil {
			a.set = make(map[Value]struct{})
		}
		clear(a.set)
	case "last_n":
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
	switch f.Agg {
	case "count":
		a.n++
		return
	case "last_time":
		a.n++
		a.last = anchor
		return
	}
	if v.Null {
		return
	}
	switch f.Agg {
	case "sum":
		a.addSum(v.I)
	case "stats":
		a.n++
		a.addSum(v.I)
		a.addSquare(v.I)
	case "min":
		if !a.has || v.less(a.best, f.ofType) {
			a.best, a.has = v, true
		}
	case "max":
		if !a.has || a.best.less(v, f.ofType) {
			a.best, a.has = v, true
		}
	case "distinct":
		if _, ok := a.set[v]; !ok && len(a.set) >= maxDistinct {
			a.capped = true
			return
		}
		a.set[v] = struct{}{}
	case "last_n":
		a.ring[a.pos] = v
		a.pos = (a.pos + 1) % len(a.ring)
		a.filled = min(a.filled+1, len(a.ring))
	case "seen":
		if !a.target.Null && v.equal(a.target) {
			a.seen = true
		}
	}
}

// outputs writes the feature's output fields.
func (a *acc) outputs(f *Feature, out []any) {
	switch f.Agg {
	case "count":
		out[0] = a.n
	case "distinct":
		out[0] = int64(len(a.set))
	case "sum":
		out[0] = sumOut(a.sum, a.sumBig, f.ofType)
	case "min", "max":
		if a.has {
			out[0] = a.best.out(f.ofType)
		} else {
			out[0] = nil
		}
	case "stats":
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
	case "last_time":
		if a.n > 0 {
			out[0] = time.UnixMicro(a.last).UTC()
		} else {
			out[0] = nil
		}
	case "last_n":
		list := make([]any, 0, a.filled)
		for i := 1; i <= a.filled; i++ {
			list = append(list, a.ring[(a.pos-i+len(a.ring))%len(a.ring)].out(f.ofType))
		}
		out[0] = list
	case "seen":
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
