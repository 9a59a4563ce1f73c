package money

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAcceptsDecimalLiteralsExactly(t *testing.T) {
	for _, c := range []struct {
		in, want string
		scale    int32
	}{
		{"0", "0", 0},
		{"12.00", "12.00", 2},
		{"-0.05", "-0.05", 2},
		{"+3", "3", 0},
		{".5", "0.5", 1},
		{"5.", "5", 0},
		{"-0", "0", 0},
		{"007.10", "7.10", 2},
		{"1e3", "1000", 0},
		{"1.5e3", "1500", 0},
		{"1.5E-3", "0.0015", 4},
		{"-2.50e1", "-25.0", 1},
		{"9223372036854775807", "9223372036854775807", 0},
		{"-9223372036854775808", "-9223372036854775808", 0},
		{"9223372036854775808", "9223372036854775808", 0},
		{"-92233720368547758.09", "-92233720368547758.09", 2},
		{"123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789", 9},
		{"0.000000000000000000000000000001", "0.000000000000000000000000000001", 30},
	} {
		m, err := Parse(c.in)
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, m.String(), c.in)
		assert.Equal(t, c.scale, m.Scale(), c.in)
		r, ok := new(big.Rat).SetString(c.in)
		require.True(t, ok, c.in)
		assert.Equal(t, 0, m.Rat().Cmp(r), "%s is exactly its value", c.in)
	}
}

func TestParseRefusesWhatIsNotADecimal(t *testing.T) {
	for _, in := range []string{"", " 1", "1 ", "-", "+", ".", "1..2", "1.2.3", "1e", "1e+", "e5", "NaN", "Inf", "-inf",
		"0x10", "1_000", "1,5", "١", "1e1001", "1e-1001", "12abc", "--1", "+-1"} {
		_, err := Parse(in)
		assert.Error(t, err, "%q", in)
	}
	_, err := Parse("12abc")
	assert.ErrorContains(t, err, `invalid decimal "12abc"`)
}

func TestMaxScaleBoundsParsedValues(t *testing.T) {
	_, err := Parse("1e" + strconv.Itoa(MaxScale))
	assert.NoError(t, err)
	_, err = Parse("1e-" + strconv.Itoa(MaxScale))
	assert.NoError(t, err)
	_, err = Parse("1e-" + strconv.Itoa(MaxScale+1))
	assert.ErrorContains(t, err, "scale")
}

func TestArithmeticIsExactAcrossScalesAndSigns(t *testing.T) {
	for _, c := range []struct{ a, b, add, sub, mul string }{
		{"1.50", "2.5", "4.00", "-1.00", "3.750"},
		{"-1.50", "2.5", "1.00", "-4.00", "-3.750"},
		{"-1.50", "-2.5", "-4.00", "1.00", "3.750"},
		{"0.1", "0.2", "0.3", "-0.1", "0.02"},
		{"100", "0.01", "100.01", "99.99", "1.00"},
		{"0", "-7.25", "-7.25", "7.25", "0.00"},
		{"25000.00", "0.01", "25000.01", "24999.99", "250.0000"},
		// int64 limits: results move to big.Int and back.
		{"9223372036854775807", "1", "9223372036854775808", "9223372036854775806", "9223372036854775807"},
		{"-9223372036854775808", "-1", "-9223372036854775809", "-9223372036854775807", "9223372036854775808"},
		{"92233720368547758.07", "0.01", "92233720368547758.08", "92233720368547758.06", "922337203685477.5807"},
		{"3037000500", "3037000500", "6074001000", "0", "9223372037000250000"},
		{"-9223372036854775808", "9223372036854775807", "-1", "-18446744073709551615", "-85070591730234615856620279821087277056"},
		{"1e30", "-1e30", "0", "2000000000000000000000000000000", "-1000000000000000000000000000000000000000000000000000000000000"},
	} {
		a, b := MustParse(c.a), MustParse(c.b)
		assert.Equal(t, c.add, a.Add(b).String(), "%s + %s", c.a, c.b)
		assert.Equal(t, c.sub, a.Sub(b).String(), "%s - %s", c.a, c.b)
		assert.Equal(t, c.mul, a.Mul(b).String(), "%s * %s", c.a, c.b)
		assert.Equal(t, c.add, b.Add(a).String(), "addition commutes")
	}
}

func TestBigResultsThatFitReturnToInt64(t *testing.T) {
	max := FromInt(math.MaxInt64)
	over := max.Add(FromInt(1))
	_, small := over.Unscaled()
	assert.False(t, small, "MaxInt64 + 1 needs a big.Int")
	back := over.Sub(FromInt(1))
	u, small := back.Unscaled()
	assert.True(t, small, "and is an int64 again once it fits")
	assert.Equal(t, int64(math.MaxInt64), u)
	assert.Equal(t, "9223372036854775808", FromInt(math.MinInt64).Neg().String())
	assert.Equal(t, "9223372036854775808", FromInt(math.MinInt64).Abs().String())
	assert.Equal(t, 0, FromInt(math.MinInt64).Neg().Neg().Cmp(FromInt(math.MinInt64)))
}

func TestComparisonsAreNumeric(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"1.5", "1.50", 0},
		{"-0.00", "0", 0},
		{"10000.00", "10000", 0},
		{"9999.99", "10000", -1},
		{"10000.01", "10000", 1},
		{"-1", "-0.99", -1},
		{"-100", "1", -1},
		{"92233720368547758.08", "92233720368547758.07", 1}, // a is a big.Int at scale 2
		{"9223372036854775808", "9223372036854775807.99", 1},
		{"-9223372036854775809", "-9223372036854775808", -1},
		{"1e30", "999999999999999999999999999999.999", 1},
		{"0.000000000000000000001", "0", 1},
		{"123.4", "123.39999999999999999999", 1}, // aligning needs a big.Int
	} {
		a, b := MustParse(c.a), MustParse(c.b)
		assert.Equal(t, c.want, a.Cmp(b), "%s cmp %s", c.a, c.b)
		assert.Equal(t, -c.want, b.Cmp(a), "%s cmp %s", c.b, c.a)
		assert.Equal(t, c.want == 0, a.Equal(b))
	}
}

func TestDivisionRoundsHalfAwayFromZeroAtDividendScalePlusFour(t *testing.T) {
	for _, c := range []struct{ a, b, want string }{
		{"1", "3", "0.3333"},
		{"2", "3", "0.6667"},
		{"-2", "3", "-0.6667"},
		{"2", "-3", "-0.6667"},
		{"-2", "-3", "0.6667"},
		{"1", "32", "0.0313"},   // 0.03125: the tie goes away from zero
		{"-1", "32", "-0.0313"}, // …in both directions
		{"1", "64", "0.0156"},   // 0.015625
		{"100.00", "3", "33.333333"},
		{"1500.00", "1600.00", "0.937500"},
		{"10", "0.5", "20.0000"},
		{"0.9", "0.3", "3.00000"},
		{"9223372036854775807", "0.0001", "92233720368547758070000.0000"},
		{"1e20", "7", "14285714285714285714.2857"},
		// MySQL truncates to 9 fractional digits (a whole word) before rounding to the
		// dividend's scale + 4; at 9 digits that is a truncation (MariaDB agrees).
		{"-6308143.54087", "6778919", "-0.930553018"},
		{"6308143.54087", "6778919", "0.930553018"},
	} {
		q, err := MustParse(c.a).Div(MustParse(c.b))
		require.NoError(t, err)
		assert.Equal(t, c.want, q.String(), "%s / %s", c.a, c.b)
	}
	for _, c := range []struct {
		a, b  string
		scale int32
		want  string
	}{
		{"5", "2", 0, "3"}, {"-5", "2", 0, "-3"}, {"7", "2", 0, "4"}, {"1", "3", 0, "0"}, {"2", "3", 0, "1"},
		{"1", "8", 2, "0.13"}, {"-1", "8", 2, "-0.13"}, {"1", "3", 20, "0.33333333333333333333"},
	} {
		q, err := MustParse(c.a).Quo(MustParse(c.b), c.scale)
		require.NoError(t, err)
		assert.Equal(t, c.want, q.String(), "%s / %s at %d", c.a, c.b, c.scale)
	}
	_, err := FromInt(1).Div(MustParse("0.00"))
	assert.ErrorIs(t, err, ErrDivisionByZero)
}

func TestRoundIsHalfAwayFromZero(t *testing.T) {
	for _, c := range []struct {
		in    string
		scale int32
		want  string
	}{
		{"1.25", 1, "1.3"}, {"-1.25", 1, "-1.3"}, {"1.249", 1, "1.2"}, {"-1.249", 1, "-1.2"},
		{"0.5", 0, "1"}, {"-0.5", 0, "-1"}, {"0.4999", 0, "0"}, {"12.00", 4, "12.00"},
		{"9223372036854775807", 0, "9223372036854775807"},
		{"922337203685477580.75", 1, "922337203685477580.8"},
		{"-99999999999999999999.5", 0, "-100000000000000000000"},
	} {
		assert.Equal(t, c.want, MustParse(c.in).Round(c.scale).String(), "%s to %d", c.in, c.scale)
	}
}

func TestRemainderHasTheDividendsSign(t *testing.T) {
	for _, c := range []struct{ a, b, want string }{
		{"7", "3", "1"}, {"-7", "3", "-1"}, {"7", "-3", "1"}, {"-7", "-3", "-1"},
		{"5.5", "2", "1.5"}, {"2000.00", "1000", "0.00"}, {"2000.01", "1000", "0.01"},
		{"-9223372036854775808", "-1", "0"},
		{"1e25", "3", "1"},
	} {
		r, err := MustParse(c.a).Rem(MustParse(c.b))
		require.NoError(t, err)
		assert.Equal(t, c.want, r.String(), "%s %% %s", c.a, c.b)
	}
	_, err := FromInt(1).Rem(Money{})
	assert.ErrorIs(t, err, ErrDivisionByZero)
}

func TestFromFloatUsesTheShortestDecimalText(t *testing.T) {
	tenth, fifth := 0.1, 0.2 // variables: Go would add the constants exactly
	for _, c := range []struct {
		f    float64
		want string
	}{
		{0.9, "0.9"},
		{0.1, "0.1"},
		{tenth + fifth, "0.30000000000000004"},
		{1e-7, "0.0000001"},
		{1e21, "1000000000000000000000"},
		{-2.5, "-2.5"},
		{math.Copysign(0, -1), "0"},
		{3, "3"},
		{123456789.125, "123456789.125"},
		{1 << 53, "9007199254740992"},
	} {
		m, err := FromFloat(c.f)
		require.NoError(t, err)
		assert.Equal(t, c.want, m.String(), "%v", c.f)
	}
	m, err := FromFloat(math.MaxFloat64)
	require.NoError(t, err)
	assert.Len(t, m.String(), 309)
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		_, err := FromFloat(f)
		assert.ErrorIs(t, err, ErrNotFinite)
	}
	// 0.9 × 1000.00 is exactly 900: the binary 0.9 would give 899.99999999999997…
	assert.Equal(t, 0, MustParse("1000.00").Mul(must(FromFloat(0.9))).Cmp(FromInt(900)))
}

func must(m Money, err error) Money {
	if err != nil {
		panic(err)
	}
	return m
}

func TestFloat64IsTheNearestFloat(t *testing.T) {
	for _, s := range []string{"0.1", "52.520008", "-13.404954", "123456789.123456789", "1e30", "92233720368547758.07", "0"} {
		want, _ := strconv.ParseFloat(s, 64)
		assert.Equal(t, want, MustParse(s).Float64(), s)
	}
}

func TestJSONIsAQuotedString(t *testing.T) {
	b, err := MustParse("-12.50").MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, `"-12.50"`, string(b))
	var m Money
	require.NoError(t, m.UnmarshalJSON([]byte(`"7.25"`)))
	assert.Equal(t, "7.25", m.String())
	require.NoError(t, m.UnmarshalJSON([]byte(`1e2`)))
	assert.Equal(t, "100", m.String())
	assert.Error(t, m.UnmarshalJSON([]byte(`"x"`)))
}

// TestOperationsAgreeWithMathBig checks every operation on random values, small and
// beyond int64, positive and negative, at scales 0..20, against big.Rat.
func TestOperationsAgreeWithMathBig(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5000; i++ {
		a, b := randomMoney(rng), randomMoney(rng)
		checkAgainstBig(t, a, b)
	}
}

func randomMoney(rng *rand.Rand) Money {
	scale := int32(rng.IntN(21))
	switch rng.IntN(4) {
	case 0:
		return New(rng.Int64N(2000)-1000, scale)
	case 1:
		return New(int64(rng.Uint64()), scale) // the whole int64 range
	case 2:
		return New([]int64{math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1, 0, 1, -1}[rng.IntN(7)], scale)
	}
	b := new(big.Int)
	for range 1 + rng.IntN(5) { // 64 to 320 random bits
		b.Lsh(b, 64).Or(b, new(big.Int).SetUint64(rng.Uint64()))
	}
	if rng.IntN(2) == 0 {
		b.Neg(b)
	}
	return FromBig(b, scale)
}

func checkAgainstBig(t *testing.T, a, b Money) {
	t.Helper()
	ra, rb := a.Rat(), b.Rat()
	eq := func(op string, got Money, want *big.Rat) {
		t.Helper()
		if got.Rat().Cmp(want) != 0 {
			t.Fatalf("%s %s %s = %s, want %s", a, op, b, got, want.FloatString(40))
		}
		if u, ok := got.Unscaled(); ok != got.BigUnscaled().IsInt64() || (ok && u != got.BigUnscaled().Int64()) {
			t.Fatalf("%s %s %s: int64/big.Int representation is not canonical", a, op, b)
		}
	}
	eq("+", a.Add(b), new(big.Rat).Add(ra, rb))
	eq("-", a.Sub(b), new(big.Rat).Sub(ra, rb))
	eq("*", a.Mul(b), new(big.Rat).Mul(ra, rb))
	assert.Equal(t, ra.Cmp(rb), a.Cmp(b), "%s cmp %s", a, b)
	assert.Equal(t, max(a.Scale(), b.Scale()), a.Add(b).Scale())
	assert.Equal(t, a.Scale()+b.Scale(), a.Mul(b).Scale())
	if b.IsZero() {
		return
	}
	// Rem: a - trunc(a/b)*b.
	q := new(big.Rat).Quo(ra, rb)
	trunc := new(big.Int).Quo(q.Num(), q.Denom())
	eq("%", must(a.Rem(b)), new(big.Rat).Sub(ra, new(big.Rat).Mul(new(big.Rat).SetInt(trunc), rb)))
	// Quo: the nearest value at the scale, ties away from zero.
	for _, s := range []int32{0, 2, a.Scale() + DivScaleIncrement} {
		got := must(a.Quo(b, s))
		require.Equal(t, s, got.Scale())
		scaled := new(big.Rat).Mul(q, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s)), nil)))
		want := roundHalfAway(scaled)
		if got.BigUnscaled().Cmp(want) != 0 {
			t.Fatalf("%s / %s at scale %d = %s, want unscaled %s", a, b, s, got, want)
		}
	}
	// Div: MySQL's truncation to whole 9-digit words, then rounding to sa+4.
	words := 9 * ((a.Scale() + b.Scale() + DivScaleIncrement + 8) / 9)
	tq := new(big.Rat).Mul(q, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(words)), nil)))
	truncated := new(big.Int).Quo(tq.Num(), tq.Denom())
	target := a.Scale() + DivScaleIncrement
	want := roundHalfAway(new(big.Rat).SetFrac(truncated, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(words-target)), nil)))
	if d := must(a.Div(b)); d.BigUnscaled().Cmp(want) != 0 || d.Scale() != target {
		t.Fatalf("%s / %s = %s, want unscaled %s at scale %d", a, b, d, want, target)
	}
	// Text round trip keeps value and scale.
	back := MustParse(a.String())
	assert.True(t, back.Equal(a) && back.Scale() == a.Scale(), "%s round trip", a)
}

func roundHalfAway(r *big.Rat) *big.Int {
	num, den := new(big.Int).Abs(r.Num()), r.Denom()
	q, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	if rem.Lsh(rem, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if r.Sign() < 0 {
		q.Neg(q)
	}
	return q
}

// FuzzMoney parses two decimals and checks every operation against math/big.
func FuzzMoney(f *testing.F) {
	for _, s := range [][2]string{{"1.50", "2.5"}, {"-9223372036854775808", "-1"}, {"9223372036854775807", "0.01"},
		{"1e30", "3"}, {".5", "5."}, {"0", "0"}, {"-0.0001", "1e-4"}, {"123456789.123456789", "-0.000000001"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, x, y string) {
		a, err := Parse(x)
		if err != nil {
			return
		}
		// What Parse accepts is exactly the number math/big reads from the same text.
		if r, ok := new(big.Rat).SetString(x); !ok || r.Cmp(a.Rat()) != 0 {
			t.Fatalf("Parse(%q) = %s, math/big reads %v", x, a, r)
		}
		b, err := Parse(y)
		if err != nil || a.Scale() > 60 || b.Scale() > 60 {
			return // keep the big.Rat reference fast
		}
		if len(a.BigUnscaled().String()) > 200 || len(b.BigUnscaled().String()) > 200 {
			return
		}
		checkAgainstBig(t, a, b)
	})
}
