package debezium

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/schemas"
)

func knownReason(r Reason) bool {
	for _, k := range AllReasons {
		if r == k {
			return true
		}
	}
	return false
}

// checkErr: every failure is an *Error with an agreed reason and a bounded message.
func checkErr(t *testing.T, err error, input []byte) {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %v is not an *Error", err)
	}
	if !knownReason(e.Reason) {
		t.Fatalf("reason %q is not an agreed code (%v)", e.Reason, err)
	}
	if n := len(err.Error()); n > 2000 {
		t.Fatalf("error message of %d bytes for %.200q", n, input)
	}
}

func FuzzUnwrap(f *testing.F) {
	for _, op := range []string{"c", "u", "d", "r"} {
		f.Add(txEvent(3, op, false))
		f.Add(txEvent(4, op, true))
	}
	f.Add([]byte(upd301))
	f.Add([]byte(deleteEvent()))
	f.Add(connectEvent(varDecimalSchema, `{"scale":3,"value":"98E="}`))
	f.Add(connectEvent(`{"type":"string","name":"io.debezium.time.ZonedTimestamp","field":"v"}`, `"2018-06-20T13:37:03.5+02:00"`))
	f.Add([]byte(`{"schema":null,"payload":null}`))
	f.Add([]byte(`{"op":"c","after":{"n":"\ud83d\ude00\u00e9"},` + okSource + `}`))
	// Hostile seeds, one per class.
	f.Add([]byte(txCreate(set(txGood, "currency", `"EURO"`))))
	f.Add([]byte(txCreate(drop(txGood, "transaction_type"))))
	f.Add([]byte(txCreate(set(txGood, "amount", `10000000000000000`))))
	f.Add(connectEvent(`{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"-2"},"field":"v"}`, `"AJg="`))
	f.Add(connectEvent(`{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"abc"},"field":"v"}`, `"AJg="`))
	f.Add(connectEvent(`{"type":"int32","field":"v"}`, `"x"`))
	f.Add([]byte(txCreate(set(txGood, "new col", `1`))))
	f.Add([]byte(txCreate(set(txGood, "Currency", `"EUR"`))))
	f.Add([]byte(txCreate(txGood) + "\x00"))
	f.Add([]byte(`{"op":"c","after":{"v":` + strings.Repeat("[", 600) + `},` + okSource + `}`))
	f.Add([]byte(strings.Replace(txCreate(txGood), `"op":"c"`, `"op":"\u0063"`, 1)))
	f.Add([]byte(txCreate(set(txGood, "device_id", `"\ud800"`))))
	f.Add([]byte(strings.Replace(txCreate(txGood), `"op":"c"`, `"op":"c","op":"d"`, 1)))
	f.Add([]byte(txCreate(set(txGood, "event_ts", `"2026-03-01T12:34:57.123+02:00"`))))
	f.Add([]byte(txCreate(set(txGood, "event_ts", `"2026-03-01T12:34:57"`))))
	if files, _ := filepath.Glob(filepath.Join(conformanceDir, "*")); len(files) > 0 {
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
				f.Add(b)
			}
		}
	}
	plain, err := New(DefaultOptions())
	if err != nil {
		f.Fatal(err)
	}
	tx, err := schemas.Load("transactions")
	if err != nil {
		f.Fatal(err)
	}
	o := DefaultOptions()
	o.Contracts = []*schemas.Table{tx}
	o.AddFields = []string{"op", "source.gtid", "transaction.id"}
	typed, err := New(o)
	if err != nil {
		f.Fatal(err)
	}
	o.AssumeTimeZone, _ = time.LoadLocation("Europe/Berlin")
	o.DeleteHandling = "tombstone"
	zoned, err := New(o)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, u := range []*Unwrapper{plain, typed, zoned} {
			for _, m := range []Meta{{Topic: "t", HasTopic: true}, {Topic: "t", HasTopic: true, Key: `{"transaction_id":1001}`, HasKey: true}} {
				r, err := u.Unwrap(body, m)
				syntaxFirstHolds(t, body, err)
				if err != nil {
					checkErr(t, err, body)
					continue
				}
				if r.Kind == KindRow && !r.Drop && !json.Valid(r.Body) {
					t.Fatalf("invalid JSON output %q for %q", r.Body, body)
				}
				if u != plain && r.Kind == KindRow && !r.Drop && (r.Table == "bank.transactions" || r.Table == "") {
					contractHolds(t, tx, r.Body, body)
				}
				// Again, now with this event's typing predicted: eager typing must agree.
				r2, err := u.Unwrap(body, m)
				if err != nil || string(r2.Body) != string(r.Body) {
					t.Fatalf("second unwrap differs: %q vs %q (%v) for %q", r2.Body, r.Body, err, body)
				}
			}
		}
	})
}

// syntaxFirstHolds: a body that encoding/json finds is not JSON fails with malformed_json,
// whatever else is wrong with it (an empty body is a tombstone).
func syntaxFirstHolds(t *testing.T, body []byte, err error) {
	t.Helper()
	if len(body) == 0 || json.Valid(body) {
		return
	}
	if e, ok := err.(*Error); !ok || e.Reason != ReasonMalformedJSON {
		t.Fatalf("%.300q is not JSON, but the verdict is %v", body, err)
	}
}

// contractHolds re-checks an output row against the contract with encoding/json: no row
// that breaks a text rule or a NOT NULL comes out of the unwrap, whatever the input.
func contractHolds(t *testing.T, tx *schemas.Table, row, input []byte) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(row, &m); err != nil {
		t.Fatalf("row %q: %v", row, err)
	}
	for i := range tx.Columns {
		c := &tx.Columns[i]
		v, present := m[c.Name]
		if !c.IsNullable() && (!present || v == nil) {
			t.Fatalf("NOT NULL %s is %v (present %v) in %q from %q", c.Name, v, present, row, input)
		}
		if s, ok := v.(string); ok {
			switch c.SQL.Kind {
			case schemas.KindChar, schemas.KindVarchar, schemas.KindEnum, schemas.KindSet:
				if code, exp := schemas.NewRule(c).CheckText([]byte(s)); code != "" {
					t.Fatalf("%s = %q breaks %s (%s) in the output of %q", c.Name, s, code, exp, input)
				}
			}
		}
	}
}

// FuzzKafkaKey: a key is accepted only when it is the row's primary key, whatever its form.
func FuzzKafkaKey(f *testing.F) {
	for _, k := range []string{`{"transaction_id":1001}`, ` {"transaction_id" : 1001 } `, `{"tr\u0061nsaction_id":1001}`,
		`{"schema":{"type":"struct","fields":[{"type":"int64","field":"transaction_id"}]},"payload":{"transaction_id":1001}}`,
		`{"transaction_id":1002}`, `{"transaction_id":"1001"}`, `{"transaction_id":1001,"transaction_id":1001}`, `{}`, `[]`, `1001`,
		`{"account_id":20}`, `{"transaction_id":1001.0}`, `{"transaction_id":1001}x`, `{"schema":null,"payload":{"transaction_id":1001}}`} {
		f.Add(k, false)
		f.Add(k, true)
	}
	tx, err := schemas.Load("transactions")
	if err != nil {
		f.Fatal(err)
	}
	o := DefaultOptions()
	o.Contracts = []*schemas.Table{tx}
	o.TombstoneHandling = "keep"
	u, err := New(o)
	if err != nil {
		f.Fatal(err)
	}
	ev := []byte(txCreate(txGood))
	f.Fuzz(func(t *testing.T, key string, tombstone bool) {
		body := ev
		if tombstone {
			body = nil
		}
		_, err := u.Unwrap(body, Meta{Key: key, HasKey: true, TombstoneFlag: tombstone})
		if err != nil {
			checkErr(t, err, []byte(key))
			if r := err.(*Error).Reason; r != ReasonInvalidKey && r != ReasonKeyMismatch {
				t.Fatalf("reason %s for key %q", r, key)
			}
			return
		}
		// Accepted: it must be {"transaction_id": <integer>} (1001 for the row), possibly wrapped.
		var m map[string]json.RawMessage
		dec := json.NewDecoder(strings.NewReader(key))
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("accepted key %q is not a JSON object: %v", key, err)
		}
		if p, ok := m["payload"]; ok && len(m) == 2 {
			if _, ok := m["schema"]; ok {
				m = nil
				if err := json.Unmarshal(p, &m); err != nil {
					t.Fatalf("accepted wrapped key %q: %v", key, err)
				}
			}
		}
		v, ok := m["transaction_id"]
		if len(m) != 1 || !ok {
			t.Fatalf("accepted key %q is not the primary key", key)
		}
		if !tombstone && strings.TrimSpace(string(v)) != "1001" {
			t.Fatalf("accepted key %q does not match the row's 1001", key)
		}
	})
}

// FuzzConnectSchema: any schema block gives a verdict, the same one from the cache as
// from a fresh parse, and never a panic.
func FuzzConnectSchema(f *testing.F) {
	for _, s := range []string{`{"type":"struct","fields":[{"type":"struct","field":"after","fields":[{"type":"int32","field":"v"}]}]}`,
		`{"type":"struct","fields":[{"type":"struct","field":"after","fields":[` + varDecimalSchema + `]}]}`,
		`{"type":"struct","fields":[{"type":"struct","field":"after","fields":[{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"-2","connect.decimal.precision":"5"},"field":"v"}]}]}`,
		`{"type":"struct","fields":[{"type":"array","items":{"type":"map","keys":{"type":"string"},"values":{"type":"int8"}},"field":"after"}]}`,
		`{"type":"struct","name":"x.Heartbeat","fields":[]}`, `{"fields":[]}`, `{"type":"int128"}`, `{"type":"struct","type":"struct"}`, `7`, `"x"`} {
		f.Add(s, `{"v":1}`)
		f.Add(s, `{"v":"AJg="}`)
	}
	cached, err := New(DefaultOptions())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, schema, after string) {
		ev := []byte(`{"schema":` + schema + `,"payload":{"before":null,"after":` + after + `,` + okSource + `,"op":"c"}}`)
		fresh, _ := New(DefaultOptions())
		r1, err1 := fresh.Unwrap(ev, Meta{Topic: "t", HasTopic: true})
		r2, err2 := cached.Unwrap(ev, Meta{Topic: "t", HasTopic: true})
		r3, err3 := cached.Unwrap(ev, Meta{Topic: "t", HasTopic: true})
		for _, err := range []error{err1, err2, err3} {
			syntaxFirstHolds(t, ev, err)
			if err != nil {
				checkErr(t, err, ev)
			}
		}
		if (err1 == nil) != (err2 == nil) || (err2 == nil) != (err3 == nil) || string(r1.Body) != string(r2.Body) || string(r2.Body) != string(r3.Body) {
			t.Fatalf("cache changes the verdict for %q: %v / %v / %v", ev, err1, err2, err3)
		}
		if err1 != nil && err2 != nil && err1.(*Error).Reason != err2.(*Error).Reason {
			t.Fatalf("cache changes the reason for %q: %v / %v", ev, err1, err2)
		}
		if err1 == nil && !json.Valid([]byte(schema)) {
			t.Fatalf("accepted invalid JSON schema %q", schema)
		}
	})
}

// FuzzISOTimestamp: parseISO agrees with the standard library wherever both read a string.
func FuzzISOTimestamp(f *testing.F) {
	for _, s := range []string{"2026-03-01T12:34:57.123Z", "2026-03-01T12:34:57+02:00", "2026-03-01T12:34:57.5-05:30", "2026-03-01T12:34:57",
		"0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "2026-03-01t12:34:57z", "2026-03-01T12:34:57+0200"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sec, nanos, zoned, ok := parseISO([]byte(s))
		if !ok {
			return
		}
		if nanos < 0 || nanos >= 1e9 {
			t.Fatalf("%q: nanos %d", s, nanos)
		}
		// Normalise our extensions (t, z, ±HHMM) to RFC 3339 for the standard library.
		norm := []byte(s)
		norm[10] = 'T'
		if !zoned {
			norm = append(norm, 'Z')
		} else if n := len(norm); norm[n-1] == 'z' {
			norm[n-1] = 'Z'
		} else if norm[n-1] != 'Z' && norm[n-3] != ':' {
			norm = append(norm[:n-2:n-2], ':', norm[n-2], norm[n-1])
		}
		want, err := time.Parse(time.RFC3339Nano, string(norm))
		if err != nil {
			t.Fatalf("parseISO accepts %q, the standard library refuses %q: %v", s, norm, err)
		}
		if want.Unix() != sec || int64(want.Nanosecond()) != nanos {
			t.Fatalf("%q: got %d.%09d, want %d.%09d", s, sec, nanos, want.Unix(), want.Nanosecond())
		}
	})
}
