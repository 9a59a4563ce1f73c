package debezium

import (
	"bytes"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// badNameChars are the characters Delta refuses in a column name unless the table uses
// column mapping (the Delta protocol's and Spark's rule): ' ', ',', ';', '{', '}', '(', ')',
// '\n', '\t' and '='.
var badNameChars = func() (t [256]bool) {
	for _, c := range " ,;{}()\n\t=" {
		t[c] = true
	}
	return t
}()

// invalidDeltaName says why a new column's name cannot become a Delta column ("" when it
// can). A column silently dropped from a change log is lost data, so such a column fails
// the event (invalid_column_name) instead.
func invalidDeltaName(name []byte) string {
	if len(name) == 0 {
		return "a non-empty column name"
	}
	for _, c := range name {
		if badNameChars[c] {
			return "a column name without space or any of ,;{}()=\\n\\t (Delta cannot store it without column mapping)"
		}
	}
	return ""
}

// reservedNames are the names a source column may not have: every column the unwrap and
// the Delta outputs generate (schemas.ReservedColumns, the one list they share) and the
// add_fields columns. A source column of such a name would overwrite the generated value.
type reservedNames struct {
	names [][]byte
	text  string // for messages
	// anyFirst: some name does not start with '_' (an add_fields prefix of letters), so the
	// first-byte shortcut does not apply.
	anyFirst bool
}

func newReservedNames() *reservedNames {
	r := &reservedNames{}
	for _, n := range schemas.ReservedColumns {
		r.add(n)
	}
	return r
}

func (r *reservedNames) add(name string) {
	r.names = append(r.names, []byte(name))
	if r.text != "" {
		r.text += " "
	}
	r.text += name
	r.anyFirst = r.anyFirst || name == "" || name[0] != '_'
}

// has reports a reserved name, compared case-insensitively (Unicode case folding, as Spark
// and Delta resolve column names; MySQL's are case-insensitive too).
func (r *reservedNames) has(name []byte) bool {
	if len(name) == 0 || name[0] != '_' && !r.anyFirst {
		return false // '_' has no other case: the common new column costs one compare
	}
	for _, n := range r.names {
		if bytes.EqualFold(name, n) {
			return true
		}
	}
	return false
}

// reservedErr is the error for a source column named like a generated one; partition is
// the table's derived partition column ("" without one).
func (st *state) reservedErr(name []byte, partition string) error {
	if partition != "" && bytes.EqualFold(name, []byte(partition)) {
		return errAt(ReasonReservedColumn, st.fieldName(name), name,
			"a source column name other than "+partition+", the table contract's derived partition column (names compare in any case)")
	}
	return errAt(ReasonReservedColumn, st.fieldName(name), name,
		"a source column name that the outputs do not generate themselves (reserved in any case: "+st.u.reserved.text+")")
}
