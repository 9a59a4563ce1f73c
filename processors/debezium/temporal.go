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

// appendZoned normalises an ISO-8601 timestamp with offset (io.debezium.time.ZonedTimestamp,
// 0..9 fractional digits) to UTC.
func appendZoned(dst []byte, s string) ([]byte, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return dst, false
	}
	t = t.UTC()
	return appendTimestamp(dst, t.Unix(), int64(t.Nanosecond()))
}
