package debezium

import "github.com/ledgerflow/ledgerflow/schemas"

// parseInt reads an integer token (no fraction, no exponent). ok is false on overflow or a
// non-integer number.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}

// readInt reads an integer value, also accepting a quoted integer when lenient (Debezium
// doc examples quote int64 envelope fields).
func (s *scanner) readInt(lenient bool) (int64, []byte, bool) {
	switch c := s.Peek(); {
	case c == '-' || c >= '0' && c <= '9':
		a, e, err := s.num()
		if err != nil {
			return 0, nil, false
		}
		v, ok := parseInt(s.B[a:e])
		return v, s.B[a:e], ok
	case c == '"' && lenient:
		a, e, esc, err := s.str()
		if err != nil || esc {
			return 0, nil, false
		}
		v, ok := parseInt(s.B[a:e])
		return v, s.B[a:e], ok
	}
	return 0, nil, false
}

// valueSpan skips the next value and returns its text for error messages.
func (s *scanner) valueText() []byte {
	a, e, err := s.skip()
	if err != nil {
		end := s.I
		if end > len(s.B) {
			end = len(s.B)
		}
		return s.B[a:end]
	}
	return s.B[a:e]
}

// parseWideInt reads an integer token as sign and magnitude, up to 2^64-1 (BIGINT
// UNSIGNED). ok is false for a fraction, an exponent or a larger magnitude.
func parseWideInt(b []byte) (neg bool, mag uint64, ok bool) {
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	if len(b) == 0 || len(b) > 20 {
		return false, 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false, 0, false
		}
		d := uint64(c - '0')
		if mag > (1<<64-1-d)/10 {
			return false, 0, false
		}
		mag = mag*10 + d
	}
	return neg, mag, true
}

// inBounds reports whether sign+magnitude lies in [min, max].
func inBounds(neg bool, mag uint64, min int64, max uint64) bool {
	if neg && mag != 0 {
		return min < 0 && mag <= uint64(-(min+1))+1
	}
	return mag <= max
}

// contract turns a rule violation into the error the event fails with.
func (st *state) contract(code, expected string, field, v []byte) error {
	return errAt(Reason(code), st.fieldName(field), v, expected)
}

// appendValue reads the next JSON value as column type c and appends its rendering. The
// column's contract rule (if any) is checked on the decoded value first, so the verdict is
// about what the source sent. st.tmp is scratch space. An error about a column the
// contract tags pii describes the value instead of quoting it.
func (st *state) appendValue(dst []byte, s *scanner, c *colType, field []byte) ([]byte, error) {
	if c.pii == "" {
		return st.typeValue(dst, s, c, field)
	}
	s.WS()
	start := s.I
	out, err := st.typeValue(dst, s, c, field)
	if err != nil {
		err = withhold(err, s.B, start, c.pii)
	}
	return out, err
}

func (st *state) typeValue(dst []byte, s *scanner, c *colType, field []byte) ([]byte, error) {
	ch := s.Peek()
	if ch == 'n' {
		if err := s.lit("null"); err != nil {
			return dst, withField(err, st.fieldName(field))
		}
		if c.required {
			return dst, errAt(ReasonSchemaPayloadMismatch, st.fieldName(field), []byte("null"), "a value: the Connect schema says the field is not optional")
		}
		return append(dst, "null"...), nil
	}
	mismatch := func(start int) error {
		s.I = start
		return errAt(c.mismatch(), st.fieldName(field), s.valueText(), c.expect)
	}
	invalid := func(v []byte, expected string) error {
		return errAt(ReasonInvalidValue, st.fieldName(field), v, expected)
	}
	start := s.I
	switch c.kind {
	case kRaw:
		if c.rawOpen != 0 && ch != c.rawOpen && !(c.rawOpen == 'm' && (ch == '{' || ch == '[')) {
			return dst, mismatch(start)
		}
		a, e, err := s.skip()
		if err != nil {
			return dst, withField(err, st.fieldName(field))
		}
		return append(dst, s.B[a:e]...), nil
	case kBool:
		if ch != 't' && ch != 'f' {
			return dst, mismatch(start)
		}
		a, e, err := s.skip()
		if err != nil {
			return dst, withField(err, st.fieldName(field))
		}
		return append(dst, s.B[a:e]...), nil
	case kBoolInt:
		if ch == 't' || ch == 'f' {
			a, e, err := s.skip()
			if err != nil {
				return dst, withField(err, st.fieldName(field))
			}
			return append(dst, s.B[a:e]...), nil
		}
		if ch != '-' && (ch < '0' || ch > '9') {
			return dst, mismatch(start)
		}
		v, txt, ok := s.readInt(false)
		if !ok || (v != 0 && v != 1) {
			return dst, invalid(txt, "0 or 1 for a boolean column (TINYINT(1); set tinyint1_as_boolean: false to keep integers)")
		}
		if v == 1 {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case kInt:
		if ch != '-' && (ch < '0' || ch > '9') {
			return dst, mismatch(start)
		}
		a, e, err := s.num()
		if err != nil {
			return dst, withField(err, st.fieldName(field))
		}
		txt := s.B[a:e]
		neg, mag, ok := parseWideInt(txt)
		if !ok && !c.fromSchema && c.rule.HasValueCheck() && isIntegerText(txt) {
			// An integer too long for 64 bits is out of every MySQL integer range.
			return dst, st.contract(schemas.RuleRange, "an integer within the range of "+c.rule.Type, field, txt)
		}
		if !ok {
			if c.fromSchema {
				return dst, errAt(ReasonSchemaPayloadMismatch, st.fieldName(field), txt, c.expect)
			}
			return dst, invalid(txt, c.expect)
		}
		if c.rule.HasValueCheck() {
			if code, exp := c.rule.CheckInt(neg, mag); code != "" {
				return dst, st.contract(code, exp, field, txt)
			}
		}
		if !inBounds(neg, mag, c.min, c.max) {
			reason := ReasonInvalidValue
			if c.fromSchema {
				reason = ReasonSchemaPayloadMismatch
			}
			return dst, errAt(reason, st.fieldName(field), txt, c.expect+" in ["+itoa64(c.min)+", "+utoa(c.max)+"]")
		}
		return append(dst, txt...), nil
	case kFloat:
		if ch != '-' && (ch < '0' || ch > '9') {
			return dst, mismatch(start)
		}
		a, e, err := s.num()
		if err != nil {
			return dst, withField(err, st.fieldName(field))
		}
		return append(dst, s.B[a:e]...), nil
	case kString, kBytes:
		if ch != '"' {
			return dst, mismatch(start)
		}
		a, e, esc, err := s.str()
		if err != nil {
			return dst, withField(err, st.fieldName(field))
		}
		if c.rule.HasValueCheck() {
			text := s.B[a:e]
			if esc {
				text = unquote(st.tmp[:0], text)
				st.tmp = text[:0]
			}
			if code, exp := c.rule.CheckText(text); code != "" {
				return dst, st.contract(code, exp, field, s.B[a:e])
			}
		}
		return append(dst, s.B[a-1:e+1]...), nil
	case kDecimal:
		return st.appendDecimal(dst, s, c, field, ch, start)
	case kVarDecimal:
		return st.appendVarDecimal(dst, s, c, field, ch, start)
	case kDate:
		if ch != '-' && (ch < '0' || ch > '9') {
			return dst, mismatch(start)
		}
		v, txt, ok := s.readInt(false)
		if !ok {
			if c.fromSchema {
				return dst, errAt(ReasonSchemaPayloadMismatch, st.fieldName(field), txt, c.expect)
			}
			return dst, invalid(txt, c.expect)
		}
		if c.rule.HasValueCheck() && v > -1<<40 && v < 1<<40 {
			if code, exp := c.rule.CheckInstant(v*secPerDay, 0); code != "" {
				return dst, st.contract(code, exp, field, txt)
			}
		}
		dst = append(dst, '"')
		dst, ok = appendDate(dst, v)
		if !ok {
			if c.rule.HasValueCheck() {
				return dst, st.contract(schemas.RuleRange, "a date in 1000-01-01 .. 9999-12-31 for "+c.rule.Type, field, txt)
			}
			return dst, invalid(txt, "a date in years 0000..9999")
		}
		return append(dst, '"'), nil
	case kTimeOfDay:
		if ch != '-' && (ch < '0' || ch > '9') {
			return dst, mismatch(start)
		}
		v, txt, ok := s.readInt(false)
		if c.rule.IsTime() {
			// MySQL's TIME is an interval (-838:59:59 .. 838:59:59), not a time of day.
			lim := int64(1000*3600) * (nsPerSec / c.unit)
			if !ok || v <= -lim || v >= lim {
				if !ok && txt == nil {
					s.I = start
					txt = s.valueText()
				}
				return dst, st.contract(schemas.RuleRange, "a time in -838:59:59 .. 838:59:59 for "+c.rule.Type, field, txt)
			}
			if code, exp := c.rule.CheckTime(v * c.unit); code != "" {
				return dst, st.contract(code, exp, field, txt)
			}
			dst = append(dst, '"')
			dst = appendInterval(dst, v*c.unit)
			return append(dst, '"'), nil
		}
		if !ok || v < 0 || v >= 86400*(nsPerSec/c.unit) {
			return dst, invalid(txt, c.expect+" within 00:00:00..23:59:59.999999999")
		}
		dst = append(dst, '"')
		dst = appendClock(dst, v*c.unit)
		return append(dst, '"'), nil
	case kTimestamp:
		if ch == '"' && c.iso {
			return st.appendISO(dst, s, c, field)
		}
		if ch != '-' && (ch < '0' || ch > '9') {
			return dst, mismatch(start)
		}
		v, txt, ok := s.readInt(false)
		if !ok {
			if c.fromSchema {
				return dst, errAt(ReasonSchemaPayloadMismatch, st.fieldName(field), txt, c.expect)
			}
			return dst, invalid(txt, c.expect)
		}
		perSec := nsPerSec / c.unit
		sec := floorDiv(v, perSec)
		nanos := (v - sec*perSec) * c.unit
		if c.rule.HasValueCheck() {
			if code, exp := c.rule.CheckInstant(sec, nanos); code != "" {
				return dst, st.contract(code, exp, field, txt)
			}
		}
		dst = append(dst, '"')
		dst, ok = appendTimestamp(dst, sec, nanos)
		if !ok {
			return dst, invalid(txt, "a timestamp in years 0000..9999")
		}
		return append(dst, '"'), nil
	case kZoned:
		if ch != '"' {
			return dst, mismatch(start)
		}
		return st.appendISO(dst, s, c, field)
	}
	return dst, mismatch(start)
}

func isIntegerText(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// appendISO reads an ISO-8601 timestamp string (ZonedTimestamp, or a DATETIME/TIMESTAMP
// column of a contract sent as text) and renders it in UTC. A string without a zone is
// read in the configured assume_time_zone, and refused without one: which instant it
// means is not in the data.
func (st *state) appendISO(dst []byte, s *scanner, c *colType, field []byte) ([]byte, error) {
	a, e, esc, err := s.str()
	if err != nil {
		return dst, withField(err, st.fieldName(field))
	}
	raw := s.B[a:e]
	if esc {
		raw = unquote(st.tmp[:0], raw)
		st.tmp = raw[:0]
	}
	sec, nanos, zoned, ok := parseISO(raw)
	if !ok {
		return dst, errAt(ReasonInvalidValue, st.fieldName(field), s.B[a:e], c.expect+" (YYYY-MM-DDTHH:MM:SS[.fffffffff] then Z or ±HH:MM, years 0000..9999)")
	}
	if !zoned {
		if !c.iso || c.zone == nil {
			if c.iso {
				return dst, errAt(ReasonInvalidValue, st.fieldName(field), s.B[a:e],
					"an ISO-8601 time with a zone (Z or ±HH:MM); set assume_time_zone (e.g. Europe/Berlin) to read zone-less times in a zone")
			}
			return dst, errAt(ReasonInvalidValue, st.fieldName(field), s.B[a:e], c.expect+" (with Z or ±HH:MM)")
		}
		if sec, ok = localToUTC(sec, c.zone); !ok {
			return dst, errAt(ReasonInvalidValue, st.fieldName(field), s.B[a:e],
				"a local time that exists exactly once in "+c.zone.String()+" (this one falls in a daylight-saving gap or overlap); send it with its offset")
		}
	}
	if c.rule.HasValueCheck() {
		if code, exp := c.rule.CheckInstant(sec, nanos); code != "" {
			return dst, st.contract(code, exp, field, s.B[a:e])
		}
	}
	dst = append(dst, '"')
	dst, ok = appendTimestamp(dst, sec, nanos)
	if !ok {
		return dst, errAt(ReasonInvalidValue, st.fieldName(field), s.B[a:e], c.expect+" in years 0000..9999")
	}
	return append(dst, '"'), nil
}

func utoa(n uint64) string {
	var buf [20]byte
	return string(appendUint(buf[:0], n))
}

func itoa64(n int64) string {
	var buf [20]byte
	return string(appendInt(buf[:0], n))
}

func (st *state) appendDecimal(dst []byte, s *scanner, c *colType, field []byte, ch byte, start int) ([]byte, error) {
	var (
		neg     bool
		digits  []byte
		scale   int
		problem string
		txt     []byte
	)
	if c.fromSchema && !c.hasScale {
		// A Connect Decimal schema without a (valid) scale: whatever the value, it was
		// written with a scale nobody can know.
		s.I = start
		return dst, errAt(ReasonDecimalNoScale, st.fieldName(field), s.valueText(),
			"a Connect Decimal schema with a \"scale\" parameter (the scale the producer encoded the value with; a contract's scale cannot stand in for it)")
	}
	switch {
	case ch == '"' && !c.numOnly:
		a, e, esc, err := s.str()
		if err != nil {
			return dst, withField(err, st.fieldName(field))
		}
		txt = s.B[a:e]
		raw := txt
		if esc {
			raw = unquote(nil, txt)
		}
		if c.text {
			neg, digits, scale, problem = parseDecimalText(st.tmp[:0], raw, false)
		} else {
			neg, digits, problem = decodeUnscaled(st.tmp[:0], raw)
			scale = c.scale
		}
	case (ch == '-' || ch >= '0' && ch <= '9') && !c.strOnly:
		a, e, err := s.num()
		if err != nil {
			return dst, withField(err, st.fieldName(field))
		}
		txt = s.B[a:e]
		neg, digits, scale, problem = parseDecimalText(st.tmp[:0], txt, true)
	default:
		s.I = start
		return dst, errAt(c.mismatch(), st.fieldName(field), s.valueText(), c.expect)
	}
	if problem != "" {
		return dst, errAt(ReasonInvalidValue, st.fieldName(field), txt, problem)
	}
	if c.rule.HasValueCheck() {
		id, fd := decimalDigits(digits, scale)
		if code, exp := c.rule.CheckDecimal(id, fd); code != "" {
			return dst, st.contract(code, exp, field, txt)
		}
	}
	target := c.target
	if target < 0 {
		if ch != '"' || c.text {
			return dst, errAt(ReasonDecimalNoScale, st.fieldName(field), txt, "a known column scale (Connect Decimal \"scale\" parameter or a table contract via schema_file)")
		}
		target = max(scale, 0)
	}
	dst = append(dst, '"')
	dst, problem = appendScaled(dst, neg, digits, scale, target, c.precision)
	if problem != "" {
		return dst, errAt(ReasonInvalidValue, st.fieldName(field), txt, problem)
	}
	return append(dst, '"'), nil
}

// appendVarDecimal reads io.debezium.data.VariableScaleDecimal: {"scale":int32,"value":bytes}.
func (st *state) appendVarDecimal(dst []byte, s *scanner, c *colType, field []byte, ch byte, start int) ([]byte, error) {
	if ch != '{' {
		return dst, errAt(c.mismatch(), st.fieldName(field), s.valueText(), c.expect)
	}
	empty, err := s.objectStart()
	if err != nil {
		return dst, withField(err, st.fieldName(field))
	}
	scale, hasScale := 0, false
	var val []byte
	for more := !empty; more; {
		ka, ke, esc, err := s.key()
		if err != nil {
			return dst, withField(err, st.fieldName(field))
		}
		k := s.B[ka:ke]
		if esc {
			k = unquote(nil, k)
		}
		switch string(k) {
		case "scale":
			if hasScale {
				return dst, errAt(ReasonDuplicateField, st.fieldName(field)+".scale", k, "each key once in a JSON object")
			}
			v, _, ok := s.readInt(false)
			if !ok || v < -maxDecimalDigits || v > maxDecimalDigits {
				s.I = start
				return dst, errAt(ReasonInvalidValue, st.fieldName(field), s.valueText(), c.expect+" with scale -"+itoa(maxDecimalDigits)+".."+itoa(maxDecimalDigits))
			}
			scale, hasScale = int(v), true
		case "value":
			if val != nil {
				return dst, errAt(ReasonDuplicateField, st.fieldName(field)+".value", k, "each key once in a JSON object")
			}
			a, e, esc, err := s.str()
			if err != nil {
				return dst, withField(err, st.fieldName(field))
			}
			val = s.B[a:e]
			if esc {
				val = unquote(nil, val)
			}
		default:
			if _, _, err := s.skip(); err != nil {
				return dst, withField(err, st.fieldName(field))
			}
		}
		if more, err = s.next(); err != nil {
			return dst, withField(err, st.fieldName(field))
		}
	}
	end := s.I
	if !hasScale || val == nil {
		return dst, errAt(ReasonDecimalNoScale, st.fieldName(field), s.B[start:end], c.expect)
	}
	neg, digits, problem := decodeUnscaled(st.tmp[:0], val)
	if problem != "" {
		return dst, errAt(ReasonInvalidValue, st.fieldName(field), val, problem)
	}
	if c.rule.HasValueCheck() {
		id, fd := decimalDigits(digits, scale)
		if code, exp := c.rule.CheckDecimal(id, fd); code != "" {
			return dst, st.contract(code, exp, field, s.B[start:end])
		}
	}
	target := c.target
	if target < 0 {
		target = max(scale, 0)
	}
	dst = append(dst, '"')
	dst, problem = appendScaled(dst, neg, digits, scale, target, c.precision)
	if problem != "" {
		return dst, errAt(ReasonInvalidValue, st.fieldName(field), s.B[start:end], problem)
	}
	return append(dst, '"'), nil
}
