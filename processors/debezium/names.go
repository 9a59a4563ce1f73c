package debezium

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
