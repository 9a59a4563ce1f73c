package features

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDuration reads a window or watermark setting: one or more <number><unit> groups with
// units ms, s, m, h, d (24h) and w (7d), e.g. "90s", "1h30m", "60d". Go's time.ParseDuration
// has no day unit, and windows of 30d or 400d are the common case here.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if in == "0" {
		return 0, nil
	}
	var total time.Duration
	rest := in
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i > 12 {
			return 0, fmt.Errorf("duration %q: expected a number of units such as 90s, 10m, 24h or 60d", s)
		}
		n, _ := strconv.ParseInt(rest[:i], 10, 64)
		rest = rest[i:]
		j := 0
		for j < len(rest) && (rest[j] < '0' || rest[j] > '9') {
			j++
		}
		var unit time.Duration
		switch rest[:j] {
		case "ms":
			unit = time.Millisecond
		case "s":
			unit = time.Second
		case "m":
			unit = time.Minute
		case "h":
			unit = time.Hour
		case "d":
			unit = 24 * time.Hour
		case "w":
			unit = 7 * 24 * time.Hour
		default:
			return 0, fmt.Errorf("duration %q: unknown unit %q (expected ms, s, m, h, d or w)", s, rest[:j])
		}
		rest = rest[j:]
		if n > int64((1<<62)/unit) {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		total += time.Duration(n) * unit
		if total < 0 || total > 1<<62 {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
	}
	return total, nil
}
