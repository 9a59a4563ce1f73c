package debezium

import (
	"encoding/json"
	"errors"
	"math/big"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hostile input, one table per class of the hardening issue. Every bad event must fail with
// its reason code and a message naming the field, the value and what was expected; the
// good variants next to them must pass. The reason codes are written as strings on purpose:
// they are the agreed, stable interface.

// txGood is a complete, valid bank.transactions after image (schemas disabled).
const txGood = `{"transaction_id":1001,"account_id":20,"customer_id":7,"merchant_id":555,"amount":"AJg=","currency":"EUR",` +
	`"status":"pending","transaction_type":"purchase","channel":"online","merchant_category":"5411","device_id":null,` +
	`"country":"DE","ip_address":null,"event_ts":1714521600123,"created_at":1714521600123,"updated_at":null}`

const txSource = `"source":{"version":"3.0.1.Final","connector":"mysql","name":"bank_server","ts_ms":1714521601000,"snapshot":"false",` +
	`"db":"bank","table":"transactions","server_id":1,"gtid":null,"file":"mysql-bin.000003","pos":1541,"row":0}`

// txCreate wraps an after image in a create event.
func txCreate(after string) string {
	return `{"before":null,"after":` + after + `,` + txSource + `,"op":"c","ts_ms":1714521601234}`
}

// set replaces column col's value in a flat JSON image (or adds it at the end).
func set(img, col, value string) string {
	re := regexp.MustCompile(`"` + regexp.QuoteMeta(col) + `":("(?:[^"\\]|\\.)*"|[^,}]*)`)
	if re.MatchString(img) {
		return re.ReplaceAllLiteralString(img, `"`+col+`":`+value)
	}
	return strings.TrimSuffix(img, "}") + `,"` + col + `":` + value + `}`
}

// drop removes column col from a flat JSON image.
func drop(img, col string) string {
	re := regexp.MustCompile(`,?"` + regexp.QuoteMeta(col) + `":("(?:[^"\\]|\\.)*"|[^,}]*)`)
	out := re.ReplaceAllLiteralString(img, "")
	return strings.Replace(out, "{,", "{", 1)
}

type hostileCase struct {
	name     string
	body     string
	meta     map[string]string
	reason   string   // "" = must succeed
	contains []string // in the error message (or, on success, in the output body)
}

func runHostile(t *testing.T, u *Unwrapper, cases []hostileCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := u.Unwrap([]byte(c.body), metaOf(c.meta))
			if c.reason == "" {
				require.NoError(t, err)
				if r.Body != nil && len(r.Body) > 0 {
					require.True(t, json.Valid(r.Body), "%s", r.Body)
				}
				for _, s := range c.contains {
					assert.Contains(t, string(r.Body), s)
				}
				return
			}
			require.Error(t, err, "want %s; got row %s", c.reason, truncateForTest(r.Body))
			var e *Error
			require.True(t, errors.As(err, &e), "%T %v", err, err)
			assert.Equal(t, c.reason, string(e.Reason), "%v", err)
			assert.LessOrEqual(t, len(err.Error()), 900, "the message quotes a truncated value")
			for _, s := range c.contains {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}

func truncateForTest(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// Class 1: the table contract is enforced where each value is decoded.
func TestHostileContract(t *testing.T) {
	u := hostileUnwrapper(t, "", "transactions", "customers")
	cust := `{"customer_id":7,"first_name":"Ada","last_name":"Lovelace","email":"ada@example.org","phone":null,"date_of_birth":-56270,` +
		`"country":"GB","kyc_status":"verified","risk_rating":200,"created_at":1714521600000,"updated_at":null}`
	custEv := func(after string) string {
		return `{"before":null,"after":` + after + `,"source":{"db":"bank","table":"customers","file":"mysql-bin.000001","pos":4,"row":0,"ts_ms":1},"op":"c"}`
	}
	huge := `"` + strings.Repeat("X", 5<<20) + `"`
	runHostile(t, u, []hostileCase{
		{"good", txCreate(txGood), nil, "", []string{`"currency":"EUR"`}},
		{"5 MB currency", txCreate(set(txGood, "currency", huge)), nil, "contract_length", []string{"after.currency", "XXXX", "at most 3 characters for CHAR(3)", "truncated"}},
		{"4 chars in CHAR(3)", txCreate(set(txGood, "currency", `"EURO"`)), nil, "contract_length", []string{"after.currency", "EURO", "CHAR(3)"}},
		{"3 chars of 3 bytes each", txCreate(set(txGood, "currency", `"€€€"`)), nil, "", []string{`"currency":"€€€"`}},
		{"3 escaped chars", txCreate(set(txGood, "currency", `"\u20ac\u20ac\u20ac"`)), nil, "", nil},
		{"4 escaped chars", txCreate(set(txGood, "currency", `"\u20ac\u20ac\u20ac\u20ac"`)), nil, "contract_length", nil},
		{"VARCHAR(64) + 1", txCreate(set(txGood, "device_id", `"`+strings.Repeat("d", 65)+`"`)), nil, "contract_length", []string{"after.device_id", "VARCHAR(64)"}},
		{"VARCHAR(64) exactly, multibyte", txCreate(set(txGood, "device_id", `"`+strings.Repeat("ä", 64)+`"`)), nil, "", nil},
		{"enum not a member", txCreate(set(txGood, "status", `"lost"`)), nil, "contract_enum", []string{"after.status", "lost", "'pending', 'completed', 'failed', 'reversed'"}},
		{"enum wrong case", txCreate(set(txGood, "status", `"Pending"`)), nil, "contract_enum", nil},
		{"enum empty (MySQL's error value)", txCreate(set(txGood, "status", `""`)), nil, "contract_enum", nil},
		{"nullable enum null", txCreate(set(txGood, "channel", `null`)), nil, "", nil},
		{"decimal too many integer digits", txCreate(set(txGood, "amount", `10000000000000000`)), nil, "contract_precision", []string{"after.amount", "DECIMAL(18,2)", "16 integer"}},
		{"decimal largest", txCreate(set(txGood, "amount", `9999999999999999.99`)), nil, "", []string{`"amount":"9999999999999999.99"`}},
		{"decimal too many fraction digits", txCreate(set(txGood, "amount", `1.005`)), nil, "contract_precision", []string{"after.amount", "1.005"}},
		{"decimal base64 too large", txCreate(set(txGood, "amount", `"`+decimalB64(mustBig("100000000000000000000"))+`"`)), nil, "contract_precision", nil},
		{"BIGINT overflow", txCreate(set(txGood, "transaction_id", `9223372036854775808`)), nil, "contract_range", []string{"after.transaction_id", "9223372036854775808", "[-9223372036854775808, 9223372036854775807]"}},
		{"BIGINT underflow", txCreate(set(txGood, "account_id", `-9223372036854775809`)), nil, "contract_range", nil},
		{"BIGINT 30 digits", txCreate(set(txGood, "account_id", strings.Repeat("9", 30))), nil, "contract_range", nil},
		{"NOT NULL null", txCreate(set(txGood, "transaction_type", `null`)), nil, "contract_not_null", []string{"after.transaction_type", "null", "NOT NULL"}},
		{"NOT NULL absent", txCreate(drop(txGood, "transaction_type")), nil, "contract_not_null", []string{"after.transaction_type", "absent"}},
		{"NOT NULL absent in the delete's before", `{"before":` + drop(txGood, "currency") + `,"after":null,` + txSource + `,"op":"d"}`, nil, "contract_not_null", []string{"before.currency"}},
		{"NOT NULL absent in an update's before only", `{"before":` + drop(txGood, "currency") + `,"after":` + txGood + `,` + txSource + `,"op":"u"}`, nil, "", nil},
		{"DATETIME year 10000", txCreate(set(txGood, "event_ts", `253402300800000`)), nil, "contract_range", []string{"after.event_ts", "DATETIME(3)"}},
		{"TINYINT UNSIGNED 256", custEv(set(cust, "risk_rating", `256`)), nil, "contract_range", []string{"after.risk_rating", "[0, 255]", "TINYINT UNSIGNED"}},
		{"TINYINT UNSIGNED -1", custEv(set(cust, "risk_rating", `-1`)), nil, "contract_range", nil},
		{"TINYINT UNSIGNED 255", custEv(set(cust, "risk_rating", `255`)), nil, "", nil},
		{"DATE year 10000", custEv(set(cust, "date_of_birth", `2932897`)), nil, "contract_range", []string{"after.date_of_birth", "DATE"}},
		{"CHAR(2) country 3", custEv(set(cust, "country", `"GBR"`)), nil, "contract_length", nil},
	})

	kinds := "table: kinds\ndatabase: bank\nprimary_key: [id]\ncolumns:\n" +
		"  - {name: id, type: INT UNSIGNED, nullable: false}\n  - {name: ts, type: TIMESTAMP(3)}\n  - {name: t, type: TIME(6)}\n" +
		"  - {name: y, type: YEAR}\n  - {name: s, type: \"SET('a','b')\"}\n  - {name: big, type: BIGINT UNSIGNED}\n  - {name: m, type: MEDIUMINT}\n"
	k := hostileUnwrapper(t, "", kinds)
	kEv := func(col, v string) string {
		return `{"after":{"id":1,"` + col + `":` + v + `},"source":{"db":"bank","table":"kinds","file":"b.000001","pos":1},"op":"c"}`
	}
	runHostile(t, k, []hostileCase{
		{"INT UNSIGNED max", kEv("m", "1"), nil, "", nil},
		{"INT UNSIGNED 2^32", `{"after":{"id":4294967296},"source":{"db":"bank","table":"kinds","file":"b.000001","pos":1},"op":"c"}`, nil, "contract_range", []string{"after.id", "[0, 4294967295]"}},
		{"MEDIUMINT 2^23", kEv("m", "8388608"), nil, "contract_range", []string{"[-8388608, 8388607]"}},
		{"BIGINT UNSIGNED max", kEv("big", "18446744073709551615"), nil, "", []string{`"big":18446744073709551615`}},
		{"BIGINT UNSIGNED 2^64", kEv("big", "18446744073709551616"), nil, "contract_range", nil},
		{"BIGINT UNSIGNED negative (long mode overflow)", kEv("big", "-1"), nil, "contract_range", nil},
		{"TIMESTAMP 2038 limit", kEv("ts", `"2038-01-19T03:14:07.999Z"`), nil, "", nil},
		{"TIMESTAMP after 2038", kEv("ts", `"2038-01-19T03:14:08Z"`), nil, "contract_range", []string{"after.ts", "2038-01-19 03:14:07.999999 UTC"}},
		{"TIMESTAMP before 1970", kEv("ts", `"1969-12-31T23:59:59Z"`), nil, "contract_range", nil},
		{"TIMESTAMP zero value (Debezium sends the epoch)", kEv("ts", `"1970-01-01T00:00:00Z"`), nil, "", nil},
		{"TIME negative", kEv("t", "-1"), nil, "", []string{`"t":"-00:00:00.000001"`}},
		{"TIME 100 hours", kEv("t", "360000000000"), nil, "", []string{`"t":"100:00:00.000000"`}},
		{"TIME max", kEv("t", "3020399000000"), nil, "", []string{`"t":"838:59:59.000000"`}},
		{"TIME beyond 838:59:59", kEv("t", "3020399000001"), nil, "contract_range", []string{"after.t", "838:59:59"}},
		{"YEAR 1900", kEv("y", "1900"), nil, "contract_range", []string{"1901..2155"}},
		{"YEAR 0", kEv("y", "0"), nil, "", nil},
		{"SET members", kEv("s", `"a,b"`), nil, "", nil},
		{"SET empty", kEv("s", `""`), nil, "", nil},
		{"SET non-member", kEv("s", `"a,c"`), nil, "contract_enum", []string{"after.s", "'a', 'b'"}},
	})
}

// Class 1 with schemas enabled: the contract still holds.
func TestHostileContractWithSchemas(t *testing.T) {
	u := hostileUnwrapper(t, "", "transactions")
	good := string(txEvent(1, "c", true))
	require.Contains(t, good, `"currency":"EUR"`)
	// A schema-enabled transaction_type that the schema makes optional, sent as null.
	optional := strings.Replace(good, `{"field":"transaction_type","name":"io.debezium.data.Enum","optional":false`,
		`{"field":"transaction_type","name":"io.debezium.data.Enum","optional":true`, 2)
	require.NotEqual(t, good, optional)
	runHostile(t, u, []hostileCase{
		{"good", good, nil, "", nil},
		{"CHAR(3) too long", strings.Replace(good, `"currency":"EUR"`, `"currency":"EURO"`, 1), nil, "contract_length", []string{"after.currency"}},
		{"enum", strings.Replace(good, `"status":"pending"`, `"status":"lost"`, 1), nil, "contract_enum", nil},
		{"non-optional null contradicts the schema", strings.Replace(good, `"transaction_type":"purchase"`, `"transaction_type":null`, 1), nil, "schema_payload_mismatch", []string{"after.transaction_type", "not optional"}},
		{"optional in the schema, NOT NULL in the contract", strings.Replace(optional, `"transaction_type":"purchase"`, `"transaction_type":null`, 1), nil, "contract_not_null", []string{"after.transaction_type"}},
		// Found by FuzzUnwrap: an event naming no table is the only contract's table, with a
		// Connect schema too (as it already was without one).
		{"no source table, schema lacks NOT NULL columns", `{"schema":{"type":"struct","fields":[{"type":"struct","field":"after","fields":[{"type":"bytes","field":"v"}]}]},` +
			`"payload":{"after":{"v":""},"source":{"file":"0","pos":0},"op":"c"}}`, nil, "contract_not_null", []string{"after.transaction_id"}},
	})
}

// Class 2: negative, zero and large Decimal scales.
func TestHostileDecimalScale(t *testing.T) {
	plain := hostileUnwrapper(t, "")
	dec := func(scale, precision string) string {
		p := ""
		if precision != "" {
			p = `,"connect.decimal.precision":"` + precision + `"`
		}
		return `{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"` + scale + `"` + p + `},"field":"v"}`
	}
	runHostile(t, plain, []hostileCase{
		{"scale -2", string(connectEvent(dec("-2", ""), `"AJg="`)), nil, "", []string{`"v":"15200"`}},
		{"scale -2 negative", string(connectEvent(dec("-2", ""), `"/2g="`)), nil, "", []string{`"v":"-15200"`}},
		{"scale -2 zero", string(connectEvent(dec("-2", ""), `"AA=="`)), nil, "", []string{`"v":"0"`}},
		{"scale 0", string(connectEvent(dec("0", ""), `"AJg="`)), nil, "", []string{`"v":"152"`}},
		{"scale 30", string(connectEvent(dec("30", ""), `"AJg="`)), nil, "", []string{`"v":"0.000000000000000000000000000152"`}},
		{"scale -2 with precision 3 fits", string(connectEvent(dec("-2", "3"), `"AJg="`)), nil, "", []string{`"v":"15200"`}},
		{"scale +2 in the payload text", string(connectEvent(dec("+2", ""), `"AJg="`)), nil, "", []string{`"v":"1.52"`}},
		{"VariableScaleDecimal scale -2", string(connectEvent(varDecimalSchema, `{"scale":-2,"value":"AJg="}`)), nil, "", []string{`"v":"15200"`}},
	})
	// Contract path: the Connect scale decodes, the contract's DECIMAL(p,s) renders and checks.
	c := hostileUnwrapper(t, "", "table: t\ndatabase: d\ncolumns:\n  - {name: v, type: 'DECIMAL(7,2)'}\n")
	runHostile(t, c, []hostileCase{
		{"scale -2 into DECIMAL(7,2)", string(connectEvent(dec("-2", ""), `"AJg="`)), nil, "", []string{`"v":"15200.00"`}},
		{"scale -4 overflows DECIMAL(7,2)", string(connectEvent(dec("-4", ""), `"AJg="`)), nil, "contract_precision", []string{"after.v", "DECIMAL(7,2)", "got 7 and 0"}},
		{"scale 4 with trailing zeros fits", string(connectEvent(dec("4", ""), `"AYag"`)), nil, "", []string{`"v":"10.00"`}},
		{"VariableScaleDecimal scale -6 overflows", string(connectEvent(varDecimalSchema, `{"scale":-6,"value":"AJg="}`)), nil, "contract_precision", nil},
	})
}

func mustBig(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return n
}

// Class 3: broken schema blocks, and schemas that contradict the payload.
func TestHostileSchemaBlocks(t *testing.T) {
	u := hostileUnwrapper(t, "")
	withSchema := func(schema, payload string) string {
		return `{"schema":` + schema + `,"payload":` + payload + `}`
	}
	env := func(fields string) string {
		return `{"type":"struct","name":"s.d.t.Envelope","fields":[{"type":"struct","field":"after","optional":true,"fields":[` + fields + `]}]}`
	}
	row := func(after string) string { return `{"before":null,"after":` + after + `,` + okSource + `,"op":"c"}` }
	runHostile(t, u, []hostileCase{
		{"good", withSchema(env(`{"type":"int32","field":"v"}`), row(`{"v":1}`)), nil, "", nil},
		{"scale abc", withSchema(env(`{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"abc"},"field":"v"}`), row(`{"v":"AJg="}`)), nil, "schema_invalid", []string{"parameters.scale", "abc", "integer scale"}},
		{"scale a number", withSchema(env(`{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":2},"field":"v"}`), row(`{"v":"AJg="}`)), nil, "schema_invalid", nil},
		{"scale huge", withSchema(env(`{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"99999"},"field":"v"}`), row(`{"v":"AJg="}`)), nil, "schema_invalid", nil},
		{"missing type", withSchema(env(`{"field":"v"}`), row(`{"v":1}`)), nil, "schema_invalid", []string{"schema.fields[0].fields[0]", `"type"`}},
		{"missing top-level type", withSchema(`{"fields":[]}`, row(`{"v":1}`)), nil, "schema_invalid", nil},
		{"unknown type", withSchema(env(`{"type":"int128","field":"v"}`), row(`{"v":1}`)), nil, "schema_invalid", []string{"int128"}},
		{"type not a string", withSchema(env(`{"type":["int32"],"field":"v"}`), row(`{"v":1}`)), nil, "schema_invalid", nil},
		{"fields not an array", withSchema(`{"type":"struct","fields":{"after":1}}`, row(`{"v":1}`)), nil, "schema_invalid", []string{"schema.fields", "array"}},
		{"field without name", withSchema(env(`{"type":"int32"}`), row(`{"v":1}`)), nil, "schema_invalid", nil},
		{"two fields of one name", withSchema(env(`{"type":"int32","field":"v"},{"type":"string","field":"v"}`), row(`{"v":1}`)), nil, "schema_invalid", []string{"once"}},
		{"optional not a boolean", withSchema(env(`{"type":"int32","optional":"yes","field":"v"}`), row(`{"v":1}`)), nil, "schema_invalid", nil},
		{"Decimal declared as int32", withSchema(env(`{"type":"int32","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"},"field":"v"}`), row(`{"v":1}`)), nil, "schema_invalid", []string{"logical type of bytes"}},
		{"after not a struct", withSchema(`{"type":"struct","fields":[{"type":"string","field":"after"}]}`, row(`{"v":1}`)), nil, "schema_invalid", nil},
		{"array without items", withSchema(env(`{"type":"array","field":"v"}`), row(`{"v":[1]}`)), nil, "schema_invalid", nil},
		{"schema a number", withSchema(`7`, row(`{"v":1}`)), nil, "schema_invalid", nil},
		{"schema a string", withSchema(`"struct"`, row(`{"v":1}`)), nil, "schema_invalid", nil},
		{"repeated key in the schema", withSchema(`{"type":"struct","type":"int32","fields":[]}`, row(`{"v":1}`)), nil, "duplicate_field", nil},
		{"int32 but a string", withSchema(env(`{"type":"int32","field":"v"}`), row(`{"v":"x"}`)), nil, "schema_payload_mismatch", []string{"after.v", `"x"`, "int32"}},
		{"string but a number", withSchema(env(`{"type":"string","field":"v"}`), row(`{"v":1}`)), nil, "schema_payload_mismatch", nil},
		{"boolean but 1", withSchema(env(`{"type":"boolean","field":"v"}`), row(`{"v":1}`)), nil, "schema_payload_mismatch", nil},
		{"struct but a number", withSchema(env(`{"type":"struct","field":"v","fields":[]}`), row(`{"v":1}`)), nil, "schema_payload_mismatch", nil},
		{"array but an object", withSchema(env(`{"type":"array","items":{"type":"int32"},"field":"v"}`), row(`{"v":{}}`)), nil, "schema_payload_mismatch", nil},
		{"int8 overflow", withSchema(env(`{"type":"int8","field":"v"}`), row(`{"v":200}`)), nil, "schema_payload_mismatch", nil},
		{"schema field absent from the payload", withSchema(env(`{"type":"int32","field":"v"},{"type":"string","optional":true,"field":"w"}`), row(`{"v":1}`)), nil, "schema_payload_mismatch", []string{"after.w", "absent"}},
		{"payload field the schema lacks", withSchema(env(`{"type":"int32","field":"v"}`), row(`{"v":1,"w":2}`)), nil, "schema_payload_mismatch", []string{"after.w"}},
		{"non-optional null", withSchema(env(`{"type":"int32","optional":false,"field":"v"}`), row(`{"v":null}`)), nil, "schema_payload_mismatch", nil},
		{"schema without a row struct", withSchema(`{"type":"struct","fields":[{"type":"string","field":"op"}]}`, row(`{"v":1}`)), nil, "schema_payload_mismatch", []string{"payload.after"}},
		{"schema of another shape", withSchema(`{"type":"int32"}`, row(`{"v":1}`)), nil, "schema_payload_mismatch", nil},
	})

	// The cache: parsed once per distinct block, but a bad block never poisons it and a
	// good cached block never hides a bad one, on one topic.
	meta := map[string]string{"kafka_topic": "s.d.t"}
	good := withSchema(env(`{"type":"int32","field":"v"}`), row(`{"v":1}`))
	bad := withSchema(env(`{"type":"int32","field":"v","optional":"x"}`), row(`{"v":1}`))
	mismatch := withSchema(env(`{"type":"int32","field":"v"}`), row(`{"v":"1"}`))
	goodThenGarbage := strings.Replace(good, `"payload":`, `x,"payload":`, 1)
	var seq []hostileCase
	for i := 0; i < 3; i++ {
		seq = append(seq,
			hostileCase{"good", good, meta, "", nil},
			hostileCase{"bad", bad, meta, "schema_invalid", nil},
			hostileCase{"good after bad", good, meta, "", nil},
			hostileCase{"mismatch under the cached schema", mismatch, meta, "schema_payload_mismatch", nil},
			hostileCase{"cached schema bytes then garbage", goodThenGarbage, meta, "malformed_json", nil},
		)
	}
	runHostile(t, u, seq)
}

// Class 4: new columns Delta could not store, or that shadow another by case.
func TestHostileColumnNames(t *testing.T) {
	u := hostileUnwrapper(t, "", "transactions")
	var cases []hostileCase
	for _, name := range []string{"new col", "a,b", "a;b", "a{b", "a}b", "a(b", "a)b", "a=b", `a\nb`, `a\tb`, ""} {
		want := []string{"column"}
		if !strings.Contains(name, `\`) {
			want = append(want, "after."+name)
		}
		cases = append(cases, hostileCase{"name " + name, txCreate(set(txGood, name, `1`)), nil, "invalid_column_name", want})
	}
	cases = append(cases,
		hostileCase{"escaped space", txCreate(set(txGood, `a\u0020b`, `1`)), nil, "invalid_column_name", nil},
		hostileCase{"case variant of a contract column", txCreate(set(txGood, "Currency", `"EUR"`)), nil, "invalid_column_name", []string{"after.Currency", "currency"}},
		hostileCase{"case variant alone", txCreate(set(drop(txGood, "merchant_id"), "MERCHANT_ID", `1`)), nil, "invalid_column_name", nil},
		hostileCase{"two new columns differing by case", txCreate(set(set(txGood, "note", `"a"`), "Note", `"b"`)), nil, "invalid_column_name", []string{"after.Note"}},
		hostileCase{"a valid new column evolves the schema", txCreate(set(txGood, "loyalty_tier", `"gold"`)), nil, "", []string{`"loyalty_tier":"gold"`}},
	)
	runHostile(t, u, cases)
	r, err := u.Unwrap([]byte(txCreate(set(txGood, "loyalty_tier", `"gold"`))), Meta{})
	require.NoError(t, err)
	assert.Equal(t, []string{"loyalty_tier"}, r.UnknownColumns)

	// Without any contract or schema every column is new.
	runHostile(t, hostileUnwrapper(t, ""), []hostileCase{
		{"untyped bad name", `{"op":"c","after":{"id":1,"my col":2},` + okSource + `}`, nil, "invalid_column_name", nil},
		{"untyped case pair", `{"op":"c","after":{"id":1,"ID":2},` + okSource + `}`, nil, "invalid_column_name", nil},
		{"untyped fine", `{"op":"c","after":{"id":1,"name":2},` + okSource + `}`, nil, "", nil},
	})
	// A Connect schema field that differs from the contract's column only by case.
	cs := hostileUnwrapper(t, "", "table: t\ndatabase: d\ncolumns:\n  - {name: amount, type: INT}\n")
	runHostile(t, cs, []hostileCase{
		{"schema field case variant", string(connectEventNamed("Amount", `{"type":"int32","field":"Amount"}`, `1`)), nil, "invalid_column_name", []string{"after.Amount", "amount"}},
		{"schema field bad name", string(connectEventNamed("a b", `{"type":"int32","field":"a b"}`, `1`)), nil, "invalid_column_name", nil},
	})
}

// connectEventNamed is connectEvent with a column name other than v.
func connectEventNamed(name, fieldSchema, value string) []byte {
	return []byte(strings.Replace(string(connectEvent(fieldSchema, value)), `"after":{"v":`, `"after":{"`+name+`":`, 1))
}

// Class 5: trailing garbage and nesting depth.
func TestHostileTrailingAndDepth(t *testing.T) {
	u := hostileUnwrapper(t, "", "transactions")
	plain := hostileUnwrapper(t, "")
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	deepObj := strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000)
	runHostile(t, u, []hostileCase{
		{"NUL after the object", txCreate(txGood) + "\x00", nil, "malformed_json", []string{"end of input"}},
		{"x after the object", txCreate(txGood) + "x", nil, "malformed_json", nil},
		{"a second object", txCreate(txGood) + "{}", nil, "malformed_json", nil},
		{"whitespace after the object", txCreate(txGood) + " \r\n\t", nil, "", nil},
		{"null then NUL is not a tombstone", "null\x00", nil, "malformed_json", nil},
		{"NUL alone is not a tombstone", "\x00", nil, "malformed_json", nil},
		{"deep array in an unknown envelope member", `{"op":"c","x":` + deep + `,"after":` + txGood + `,` + txSource + `}`, nil, "malformed_json", []string{"512"}},
		{"deep object in source", strings.Replace(txCreate(txGood), `"server_id":1`, `"server_id":`+deepObj, 1), nil, "malformed_json", nil},
		{"deep schema", `{"schema":` + deepObj + `,"payload":null}`, nil, "malformed_json", nil},
	})
	runHostile(t, plain, []hostileCase{
		{"deep column value", `{"op":"c","after":{"v":` + deep + `},` + okSource + `}`, nil, "malformed_json", []string{"512"}},
		{"deep key", txCreate(txGood), map[string]string{"kafka_key": deepObj}, "invalid_key", nil},
		{"511 levels are fine", `{"op":"c","after":{"v":` + strings.Repeat("[", 511) + strings.Repeat("]", 511) + `},` + okSource + `}`, nil, "", nil},
	})
}

// Class 6: escapes are decoded wherever the scanner reads, and only valid text is accepted.
func TestHostileEscapes(t *testing.T) {
	u := hostileUnwrapper(t, "", "transactions")
	ev := txCreate(txGood)
	runHostile(t, u, []hostileCase{
		{"op \\u0063", strings.Replace(ev, `"op":"c"`, `"op":"\u0063"`, 1), nil, "", []string{`"_op":"c"`}},
		{"op \\u0074 is a truncate", strings.Replace(ev, `"op":"c"`, `"op":"\u0074"`, 1), nil, "", nil},
		{"escaped column key", txCreate(strings.Replace(txGood, `"transaction_id"`, `"tr\u0061nsaction_id"`, 1)), nil, "", []string{`"transaction_id":1001`}},
		{"escaped column key still typed", txCreate(strings.Replace(set(txGood, "transaction_id", `"x"`), `"transaction_id"`, `"tr\u0061nsaction_id"`, 1)), nil, "type_mismatch", []string{"after.transaction_id"}},
		{"escaped envelope key", strings.Replace(ev, `"after"`, `"\u0061fter"`, 1), nil, "", []string{`"transaction_id":1001`}},
		{"escaped source key and value", strings.Replace(ev, `"table":"transactions"`, `"t\u0061ble":"tr\u0061nsactions"`, 1), nil, "", []string{`"_source_table":"bank.transactions"`}},
		{"escaped binlog file", strings.Replace(ev, `"mysql-bin.000003"`, `"mysql-bin.00000\u0033"`, 1), nil, "", []string{`"_source_pos":"0000000003:00000000000000001541:000000"`}},
		{"escaped quoted pos", strings.Replace(ev, `"pos":1541`, `"pos":"\u0031541"`, 1), nil, "", []string{`"_source_pos":"0000000003:00000000000000001541:000000"`}},
		{"escaped enum member", txCreate(set(txGood, "status", `"pend\u0069ng"`)), nil, "", nil},
		{"escaped non-member", txCreate(set(txGood, "status", `"pend\u0049ng"`)), nil, "contract_enum", nil},
		{"surrogate pair", txCreate(set(txGood, "device_id", `"\ud83d\ude00"`)), nil, "", nil},
		{"lone high surrogate", txCreate(set(txGood, "merchant_category", `"\ud800"`)), nil, "invalid_utf8", []string{"after.merchant_category", `\ud800`, "surrogate"}},
		{"high surrogate then a letter", txCreate(set(txGood, "device_id", `"\ud800\u0041"`)), nil, "invalid_utf8", nil},
		{"lone low surrogate", txCreate(set(txGood, "device_id", `"\udc00x"`)), nil, "invalid_utf8", nil},
		{"lone surrogate in a key", txCreate(set(txGood, `x\udfff`, `1`)), nil, "invalid_utf8", nil},
		{"lone surrogate in an envelope string", strings.Replace(ev, `"ts_ms":1714521601234`, `"ts_ms":1714521601234,"v":"\ud800"`, 1), nil, "invalid_utf8", nil},
		{"invalid escape", txCreate(set(txGood, "device_id", `"\x41"`)), nil, "malformed_json", []string{"escape"}},
		{"short \\u", txCreate(set(txGood, "device_id", `"\u12"`)), nil, "malformed_json", nil},
		{"invalid UTF-8 bytes", txCreate(set(txGood, "device_id", "\"\xc3\x28\"")), nil, "invalid_utf8", []string{"after.device_id"}},
		{"overlong UTF-8", txCreate(set(txGood, "device_id", "\"\xc0\xaf\"")), nil, "invalid_utf8", nil},
		{"UTF-8 surrogate bytes", txCreate(set(txGood, "device_id", "\"\xed\xa0\x80\"")), nil, "invalid_utf8", nil},
	})
}

// Class 7: a key repeated in one object is ambiguous.
func TestHostileDuplicateKeys(t *testing.T) {
	u := hostileUnwrapper(t, "", "transactions")
	ev := txCreate(txGood)
	o := DefaultOptions()
	o.AddFields = []string{"transaction.id"}
	withAdd := mustNew(t, o)
	runHostile(t, u, []hostileCase{
		{"op twice", strings.Replace(ev, `"op":"c"`, `"op":"c","op":"d"`, 1), nil, "duplicate_field", []string{"payload.op"}},
		{"after twice", strings.Replace(ev, `"before":null`, `"after":`+txGood, 1), nil, "duplicate_field", []string{"payload.after"}},
		{"source twice", strings.Replace(ev, `"op":"c"`, `"op":"c",`+txSource, 1), nil, "duplicate_field", []string{"payload.source"}},
		{"unknown envelope member twice", strings.Replace(ev, `"op":"c"`, `"op":"c","x":1,"x":2`, 1), nil, "duplicate_field", nil},
		{"payload twice", `{"schema":null,"payload":` + ev + `,"payload":` + ev + `}`, nil, "duplicate_field", []string{"payload"}},
		{"schema twice", `{"schema":null,"schema":null,"payload":` + ev + `}`, nil, "duplicate_field", nil},
		{"source.table twice", strings.Replace(ev, `"table":"transactions"`, `"table":"transactions","table":"accounts"`, 1), nil, "duplicate_field", []string{"source.table"}},
		{"source.version twice", strings.Replace(ev, `"version":"3.0.1.Final"`, `"version":"a","version":"b"`, 1), nil, "duplicate_field", nil},
		{"source unknown member twice", strings.Replace(ev, `"server_id":1`, `"server_id":1,"zz":1,"zz":2`, 1), nil, "duplicate_field", nil},
		{"contract column twice", txCreate(strings.Replace(txGood, `"currency":"EUR"`, `"currency":"EUR","currency":"USD"`, 1)), nil, "duplicate_field", []string{"after.currency"}},
		{"escaped and plain copy of a column", txCreate(strings.Replace(txGood, `"currency":"EUR"`, `"currency":"EUR","curr\u0065ncy":"USD"`, 1)), nil, "duplicate_field", nil},
		{"new column twice", txCreate(strings.TrimSuffix(txGood, "}") + `,"note":1,"note":2}`), nil, "duplicate_field", []string{"after.note"}},
		{"before column twice", `{"before":` + strings.Replace(txGood, `"currency":"EUR"`, `"currency":"EUR","currency":"EUR"`, 1) + `,"after":` + txGood + `,` + txSource + `,"op":"u"}`, nil, "duplicate_field", []string{"before.currency"}},
		{"VariableScaleDecimal member twice", string(connectEvent(varDecimalSchema, `{"scale":1,"scale":2,"value":"AJg="}`)), nil, "duplicate_field", nil},
	})
	runHostile(t, hostileUnwrapper(t, ""), []hostileCase{
		{"untyped column twice", `{"op":"c","after":{"id":1,"id":2},` + okSource + `}`, nil, "duplicate_field", []string{"after.id"}},
		{"untyped many columns then a repeat", `{"op":"c","after":{` + manyCols(40) + `,"c7":1},` + okSource + `}`, nil, "duplicate_field", []string{"after.c7"}},
		{"untyped many columns", `{"op":"c","after":{` + manyCols(40) + `},` + okSource + `}`, nil, "", nil},
	})
	runHostile(t, withAdd, []hostileCase{
		{"transaction block member twice", `{"op":"c","after":{"id":1},"transaction":{"id":"a","id":"b"},` + okSource + `}`, nil, "duplicate_field", []string{"transaction.id"}},
	})
}

func manyCols(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"c` + itoa(i) + `":` + itoa(i))
	}
	return b.String()
}

// Class 8: the Kafka key must be the row's key.
func TestHostileKafkaKey(t *testing.T) {
	u := hostileUnwrapper(t, "", "transactions")
	key := func(k string) map[string]string { return map[string]string{"kafka_key": k} }
	tomb := func(k string) map[string]string { return map[string]string{"kafka_key": k, "kafka_tombstone": "true"} }
	ev := txCreate(txGood)
	del := `{"before":` + txGood + `,"after":null,` + txSource + `,"op":"d"}`
	wrapped := func(id string) string {
		return `{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"transaction_id"}],"optional":false,"name":"bank_server.bank.transactions.Key"},"payload":{"transaction_id":` + id + `}}`
	}
	runHostile(t, u, []hostileCase{
		{"matching key", ev, key(`{"transaction_id":1001}`), "", nil},
		{"matching key with spaces", ev, key(` { "transaction_id" : 1001 } `), "", nil},
		{"matching schema-wrapped key", ev, key(wrapped("1001")), "", nil},
		{"escaped key name", ev, key(`{"tr\u0061nsaction_id":1001}`), "", nil},
		{"no key: no check", ev, nil, "", nil},
		{"other id", ev, key(`{"transaction_id":1002}`), "key_mismatch", []string{"kafka_key.transaction_id", "1002", "after.transaction_id is 1001"}},
		{"other id, wrapped", ev, key(wrapped("1002")), "key_mismatch", nil},
		{"delete: before is the row", del, key(`{"transaction_id":1001}`), "", nil},
		{"delete with another key", del, key(`{"transaction_id":7}`), "key_mismatch", []string{"before.transaction_id"}},
		{"not JSON", ev, key(`1001`), "invalid_key", []string{"kafka_key"}},
		{"broken JSON", ev, key(`{"transaction_id":`), "invalid_key", nil},
		{"trailing garbage", ev, key(`{"transaction_id":1001}x`), "invalid_key", nil},
		{"empty object", ev, key(`{}`), "invalid_key", nil},
		{"not the primary key", ev, key(`{"account_id":20}`), "invalid_key", []string{"primary key of transactions (transaction_id)"}},
		{"primary key plus another column", ev, key(`{"transaction_id":1001,"account_id":20}`), "invalid_key", nil},
		{"key column twice", ev, key(`{"transaction_id":1001,"transaction_id":1001}`), "invalid_key", nil},
		{"key value of the wrong type", ev, key(`{"transaction_id":"1001"}`), "invalid_key", []string{"kafka_key.transaction_id"}},
		{"wrapped key without payload object", ev, key(`{"schema":null,"payload":5}`), "invalid_key", nil},
		{"tombstone with a readable key", "", tomb(`{"transaction_id":1001}`), "", nil},
		{"tombstone with a wrapped key", "", tomb(wrapped("1001")), "", nil},
		{"tombstone with an unreadable key", "", tomb(`{"transaction_id":`), "invalid_key", nil},
		{"tombstone with a key of another table", "", tomb(`{"account_id":1}`), "invalid_key", nil},
		{"tombstone with a mistyped key", "", tomb(`{"transaction_id":"x"}`), "invalid_key", nil},
		// Debezium writes every tombstone with its key (see TestKeylessTombstoneIsInvalidKey).
		{"tombstone without a key", "", map[string]string{"kafka_tombstone": "true"}, "invalid_key", []string{"kafka_key"}},
		{"heartbeat keys are not table keys", `{"ts_ms":1}`, map[string]string{"kafka_key": `{"serverName":"bank_server"}`, "kafka_topic": "__debezium-heartbeat.bank_server"}, "", nil},
		{"schema change keys are not table keys", `{"source":{"db":"bank","table":"transactions"},"ddl":"ALTER TABLE x","tableChanges":[]}`, key(`{"databaseName":"bank"}`), "", nil},
	})
	// Without a contract, the key's columns are compared with the image's by value.
	plain := hostileUnwrapper(t, "")
	runHostile(t, plain, []hostileCase{
		{"untyped match", upd301, key(`{"id":1001}`), "", nil},
		{"untyped match 1001.0", upd301, key(`{"id":1001.0}`), "", nil},
		{"untyped match 1.001e3", upd301, key(`{"id":1.001e3}`), "", nil},
		{"untyped mismatch", upd301, key(`{"id":1002}`), "key_mismatch", nil},
		{"untyped key column the row lacks", upd301, key(`{"uuid":"x"}`), "key_mismatch", []string{"has no column uuid"}},
		{"untyped string vs number", upd301, key(`{"id":"1001"}`), "key_mismatch", nil},
		{"untyped tombstone readable", "", tomb(`{"anything":1}`), "", nil},
		{"untyped tombstone unreadable", "", tomb(`[1]`), "invalid_key", nil},
	})
	// delete_handling tombstone turns the delete into a tombstone keyed by the Kafka key.
	o := DefaultOptions()
	o.DeleteHandling = "tombstone"
	o.Contracts = u.o.Contracts
	runHostile(t, mustNew(t, o), []hostileCase{
		{"delete-to-tombstone, right key", del, key(`{"transaction_id":1001}`), "", nil},
		{"delete-to-tombstone, wrong key", del, key(`{"transaction_id":1}`), "key_mismatch", nil},
	})
}

// Class 9: the maximum event size.
func TestHostileEventSize(t *testing.T) {
	u := hostileUnwrapper(t, "")
	pad := func(n int) string {
		ev := `{"op":"c","after":{"blob":""},` + okSource + `}`
		return strings.Replace(ev, `"blob":""`, `"blob":"`+strings.Repeat("a", n-len(ev))+`"`, 1)
	}
	runHostile(t, u, []hostileCase{
		{"16 MiB exactly", pad(16 << 20), nil, "", nil},
		{"16 MiB + 1", pad(16<<20 + 1), nil, "event_too_large", []string{"16777217 bytes", "max_message_bytes = 16777216"}},
	})
}

// Class 11: ISO-8601 timestamps when schemas are disabled.
func TestHostileISOTimestamps(t *testing.T) {
	u := hostileUnwrapper(t, "", "transactions")
	berlin := hostileUnwrapper(t, "Europe/Berlin", "transactions")
	at := func(v string) string { return txCreate(set(txGood, "event_ts", v)) }
	runHostile(t, u, []hostileCase{
		{"Z", at(`"2026-03-01T12:34:57.123Z"`), nil, "", []string{`"event_ts":"2026-03-01T12:34:57.123000Z"`}},
		{"+02:00", at(`"2026-03-01T12:34:57.123+02:00"`), nil, "", []string{`"event_ts":"2026-03-01T10:34:57.123000Z"`}},
		{"-05:30", at(`"2026-03-01T12:34:57-05:30"`), nil, "", []string{`"event_ts":"2026-03-01T18:04:57.000000Z"`}},
		{"+0200", at(`"2026-03-01T12:34:57+0200"`), nil, "", []string{`"event_ts":"2026-03-01T10:34:57.000000Z"`}},
		{"nanoseconds", at(`"2026-03-01T12:34:57.123456789Z"`), nil, "", []string{`"event_ts":"2026-03-01T12:34:57.123456789Z"`}},
		{"day change", at(`"2026-03-01T00:30:00+01:00"`), nil, "", []string{`"event_ts":"2026-02-28T23:30:00.000000Z"`}},
		{"naive", at(`"2026-03-01T12:34:57.123"`), nil, "invalid_value", []string{"after.event_ts", "2026-03-01T12:34:57.123", "assume_time_zone"}},
		{"epoch still works", at(`1714521600123`), nil, "", []string{`"event_ts":"2024-05-01T00:00:00.123000Z"`}},
		{"impossible date", at(`"2026-02-30T00:00:00Z"`), nil, "invalid_value", nil},
		{"hour 24", at(`"2026-03-01T24:00:00Z"`), nil, "invalid_value", nil},
		{"no seconds", at(`"2026-03-01T12:34Z"`), nil, "invalid_value", nil},
		{"space instead of T", at(`"2026-03-01 12:34:57Z"`), nil, "invalid_value", nil},
		{"junk after the zone", at(`"2026-03-01T12:34:57Zx"`), nil, "invalid_value", nil},
		{"ten fraction digits", at(`"2026-03-01T12:34:57.1234567891Z"`), nil, "invalid_value", nil},
		{"year 10000 cannot be written", at(`"10000-01-01T00:00:00Z"`), nil, "invalid_value", nil},
	})
	runHostile(t, berlin, []hostileCase{
		{"naive in Berlin (CET)", at(`"2026-03-01T12:34:57.123"`), nil, "", []string{`"event_ts":"2026-03-01T11:34:57.123000Z"`}},
		{"naive in Berlin (CEST)", at(`"2026-07-01T12:00:00"`), nil, "", []string{`"event_ts":"2026-07-01T10:00:00.000000Z"`}},
		{"zoned ignores the assumed zone", at(`"2026-07-01T12:00:00Z"`), nil, "", []string{`"event_ts":"2026-07-01T12:00:00.000000Z"`}},
		{"in the spring-forward gap", at(`"2026-03-29T02:30:00"`), nil, "invalid_value", []string{"Europe/Berlin", "gap"}},
		{"in the autumn overlap", at(`"2026-10-25T02:30:00"`), nil, "invalid_value", nil},
		{"just after the overlap", at(`"2026-10-25T03:00:00"`), nil, "", []string{`"event_ts":"2026-10-25T02:00:00.000000Z"`}},
	})
}
