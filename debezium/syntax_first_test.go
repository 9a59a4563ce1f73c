package debezium

import (
	"strings"
	"testing"
)

// Text that is not JSON (RFC 8259) is malformed_json wherever the fault is, also when the
// unwrap would have found a typing problem first (the first byte of a value decides its
// expected type) and also inside values it skips or reads lazily. The syntax verdict comes
// before every other verdict; invalid UTF-8 in otherwise valid JSON stays invalid_utf8.
func TestSyntaxBeforeTyping(t *testing.T) {
	ev := txCreate(txGood)
	upd := `{"before":` + txGood + `,"after":` + txGood + `,` + txSource + `,"op":"u"}`
	cases := []hostileCase{
		// Found by the hostile corpus: each was reported as a typing error.
		{"double colon after before", strings.Replace(ev, `"before":null`, `"before"::null`, 1), nil, "malformed_json", nil},
		{"unquoted binlog file", strings.Replace(ev, `"file":"mysql-bin.000003"`, `"file":mysql-bin.000003`, 1), nil, "malformed_json", nil},
		{"ts_ms --", strings.Replace(ev, `"ts_ms":1714521601000`, `"ts_ms":--`, 1), nil, "malformed_json", nil},
		{"Infinity", txCreate(set(txGood, "amount", `Infinity`)), nil, "malformed_json", nil},
		{"NaN", txCreate(set(txGood, "merchant_id", `NaN`)), nil, "malformed_json", nil},
		{".5", txCreate(set(txGood, "merchant_id", `.5`)), nil, "malformed_json", nil},
		{"+1", txCreate(set(txGood, "merchant_id", `+1`)), nil, "malformed_json", nil},
		{"leading zero", txCreate(set(txGood, "merchant_id", `01`)), nil, "malformed_json", nil},
		{"1.", txCreate(set(txGood, "merchant_id", `1.`)), nil, "malformed_json", nil},
		{"single-quoted string", txCreate(set(txGood, "currency", `'EUR'`)), nil, "malformed_json", nil},
		{"True", txCreate(set(txGood, "device_id", `True`)), nil, "malformed_json", nil},
		{"op unquoted", strings.Replace(ev, `"op":"c"`, `"op":c`, 1), nil, "malformed_json", nil},
		{"source unquoted", strings.Replace(ev, `"source":{`, `"source":x{`, 1), nil, "malformed_json", nil},
		// A typing error early, the syntax error far behind it.
		{"type mismatch, then a bad number", strings.Replace(txCreate(set(txGood, "amount", `true`)), `"ts_ms":1714521601234`, `"ts_ms":1x`, 1), nil, "malformed_json", nil},
		{"contract violation, then a truncated body", strings.TrimSuffix(txCreate(set(txGood, "currency", `"EURO"`)), "}"), nil, "malformed_json", nil},
		{"duplicate field, then a bad literal", strings.Replace(ev, `"op":"c"`, `"op":"c","op":"c","x":nul`, 1), nil, "malformed_json", nil},
		{"unknown op, then trailing garbage", strings.Replace(ev, `"op":"c"`, `"op":"x"`, 1) + "]", nil, "malformed_json", nil},
		{"invalid key and a broken body", strings.Replace(ev, `"op":"c"`, `"op":"c",,`, 1), map[string]string{"kafka_key": "garbage"}, "malformed_json", nil},
		{"invalid UTF-8, then a syntax error", strings.Replace(txCreate(set(txGood, "device_id", "\"\xff\"")), `"op":"c"`, `"op":"c" "x":1`, 1), nil, "malformed_json", nil},
		// Valid JSON with invalid text is still invalid_utf8, also behind a typing error.
		{"invalid UTF-8 behind a type mismatch", strings.Replace(txCreate(set(txGood, "amount", `true`)), `"ts_ms":1714521601234`, "\"ts_ms\":1714521601234,\"n\":\"\xff\"", 1), nil, "invalid_utf8", nil},
		{"lone surrogate behind a type mismatch", strings.Replace(txCreate(set(txGood, "amount", `true`)), `"ts_ms":1714521601234`, `"ts_ms":1714521601234,"n":"\ud800"`, 1), nil, "invalid_utf8", nil},
		{"type mismatch alone", txCreate(set(txGood, "amount", `true`)), nil, "type_mismatch", nil},
		// Images the row does not need are not typed, but they are still JSON.
		{"bad number in the before of a create", strings.Replace(ev, `"before":null`, `"before":{"transaction_id":01}`, 1), nil, "malformed_json", nil},
		{"bad escape in the before of a create", strings.Replace(ev, `"before":null`, `"before":{"x":"\q"}`, 1), nil, "malformed_json", nil},
		{"bare word in the before of a create", strings.Replace(ev, `"before":null`, `"before":{"x":nope}`, 1), nil, "malformed_json", nil},
		{"missing colon in the before of a create", strings.Replace(ev, `"before":null`, `"before":{"x" 1}`, 1), nil, "malformed_json", nil},
		{"invalid UTF-8 in the before of a create", strings.Replace(ev, `"before":null`, "\"before\":{\"x\":\"\xff\"}", 1), nil, "invalid_utf8", nil},
		{"bad number in the after of a delete", `{"before":` + txGood + `,"after":{"x":-},` + txSource + `,"op":"d"}`, nil, "malformed_json", nil},
		{"bad literal in the after of a truncate", `{"before":null,"after":{"x":tru},` + txSource + `,"op":"t"}`, nil, "malformed_json", nil},
		{"bad literal in the after of a message", `{"before":null,"after":{"x":[1,]},` + txSource + `,"op":"m"}`, nil, "malformed_json", nil},
		{"a valid before of a create is fine", strings.Replace(ev, `"before":null`, `"before":`+txGood, 1), nil, "", nil},
		{"update", upd, nil, "", nil},
	}
	// A fresh unwrapper (no eager typing yet) and one that has typed an event: the lazy and
	// the eager path.
	runHostile(t, hostileUnwrapper(t, "", "transactions"), cases)
	warm := hostileUnwrapper(t, "", "transactions")
	if _, err := warm.Unwrap([]byte(ev), Meta{}); err != nil {
		t.Fatal(err)
	}
	runHostile(t, warm, cases)

	// The images an option leaves untyped.
	o := DefaultOptions()
	o.IncludeBefore = false
	o.Contracts = warm.o.Contracts
	noBefore := mustNew(t, o)
	o = DefaultOptions()
	o.DeleteHandling = "drop"
	o.Contracts = warm.o.Contracts
	dropDeletes := mustNew(t, o)
	badBefore := `{"before":{"transaction_id":1,"amount":00},"after":` + txGood + `,` + txSource + `,"op":"u"}`
	runHostile(t, noBefore, []hostileCase{
		{"untyped before of an update", badBefore, nil, "malformed_json", nil},
		{"update", upd, nil, "", nil},
	})
	runHostile(t, dropDeletes, []hostileCase{
		{"dropped delete", `{"before":{"transaction_id":1,"amount":"x"y},"after":null,` + txSource + `,"op":"d"}`, nil, "malformed_json", nil},
	})
	// Heartbeats pass through unread, but they must be JSON.
	hb := map[string]string{"kafka_topic": "__debezium-heartbeat.bank_server"}
	runHostile(t, warm, []hostileCase{
		{"heartbeat", `{"ts_ms":1}`, hb, "", nil},
		{"broken heartbeat", `{"ts_ms":1`, hb, "malformed_json", nil},
		{"heartbeat of spaces", `   `, hb, "malformed_json", nil},
		{"heartbeat tombstone", ``, hb, "", nil},
	})
	// With Connect schemas: the syntax error hides behind a schema mismatch.
	good := string(txEvent(1, "c", true))
	runHostile(t, hostileUnwrapper(t, "", "transactions"), []hostileCase{
		{"schema: +1", strings.Replace(good, `"merchant_id":77001`, `"merchant_id":+1`, 1), nil, "malformed_json", nil},
		{"schema: unquoted string", strings.Replace(good, `"currency":"EUR"`, `"currency":EUR`, 1), nil, "malformed_json", nil},
		{"schema: good", good, nil, "", nil},
	})
}

// A value of only whitespace is not a tombstone (only an empty value is): it is no JSON.
func TestWhitespaceValueIsMalformed(t *testing.T) {
	u := hostileUnwrapper(t, "", "transactions")
	key := `{"transaction_id":1001}`
	runHostile(t, u, []hostileCase{
		{"four spaces", "    ", map[string]string{"kafka_key": key}, "malformed_json", nil},
		{"one space", " ", map[string]string{"kafka_key": key}, "malformed_json", nil},
		{"newlines and tabs", "\n\t\r\n", map[string]string{"kafka_key": key}, "malformed_json", nil},
		{"four spaces flagged as a tombstone", "    ", map[string]string{"kafka_key": key, "kafka_tombstone": "true"}, "malformed_json", nil},
		{"empty value", "", map[string]string{"kafka_key": key, "kafka_tombstone": "true"}, "", nil},
		{"empty value without the flag", "", map[string]string{"kafka_key": key}, "", nil},
		{"null", "null", map[string]string{"kafka_key": key}, "", nil},
		{"null with spaces", " null\n", map[string]string{"kafka_key": key}, "", nil},
	})
	r, err := u.Unwrap([]byte(""), metaOf(map[string]string{"kafka_key": key, "kafka_tombstone": "true"}))
	if err != nil || r.Kind != KindTombstone {
		t.Fatalf("empty flagged value: %v %v, want a tombstone", r.Kind, err)
	}
}
