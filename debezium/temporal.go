package debezium

import (
	"time"
)

// Rendering rules (the Delta output parses exactly these):
//   date        YYYY-MM-DD
//   timestamp   YYYY-MM-DDTHH:MM:SS.ffffffZ — six fractional digits, nine when the value has
//               non-zero nanoseconds (NanoTimestamp). Zone-less DATETIME values
//               (io.debezium.time.Timestamp / MicroTimestamp / NanoTimestamp) are the source's
//               wall clock encoded as if UTC; they are rendered with Z unchanged, never shifted.
//   time        HH:MM:SS.ffffff (nine digits when nanoseconds are non-zero)
// Years outside 0000..9999 cannot be written as ISO-8601 basic years and are refused.

const (
	nsPerSec  = int64(time.Second)
	secPerDay = 86400
)

// civil converts days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
// days_from_civil inverse), without time.Time overhead.
func civil(days int64) (y int64, m, d int) {
	z := days + 719468
	era := z
	if z < 0 {
		era = z - 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		y++
	}
	return
}

func append2(dst []byte, v int) []byte { return append(dst, byte('0'+v/10), byte('0'+v%10)) }

// appendDate writes days since the epoch as YYYY-MM-DD; ok is false outside years 0..9999.
func appendDate(dst []byte, days int64) ([]byte, bool) {
	if days < -719528 || days > 2932896 { // 0000-01-01 .. 9999-12-31
		return dst, false
	}
	y, m, d := civil(days)
	dst = append(dst, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	dst = append2(dst, m)
	dst = append(dst, '-')
	return append2(dst, d), true
}

// appendClock writes HH:MM:SS.ffffff[fff] for nanoseconds since midnight (0 <= ns < 1 day).
func appendClock(dst []byte, ns int64) []byte {
	sec := ns / nsPerSec
	frac := ns % nsPerSec
	dst = append2(dst, int(sec/3600))
	dst = append(dst, ':')
	dst = append2(dst, int(sec/60%60))
	dst = append(dst, ':')
	dst = append2(dst, int(sec%60))
	dst = append(dst, '.')
	digits := 6
	div := int64(1000)
	if frac%1000 != 0 {
		digits, div = 9, 1
	}
	v := frac / div
	var buf [9]byte
	for k := digits - 1; k >= 0; k-- {
		buf[k] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, buf[:digits]...)
}

// appendTimestamp writes an instant given as seconds and nanoseconds since the epoch.
func appendTimestamp(dst []byte, sec, nanos int64) ([]byte, bool) {
	days := floorDiv(sec, secPerDay)
	rem := sec - days*secPerDay
	var ok bool
	if dst, ok = appendDate(dst, days); !ok {
		return dst, false
	}
	dst = append(dst, 'T')
	dst = appendClock(dst, rem*nsPerSec+nanos)
	return append(dst, 'Z'), true
}

// appendEpoch writes v units since the epoch (unit = nanoseconds per unit: 1e6 for ms).
func appendEpoch(dst []byte, v int64, unit int64) ([]byte, bool) {
	perSec := nsPerSec / unit
	sec := floorDiv(v, perSec)
	return appendTimestamp(dst, sec, (v-sec*perSec)*unit)
}

// appendMillisTS writes epoch milliseconds with exactly three fractional digits, the form of
// _source_ts ("2024-11-11T12:20:59.000Z").
func appendMillisTS(dst []byte, ms int64) ([]byte, bool) {
	sec := floorDiv(ms, 1000)
	days := floorDiv(sec, secPerDay)
	rem := sec - days*secPerDay
	var ok bool
	if dst, ok = appendDate(dst, days); !ok {
		return dst, false
	}
	dst = append(dst, 'T')
	dst = append2(dst, int(rem/3600))
	dst = append(dst, ':')
	dst = append2(dst, int(rem/60%60))
	dst = append(dst, ':')
	dst = append2(dst, int(rem%60))
	f := ms - sec*1000
	dst = append(dst, '.', byte('0'+f/100), byte('0'+f/10%10), byte('0'+f%10), 'Z')
	return dst, true
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// appendInterval writes a MySQL TIME value (nanoseconds, may be negative or beyond a day)
// as [-]HH:MM:SS.ffffff, with three hour digits when needed ("-838:59:59.000000").
// |ns| must be below 1000 hours.
func appendInterval(dst []byte, ns int64) []byte {
	if ns >= 0 && ns < secPerDay*nsPerSec {
		return appendClock(dst, ns)
	}
	if ns < 0 {
		dst = append(dst, '-')
		ns = -ns
	}
	const hour = 3600 * nsPerSec
	h := ns / hour
	if h >= 100 {
		dst = append(dst, byte('0'+h/100))
	}
	dst = append2(dst, int(h%100))
	// appendClock writes "00:MM:SS.ffffff" for less than an hour: keep what follows "00".
	n := len(dst)
	dst = appendClock(dst, ns%hour)
	return append(dst[:n], dst[n+2:]...)
}

// parseISO reads YYYY-MM-DDTHH:MM:SS[.f{1,9}][Z|z|±HH:MM|±HHMM] and returns seconds since
// the epoch and nanoseconds. Without a zone (zoned false) sec is the wall clock read as UTC.
// ok is false for anything else, including impossible dates such as 2026-02-30.
func parseISO(s []byte) (sec, nanos int64, zoned, ok bool) {
	num := func(b []byte) (int64, bool) {
		var v int64
		for _, c := range b {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int64(c-'0')
		}
		return v, true
	}
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' {
		return 0, 0, false, false
	}
	y, ok1 := num(s[0:4])
	mo, ok2 := num(s[5:7])
	d, ok3 := num(s[8:10])
	h, ok4 := num(s[11:13])
	mi, ok5 := num(s[14:16])
	se, ok6 := num(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > int64(daysIn(y, mo)) || h > 23 || mi > 59 || se > 59 {
		return 0, 0, false, false
	}
	rest := s[19:]
	if len(rest) > 0 && rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 || n > 10 {
			return 0, 0, false, false
		}
		f, _ := num(rest[1:n])
		for k := n - 1; k < 9; k++ {
			f *= 10
		}
		nanos = f
		rest = rest[n:]
	}
	sec = daysFromCivil(y, int(mo), int(d))*secPerDay + h*3600 + mi*60 + se
	switch {
	case len(rest) == 0:
		return sec, nanos, false, true
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
		return sec, nanos, true, true
	case rest[0] == '+' || rest[0] == '-':
		var oh, om int64
		var okh, okm bool
		switch {
		case len(rest) == 6 && rest[3] == ':':
			oh, okh = num(rest[1:3])
			om, okm = num(rest[4:6])
		case len(rest) == 5:
			oh, okh = num(rest[1:3])
			om, okm = num(rest[3:5])
		default:
			return 0, 0, false, false
		}
		if !okh || !okm || oh > 18 || om > 59 {
			return 0, 0, false, false
		}
		off := oh*3600 + om*60
		if rest[0] == '-' {
			off = -off
		}
		return sec - off, nanos, true, true
	}
	return 0, 0, false, false
}

func daysIn(y, m int64) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the inverse of civil (H. Hinnant's days_from_civil).
func daysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if y < 0 {
		era = y - 399
	}
	era /= 400
	yoe := y - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// localToUTC converts a wall clock (seconds, read as UTC) in zone loc to an instant. ok is
// false when the wall clock does not exist (a daylight-saving gap) or exists twice (an
// overlap): then only the sender knows which instant it meant.
func localToUTC(wall int64, loc *time.Location) (int64, bool) {
	var offs [3]int
	var found int64
	n := 0
	for k, probe := range [3]int64{wall - secPerDay, wall, wall + secPerDay} {
		_, off := time.Unix(probe, 0).In(loc).Zone()
		offs[k] = off
		if k > 0 && offs[k-1] == off || k == 2 && offs[0] == off {
			continue
		}
		inst := wall - int64(off)
		if _, o := time.Unix(inst, 0).In(loc).Zone(); o == off {
			found = inst
			n++
		}
	}
	return found, n == 1
}
