package schema

import (
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Date is a calendar date as days since 1970-01-01.
type Date int32

// String renders the date as YYYY-MM-DD.
func (d Date) String() string { return d.Time().Format("2006-01-02") }

// Time returns midnight UTC of the date.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// DateOf returns the UTC calendar date of t.
func DateOf(t time.Time) Date {
	y, m, dd := t.UTC().Date()
	return Date(time.Date(y, m, dd, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return 0, fmt.Errorf("date %q: expected YYYY-MM-DD", s)
	}
	return Date(t.Unix() / 86400), nil
}

// MapEntry is one entry of a map value.
type MapEntry struct{ Key, Value any }

// Decimal is an exact decimal: Unscaled × 10^-Scale. Money never becomes a float: readers,
// writers and the unwrap move decimals as Decimal or as their exact string form.
type Decimal struct {
	Unscaled *big.Int
	Scale    int
}

// String renders the decimal with exactly Scale fractional digits ("-12.50", "0.00").
func (d Decimal) String() string {
	if d.Unscaled == nil {
		return "<nil>"
	}
	s := d.Unscaled.String()
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	if d.Scale > 0 {
		if len(s) <= d.Scale {
			s = strings.Repeat("0", d.Scale-len(s)+1) + s
		}
		s = s[:len(s)-d.Scale] + "." + s[len(s)-d.Scale:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Equal reports whether two decimals have the same value (scales may differ).
func (d Decimal) Equal(o Decimal) bool { return d.Cmp(o) == 0 }

// Cmp compares the values of two decimals.
func (d Decimal) Cmp(o Decimal) int {
	a, b := new(big.Int).Set(d.Unscaled), new(big.Int).Set(o.Unscaled)
	if d.Scale < o.Scale {
		a.Mul(a, pow10(o.Scale-d.Scale))
	} else if o.Scale < d.Scale {
		b.Mul(b, pow10(d.Scale-o.Scale))
	}
	return a.Cmp(b)
}

// Precision is the number of decimal digits of the unscaled value (at least 1).
func (d Decimal) Precision() int {
	s := new(big.Int).Abs(d.Unscaled).String()
	return len(s)
}

// ParseDecimal reads a plain decimal string ("-12.5", "3", "1.230") and returns it at the
// given scale. It fails, without rounding, when the value has more fractional digits than
// scale allows (except trailing zeros), or is not a plain decimal (no exponent, no spaces).
func ParseDecimal(s string, scale int) (Decimal, error) {
	in := s
	neg := false
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" || !allDigits(intPart) || !allDigits(frac) {
		return Decimal{}, fmt.Errorf("decimal %q: expected digits with an optional sign and point", in)
	}
	trimmed := strings.TrimRight(frac, "0")
	if len(trimmed) > scale {
		return Decimal{}, fmt.Errorf("decimal %q: has %d fractional digits, the column's scale is %d", in, len(trimmed), scale)
	}
	if len(intPart)+scale <= 18 {
		// Fast path for money-sized values: the unscaled value fits an int64, so build it
		// without intermediate strings.
		var u int64
		for i := 0; i < len(intPart); i++ {
			u = u*10 + int64(intPart[i]-'0')
		}
		for i := 0; i < scale; i++ {
			u *= 10
			if i < len(trimmed) {
				u += int64(trimmed[i] - '0')
			}
		}
		if neg {
			u = -u
		}
		return Decimal{Unscaled: big.NewInt(u), Scale: scale}, nil
	}
	digits := intPart + trimmed + strings.Repeat("0", scale-len(trimmed))
	u, ok := new(big.Int).SetString(strings.TrimLeft(digits, "0")+"0", 10)
	if !ok {
		return Decimal{}, fmt.Errorf("decimal %q: not a number", in)
	}
	u.Quo(u, big.NewInt(10)) // drop the "0" appended so that an all-zero input parses
	if neg {
		u.Neg(u)
	}
	return Decimal{Unscaled: u, Scale: scale}, nil
}

// DecimalFromBytes reads a two's-complement big-endian unscaled integer (Kafka Connect's
// Decimal, Parquet's FIXED_LEN_BYTE_ARRAY/BYTE_ARRAY decimals).
func DecimalFromBytes(b []byte, scale int) Decimal {
	u := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		u.Sub(u, new(big.Int).Lsh(big.NewInt(1), uint(len(b))*8))
	}
	return Decimal{Unscaled: u, Scale: scale}
}

// Bytes returns the minimal two's-complement big-endian encoding of the unscaled value.
func (d Decimal) Bytes() []byte {
	u := d.Unscaled
	if u.Sign() >= 0 {
		b := u.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	n := (u.BitLen() + 8) / 8 // room for the sign bit
	m := new(big.Int).Add(u, new(big.Int).Lsh(big.NewInt(1), uint(n)*8))
	b := m.Bytes()
	for len(b) < n {
		b = append([]byte{0xff}, b...)
	}
	// Strip redundant 0xFF sign bytes so the encoding stays minimal.
	for len(b) > 1 && b[0] == 0xff && b[1]&0x80 != 0 {
		b = b[1:]
	}
	return b
}

// FixedBytes returns the two's-complement encoding sign-extended to n bytes, or an error
// when the value needs more than n bytes.
func (d Decimal) FixedBytes(n int) ([]byte, error) {
	b := d.Bytes()
	if len(b) > n {
		return nil, fmt.Errorf("decimal %s needs %d bytes, the column has %d", d, len(b), n)
	}
	pad := byte(0)
	if d.Unscaled.Sign() < 0 {
		pad = 0xff
	}
	out := make([]byte, n)
	for i := 0; i < n-len(b); i++ {
		out[i] = pad
	}
	copy(out[n-len(b):], b)
	return out, nil
}

// Rescale returns the decimal at another scale; it fails if digits would be lost.
func (d Decimal) Rescale(scale int) (Decimal, error) {
	if scale == d.Scale {
		return d, nil
	}
	if scale > d.Scale {
		return Decimal{Unscaled: new(big.Int).Mul(d.Unscaled, pow10(scale-d.Scale)), Scale: scale}, nil
	}
	q, r := new(big.Int).QuoRem(d.Unscaled, pow10(d.Scale-scale), new(big.Int))
	if r.Sign() != 0 {
		return Decimal{}, fmt.Errorf("decimal %s does not fit scale %d without rounding", d, scale)
	}
	return Decimal{Unscaled: q, Scale: scale}, nil
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
