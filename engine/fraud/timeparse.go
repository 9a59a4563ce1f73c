package fraud

import (
	"sync"
	"sync/atomic"
	"time"
)

// parseTime reads the time forms debezium_unwrap writes ("2024-05-01T00:00:00.123000Z",
// "2024-05-01") and, for hand-written values, "2024-05-01 00:00:00[.fraction]" (UTC) and
// any RFC 3339 time with an offset. The result is in UTC. The common forms are parsed
// without allocating.
func parseTime(b []byte) (time.Time, bool) {
	n := len(b)
	if n < 10 || b[4] != '-' || b[7] != '-' {
		return time.Time{}, false
	}
	y, ok1 := digits(b[0:4])
	mo, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return time.Time{}, false
	}
	if n == 10 {
		return time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC), true
	}
	if n < 19 || (b[10] != 'T' && b[10] != 't' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	h, ok1 := digits(b[11:13])
	mi, ok2 := digits(b[14:16])
	s, ok3 := digits(b[17:19])
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || s > 59 {
		return time.Time{}, false
	}
	i, ns := 19, 0
	if i < n && b[i] == '.' {
		i++
		start := i
		for i < n && b[i] >= '0' && b[i] <= '9' {
			if i-start < 9 {
				ns = ns*10 + int(b[i]-'0')
			}
			i++
		}
		if i == start {
			return time.Time{}, false
		}
		for k := i - start; k < 9; k++ {
			ns *= 10
		}
	}
	t := time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC)
	switch {
	case i == n && b[10] == ' ':
		return t, true // "YYYY-MM-DD HH:MM:SS": a zone-less wall clock, read as UTC
	case i == n-1 && (b[i] == 'Z' || b[i] == 'z'):
		return t, true
	case i == n-6 && (b[i] == '+' || b[i] == '-') && b[i+3] == ':':
		oh, ok1 := digits(b[i+1 : i+3])
		om, ok2 := digits(b[i+4 : i+6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		off := time.Duration(oh)*time.Hour + time.Duration(om)*time.Minute
		if b[i] == '+' {
			return t.Add(-off), true
		}
		return t.Add(off), true
	}
	return time.Time{}, false
}

func digits(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(y, m int) int {
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

// parseClock reads a TIME value as debezium_unwrap writes it ("HH:MM:SS[.ffffff]", hours
// may exceed 23 and carry a sign, as MySQL TIME does) into a duration.
func parseClock(b []byte) (time.Duration, bool) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == 0 || i > 4 || len(b) < i+6 || b[i] != ':' || b[i+3] != ':' {
		return 0, false
	}
	h, _ := digits(b[:i])
	m, ok1 := digits(b[i+1 : i+3])
	s, ok2 := digits(b[i+4 : i+6])
	if !ok1 || !ok2 || m > 59 || s > 59 {
		return 0, false
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second
	j := i + 6
	if j < len(b) {
		if b[j] != '.' || j+1 == len(b) {
			return 0, false
		}
		ns, k := 0, 0
		for _, c := range b[j+1:] {
			if c < '0' || c > '9' {
				return 0, false
			}
			if k < 9 {
				ns = ns*10 + int(c-'0')
			}
			k++
		}
		for ; k < 9; k++ {
			ns *= 10
		}
		d += time.Duration(ns)
	}
	if neg {
		d = -d
	}
	return d, true
}

// zones caches time.LoadLocation, which reads the zone database each call. The names
// come from data, so the cache is bounded: past zoneLimit names, lookups are not cached.
var (
	zones     sync.Map // string -> *time.Location (nil: not a zone; UTC is used)
	zoneCount atomic.Int64
)

const zoneLimit = 1024

func zone(name string) *time.Location {
	if v, ok := zones.Load(name); ok {
		return v.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = nil
	}
	if zoneCount.Add(1) <= zoneLimit {
		zones.Store(name, loc)
	}
	return loc
}
