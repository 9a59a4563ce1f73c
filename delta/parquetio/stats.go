package parquetio

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// stringPrefixLength is Spark's delta.dataSkippingStringPrefixLength default.
const stringPrefixLength = 32

// FileStats is the per-file statistics of an add action.
//
// MinValues, MaxValues and NullCount are keyed by column path: the field name for top-level
// columns and names joined with "." for fields nested in structs. Values are delta/schema Go
// values already reduced the way Spark stores them (timestamps truncated to milliseconds,
// strings to a 32-character prefix). A column has min/max only when Spark collects them for
// its type (numbers, decimals, dates, timestamps, strings) and it holds a non-null value.
// Arrays and maps get one nullCount for the whole column; boolean and binary only nullCount.
type FileStats struct {
	NumRecords int64
	MinValues  map[string]any
	MaxValues  map[string]any
	NullCount  map[string]int64

	// order lists the stats units in schema order so JSON matches Spark's key order.
	order []statUnit
}

type statUnit struct {
	parts []string
	key   string
	typ   schema.Type
}

// colStats accumulates one stats unit. Its methods accept a nil receiver (column not
// indexed) so encoders need no branch.
type colStats struct {
	path  string
	typ   schema.Type
	nulls int64
	n     int64 // non-null values seen
	noMM  bool  // NaN seen: Spark's ordering puts NaN above every number; omit rather than guess
	// negZero/posZero: -0.0/+0.0 seen. A zero bound takes the sign that keeps it a bound
	// also for readers ordering -0.0 below +0.0.
	negZero, posZero bool
	i0               int64
	i1               int64
	f0               float64
	f1               float64
	// s0 and s1 are the min and max cut to stringPrefixLength characters; s1long says the
	// max was longer. Only prefixes are kept, so a 64 MB string costs 32 characters here.
	s0     string
	s1     string
	s1long bool
	b0     *big.Int
	b1     *big.Int
}

func (c *colStats) count() {
	if c != nil {
		c.n++
	}
}

func (c *colStats) int(x int64) {
	if c == nil {
		return
	}
	if c.n == 0 || x < c.i0 {
		c.i0 = x
	}
	if c.n == 0 || x > c.i1 {
		c.i1 = x
	}
	c.n++
}

func (c *colStats) float(x float64) {
	if c == nil {
		return
	}
	if math.IsNaN(x) {
		c.noMM = true
	}
	if x == 0 {
		if math.Signbit(x) {
			c.negZero = true
		} else {
			c.posZero = true
		}
	}
	if c.n == 0 || x < c.f0 {
		c.f0 = x
	}
	if c.n == 0 || x > c.f1 {
		c.f1 = x
	}
	c.n++
}

func (c *colStats) str(s string) {
	if c == nil {
		return
	}
	p := truncateRunes(s, stringPrefixLength)
	c.foldStr(p, len(p) < len(s), c.n == 0)
	c.n++
}

// foldStr folds in a value's prefix p (long: the value was longer). Prefixes order like
// their values, except that a longer value with the same prefix is greater, which only
// matters for the max.
func (c *colStats) foldStr(p string, long, first bool) {
	if first || p < c.s0 {
		c.s0 = p
	}
	if first || p > c.s1 || p == c.s1 && long && !c.s1long {
		c.s1, c.s1long = p, long
	}
}

func (c *colStats) big(x *big.Int) {
	if c == nil {
		return
	}
	if c.n == 0 || x.Cmp(c.b0) < 0 {
		c.b0 = x
	}
	if c.n == 0 || x.Cmp(c.b1) > 0 {
		c.b1 = x
	}
	c.n++
}

// merge folds a batch's stats into c.
func (c *colStats) merge(o *colStats) {
	c.nulls += o.nulls
	c.noMM = c.noMM || o.noMM
	c.negZero = c.negZero || o.negZero
	c.posZero = c.posZero || o.posZero
	if o.n == 0 {
		return
	}
	first := c.n == 0
	if first || o.i0 < c.i0 {
		c.i0 = o.i0
	}
	if first || o.i1 > c.i1 {
		c.i1 = o.i1
	}
	if first || o.f0 < c.f0 {
		c.f0 = o.f0
	}
	if first || o.f1 > c.f1 {
		c.f1 = o.f1
	}
	if c.typ == schema.String {
		// Batch strings belong to the caller's rows.
		c.foldStr(strings.Clone(o.s0), false, first)
		c.foldStr(strings.Clone(o.s1), o.s1long, false)
	}
	if o.b0 != nil && (c.b0 == nil || o.b0.Cmp(c.b0) < 0) {
		c.b0 = new(big.Int).Set(o.b0)
	}
	if o.b1 != nil && (c.b1 == nil || o.b1.Cmp(c.b1) > 0) {
		c.b1 = new(big.Int).Set(o.b1)
	}
	c.n += o.n
}

// minMax returns the Spark-rendered-equivalent min and max, or ok=false when Spark would
// not write them (or this package cannot render them exactly).
func (c *colStats) minMax() (lo, hi any, ok bool) {
	if c.n == 0 || c.noMM {
		return nil, nil, false
	}
	switch t := c.typ.(type) {
	case schema.DecimalType:
		if t.Precision > 18 {
			return schema.Decimal{Unscaled: new(big.Int).Set(c.b0), Scale: t.Scale},
				schema.Decimal{Unscaled: new(big.Int).Set(c.b1), Scale: t.Scale}, true
		}
		return schema.Decimal{Unscaled: big.NewInt(c.i0), Scale: t.Scale},
			schema.Decimal{Unscaled: big.NewInt(c.i1), Scale: t.Scale}, true
	case schema.PrimitiveType:
		switch t {
		case schema.Byte:
			return int8(c.i0), int8(c.i1), true
		case schema.Short:
			return int16(c.i0), int16(c.i1), true
		case schema.Integer:
			return int32(c.i0), int32(c.i1), true
		case schema.Long:
			return c.i0, c.i1, true
		case schema.Float:
			if math.IsInf(c.f0, 0) || math.IsInf(c.f1, 0) {
				return nil, nil, false
			}
			lo, hi := c.zeroBounds()
			return float32(lo), float32(hi), true
		case schema.Double:
			if math.IsInf(c.f0, 0) || math.IsInf(c.f1, 0) {
				return nil, nil, false
			}
			lo, hi := c.zeroBounds()
			return lo, hi, true
		case schema.DateType:
			lo, hi := schema.Date(c.i0), schema.Date(c.i1)
			if !renderableYear(lo.Time()) || !renderableYear(hi.Time()) {
				return nil, nil, false
			}
			return lo, hi, true
		case schema.Timestamp, schema.TimestampNTZ:
			// Spark truncates both bounds down to milliseconds; readers widen max by 1 ms.
			lo := time.UnixMilli(floorDiv(c.i0, 1000)).UTC()
			hi := time.UnixMilli(floorDiv(c.i1, 1000)).UTC()
			if !renderableYear(lo) || !renderableYear(hi) {
				return nil, nil, false
			}
			return lo, hi, true
		case schema.String:
			if c.s1long {
				// Spark appends a tie-breaker to a truncated max; rather than imitate it, a
				// long max is left out (a missing bound is always safe). The min prefix
				// is still a valid lower bound.
				return c.s0, nil, true
			}
			return c.s0, c.s1, true
		}
	}
	return nil, nil, false
}

// zeroBounds returns f0 and f1 with a zero min negative when a -0.0 was seen and a zero
// max positive when a +0.0 was seen (comparisons treat the two zeros as equal, so either
// may have been kept).
func (c *colStats) zeroBounds() (lo, hi float64) {
	negative, positive := math.Copysign(0, -1), 0.0
	lo, hi = c.f0, c.f1
	if lo == 0 {
		lo = positive
		if c.negZero {
			lo = negative
		}
	}
	if hi == 0 {
		hi = negative
		if c.posZero {
			hi = positive
		}
	}
	return lo, hi
}

func renderableYear(t time.Time) bool { return t.Year() >= 1 && t.Year() <= 9999 }

func truncateRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

func (w *Writer) fileStats() FileStats {
	fs := FileStats{
		NumRecords: w.rows,
		MinValues:  map[string]any{},
		MaxValues:  map[string]any{},
		NullCount:  map[string]int64{},
	}
	for _, c := range w.stats {
		fs.order = append(fs.order, statUnit{parts: strings.Split(c.path, "."), key: c.path, typ: c.typ})
		fs.NullCount[c.path] = c.nulls
		lo, hi, ok := c.minMax()
		if !ok {
			continue
		}
		if lo != nil {
			fs.MinValues[c.path] = lo
		}
		if hi != nil {
			fs.MaxValues[c.path] = hi
		}
	}
	return fs
}

// JSON renders the stats as the add.stats string Spark writes:
// {"numRecords":N,"minValues":{...},"maxValues":{...},"nullCount":{...}}, keys in schema
// order, nested structs nested, empty sections left out.
func (s FileStats) JSON() string {
	var b strings.Builder
	b.WriteString(`{"numRecords":`)
	b.WriteString(strconv.FormatInt(s.NumRecords, 10))
	order := s.order
	if order == nil {
		order = sortedUnits(s)
	}
	for _, sec := range []struct {
		name string
		get  func(u statUnit) (string, bool)
	}{
		{"minValues", func(u statUnit) (string, bool) { return renderStat(s.MinValues, u) }},
		{"maxValues", func(u statUnit) (string, bool) { return renderStat(s.MaxValues, u) }},
		{"nullCount", func(u statUnit) (string, bool) {
			k := u.key
			n, ok := s.NullCount[k]
			return strconv.FormatInt(n, 10), ok
		}},
	} {
		body := renderNested(order, sec.get)
		if body == "" {
			continue
		}
		b.WriteString(`,"` + sec.name + `":`)
		b.WriteString(body)
	}
	b.WriteString("}")
	return b.String()
}

func sortedUnits(s FileStats) []statUnit {
	seen := map[string]bool{}
	var keys []string
	for _, m := range []map[string]any{s.MinValues, s.MaxValues} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	for k := range s.NullCount {
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	sortStrings(keys)
	out := make([]statUnit, len(keys))
	for i, k := range keys {
		out[i] = statUnit{parts: strings.Split(k, "."), key: k}
	}
	return out
}

func sortStrings(a []string) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// renderNested writes {"a":..,"s":{"x":..}} for the units that have a value, grouping
// consecutive units sharing a struct prefix; "" when none has a value.
func renderNested(units []statUnit, get func(statUnit) (string, bool)) string {
	type entry struct {
		parts []string
		val   string
	}
	var es []entry
	for _, u := range units {
		if v, ok := get(u); ok {
			es = append(es, entry{u.parts, v})
		}
	}
	if len(es) == 0 {
		return ""
	}
	var b strings.Builder
	var open []string
	for i, e := range es {
		common := 0
		for common < len(open) && common < len(e.parts)-1 && open[common] == e.parts[common] {
			common++
		}
		for len(open) > common {
			b.WriteString("}")
			open = open[:len(open)-1]
		}
		if i > 0 {
			b.WriteString(",")
		}
		for _, p := range e.parts[common : len(e.parts)-1] {
			b.WriteString(jsonString(p))
			b.WriteString(":{")
			open = append(open, p)
		}
		b.WriteString(jsonString(e.parts[len(e.parts)-1]))
		b.WriteString(":")
		b.WriteString(e.val)
	}
	for range open {
		b.WriteString("}")
	}
	return "{" + b.String() + "}"
}

func renderStat(m map[string]any, u statUnit) (string, bool) {
	v, ok := m[u.key]
	if !ok || v == nil {
		return "", false
	}
	switch x := v.(type) {
	case int8:
		return strconv.FormatInt(int64(x), 10), true
	case int16:
		return strconv.FormatInt(int64(x), 10), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float32:
		return schema.JavaFloatString(float64(x), 32), true
	case float64:
		return schema.JavaFloatString(x, 64), true
	case schema.Decimal:
		if x.Unscaled == nil {
			return "", false
		}
		return javaDecimal(x), true
	case schema.Date:
		return `"` + x.String() + `"`, true
	case time.Time:
		if u.typ == schema.TimestampNTZ {
			return `"` + x.UTC().Format("2006-01-02T15:04:05.000") + `"`, true
		}
		return `"` + x.UTC().Format("2006-01-02T15:04:05.000Z") + `"`, true
	case string:
		return jsonString(x), true
	}
	return "", false
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&15])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// javaDecimal renders like java.math.BigDecimal.toString, which is what Spark's JSON
// generator writes for decimal stats ("123.45", "0.00", "0E-10", "-3.1661E-8"). It works on
// the exact digits, never through a float.
func javaDecimal(d schema.Decimal) string {
	coeff := new(big.Int).Abs(d.Unscaled).String()
	sign := ""
	if d.Unscaled.Sign() < 0 {
		sign = "-"
	}
	adjusted := -d.Scale + len(coeff) - 1
	if d.Scale >= 0 && adjusted >= -6 {
		return sign + schema.Decimal{Unscaled: new(big.Int).Abs(d.Unscaled), Scale: d.Scale}.String()
	}
	out := sign + coeff[:1]
	if len(coeff) > 1 {
		out += "." + coeff[1:]
	}
	out += "E"
	if adjusted > 0 {
		out += "+"
	}
	return out + strconv.Itoa(adjusted)
}
