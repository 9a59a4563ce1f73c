package debezium

import (
	"encoding/base64"
	"math/big"
)

// Decimals never pass through float64: every path below works on the decimal digits.

// maxDecimalDigits bounds the digits a decimal may carry (MySQL DECIMAL(65) plus scale
// shifts), so a hostile exponent cannot make us allocate gigabytes.
const maxDecimalDigits = 130

// appendScaled renders an unscaled digit string at target scale. digits holds ASCII digits
// of the magnitude, scale says how many of them are fractional. Lowering the scale is only
// allowed when the dropped digits are zeros, so the value never changes. precision > 0 also
// bounds the integer digits (precision - target), as DECIMAL(p,s) does.
func appendScaled(dst []byte, neg bool, digits []byte, scale, target, precision int) ([]byte, string) {
	for len(digits) > 1 && digits[0] == '0' {
		digits = digits[1:]
	}
	if len(digits) == 0 {
		digits = []byte{'0'}
	}
	if len(digits) == 1 && digits[0] == '0' {
		scale = target // zero is zero at any scale; a negative scale must not pad it to "000"
	}
	pad := 0
	if target < scale {
		cut := scale - target
		if cut > len(digits) {
			cut = len(digits)
		}
		for _, c := range digits[len(digits)-cut:] {
			if c != '0' {
				return dst, "at most " + itoa(target) + " fractional digits (the column scale); rounding would change the value"
			}
		}
		digits = digits[:len(digits)-cut]
		if len(digits) == 0 {
			digits = []byte{'0'}
		}
	} else {
		pad = target - scale
	}
	// integer digits = len(digits)+pad-target, ignoring leading zeros
	intDigits := len(digits) + pad - target
	if digits[0] == '0' && len(digits) == 1 {
		intDigits = 0
	}
	if precision > 0 && intDigits > precision-target {
		return dst, "at most " + itoa(precision-target) + " integer digits (DECIMAL(" + itoa(precision) + "," + itoa(target) + "))"
	}
	if neg && !(len(digits) == 1 && digits[0] == '0') {
		dst = append(dst, '-')
	}
	total := len(digits) + pad
	if total <= target {
		dst = append(dst, '0', '.')
		for k := 0; k < target-total; k++ {
			dst = append(dst, '0')
		}
		dst = append(dst, digits...)
		for k := 0; k < pad; k++ {
			dst = append(dst, '0')
		}
		return dst, ""
	}
	split := total - target
	for k := 0; k < total; k++ {
		if k == split {
			dst = append(dst, '.')
		}
		if k < len(digits) {
			dst = append(dst, digits[k])
		} else {
			dst = append(dst, '0')
		}
	}
	return dst, ""
}

// decodeUnscaled turns Kafka Connect Decimal bytes (base64 of a two's-complement big-endian
// integer, BigInteger.toByteArray) into sign and magnitude digits appended to tmp.
func decodeUnscaled(tmp []byte, b64 []byte) (neg bool, digits []byte, problem string) {
	var raw [64]byte
	var bytes []byte
	n := base64.StdEncoding.DecodedLen(len(b64))
	if n <= len(raw) {
		bytes = raw[:n]
	} else {
		bytes = make([]byte, n)
	}
	n, err := base64.StdEncoding.Decode(bytes, b64)
	if err != nil {
		return false, nil, "base64 of a two's-complement big-endian integer (Kafka Connect Decimal)"
	}
	bytes = bytes[:n]
	if len(bytes) == 0 {
		return false, nil, "at least one byte of unscaled value"
	}
	neg = bytes[0]&0x80 != 0
	if len(bytes) <= 8 {
		var v uint64
		if neg {
			v = ^uint64(0)
		}
		for _, c := range bytes {
			v = v<<8 | uint64(c)
		}
		mag := v
		if neg {
			mag = -v // two's complement magnitude, correct for MinInt64 too
		}
		return neg, appendUint(tmp, mag), ""
	}
	x := new(big.Int).SetBytes(bytes)
	if neg {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(bytes))))
		x.Neg(x)
	}
	return neg, x.Append(tmp, 10), ""
}

func appendUint(dst []byte, u uint64) []byte {
	var buf [20]byte
	i := len(buf)
	for u >= 10 {
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
	}
	i--
	buf[i] = byte('0' + u)
	return append(dst, buf[i:]...)
}

// parseDecimalText reads a plain decimal ("-12.50") or, when allowExp, a JSON number with
// an exponent ("1.2345E3"), into sign, digits and scale, exactly.
func parseDecimalText(tmp []byte, s []byte, allowExp bool) (neg bool, digits []byte, scale int, problem string) {
	const want = "a decimal number such as \"-1234.50\""
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	start := len(tmp)
	nd := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		tmp = append(tmp, s[i])
		i++
		nd++
	}
	frac := 0
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			tmp = append(tmp, s[i])
			i++
			frac++
		}
	}
	if nd+frac == 0 {
		return false, nil, 0, want
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		if !allowExp {
			return false, nil, 0, want + " without exponent"
		}
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		ed := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if exp > maxDecimalDigits*10 {
				return false, nil, 0, "an exponent below " + itoa(maxDecimalDigits)
			}
			exp = exp*10 + int(s[i]-'0')
			i++
			ed++
		}
		if ed == 0 {
			return false, nil, 0, want
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return false, nil, 0, want
	}
	scale = frac - exp
	if scale > maxDecimalDigits || -scale > maxDecimalDigits || len(tmp)-start > maxDecimalDigits {
		return false, nil, 0, "at most " + itoa(maxDecimalDigits) + " digits"
	}
	for scale < 0 {
		tmp = append(tmp, '0')
		scale++
	}
	return neg, tmp[start:], scale, ""
}

// decimalDigits counts the significant integer and fractional digits of the value
// digits × 10^-scale (scale may be negative): what DECIMAL(p,s) must have room for.
// Leading zeros and the fraction's trailing zeros take no room.
func decimalDigits(digits []byte, scale int) (intDigits, fracDigits int) {
	for len(digits) > 0 && digits[0] == '0' {
		digits = digits[1:]
	}
	if len(digits) == 0 {
		return 0, 0
	}
	if scale <= 0 {
		return len(digits) - scale, 0
	}
	n, frac := len(digits), scale
	for frac > 0 && digits[n-1] == '0' {
		n--
		frac--
	}
	return max(n-frac, 0), frac
}
