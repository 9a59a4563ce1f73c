package jsonscan

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzEachMember moved here from outputs/delta with the scanner it checks.

// FuzzEachMember checks the scanner against encoding/json: it accepts exactly the inputs
// that are one valid JSON object, and hands over the same members.
func FuzzEachMember(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":1}`, ` {"a" : [1, {"b": "c\"d"}], "e": null , "f":-1.5e3} `, `{"a":}`, `[1]`, `{"a":1,}`,
		`{"a":"\u00e9\n"}`, `{"a":01}`, `{"a":tru}`, `{"a":{"b":[[]]}}`, `{"a":1}x`, "{\"a\":\"\xff\"}",
		`{"transaction_id":1,"account_id":7,"customer_id":3,"merchant_id":null,"amount":"1.00","currency":"EUR","status":"pending","transaction_type":"purchase","channel":"online","event_ts":"2024-03-01T10:00:00.123Z","created_at":"2024-03-01T10:00:00.123Z","_op":"c","_source_ts":"2024-03-01T10:00:01.000Z","_source_pos":"0000000003:00000000000000001001:000000","_deleted":false}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var members []string
		err := EachMember(b, func(key []byte, escaped bool, val []byte) error {
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

// FuzzStringValue: an escaped string is read as encoding/json reads it (the escape-free
// path is a byte copy, for values the scanner already delimited).
func FuzzStringValue(f *testing.F) {
	for _, s := range []string{`"\u00e9\n"`, `"\ud83d\ude00"`, `"\ud800"`, `"\udc00\u0041"`, "\"\\n\xff\"", `"\x"`, `"a\"`, "\"\\t\x01\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !bytes.Contains(raw, []byte{'\\'}) {
			return
		}
		got, ok := StringValue(raw)
		var want string
		err := json.Unmarshal(raw, &want)
		wantOK := err == nil && raw[0] == '"' && raw[len(raw)-1] == '"'
		if ok != wantOK || ok && got != want {
			t.Fatalf("%q: StringValue %q %v, encoding/json %q (%v)", raw, got, ok, want, err)
		}
	})
}
