package debezium

import (
	"unsafe"

	"github.com/ledgerflow/ledgerflow/debezium/jsonscan"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// rawColumn types what no contract or schema describes: validated JSON, copied. Read-only.
var rawColumn = colType{kind: kRaw}

// maxKeyFields bounds the fields of a Kafka key (MySQL allows 16 key parts), so a hostile
// key cannot make matching it against each column quadratic.
const maxKeyFields = 64

// keyInfo is the parsed Kafka key of the message: the Debezium key struct, the primary
// key's columns, as JSON `{"transaction_id":1001}` or schema-wrapped
// `{"schema":{…},"payload":{"transaction_id":1001}}`.
type keyInfo struct {
	raw   []byte
	names [][]byte // decoded field names
	vals  []span   // their values, as spans of raw
	err   *Error   // why the key cannot be read (reported for row events and tombstones)
}

func (k *keyInfo) reset() {
	*k = keyInfo{names: k.names[:0], vals: k.vals[:0]}
}

func keyErr(field string, value []byte, expected string) *Error {
	return errAt(ReasonInvalidKey, field, value, expected)
}

// parseKey reads the kafka_key metadata. A key that cannot be read is not an error yet:
// heartbeats and schema changes have keys of their own shape; st.key.err is reported when
// a row or a tombstone needs the key.
func (st *state) parseKey(key string) error {
	k := &st.key
	// The scanner only reads: no need to copy the metadata string per event.
	k.raw = unsafe.Slice(unsafe.StringData(key), len(key))
	s := &scanner{Scanner: jsonscan.Scanner{B: k.raw}}
	if s.Peek() != '{' {
		k.err = keyErr("kafka_key", k.raw, `a Debezium key: a JSON object of the primary key's columns, e.g. {"id":1001}, optionally {"schema":…,"payload":{…}}`)
		return nil
	}
	err := st.keyObject(s)
	if err == nil && !s.atEnd() {
		err = keyErr("kafka_key", s.B[s.I:], "nothing after the key's JSON object")
	}
	if err == nil && len(k.names) == 2 && (string(k.names[0]) == "schema" && string(k.names[1]) == "payload" ||
		string(k.names[0]) == "payload" && string(k.names[1]) == "schema") {
		p := k.vals[0]
		if string(k.names[1]) == "payload" {
			p = k.vals[1]
		}
		k.names, k.vals = k.names[:0], k.vals[:0]
		ps := &scanner{Scanner: jsonscan.Scanner{B: k.raw[:p.e], I: p.a}}
		if ps.Peek() != '{' {
			err = keyErr("kafka_key.payload", k.raw[p.a:p.e], "the key's payload: a JSON object of the primary key's columns")
		} else {
			err = st.keyObject(ps)
		}
	}
	if err == nil && len(k.names) == 0 {
		err = keyErr("kafka_key", k.raw, "at least one key column")
	}
	if err != nil {
		k.names, k.vals = k.names[:0], k.vals[:0]
		if x, ok := err.(*Error); ok {
			if x.Reason != ReasonInvalidKey {
				x = &Error{Reason: ReasonInvalidKey, Field: "kafka_key", Value: x.Value, Expected: x.Expected + " (" + string(x.Reason) + ")"}
			}
			k.err = x
		}
	}
	return nil
}

// keyObject reads one key object's members into st.key.
func (st *state) keyObject(s *scanner) error {
	k := &st.key
	start := s.I
	empty, err := s.objectStart()
	if err != nil {
		return err
	}
	seen := &st.keySet
	seen.reset()
	for more := !empty; more; {
		a, e, esc, err := s.key()
		if err != nil {
			return err
		}
		name := k.raw[a:e:e]
		if esc {
			name = unquote(nil, name)
		}
		if dup, _ := seen.add(name, false); dup {
			return keyErr("kafka_key."+string(name), name, "each key column once")
		}
		if len(k.names) == maxKeyFields {
			return keyErr("kafka_key", k.raw[start:s.I], "at most "+itoa(maxKeyFields)+" key columns")
		}
		va, ve, err := s.skip()
		if err != nil {
			return err
		}
		k.names = append(k.names, name)
		k.vals = append(k.vals, span{va, ve})
		if more, err = s.next(); err != nil {
			return err
		}
	}
	return nil
}

// keyColumns checks that the key names exactly the contract's primary key columns.
func (st *state) keyColumns(contract *schemas.Table) error {
	if contract == nil || len(contract.PrimaryKey) == 0 {
		return nil
	}
	k := &st.key
	ok := len(k.names) == len(contract.PrimaryKey)
	for _, n := range k.names {
		found := false
		for _, pk := range contract.PrimaryKey {
			found = found || pk == string(n)
		}
		ok = ok && found
	}
	if !ok {
		return keyErr("kafka_key", k.raw, "the primary key of "+contract.Name+" ("+joinNames(contract.PrimaryKey)+"), no other columns")
	}
	return nil
}

func joinNames(ns []string) string {
	out := ""
	for i, n := range ns {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}

// renderKeyValue types key field j like the row's column of that name (so a base64
// decimal key compares as the decimal), into st.keyBuf.
func (st *state) renderKeyValue(rt *rowType, j int) ([]byte, error) {
	k := &st.key
	c := &rawColumn
	if rt != nil {
		if i, ok := rt.lookup(k.names[j], 0); ok {
			c = &rt.cols[i]
		}
	}
	s := &scanner{Scanner: jsonscan.Scanner{B: k.raw[:k.vals[j].e], I: k.vals[j].a}}
	img := st.img
	st.img = "kafka_key"
	out, err := st.appendValue(st.keyBuf[:0], s, c, k.names[j])
	st.img = img
	st.keyBuf = out[:0]
	if err != nil {
		if x, ok := err.(*Error); ok {
			return nil, &Error{Reason: ReasonInvalidKey, Field: x.Field, Value: x.Value, Expected: x.Expected + " (" + string(x.Reason) + ")", Withheld: x.Withheld}
		}
		return nil, err
	}
	return out, nil
}

// tombstoneKey checks the key of a tombstone. Debezium writes every tombstone with the
// deleted row's key, and a tombstone without one deletes nothing: from Kafka (kafka_topic
// or kafka_tombstone metadata) a keyless tombstone is invalid_key. A message from another
// input has no Kafka key to carry and is not checked.
func (st *state) tombstoneKey(m Meta) error {
	if m.HasKey {
		return st.checkTombstoneKey()
	}
	if m.TombstoneFlag || m.HasTopic {
		return &Error{Reason: ReasonInvalidKey, Field: "kafka_key", Value: "(absent)",
			Expected: "the deleted row's key: Debezium writes every tombstone with its key, and one without deletes nothing"}
	}
	return nil
}

// checkTombstoneKey: a tombstone has only its key, which deletes by key downstream (Kafka
// compaction, a silver table); it must be readable. With a single contract it must also be
// that table's primary key, with values of the key columns' types.
func (st *state) checkTombstoneKey() error {
	k := &st.key
	if k.err != nil {
		return k.err
	}
	u := st.u
	if len(u.o.Contracts) != 1 {
		return nil
	}
	contract := u.o.Contracts[0]
	if err := st.keyColumns(contract); err != nil {
		return err
	}
	rt := u.typed[contract]
	for j := range k.names {
		if _, err := st.renderKeyValue(rt, j); err != nil {
			return err
		}
	}
	return nil
}

// checkRowKey compares the Kafka key with the row image that becomes the row: Kafka
// partitions and compacts by the key, silver merges by the row's key; if they disagree one
// of them is wrong, and which is not in the data.
func (st *state) checkRowKey(rt *rowType, contract *schemas.Table, info *imageInfo, img []byte, imgName string) error {
	k := &st.key
	if k.err != nil {
		return k.err
	}
	if err := st.keyColumns(contract); err != nil {
		return err
	}
	for j, name := range k.names {
		at := info.keyAt[j]
		if !at.ok() {
			return &Error{Reason: ReasonKeyMismatch, Field: "kafka_key." + string(name), Value: string(k.raw[k.vals[j].a:k.vals[j].e]),
				Expected: "a key column of the row: payload." + imgName + " has no column " + string(name)}
		}
		kv, err := st.renderKeyValue(rt, j)
		if err != nil {
			return err
		}
		rv := img[at.a:at.e]
		if !sameValue(kv, rv) {
			e := &Error{Reason: ReasonKeyMismatch, Field: "kafka_key." + string(name), Value: string(k.raw[k.vals[j].a:k.vals[j].e]),
				Expected: "the row's key: payload." + imgName + "." + string(name) + " is " + truncate(string(rv))}
			if i, ok := rt.lookupIn(name); ok && rt.cols[i].pii != "" {
				// A key column tagged pii: neither side is quoted.
				tag := rt.cols[i].pii
				e.Value, e.Withheld = describeValue(k.raw, k.vals[j].a)+" (value withheld: pii "+tag+")", true
				e.Expected = "the row's key: payload." + imgName + "." + string(name) + " is " + describeValue(rv, 0) + ", another value (withheld: pii " + tag + ")"
			}
			return e
		}
	}
	return nil
}

func truncate(s string) string {
	if len(s) > maxValueInError {
		return s[:maxValueInError] + "…(truncated)"
	}
	return s
}

// sameValue compares two rendered JSON values: strings by their decoded text (escapes may
// differ), numbers by value (1001 and 1001.0, 1e3 and 1000), anything else byte-wise.
func sameValue(a, b []byte) bool {
	if string(a) == string(b) {
		return true
	}
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	switch {
	case a[0] == '"' && b[0] == '"':
		return string(unquote(nil, a[1:len(a)-1])) == string(unquote(nil, b[1:len(b)-1]))
	case isNumStart(a[0]) && isNumStart(b[0]):
		an, ad, as, ap := parseDecimalText(nil, a, true)
		bn, bd, bs, bp := parseDecimalText(nil, b, true)
		if ap != "" || bp != "" {
			return false
		}
		return sameDecimal(an, ad, as, bn, bd, bs)
	}
	return false
}

func isNumStart(c byte) bool { return c == '-' || c >= '0' && c <= '9' }

func sameDecimal(an bool, ad []byte, as int, bn bool, bd []byte, bs int) bool {
	norm := func(d []byte, s int) ([]byte, int) {
		for len(d) > 0 && d[0] == '0' {
			d = d[1:]
		}
		for s > 0 && len(d) > 0 && d[len(d)-1] == '0' {
			d, s = d[:len(d)-1], s-1
		}
		return d, s
	}
	ad, as = norm(ad, as)
	bd, bs = norm(bd, bs)
	if len(ad) == 0 && len(bd) == 0 {
		return true
	}
	return an == bn && as == bs && string(ad) == string(bd)
}
