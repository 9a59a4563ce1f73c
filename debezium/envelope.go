package debezium

// member reads one member of the Debezium envelope (the payload object), recording spans
// of the images so they can be typed once the source table is known. bit is the member's
// envelopeBit (0 for names the unwrap does not know).
func (st *state) member(s *scanner, key []byte, bit uint64) error {
	st.nKeys++
	switch bit {
	case bBefore, bAfter:
		if s.isNull() {
			if bit == bBefore {
				st.bNull = true
			} else {
				st.aNull = true
			}
			return nil
		}
		if s.Peek() != '{' {
			return errAt(ReasonTypeMismatch, "payload."+string(key), s.valueText(), "an object (the row image) or null")
		}
		if !st.eagerInit {
			st.initEager()
		}
		if st.eagerOK && st.convertEager(s, bit == bBefore) {
			return nil
		}
		a, e, err := s.skipObjectFast()
		if err != nil {
			return withField(err, "payload."+string(key))
		}
		if bit == bBefore {
			st.before = span{a, e}
		} else {
			st.after = span{a, e}
		}
		return nil
	case bOp:
		if s.Peek() != '"' {
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
		st.recordAdd(s, "envelope", "op", a-1, e+1)
		return nil
	case bSource:
		return st.source(s)
	case bTransaction:
		return st.transaction(s)
	case bDDL, bTableChanges:
		st.isDDL = true
	case bStatus:
		st.status = true
	case bTsMs, bTsUs, bTsNs:
		st.nTsKeys++
	}
	a, e, err := s.skip()
	if err != nil {
		return withField(err, "payload."+string(key))
	}
	if len(st.u.add) > 0 {
		st.recordAdd(s, "envelope", string(key), a, e)
	}
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
	start := s.I
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
		s.I = start
		return false
	}
	if before {
		st.before, st.convB = span{start, s.I}, true
	} else {
		st.after, st.convA = span{start, s.I}, true
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

// Source members Debezium sends, numbered for one string switch per member: the number
// picks the handling (integer switches are cheap) and is the member's bit for duplicate
// detection. 0 is any other member.
const (
	sfTsMs = iota + 1
	sfTsSec
	sfPos
	sfRow
	sfEventSerialNo
	sfLsn
	sfDb
	sfTable
	sfSchema
	sfFile
	sfChangeLsn
	sfCommitLsn
	sfScn
	sfGtid
	sfSnapshot
	sfVersion
	sfConnector
	sfName
	sfTsUs
	sfTsNs
	sfSequence
	sfServerId
	sfThread
	sfQuery
	sfTxId
	sfXmin
	sfCommitScn
	sfRsId
	sfSsn
	sfRedoThread
	sfUserName
)

func sourceField(k string) uint {
	switch k {
	case "ts_ms":
		return sfTsMs
	case "ts_sec":
		return sfTsSec
	case "pos":
		return sfPos
	case "row":
		return sfRow
	case "event_serial_no":
		return sfEventSerialNo
	case "lsn":
		return sfLsn
	case "db":
		return sfDb
	case "table":
		return sfTable
	case "schema":
		return sfSchema
	case "file":
		return sfFile
	case "change_lsn":
		return sfChangeLsn
	case "commit_lsn":
		return sfCommitLsn
	case "scn":
		return sfScn
	case "gtid":
		return sfGtid
	case "snapshot":
		return sfSnapshot
	case "version":
		return sfVersion
	case "connector":
		return sfConnector
	case "name":
		return sfName
	case "ts_us":
		return sfTsUs
	case "ts_ns":
		return sfTsNs
	case "sequence":
		return sfSequence
	case "server_id":
		return sfServerId
	case "thread":
		return sfThread
	case "query":
		return sfQuery
	case "txId":
		return sfTxId
	case "xmin":
		return sfXmin
	case "commit_scn":
		return sfCommitScn
	case "rs_id":
		return sfRsId
	case "ssn":
		return sfSsn
	case "redo_thread":
		return sfRedoThread
	case "user_name":
		return sfUserName
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
	if s.Peek() != '{' {
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
		id := sourceField(k)
		var bit uint64
		if id != 0 {
			bit = 1 << id
		}
		if err := once(&st.srcBits, &st.srcSet, bit, kb, "source."); err != nil {
			return err
		}
		vstart := s.I
		switch {
		case id >= sfTsMs && id <= sfLsn:
			if s.isNull() {
				break
			}
			v, txt, ok := st.readSourceInt(s)
			if !ok {
				s.I = vstart
				if txt == nil {
					txt = s.valueText()
				}
				return errAt(ReasonInvalidSource, "source."+k, txt, "an integer")
			}
			switch id {
			case sfTsMs:
				src.tsMs, src.hasTsMs = v, true
			case sfTsSec:
				src.tsSec, src.hasTsSec = v, true
			case sfPos:
				src.pos, src.hasPos = v, true
			case sfRow:
				src.row = v
			case sfEventSerialNo:
				src.serial = v
			case sfLsn:
				src.lsn, src.hasLsn = v, true
			}
		case id >= sfDb && id <= sfScn:
			if s.isNull() {
				break
			}
			if s.Peek() != '"' {
				return errAt(ReasonInvalidSource, "source."+k, s.valueText(), "a string")
			}
			a, e, sesc, err := s.str()
			if err != nil {
				return withField(err, "source."+k)
			}
			v := st.decoded(a, e, sesc)
			switch id {
			case sfDb:
				src.db = v
			case sfTable:
				src.table = v
			case sfSchema:
				src.schema = v
			case sfFile:
				src.file, src.fileTok = v, span{a - 1, e + 1}
			case sfChangeLsn:
				src.changeLsn = v
			case sfCommitLsn:
				src.commitLsn = v
			case sfScn:
				src.scn = v
			}
		case id == sfGtid:
			if c := s.Peek(); c != '"' && c != 'n' {
				return errAt(ReasonInvalidSource, "source.gtid", s.valueText(), "a string or null")
			}
			a, e, err := s.skip()
			if err != nil {
				return withField(err, "source.gtid")
			}
			src.gtid = span{a, e}
		case id == sfSnapshot:
			switch s.Peek() {
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
			s.WS()
			st.recordAdd(s, "source", k, skipSpace(st.b, vstart), s.I)
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
	if s.Peek() != '"' {
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
	if s.Peek() != '{' {
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
