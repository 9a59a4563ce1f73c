package debezium

import (
	"fmt"
	"strings"
)

// MySQL's text forms of temporal values, as go-mysql's binlog decoder (ParseTime off) and
// the text protocol give them, read for the encoder. The calendar is the decoder's
// (daysFromCivil in temporal.go).

// parseDate reads "YYYY-MM-DD" into days since 1970-01-01. zero reports MySQL's zero date
// (or a zero month/day), which has no calendar day.
func parseDate(s string) (days int64, zero bool, err error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false, fmt.Errorf("date %q: expected YYYY-MM-DD", s)
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return 0, false, fmt.Errorf("date %q: expected YYYY-MM-DD", s)
	}
	if m == 0 || d == 0 {
		return 0, true, nil
	}
	if m > 12 || d > 31 {
		return 0, false, fmt.Errorf("date %q: month or day out of range", s)
	}
	return daysFromCivil(y, int(m), int(d)), false, nil
}

// parseDateTime reads "YYYY-MM-DD HH:MM:SS[.f…]" as a UTC wall clock: seconds since the
// epoch and the microseconds within the second.
func parseDateTime(s string) (sec, micro int64, zero bool, err error) {
	if len(s) < 19 || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return 0, 0, false, fmt.Errorf("datetime %q: expected YYYY-MM-DD HH:MM:SS[.ffffff]", s)
	}
	days, zero, err := parseDate(s[:10])
	if err != nil {
		return 0, 0, false, fmt.Errorf("datetime %q: %w", s, err)
	}
	h, ok1 := digits(s[11:13])
	mi, ok2 := digits(s[14:16])
	se, ok3 := digits(s[17:19])
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || se > 59 {
		return 0, 0, false, fmt.Errorf("datetime %q: bad time of day", s)
	}
	micro, err = fraction(s[19:])
	if err != nil {
		return 0, 0, false, fmt.Errorf("datetime %q: %w", s, err)
	}
	if zero {
		return 0, 0, true, nil
	}
	return days*86400 + h*3600 + mi*60 + se, micro, false, nil
}

// fraction reads "" or ".f…" (1 to 6 digits) as microseconds.
func fraction(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	if s[0] != '.' || len(s) < 2 || len(s) > 7 {
		return 0, fmt.Errorf("fractional seconds %q: expected . and 1 to 6 digits", s)
	}
	f, ok := digits(s[1:])
	if !ok {
		return 0, fmt.Errorf("fractional seconds %q: expected digits", s)
	}
	for i := len(s) - 1; i < 6; i++ {
		f *= 10
	}
	return f, nil
}

// zonedTimestamp turns a UTC "YYYY-MM-DD HH:MM:SS[.f…]" into io.debezium.time.ZonedTimestamp:
// ISO-8601 with "Z", the fraction printed with trailing zeros dropped (Java's
// ISO_OFFSET_DATE_TIME).
func zonedTimestamp(s string) (string, bool, error) {
	_, micro, zero, err := parseDateTime(s)
	if err != nil {
		return "", false, err
	}
	if zero {
		return "", true, nil
	}
	out := make([]byte, 0, 30)
	out = append(out, s[:10]...)
	out = append(out, 'T')
	out = append(out, s[11:19]...)
	if micro != 0 {
		f := []byte(fmt.Sprintf(".%06d", micro))
		for f[len(f)-1] == '0' {
			f = f[:len(f)-1]
		}
		out = append(out, f...)
	}
	out = append(out, 'Z')
	return string(out), false, nil
}

// parseTime reads MySQL's "[-]H…H:MM:SS[.f…]" as microseconds (io.debezium.time.MicroTime).
func parseTime(s string) (int64, error) {
	in := s
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	hs, rest, ok := strings.Cut(s, ":")
	if !ok || len(rest) < 5 || rest[2] != ':' {
		return 0, fmt.Errorf("time %q: expected [-]HH:MM:SS[.ffffff]", in)
	}
	h, ok1 := digits(hs)
	m, ok2 := digits(rest[0:2])
	se, ok3 := digits(rest[3:5])
	if !ok1 || !ok2 || !ok3 || len(hs) == 0 || len(hs) > 3 || m > 59 || se > 59 {
		return 0, fmt.Errorf("time %q: expected [-]HH:MM:SS[.ffffff]", in)
	}
	f, err := fraction(rest[5:])
	if err != nil {
		return 0, fmt.Errorf("time %q: %w", in, err)
	}
	us := (h*3600+m*60+se)*1_000_000 + f
	if neg {
		us = -us
	}
	return us, nil
}

func digits(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
