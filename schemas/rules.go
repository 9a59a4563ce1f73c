package schemas

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Rule codes: why a value breaks its column's contract. debezium_unwrap uses them verbatim as
// its error reason codes (metadata debezium_error_reason), so they are stable.
const (
	RuleNotNull   = "contract_not_null" // a NOT NULL column is null or absent
	RuleLength    = "contract_length"   // CHAR(n)/VARCHAR(n): more than n characters
	RuleEnum      = "contract_enum"     // ENUM/SET: not a member
	RulePrecision = "contract_precision"
	RuleRange     = "contract_range" // integers and DATE/DATETIME/TIMESTAMP/TIME/YEAR out of MySQL's (supported) range
)

// check is which value rule a column has besides NOT NULL.
type check uint8

const (
	checkNone check = iota
	checkChars
	checkEnum
	checkSet
	checkInt
	checkDecimal
	checkDate
	checkDateTime
	checkTimestamp
	checkTime
	checkYear
)

// Rule is the compiled contract of one column: what MySQL would accept in it. The Check
// methods are cheap on success (no allocation) and return the rule code and a sentence of
// what was expected on failure; a check that does not apply to the column's type passes.
type Rule struct {
	Column  string
	Type    string // the contract's type text, for messages
	NotNull bool

	check     check
	maxChars  int
	members   []string
	min       int64  // integers: smallest value
	max       uint64 // integers: largest value
	precision int
	scale     int
}

// MySQL's temporal ranges, as seconds since the Unix epoch (UTC for TIMESTAMP, the wall
// clock read as UTC for DATE/DATETIME, whose stored values have no zone).
const (
	// DATE and DATETIME: MySQL's documented supported range, 1000-01-01 .. 9999-12-31
	// (23:59:59.999999). MySQL may store earlier years, but says nothing about how they
	// behave, and a bank's data has none: an earlier value is a producer bug.
	minDateSec = -30610224000 // 1000-01-01 00:00:00
	maxDateSec = 253402300799 // 9999-12-31 23:59:59
	maxDateNs  = 999999000    // DATETIME(6) ends at .999999
	minTSSec   = 1            // TIMESTAMP '1970-01-01 00:00:01' UTC
	maxTSSec   = 2147483647   // TIMESTAMP '2038-01-19 03:14:07.999999' UTC
	maxTimeNs  = (838*3600 + 59*60 + 59) * 1e9
)

// NewRule compiles the rule of a column. Call it once per column (at startup), not per value.
func NewRule(c *Column) *Rule {
	r := &Rule{Column: c.Name, Type: c.Type, NotNull: !c.IsNullable()}
	t := c.SQL
	switch t.Kind {
	case KindChar, KindVarchar:
		r.check, r.maxChars = checkChars, t.Length
	case KindEnum:
		r.check, r.members = checkEnum, t.Values
	case KindSet:
		r.check, r.members = checkSet, t.Values
	case KindTinyInt:
		r.check = checkInt
		r.min, r.max = intBounds(8, t.Unsigned)
	case KindSmallInt:
		r.check = checkInt
		r.min, r.max = intBounds(16, t.Unsigned)
	case KindMediumInt:
		r.check = checkInt
		r.min, r.max = intBounds(24, t.Unsigned)
	case KindInt:
		r.check = checkInt
		r.min, r.max = intBounds(32, t.Unsigned)
	case KindBigInt:
		r.check = checkInt
		r.min, r.max = intBounds(64, t.Unsigned)
	case KindDecimal:
		r.check, r.precision, r.scale = checkDecimal, t.Precision, t.Scale
	case KindDate:
		r.check = checkDate
	case KindDateTime:
		r.check = checkDateTime
	case KindTimestamp:
		r.check = checkTimestamp
	case KindTime:
		r.check = checkTime
	case KindYear:
		r.check = checkYear
	}
	return r
}

func intBounds(bits uint, unsigned bool) (int64, uint64) {
	if unsigned {
		if bits >= 64 {
			return 0, math.MaxUint64
		}
		return 0, 1<<bits - 1
	}
	return -(1 << (bits - 1)), 1<<(bits-1) - 1
}

// HasValueCheck reports whether the rule checks values (beyond NOT NULL), so callers can
// skip the call entirely for unconstrained columns.
func (r *Rule) HasValueCheck() bool { return r != nil && r.check != checkNone }

// CheckText checks a decoded string value: CHAR(n)/VARCHAR(n) hold at most n characters
// (Unicode code points, as MySQL counts them for utf8mb4, not bytes); an ENUM value is one
// member, exactly as declared (Debezium sends the declared spelling; MySQL's ” error value
// is not a member); a SET value is comma-separated members (” is the empty set).
func (r *Rule) CheckText(s []byte) (code, expected string) {
	switch r.check {
	case checkChars:
		// Each character takes at least one byte: short values need no counting.
		if len(s) <= r.maxChars || utf8.RuneCount(s) <= r.maxChars {
			return "", ""
		}
		return RuleLength, "at most " + strconv.Itoa(r.maxChars) + " characters for " + r.Type + " (got " + strconv.Itoa(utf8.RuneCount(s)) + ")"
	case checkEnum:
		for _, m := range r.members {
			if m == string(s) {
				return "", ""
			}
		}
		return RuleEnum, "one of " + r.memberList() + " (" + r.Type + ")"
	case checkSet:
		if len(s) == 0 {
			return "", ""
		}
		rest := s
		for {
			i := indexByte(rest, ',')
			part := rest
			if i >= 0 {
				part = rest[:i]
			}
			if !r.isMember(part) {
				return RuleEnum, "comma-separated members of " + r.memberList() + " (" + r.Type + ")"
			}
			if i < 0 {
				return "", ""
			}
			rest = rest[i+1:]
		}
	}
	return "", ""
}

func indexByte(b []byte, c byte) int {
	for i := range b {
		if b[i] == c {
			return i
		}
	}
	return -1
}

func (r *Rule) isMember(s []byte) bool {
	for _, m := range r.members {
		if m == string(s) {
			return true
		}
	}
	return false
}

func (r *Rule) memberList() string {
	const max = 10
	q := make([]string, 0, max+1)
	for i, m := range r.members {
		if i == max {
			q = append(q, "… ("+strconv.Itoa(len(r.members))+" members)")
			break
		}
		q = append(q, "'"+m+"'")
	}
	return strings.Join(q, ", ")
}

// CheckInt checks an integer given as sign and magnitude (so BIGINT UNSIGNED values above
// 2^63-1 can be checked too) against the column's integer range, and a YEAR against MySQL's
// YEAR range (1901..2155, or 0).
func (r *Rule) CheckInt(neg bool, mag uint64) (code, expected string) {
	switch r.check {
	case checkInt:
		if neg && mag != 0 {
			if r.min < 0 && mag <= uint64(-(r.min+1))+1 {
				return "", ""
			}
		} else if mag <= r.max {
			return "", ""
		}
		return RuleRange, "an integer in [" + strconv.FormatInt(r.min, 10) + ", " + strconv.FormatUint(r.max, 10) + "] for " + r.Type
	case checkYear:
		if !neg && (mag == 0 || mag >= 1901 && mag <= 2155) {
			return "", ""
		}
		return RuleRange, "a year in 1901..2155 (or 0) for " + r.Type
	}
	return "", ""
}

// CheckDecimal checks that a decimal with intDigits significant integer digits and
// fracDigits fractional digits (trailing zeros removed) fits DECIMAL(p,s): at most p-s
// integer digits and s fractional ones. Rounding is never an option for money.
func (r *Rule) CheckDecimal(intDigits, fracDigits int) (code, expected string) {
	if r.check != checkDecimal {
		return "", ""
	}
	if intDigits <= r.precision-r.scale && fracDigits <= r.scale {
		return "", ""
	}
	return RulePrecision, "at most " + strconv.Itoa(r.precision-r.scale) + " integer and " + strconv.Itoa(r.scale) +
		" fractional digits for " + r.Type + " (got " + strconv.Itoa(intDigits) + " and " + strconv.Itoa(fracDigits) + "; rounding would change the value)"
}

// CheckInstant checks a date or timestamp given as seconds since the epoch plus nanoseconds
// (0 <= nanos < 1e9): DATE holds 1000-01-01 .. 9999-12-31 and DATETIME 1000-01-01 00:00:00 ..
// 9999-12-31 23:59:59.999999 (MySQL's supported ranges; the wall clock read as UTC);
// TIMESTAMP holds 1970-01-01 00:00:01 .. 2038-01-19 03:14:07.999999 UTC, plus exactly the
// epoch, which is how Debezium sends MySQL's zero TIMESTAMP of a NOT NULL column.
func (r *Rule) CheckInstant(sec, nanos int64) (code, expected string) {
	switch r.check {
	case checkDate:
		if sec >= minDateSec && sec <= maxDateSec {
			return "", ""
		}
		return RuleRange, "a date in 1000-01-01 .. 9999-12-31 for " + r.Type
	case checkDateTime:
		if sec >= minDateSec && (sec < maxDateSec || sec == maxDateSec && nanos <= maxDateNs) {
			return "", ""
		}
		return RuleRange, "a value in 1000-01-01 00:00:00 .. 9999-12-31 23:59:59.999999 for " + r.Type
	case checkTimestamp:
		if sec >= minTSSec && sec <= maxTSSec || sec == 0 && nanos == 0 {
			return "", ""
		}
		return RuleRange, "a time in 1970-01-01 00:00:01 .. 2038-01-19 03:14:07.999999 UTC for " + r.Type
	}
	return "", ""
}

// CheckTime checks a TIME value given in nanoseconds (negative allowed): MySQL's TIME is an
// interval in -838:59:59 .. 838:59:59.
func (r *Rule) CheckTime(ns int64) (code, expected string) {
	if r.check != checkTime || ns >= -maxTimeNs && ns <= maxTimeNs {
		return "", ""
	}
	return RuleRange, "a time in -838:59:59 .. 838:59:59 for " + r.Type
}

// IsTime reports a TIME column, whose values may be negative or exceed 24 hours.
func (r *Rule) IsTime() bool { return r != nil && r.check == checkTime }
