package pii

import (
	"strconv"
	"time"
)

// appendYearString writes January 1st of the date or timestamp text, in the same layout
// (so the value still fits the column's type): "1990-05-17" → "1990-01-01",
// "1990-05-17T10:11:12.345678Z" → "1990-01-01T00:00:00.000000Z". A timestamp keeps its
// zone suffix, so the year is the one written in the value (the unwrap writes UTC). It
// returns false when text is not a valid date (DATE) or ISO-8601 timestamp with a zone.
func appendYearString(dst []byte, kind dateKind, text []byte) ([]byte, bool) {
	if kind == dateOnly {
		if len(text) != 10 || !isDateLayout(text) {
			return dst, false
		}
		if _, err := time.Parse(time.DateOnly, string(text)); err != nil {
			return dst, false
		}
		dst = append(dst, '"')
		dst = append(dst, text[:4]...)
		return append(dst, `-01-01"`...), true
	}
	if len(text) < 20 || !isDateLayout(text) || text[10] != 'T' ||
		!digits(text[11:13]) || text[13] != ':' || !digits(text[14:16]) || text[16] != ':' || !digits(text[17:19]) {
		return dst, false
	}
	i := 19
	frac := 0
	if text[i] == '.' {
		i++
		for i < len(text) && text[i] >= '0' && text[i] <= '9' {
			i++
			frac++
		}
		if frac == 0 {
			return dst, false
		}
	}
	// The zone must be Z or ±HH:MM: time.Parse also takes a comma before the fraction,
	// which would otherwise be copied into the output with its digits.
	zone := text[i:]
	if !(len(zone) == 1 && zone[0] == 'Z') &&
		!(len(zone) == 6 && (zone[0] == '+' || zone[0] == '-') && digits(zone[1:3]) && zone[3] == ':' && digits(zone[4:6])) {
		return dst, false
	}
	if _, err := time.Parse(time.RFC3339Nano, string(text)); err != nil {
		return dst, false
	}
	dst = append(dst, '"')
	dst = append(dst, text[:4]...)
	dst = append(dst, "-01-01T00:00:00"...)
	if frac > 0 {
		dst = append(dst, '.')
		for k := 0; k < frac; k++ {
			dst = append(dst, '0')
		}
	}
	dst = append(dst, text[i:]...)
	return append(dst, '"'), true
}

func isDateLayout(t []byte) bool {
	return digits(t[0:4]) && t[4] == '-' && digits(t[5:7]) && t[7] == '-' && digits(t[8:10])
}

func digits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// maxDays keeps day counts where time arithmetic cannot overflow (about ±270,000 years).
const maxDays = 100_000_000

// appendYearNumber handles the numeric forms the delta_lake output also accepts: days since
// 1970-01-01 for DATE, epoch milliseconds for DATETIME/TIMESTAMP (UTC). It returns false for
// a number that is not an integer in range.
func appendYearNumber(dst []byte, kind dateKind, num []byte) ([]byte, bool) {
	n, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil {
		return dst, false
	}
	if kind == dateOnly {
		if n > maxDays || n < -maxDays {
			return dst, false
		}
		y := time.Unix(n*86400, 0).UTC().Year()
		jan1 := time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC)
		return strconv.AppendInt(dst, jan1.Unix()/86400, 10), true
	}
	if n > maxDays*86_400_000 || n < -maxDays*86_400_000 {
		return dst, false
	}
	y := time.UnixMilli(n).UTC().Year()
	jan1 := time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC)
	return strconv.AppendInt(dst, jan1.UnixMilli(), 10), true
}
