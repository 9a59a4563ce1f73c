package debezium

import (
	"bytes"
	"strings"

	"github.com/ledgerflow/ledgerflow/debezium/jsonscan"
)

// row renders a c/u/r/d event as the output row (see the package documentation).
func (st *state) row(op byte, table string, entry *schemaEntry, m Meta) (Result, error) {
	u := st.u
	image, imgName, info := st.after, "after", &st.imgA
	if op == 'd' {
		image, imgName, info = st.before, "before", &st.imgB
	}
	if !image.ok() {
		return Result{}, &Error{Reason: ReasonMissingImage, Field: "payload." + imgName, Value: "null",
			Expected: "the row image for op " + string(op) + " (Debezium needs binlog_row_image=FULL)"}
	}
	if entry != nil {
		// A row under a Connect schema must be described by it: typing it from the
		// contract instead would accept whatever the payload says.
		switch {
		case !entry.hasAfter && !entry.hasBefore:
			return Result{}, &Error{Reason: ReasonSchemaPayloadMismatch, Field: "payload." + imgName, Value: "(an image)",
				Expected: "a Connect schema that declares the before/after row struct of a change event"}
		case st.after.ok() && !entry.hasAfter:
			return Result{}, &Error{Reason: ReasonSchemaPayloadMismatch, Field: "payload.after", Value: "(an image)", Expected: "no after image: the Connect schema declares none"}
		case st.before.ok() && !entry.hasBefore:
			return Result{}, &Error{Reason: ReasonSchemaPayloadMismatch, Field: "payload.before", Value: "(an image)", Expected: "no before image: the Connect schema declares none"}
		}
	}
	rt, contract, err := st.typing(entry, table)
	if err != nil {
		return Result{}, err
	}
	withBefore := op == 'u' && u.o.IncludeBefore
	if entry == nil && rt != nil && u.lastRT.Load() != rt {
		u.lastRT.Store(rt)
	}
	// Rendered timestamps and decimals are longer than their wire form; size for that so
	// the row is built in one allocation.
	size := 2*(image.e-image.a) + 512
	if withBefore {
		size += 2 * (st.before.e - st.before.a)
	}
	out := make([]byte, 0, size)
	out = append(out, '{')
	eager := st.eagerOK && st.eagerRT == rt
	if eager && op == 'd' && st.convB {
		out = append(out, st.bufBefore...)
		st.unknown = st.unkBefore
	} else if eager && op != 'd' && st.convA {
		out = append(out, st.bufAfter...)
		st.unknown = st.unkAfter
	} else {
		st.img = imgName
		if out, err = st.appendImage(out, rt, image, &st.unknown, info); err != nil {
			return Result{}, err
		}
		st.img = ""
		if op == 'd' {
			st.typedB = true
		} else {
			st.typedA = true
		}
	}
	if info.notNull != nil {
		return Result{}, info.notNull
	}
	if m.HasKey {
		if err := st.checkRowKey(rt, contract, info, out[1:], imgName); err != nil {
			return Result{}, err
		}
	}
	if len(out) > 1 {
		out = append(out, ',')
	}
	out = append(out, `"_op":"`...)
	out = append(out, op, '"')

	src := &st.src
	out = append(out, `,"_source_ts":`...)
	switch {
	case src.hasTsMs:
		out = st.appendSourceTS(out, src.tsMs)
	case src.hasTsSec:
		out = st.appendSourceTS(out, src.tsSec*1000)
	default:
		out = append(out, "null"...)
	}
	if out, err = st.appendPos(append(out, `,"_source_pos":`...)); err != nil {
		return Result{}, err
	}
	out = append(out, `,"_source_gtid":`...)
	out = appendRawOrNull(out, st.b, src.gtid)
	out = append(out, `,"_source_file":`...)
	if src.file != nil {
		out = append(out, st.b[src.fileTok.a:src.fileTok.e]...)
	} else {
		out = append(out, "null"...)
	}
	out = append(out, `,"_snapshot":`...)
	out = st.appendSnapshot(out)
	if op == 'd' {
		out = append(out, `,"_deleted":true`...)
	} else {
		out = append(out, `,"_deleted":false`...)
	}
	out = append(out, `,"_source_table":`...)
	if table == "" {
		out = append(out, "null"...)
	} else {
		out = appendJSONString(out, table)
	}
	if m.HasTopic {
		out = append(out, `,"_kafka_topic":`...)
		out = appendJSONString(out, m.Topic)
	}
	if m.HasPartition {
		v, ok := parseInt([]byte(m.Partition))
		if !ok || v < 0 || v > 1<<31-1 {
			return Result{}, &Error{Reason: ReasonInvalidMeta, Field: "kafka_partition", Value: m.Partition, Expected: "a non-negative int32"}
		}
		out = appendInt(append(out, `,"_kafka_partition":`...), v)
	}
	if m.HasOffset {
		v, ok := parseInt([]byte(m.Offset))
		if !ok || v < 0 {
			return Result{}, &Error{Reason: ReasonInvalidMeta, Field: "kafka_offset", Value: m.Offset, Expected: "a non-negative int64"}
		}
		out = appendInt(append(out, `,"_kafka_offset":`...), v)
	}
	for i := range u.add {
		out = append(out, ',')
		out = append(out, u.add[i].out...)
		out = appendRawOrNull(out, st.b, st.adds[i])
	}
	if withBefore {
		out = append(out, `,"_before":`...)
		if st.before.ok() {
			out = append(out, '{')
			if eager && st.convB {
				out = append(out, st.bufBefore...)
			} else {
				st.img = "before"
				if out, err = st.appendImage(out, rt, st.before, nil, &st.imgB); err != nil {
					return Result{}, err
				}
				st.img = ""
				st.typedB = true
			}
			out = append(out, '}')
		} else {
			out = append(out, "null"...)
		}
	}
	out = append(out, '}')
	names, types := splitUnknown(st.unknown)
	return Result{Kind: KindRow, Body: out, Op: string(opNames[op]), Table: table, UnknownColumns: names, UnknownTypes: types}, nil
}

var opNames = [256]string{'c': "c", 'u': "u", 'd': "d", 'r': "r"}

func appendRawOrNull(dst, b []byte, p span) []byte {
	if !p.ok() {
		return append(dst, "null"...)
	}
	return append(dst, b[p.a:p.e]...)
}

// appendJSONString writes s as a JSON string; s comes from validated input or metadata.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = jsonscan.AppendEscaped(dst, s)
	return append(dst, '"')
}

func (st *state) appendSourceTS(dst []byte, ms int64) []byte {
	dst = append(dst, '"')
	dst, ok := appendMillisTS(dst, ms)
	if !ok {
		return append(dst[:len(dst)-1], "null"...)
	}
	return append(dst, '"')
}

// appendSnapshot normalises source.snapshot: booleans (legacy) become "true"/"false", null
// or absent is "false", strings (true, first, last, incremental, …) are kept as given.
func (st *state) appendSnapshot(dst []byte) []byte {
	p := st.src.snapshot
	if !p.ok() {
		return append(dst, `"false"`...)
	}
	switch st.b[p.a] {
	case 't':
		return append(dst, `"true"`...)
	case 'f', 'n':
		return append(dst, `"false"`...)
	}
	return append(dst, st.b[p.a:p.e]...)
}

// appendPos writes _source_pos, a string whose byte order is the source's change order:
//
//	MySQL/MariaDB  %010d:%020d:%06d    binlog file number (digits after the last '.'), pos, row
//	SQL Server     <commit_lsn>:<change_lsn>:%020d   event_serial_no (LSNs are fixed-width hex)
//	PostgreSQL     %020d               lsn
//	Oracle         %030s               scn, left-padded with zeros
func (st *state) appendPos(dst []byte) ([]byte, error) {
	src := &st.src
	switch {
	case src.file != nil || src.hasPos:
		if src.file == nil || !src.hasPos {
			return dst, &Error{Reason: ReasonInvalidSource, Field: "source.file", Value: "(missing)", Expected: "both source.file and source.pos"}
		}
		file := src.file
		num := file[strings.LastIndexByte(string(file), '.')+1:]
		n, ok := parseInt(num)
		if !ok || n < 0 || n > 9999999999 || num[0] == '-' {
			return dst, errAt(ReasonInvalidSource, "source.file", file, "a binlog file name ending in a numeric extension, e.g. mysql-bin.000003")
		}
		if src.pos < 0 || src.row < 0 || src.row > 999999 {
			return dst, &Error{Reason: ReasonInvalidSource, Field: "source.pos", Value: itoa64(src.pos) + "/" + itoa64(src.row), Expected: "pos >= 0 and 0 <= row <= 999999"}
		}
		dst = append(dst, '"')
		dst = appendPadded(dst, n, 10)
		dst = append(dst, ':')
		dst = appendPadded(dst, src.pos, 20)
		dst = append(dst, ':')
		dst = appendPadded(dst, src.row, 6)
		return append(dst, '"'), nil
	case src.commitLsn != nil || src.changeLsn != nil:
		// Fixed-width hex LSNs sort byte-wise; anything else would not, or would break the
		// position's JSON string.
		for _, l := range [2][]byte{src.commitLsn, src.changeLsn} {
			for _, c := range l {
				if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':') {
					return dst, errAt(ReasonInvalidSource, "source.change_lsn", l, "a SQL Server LSN such as 0000003a:00002f50:0005")
				}
			}
		}
		dst = append(dst, '"')
		dst = append(dst, src.commitLsn...)
		dst = append(dst, ':')
		dst = append(dst, src.changeLsn...)
		dst = append(dst, ':')
		dst = appendPadded(dst, src.serial, 20)
		return append(dst, '"'), nil
	case src.hasLsn:
		if src.lsn < 0 {
			return dst, &Error{Reason: ReasonInvalidSource, Field: "source.lsn", Value: itoa64(src.lsn), Expected: "a non-negative LSN"}
		}
		dst = append(dst, '"')
		dst = appendPadded(dst, src.lsn, 20)
		return append(dst, '"'), nil
	case src.scn != nil:
		scn := src.scn
		if _, ok := parseInt(scn); !ok || len(scn) > 30 || scn[0] == '-' {
			return dst, errAt(ReasonInvalidSource, "source.scn", scn, "a decimal SCN")
		}
		dst = append(dst, '"')
		for k := len(scn); k < 30; k++ {
			dst = append(dst, '0')
		}
		dst = append(dst, scn...)
		return append(dst, '"'), nil
	}
	return dst, &Error{Reason: ReasonInvalidSource, Field: "payload.source", Value: "(no position)",
		Expected: "source.file+pos (MySQL/MariaDB), change_lsn/commit_lsn (SQL Server), lsn (PostgreSQL) or scn (Oracle)"}
}

func appendPadded(dst []byte, v int64, width int) []byte {
	var buf [20]byte
	d := appendInt(buf[:0], v)
	for k := len(d); k < width; k++ {
		dst = append(dst, '0')
	}
	return append(dst, d...)
}

// appendImage types the members of a row image object into dst (without braces).
func (st *state) appendImage(dst []byte, rt *rowType, img span, unknown *[]string, info *imageInfo) ([]byte, error) {
	s := &scanner{Scanner: jsonscan.Scanner{B: st.b[:img.e], I: img.a}}
	return st.appendImageFrom(dst, rt, s, unknown, info)
}

// appendImageFrom reads the image object at the scanner's cursor. Columns the typing does
// not know are appended to *unknown (when unknown is not nil). info receives what the
// caller checks once it knows which image becomes the row (NOT NULL, the Kafka key).
func (st *state) appendImageFrom(dst []byte, rt *rowType, s *scanner, unknown *[]string, info *imageInfo) ([]byte, error) {
	empty, err := s.objectStart()
	if err != nil {
		return dst, err
	}
	base := len(dst)
	nk := len(st.key.names)
	info.notNull = nil
	if nk > 0 {
		info.keyAt = append(info.keyAt[:0], make([]span, nk)...)
	}
	if rt != nil {
		st.nextGen(len(rt.cols))
	}
	st.unkSet.reset()
	gen := st.gen
	raw := colType{kind: kRaw}
	nSeen := 0
	for more, hint, first := !empty, 0, true; more; hint++ {
		ka, ke, esc, err := s.key()
		if err != nil {
			return dst, withField(err, st.img)
		}
		name := st.b[ka:ke]
		if esc {
			name = unquote(nil, name)
		}
		c, col := &raw, -1
		if rt != nil {
			if i, ok := rt.lookup(name, hint); ok {
				if st.seen[i] == gen {
					return dst, errAt(ReasonDuplicateField, st.fieldName(name), name, "each column once in a row image (Debezium never repeats one; which copy wins is ambiguous)")
				}
				st.seen[i] = gen
				nSeen++
				c, col, hint = &rt.cols[i], i, i
				if c.badExpect != "" {
					if c.badReason == ReasonReservedColumn {
						return dst, st.reservedErr(name, rt.partition)
					}
					return dst, errAt(c.badReason, st.fieldName(name), name, c.badExpect)
				}
				if c.unknown && unknown != nil {
					// name, then the Delta type after a unit separator (see typedUnknown)
					*unknown = append(*unknown, string(name)+"\x1f"+c.deltaTypeName())
				}
			}
		}
		if col < 0 {
			if rt != nil && rt.fromSchema {
				// JsonConverter writes a struct from its schema's fields: nothing else.
				return dst, errAt(ReasonSchemaPayloadMismatch, st.fieldName(name), name, "only the fields the Connect schema lists")
			}
			if err := st.newColumn(rt, name); err != nil {
				return dst, err
			}
			if rt != nil && rt.strict && unknown != nil {
				*unknown = append(*unknown, string(name))
			}
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		if esc {
			dst = appendJSONString(dst, string(name))
		} else {
			dst = append(dst, st.b[ka-1:ke+1]...)
		}
		dst = append(dst, ':')
		v := len(dst)
		if dst, err = st.appendValue(dst, s, c, name); err != nil {
			return dst, err
		}
		if col >= 0 && len(dst)-v == 4 && string(dst[v:]) == "null" {
			st.nulls[col] = gen
		}
		if nk > 0 {
			for j, kn := range st.key.names {
				if string(kn) == string(name) {
					info.keyAt[j] = span{v - base, len(dst) - base}
				}
			}
		}
		if more, err = s.next(); err != nil {
			return dst, withField(err, st.img)
		}
	}
	if rt == nil {
		return dst, nil
	}
	if rt.fromSchema && nSeen < len(rt.cols) {
		for i := range rt.cols {
			if st.seen[i] != gen {
				return dst, &Error{Reason: ReasonSchemaPayloadMismatch, Field: st.fieldName([]byte(rt.names[i])), Value: "(absent)",
					Expected: "every field the Connect schema lists (JsonConverter writes nulls, never omits a field)"}
			}
		}
	}
	for _, i := range rt.notNull {
		if st.seen[i] != gen || st.nulls[i] == gen {
			v := "null"
			if st.seen[i] != gen {
				v = "(absent)"
			}
			info.notNull = &Error{Reason: ReasonContractNotNull, Field: st.fieldName([]byte(rt.names[i])), Value: v,
				Expected: "a value: the contract declares " + rt.names[i] + " " + rt.cols[i].rule.Type + " NOT NULL"}
			return dst, nil
		}
	}
	if len(rt.absentNotNull) > 0 {
		info.notNull = &Error{Reason: ReasonContractNotNull, Field: st.fieldName([]byte(rt.absentNotNull[0])), Value: "(absent)",
			Expected: "a value: the contract declares it NOT NULL, but the Connect schema has no such field"}
	}
	return dst, nil
}

// newColumn checks a column the typing does not know before it is passed through: Delta
// must be able to store its name, and it must not be a case variant of a known column or
// of another new column (Delta column names are case-insensitive: one would shadow the
// other). A repeat of the same name is a duplicate.
func (st *state) newColumn(rt *rowType, name []byte) error {
	partition := ""
	if rt != nil {
		partition = rt.partition
	}
	if st.u.reserved.has(name) || partition != "" && bytes.EqualFold(name, []byte(partition)) {
		return st.reservedErr(name, partition)
	}
	if why := invalidDeltaName(name); why != "" {
		return errAt(ReasonInvalidColumnName, st.fieldName(name), name, why)
	}
	if rt != nil {
		if other, ok := rt.caseVariant(name); ok {
			return errAt(ReasonInvalidColumnName, st.fieldName(name), name, "a column name that differs from the known column "+other+" by more than case")
		}
	}
	dup, folded := st.unkSet.add(name, true)
	switch {
	case dup:
		return errAt(ReasonDuplicateField, st.fieldName(name), name, "each column once in a row image (Debezium never repeats one; which copy wins is ambiguous)")
	case folded:
		return errAt(ReasonInvalidColumnName, st.fieldName(name), name, "column names that differ by more than case")
	}
	return nil
}

// truncateTS is the _source_ts JSON of a truncate event (null when its source has no time).
func (st *state) truncateTS() []byte {
	switch src := &st.src; {
	case src.hasTsMs:
		return st.appendSourceTS(nil, src.tsMs)
	case src.hasTsSec:
		return st.appendSourceTS(nil, src.tsSec*1000)
	}
	return []byte("null")
}
