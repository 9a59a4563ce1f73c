package debezium

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
	switch c := s.peek(); {
	case c == '-' || c >= '0' && c <= '9':
		a, e, err := s.num()
		if err != nil {
			return 0, nil, false
		}
		v, ok := parseInt(s.b[a:e])
		return v, s.b[a:e], ok
	case c == '"' && lenient:
		a, e, esc, err := s.str()
		if err != nil || esc {
			return 0, nil, false
		}
		v, ok := parseInt(s.b[a:e])
		return v, s.b[a:e], ok
	}
	return 0, nil, false
}

// valueSpan skips the next value and returns its text for error messages.
func (s *scanner) valueText() []byte {
	a, e, err := s.skip()
	if err != nil {
		end := s.i
		if end > len(s.b) {
			end = len(s.b)
		}
		return s.b[a:end]
	}
	return s.b[a:e]
}

// appendValue reads the next JSON value as column type c and appends its rendering.
// st.tmp is scratch space.
func (st *state) appendValue(dst []byte, s *scanner, c *colType, field []byte) ([]byte, error) {
	ch := s.peek()
	if ch == 'n' {
		if err := s.lit("null"); err != nil {
			return dst, withField(err, st.fieldName(field))
		}
		return append(dst, "null"...), nil
	}
	mismatch := func(start int) error {
		s.i = start
		return errAt(ReasonTypeMismatch, st.fieldName(field), s.valueText(), c.expect)
	}
	invalid := func(v []byte, expected string) error {
		return errAt(ReasonInvalidValue, st.fieldName(field), v, expected)
	}
	start := s.i
	switch c.kind {
	case kRaw:
		a, e, err := s.skip()
		if err != nil {
			return dst, withField(err, st.fieldName(field))
		}
		return append(dst, s.b[a:e]...), nil
	case kBool:
		if ch != 't' && ch != 'f' {
			return dst, mismatch(start)
		}
		a, e, err := s.skip()
		if err != nil {
			return dst, withField(err, st.fieldName(field))
		}
		return append(dst, s.b[a:e]...), nil
	case kBoolInt:
		if ch == 't' || ch == 'f' {
			a, e, err := s.skip()
			if err != nil {
				return dst, withField(err, st.fieldName(field))
			}
			return append(dst, s.b[a:e]...), nil
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
		v, txt, ok := s.readInt(false)
		if !ok || v < c.min || v > c.max {
			if txt == nil {
				s.i = start
				txt = s.valueText()
			}
			return dst, invalid(txt, c.expect+" in ["+itoa64(c.min)+", "+itoa64(c.max)+"]")
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
		return append(dst, s.b[a:e]...), nil
	case kString, kBytes:
		if ch != '"' {
			return dst, mismatch(start)
		}
		a, e, _, err := s.str()
		if err != nil {
			return dst, withField(err, st.fieldName(field))
		}
		return append(dst, s.b[a-1:e+1]...), nil
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
			return dst, invalid(txt, c.expect)
		}
		dst = append(dst, '"')
		dst, ok = appendDate(dst, v)
		if !ok {
			return dst, invalid(txt, "a date in years 0000..9999")
		}
		return append(dst, '"'), nil
	case kTimeOfDay:
		if ch != '-' && (ch < '0' || ch > '9') {
			return dst, mismatch(start)
		}
		v, txt, ok := s.readInt(false)
		if !ok || v < 0 || v >= 86400*(nsPerSec/c.unit) {
			return dst, invalid(txt, c.expect+" within 00:00:00..23:59:59.999999999")
		}
		dst = append(dst, '"')
		dst = appendClock(dst, v*c.unit)
		return append(dst, '"'), nil
	case kTimestamp:
		if ch != '-' && (ch < '0' || ch > '9') {
			return dst, mismatch(start)
		}
		v, txt, ok := s.readInt(false)
		if !ok {
			return dst, invalid(txt, c.expect)
		}
		dst = append(dst, '"')
		dst, ok = appendEpoch(dst, v, c.unit)
		if !ok {
			return dst, invalid(txt, "a timestamp in years 0000..9999")
		}
		return append(dst, '"'), nil
	case kZoned:
		if ch != '"' {
			return dst, mismatch(start)
		}
		a, e, esc, err := s.str()
		if err != nil {
			return dst, withField(err, st.fieldName(field))
		}
		raw := s.b[a:e]
		if esc {
			raw = unquote(st.tmp[:0], raw)
		}
		dst = append(dst, '"')
		dst, ok := appendZoned(dst, string(raw))
		if !ok {
			return dst, invalid(s.b[a:e], c.expect+" in years 0000..9999")
		}
		return append(dst, '"'), nil
	}
	return dst, mismatch(start)
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
	switch {
	case ch == '"' && !c.numOnly:
		a, e, _, err := s.str()
		if err != nil {
			return dst, withField(err, st.fieldName(field))
		}
		txt = s.b[a:e]
		if c.text {
			neg, digits, scale, problem = parseDecimalText(st.tmp[:0], txt, false)
		} else {
			if c.scale < 0 {
				return dst, errAt(ReasonDecimalNoScale, st.fieldName(field), txt, "a Connect Decimal schema with a \"scale\" parameter, or a table contract (schema_file) giving the column's scale")
			}
			neg, digits, problem = decodeUnscaled(st.tmp[:0], txt)
			scale = c.scale
		}
	case ch == '-' || ch >= '0' && ch <= '9':
		a, e, err := s.num()
		if err != nil {
			return dst, withField(err, st.fieldName(field))
		}
		txt = s.b[a:e]
		neg, digits, scale, problem = parseDecimalText(st.tmp[:0], txt, true)
	default:
		s.i = start
		return dst, errAt(ReasonTypeMismatch, st.fieldName(field), s.valueText(), c.expect)
	}
	if problem != "" {
		return dst, errAt(ReasonInvalidValue, st.fieldName(field), txt, problem)
	}
	target := c.target
	if target < 0 {
		if ch != '"' || c.text {
			return dst, errAt(ReasonDecimalNoScale, st.fieldName(field), txt, "a known column scale (Connect Decimal \"scale\" parameter or a table contract via schema_file)")
		}
		target = scale
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
		return dst, errAt(ReasonTypeMismatch, st.fieldName(field), s.valueText(), c.expect)
	}
	empty, err := s.objectStart()
	if err != nil {
		return dst, withField(err, st.fieldName(field))
	}
	scale := -1
	var val []byte
	for more := !empty; more; {
		ka, ke, _, err := s.key()
		if err != nil {
			return dst, withField(err, st.fieldName(field))
		}
		switch string(s.b[ka:ke]) {
		case "scale":
			v, _, ok := s.readInt(false)
			if !ok || v < 0 || v > maxDecimalDigits {
				s.i = start
				return dst, errAt(ReasonInvalidValue, st.fieldName(field), s.valueText(), c.expect+" with scale 0.."+itoa(maxDecimalDigits))
			}
			scale = int(v)
		case "value":
			a, e, _, err := s.str()
			if err != nil {
				return dst, withField(err, st.fieldName(field))
			}
			val = s.b[a:e]
		default:
			if _, _, err := s.skip(); err != nil {
				return dst, withField(err, st.fieldName(field))
			}
		}
		if more, err = s.next(); err != nil {
			return dst, withField(err, st.fieldName(field))
		}
	}
	end := s.i
	if scale < 0 || val == nil {
		return dst, errAt(ReasonDecimalNoScale, st.fieldName(field), s.b[start:end], c.expect)
	}
	neg, digits, problem := decodeUnscaled(st.tmp[:0], val)
	if problem != "" {
		return dst, errAt(ReasonInvalidValue, st.fieldName(field), val, problem)
	}
	target := c.target
	if target < 0 {
		target = scale
	}
	dst = append(dst, '"')
	dst, problem = appendScaled(dst, neg, digits, scale, target, c.precision)
	if problem != "" {
		return dst, errAt(ReasonInvalidValue, st.fieldName(field), s.b[start:end], problem)
	}
	return append(dst, '"'), nil
}
