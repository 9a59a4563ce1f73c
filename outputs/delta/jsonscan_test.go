package delta

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// FuzzEachMember checks the scanner against encoding/json: it accepts exactly the inputs
// that are one valid JSON object, and hands over the same members.
func FuzzEachMember(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":1}`, ` {"a" : [1, {"b": "c\"d"}], "e": null , "f":-1.5e3} `, `{"a":}`, `[1]`, `{"a":1,}`,
		`{"a":"\u00e9\n"}`, `{"a":01}`, `{"a":tru}`, `{"a":{"b":[[]]}}`, `{"a":1}x`, "{\"a\":\"\xff\"}",
		txEvent(1, "1.00"),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var members []string
		err := eachMember(b, func(key []byte, escaped bool, val []byte) error {
			members = append(members, string(key)+"="+string(val))
			return nil
		})
		trimmed := bytes.TrimSpace(b)
		isObject := json.Valid(b) && len(trimmed) > 0 && trimmed[0] == '{'
		if (err == nil) != isObject {
			t.Fatalf("scanner error %v, encoding/json says object=%v for %q", err, isObject, b)
		}
		if err != nil {
			return
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			t.Fatalf("encoding/json rejects what the scanner took: %v", err)
		}
		if len(obj) > len(members) {
			t.Fatalf("scanner saw %d members, encoding/json %d", len(members), len(obj))
		}
	})
}

func TestDecodeRowHandlesEscapesAndCase(t *testing.T) {
	tbl, err := schemas.Load("transactions")
	if err != nil {
		t.Fatal(err)
	}
	l, err := bronzeLayout(tbl, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"Transaction_ID": 9, "curr\u0065ncy": "E\u00dfR", "amount": "-0.50", "_op": "c", "_deleted": false, "_before": {"a": [1, 2]}}`)
	row, err := l.decodeRow(body, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	st := l.schema
	if row[st.Index("transaction_id")] != int64(9) || row[st.Index("currency")] != "EßR" ||
		row[st.Index("amount")].(interface{ String() string }).String() != "-0.50" || row[st.Index("_before")] != `{"a":[1,2]}` {
		t.Fatalf("row: %v", row)
	}
}
