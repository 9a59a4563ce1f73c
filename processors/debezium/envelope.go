package debezium

// member reads one member of the Debezium envelope (the payload object), recording spans
// of the images so they can be typed once the source table is known.
func (st *state) member(s *scanner, key []byte) error {
	st.nKeys++
	k := string(key)
	switch k {
	case "before", "after":
		if s.isNull() {
			if k == "before" {
				st.bNull = true
			} else {
				st.aNull = true
			}
			return nil
		}
		if s.peek() != '{' {
			return errAt(ReasonTypeMismatch, "payload."+k, s.valueText(), "an object (the row image) or null")
		}
		if !st.eagerInit {
			st.initEager()
		}
		if st.eagerOK && st.convertEager(s, k == "before") {
			return nil
		}
		a, e, err := s.skipObjectFast()
		if err != nil {
			return withField(err, "payload."+k)
		}
		if k == "before" {
			st.before = span{a, e}
		} else {
			st.after = span{a, e}
		}
		return nil
	case "op":
		if s.peek() != '"' {
			return errAt(ReasonUnknownOp, "payload.op", s.valueText(), "a string: c, u, d, r, t or m")
		}
		a, e, _, err := s.str()
		if err != nil {
			return withField(err, "payload.op")
		}
		st.op, st.hasOp = span{a, e}, true
		st.recordAdd(s, "envelope", k, a-1, e+1)
		return nil
	case "source":
		return st.source(s)
	case "transaction":
		return st.transaction(s)
	case "ddl", "tableChanges":
		st.isDDL = true
	case "status":
		st.status = true
	case "ts_ms", "ts_us", "ts_ns":
		st.nTsKeys++
	}
	a, e, err := s.skip()
	if err != nil {
		return withField(err, "payload."+k)
	}
	st.recordAdd(s, "envelope", k, a, e)
	return nil
}

// initEager predicts the row typing before the source block (which names the table) has
// been read, so images can be typed in the same pass that reads them: the message's Connect
// schema as last compiled, or the typing the previous schemaless event resolved to. row()
// uses the eager result only if the prediction matches the typing it resolves.
func (st *state) initEager() {
	st.eagerInit = true
	u := st.u
	switch {
	case st.entry != nil && st.entry.value != nil:
		if c := st.entry.compiled.Load(); c != nil {
			st.eagerRT, st.eagerOK = c.rt, true
		}
	case st.entry != nil:
	case len(u.o.Contracts) == 0:
		st.eagerRT, st.eagerOK = nil, true
	default:
		if rt := u.lastRT.Load(); rt != nil {
			st.eagerRT, st.eagerOK = rt, true
		}
	}
}

// convertEager types the image at the cursor into the state's buffer. On any problem it
// rewinds and reports false; the image is then typed later from its span, which produces
// the authoritative error.
func (st *state) convertEager(s *scanner, before bool) bool {
	start := s.i
	buf, unk, img := &st.bufAfter, &st.unkAfter, "after"
	if before {
		buf, unk, img = &st.bufBefore, &st.unkBefore, "before"
	}
	*unk = nil
	st.img = img
	out, err := st.appendImageFrom((*buf)[:0], st.eagerRT, s, unk)
	st.img = ""
	*buf = out
	if err != nil {
		s.i = start
		return false
	}
	if before {
		st.before, st.convB = span{start, s.i}, true
	} else {
		st.after, st.convA = span{start, s.i}, true
	}
	return true
}

// recordAdd remembers the raw value of a field that add_fields asks for.
func (st *state) recordAdd(s *scanner, scope, name string, a, e int) {
	for i := range st.u.add {
		f := &st.u.add[i]
		if f.scope == scope && f.name == name {
			st.adds[i] = span{a, e}
		}
	}
}

func (st *state) source(s *scanner) error {
	if s.isNull() {
		return nil
	}
	if s.peek() != '{' {
		return errAt(ReasonTypeMismatch, "payload.source", s.valueText(), "an object")
	}
	empty, err := s.objectStart()
	if err != nil {
		return withField(err, "payload.source")
	}
	src := &st.src
	src.present = true
	for more := !empty; more; {
		ka, ke, esc, err := s.key()
		if err != nil {
			return withField(err, "payload.source")
		}
		k := string(st.b[ka:ke])
		if esc {
			k = string(unquote(nil, st.b[ka:ke]))
		}
		vstart := s.i
		switch k {
		case "ts_ms", "ts_sec", "pos", "row", "event_serial_no", "lsn":
			if s.isNull() {
				break
			}
			v, txt, ok := s.readInt(true)
			if !ok {
				s.i = vstart
				if txt == nil {
					txt = s.valueText()
				}
				return errAt(ReasonInvalidSource, "source."+k, txt, "an integer")
			}
			switch k {
			case "ts_ms":
				src.tsMs, src.hasTsMs = v, true
			case "ts_sec":
				src.tsSec, src.hasTsSec = v, true
			case "pos":
				src.pos, src.hasPos = v, true
			case "row":
				src.row = v
			case "event_serial_no":
				src.serial = v
			case "lsn":
				src.lsn, src.hasLsn = v, true
			}
		case "db", "table", "schema", "file", "change_lsn", "commit_lsn", "scn":
			if s.isNull() {
				break
			}
			if s.peek() != '"' {
				return errAt(ReasonInvalidSource, "source."+k, s.valueText(), "a string")
			}
			a, e, sesc, err := s.str()
			if err != nil {
				return withField(err, "source."+k)
			}
			p := span{a, e}
			switch k {
			case "db":
				src.db, src.dbEsc = p, sesc
			case "table":
				src.table, src.tableEsc = p, sesc
			case "schema":
				src.schema = p
			case "file":
				src.file = p
			case "change_lsn":
				src.changeLsn = p
			case "commit_lsn":
				src.commitLsn = p
			case "scn":
				src.scn = p
			}
		case "gtid":
			if c := s.peek(); c != '"' && c != 'n' {
				return errAt(ReasonInvalidSource, "source.gtid", s.valueText(), "a string or null")
			}
			a, e, err := s.skip()
			if err != nil {
				return withField(err, "source.gtid")
			}
			src.gtid = span{a, e}
		case "snapshot":
			switch s.peek() {
			case '"', 't', 'f', 'n':
			default:
				return errAt(ReasonInvalidSource, "source.snapshot", s.valueText(), "a boolean, a string or null")
			}
			a, e, err := s.skip()
			if err != nil {
				return withField(err, "source.snapshot")
			}
			src.snapshot = span{a, e}
		default:
			if _, _, err := s.skip(); err != nil {
				return withField(err, "source."+k)
			}
		}
		if len(st.u.add) > 0 {
			s.ws()
			st.recordAdd(s, "source", k, skipSpace(st.b, vstart), s.i)
		}
		if more, err = s.next(); err != nil {
			return withField(err, "payload.source")
		}
	}
	return nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func (st *state) transaction(s *scanner) error {
	if s.isNull() {
		return nil
	}
	if len(st.u.add) == 0 {
		if _, _, err := s.skip(); err != nil {
			return withField(err, "payload.transaction")
		}
		return nil
	}
	if s.peek() != '{' {
		return errAt(ReasonTypeMismatch, "payload.transaction", s.valueText(), "an object or null")
	}
	empty, err := s.objectStart()
	if err != nil {
		return withField(err, "payload.transaction")
	}
	for more := !empty; more; {
		ka, ke, _, err := s.key()
		if err != nil {
			return withField(err, "payload.transaction")
		}
		a, e, err := s.skip()
		if err != nil {
			return withField(err, "payload.transaction")
		}
		st.recordAdd(s, "transaction", string(st.b[ka:ke]), a, e)
		if more, err = s.next(); err != nil {
			return withField(err, "payload.transaction")
		}
	}
	return nil
}
