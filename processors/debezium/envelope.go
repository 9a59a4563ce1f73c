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
		a, e, esc, err := s.str()
		if err != nil {
			return withField(err, "payload.op")
		}
		st.op, st.hasOp = st.b[a:e], true
		if esc { // "\u0063" is "c"
			st.op = unquote(nil, st.op)
		}
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
	buf, unk, img, info := &st.bufAfter, &st.unkAfter, "after", &st.imgA
	if before {
		buf, unk, img, info = &st.bufBefore, &st.unkBefore, "before", &st.imgB
	}
	*unk = nil
	st.img = img
	out, err := st.appendImageFrom((*buf)[:0], st.eagerRT, s, unk, info)
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

// sourceBit numbers the source members Debezium sends (for duplicate detection without a
// set); a switch, because a map lookup per member costs more than the rest of the member.
func sourceBit(k string) uint64 {
	switch k {
	case "ts_ms":
		return 1 << 0
	case "ts_sec":
		return 1 << 1
	case "pos":
		return 1 << 2
	case "row":
		return 1 << 3
	case "event_serial_no":
		return 1 << 4
	case "lsn":
		return 1 << 5
	case "db":
		return 1 << 6
	case "table":
		return 1 << 7
	case "schema":
		return 1 << 8
	case "file":
		return 1 << 9
	case "change_lsn":
		return 1 << 10
	case "commit_lsn":
		return 1 << 11
	case "scn":
		return 1 << 12
	case "gtid":
		return 1 << 13
	case "snapshot":
		return 1 << 14
	case "version":
		return 1 << 15
	case "connector":
		return 1 << 16
	case "name":
		return 1 << 17
	case "ts_us":
		return 1 << 18
	case "ts_ns":
		return 1 << 19
	case "sequence":
		return 1 << 20
	case "server_id":
		return 1 << 21
	case "thread":
		return 1 << 22
	case "query":
		return 1 << 23
	case "txId":
		return 1 << 24
	case "xmin":
		return 1 << 25
	case "commit_scn":
		return 1 << 26
	case "rs_id":
		return 1 << 27
	case "ssn":
		return 1 << 28
	case "redo_thread":
		return 1 << 29
	case "user_name":
		return 1 << 30
	}
	return 0
}

// decoded returns a string token's contents with escapes resolved: the input itself when
// there are none (the common case, no copy).
func (st *state) decoded(a, e int, esc bool) []byte {
	if esc {
		return unquote(make([]byte, 0, e-a), st.b[a:e])
	}
	return st.b[a:e:e]
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
		kb := st.decoded(ka, ke, esc)
		k := string(kb)
		if err := once(&st.srcBits, &st.srcSet, sourceBit(k), kb, "source."); err != nil {
			return err
		}
		vstart := s.i
		switch k {
		case "ts_ms", "ts_sec", "pos", "row", "event_serial_no", "lsn":
			if s.isNull() {
				break
			}
			v, txt, ok := st.readSourceInt(s)
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
			v := st.decoded(a, e, sesc)
			switch k {
			case "db":
				src.db = v
			case "table":
				src.table = v
			case "schema":
				src.schema = v
			case "file":
				src.file, src.fileTok = v, span{a - 1, e + 1}
			case "change_lsn":
				src.changeLsn = v
			case "commit_lsn":
				src.commitLsn = v
			case "scn":
				src.scn = v
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

// readSourceInt reads an integer source field, also accepting a quoted integer (Debezium
// doc examples quote int64 envelope fields), escapes included.
func (st *state) readSourceInt(s *scanner) (int64, []byte, bool) {
	if s.peek() != '"' {
		return s.readInt(false)
	}
	a, e, esc, err := s.str()
	if err != nil {
		return 0, nil, false
	}
	txt := st.decoded(a, e, esc)
	v, ok := parseInt(txt)
	return v, st.b[a:e], ok
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
	var seen nameSet
	for more := !empty; more; {
		ka, ke, esc, err := s.key()
		if err != nil {
			return withField(err, "payload.transaction")
		}
		k := st.decoded(ka, ke, esc)
		if err := once(new(uint64), &seen, 0, k, "transaction."); err != nil {
			return err
		}
		a, e, err := s.skip()
		if err != nil {
			return withField(err, "payload.transaction")
		}
		st.recordAdd(s, "transaction", string(k), a, e)
		if more, err = s.next(); err != nil {
			return withField(err, "payload.transaction")
		}
	}
	return nil
}
