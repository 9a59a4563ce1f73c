package debezium

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// connectEvent wraps one column value in a schemas-enabled create event.
func connectEvent(fieldSchema, value string) []byte {
	return []byte(`{"schema":{"type":"struct","name":"s.d.t.Envelope","fields":[` +
		`{"type":"struct","field":"after","optional":true,"name":"s.d.t.Value","fields":[` + fieldSchema + `]}]},` +
		`"payload":{"before":null,"after":{"v":` + value + `},"source":{"db":"d","table":"t","file":"bin.000001","pos":4,"row":0,"ts_ms":0},"op":"c"}}`)
}

// varDecimalSchema is Debezium's io.debezium.data.VariableScaleDecimal field.
const varDecimalSchema = `{"type":"struct","fields":[{"type":"int32","optional":false,"field":"scale"},{"type":"bytes","optional":false,"field":"value"}],` +
	`"optional":true,"name":"io.debezium.data.VariableScaleDecimal","version":1,"doc":"Variable scaled decimal","field":"v"}`

func decimalSchema(scale string) string {
	return `{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"` + scale + `"},"field":"v"}`
}

// column unwraps a one-column event and returns the rendered JSON of the column.
func column(t *testing.T, u *Unwrapper, ev []byte) (string, error) {
	t.Helper()
	r, err := u.Unwrap(ev, Meta{})
	if err != nil {
		return "", err
	}
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(r.Body, &m), "%s", r.Body)
	return string(m["v"]), nil
}

// The README's decimal table (Debezium's decimal test plus the brief's vectors).
var decimalVectors = []struct {
	b64, scale, want string
}{
	{"AIU=", "2", `"1.33"`},   // leading 0x00 sign byte
	{"98E=", "3", `"-2.111"`}, // negative
	{"BUFQ", "5", `"3.44400"`},
	{"F1DA", "5", `"15.28000"`},
	{"AA==", "18", `"0.000000000000000000"`}, // zero at DECIMAL(65,18)
	{"AJg=", "2", `"1.52"`},
	{"/2g=", "2", `"-1.52"`},
	{"AY/J", "4", `"10.2345"`},
	{"D3J5", "4", `"101.2345"`}, // KIP-481's mislabelled vector, decoded correctly
	{"dzWUAA==", "4", `"200000.0000"`},
	{"AYag", "4", `"10.0000"`},
	{"/w==", "0", `"-1"`},
	{"gA==", "2", `"-1.28"`}, // 0x80: the minimum one-byte value
	{"gAAAAAAAAAA=", "0", `"-9223372036854775808"`},
}

func TestDecimalVectorsConnectSchema(t *testing.T) {
	u := mustNew(t, DefaultOptions())
	for _, v := range decimalVectors {
		got, err := column(t, u, connectEvent(decimalSchema(v.scale), `"`+v.b64+`"`))
		require.NoError(t, err, v.b64)
		assert.Equal(t, v.want, got, "%s scale %s", v.b64, v.scale)
	}
}

// JsonConverter decimal.format=NUMERIC writes Connect Decimals as JSON numbers: read exactly.
func TestDecimalNumericFormat(t *testing.T) {
	u := mustNew(t, DefaultOptions())
	for _, c := range []struct{ value, want string }{
		{`1234.5`, `"1234.50"`}, {`-0.01`, `"-0.01"`}, {`0`, `"0.00"`}, {`1E+2`, `"100.00"`},
		{`123456789012345678901234567890123456.78`, `"123456789012345678901234567890123456.78"`},
	} {
		got, err := column(t, u, connectEvent(decimalSchema("2"), c.value))
		require.NoError(t, err, c.value)
		assert.Equal(t, c.want, got, c.value)
	}
	_, err := column(t, u, connectEvent(decimalSchema("2"), `0.001`))
	requireReason(t, err, ReasonInvalidValue)
}

func TestDecimalWide(t *testing.T) {
	u := mustNew(t, DefaultOptions())
	for _, s := range []string{
		"12345678901234567890123456789012345678",    // 38 digits
		"-12345678901234567890123456789012345678",   // 38 digits, negative
		"98765432109876543210987654321098765432109", // 41 digits
		"-1", "0", "127", "128", "-128", "-129", "255", "256", "-32768", "9223372036854775807", "9223372036854775808",
		"-9223372036854775809", "18446744073709551615",
	} {
		n, _ := new(big.Int).SetString(s, 10)
		got, err := column(t, u, connectEvent(decimalSchema("10"), `"`+decimalB64(n)+`"`))
		require.NoError(t, err, s)
		want := new(big.Rat).SetFrac(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(10), nil)).FloatString(10)
		assert.Equal(t, `"`+want+`"`, got, s)
	}
}

func TestDecimalRescaleToContract(t *testing.T) {
	// Contract DECIMAL(18,2) with a Connect scale of 2: identical; string and double modes
	// are rescaled exactly; anything needing rounding fails.
	contract, err := schemas.Parse([]byte("table: t\ndatabase: d\ncolumns:\n  - name: v\n    type: DECIMAL(7,2)\n"))
	require.NoError(t, err)
	o := DefaultOptions()
	o.Contracts = []*schemas.Table{contract}
	u := mustNew(t, o)
	strField := `{"type":"string","optional":true,"field":"v"}`
	dblField := `{"type":"float64","optional":true,"field":"v"}`
	cases := []struct {
		field, value, want string
		reason             Reason
	}{
		{decimalSchema("2"), `"AJg="`, `"1.52"`, ""},
		{decimalSchema("4"), `"AY/J"`, ``, ReasonContractPrecision}, // 10.2345 does not fit scale 2
		{decimalSchema("4"), `"AYag"`, `"10.00"`, ""},               // 10.0000 → 10.00 exactly
		{strField, `"1234.5"`, `"1234.50"`, ""},
		{strField, `"-0.10"`, `"-0.10"`, ""},
		{strField, `"-0"`, `"0.00"`, ""},
		{strField, `"1.234"`, ``, ReasonContractPrecision},
		{strField, `"123456.78"`, ``, ReasonContractPrecision}, // exceeds DECIMAL(7,2)
		{strField, `"99999.99"`, `"99999.99"`, ""},
		{strField, `"1e3"`, ``, ReasonInvalidValue}, // string mode is plain text
		{strField, `"abc"`, ``, ReasonInvalidValue},
		{dblField, `1234.5`, `"1234.50"`, ""},
		{dblField, `1.2345E3`, `"1234.50"`, ""},
		{dblField, `1.234567E3`, ``, ReasonContractPrecision},
		{dblField, `1.23E3`, `"1230.00"`, ""},
		{dblField, `0.1`, `"0.10"`, ""},
		{dblField, `3.3000000000000003`, ``, ReasonContractPrecision}, // float artefact: refused, not rounded
		{dblField, `"1.5"`, ``, ReasonSchemaPayloadMismatch},
		{strField, `15`, ``, ReasonSchemaPayloadMismatch}, // the schema says string
	}
	for _, c := range cases {
		got, err := column(t, u, connectEvent(c.field, c.value))
		if c.reason != "" {
			requireReason(t, err, c.reason)
			continue
		}
		require.NoError(t, err, c.value)
		assert.Equal(t, c.want, got, c.value)
	}
}

func TestDecimalSchemasDisabledModes(t *testing.T) {
	contract, err := schemas.Parse([]byte("table: transactions\ndatabase: bank\ncolumns:\n  - {name: transaction_id, type: BIGINT, nullable: false}\n  - {name: amount, type: 'DECIMAL(18,2)'}\n"))
	require.NoError(t, err)
	ev := func(amount string) []byte {
		return []byte(`{"before":null,"after":{"transaction_id":1,"amount":` + amount + `},"source":{"db":"bank","table":"transactions","file":"mysql-bin.000001","pos":4,"row":0,"ts_ms":1},"op":"c"}`)
	}
	for _, c := range []struct {
		mode, amount, want string
		reason             Reason
	}{
		{"precise", `"AJg="`, `"1.52"`, ""},
		{"precise", `"/2g="`, `"-1.52"`, ""},
		{"precise", `"AA=="`, `"0.00"`, ""},
		{"precise", `"not base64!"`, "", ReasonInvalidValue},
		{"precise", `1234.5`, `"1234.50"`, ""}, // decimal.format=NUMERIC
		{"string", `"1234.5"`, `"1234.50"`, ""},
		{"string", `"AJg="`, "", ReasonInvalidValue},
		{"double", `1234.56`, `"1234.56"`, ""},
		{"double", `1234.567`, "", ReasonContractPrecision},
		{"precise", `true`, "", ReasonTypeMismatch},
	} {
		o := DefaultOptions()
		o.Contracts = []*schemas.Table{contract}
		o.DecimalHandlingMode = c.mode
		u := mustNew(t, o)
		r, err := u.Unwrap(ev(c.amount), Meta{})
		if c.reason != "" {
			e := requireReason(t, err, c.reason)
			assert.Equal(t, "after.amount", e.Field)
			continue
		}
		require.NoError(t, err, c.amount)
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(r.Body, &m))
		assert.Equal(t, c.want, string(m["amount"]), "%s %s", c.mode, c.amount)
	}
}

func TestDecimalWithoutScale(t *testing.T) {
	u := mustNew(t, DefaultOptions())
	_, err := column(t, u, connectEvent(`{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","field":"v"}`, `"AJg="`))
	e := requireReason(t, err, ReasonDecimalNoScale)
	assert.Contains(t, e.Error(), "after.v")
	assert.Contains(t, e.Error(), "AJg=")
	// VariableScaleDecimal carries its own scale.
	got, err := column(t, u, connectEvent(varDecimalSchema, `{"scale":3,"value":"98E="}`))
	require.NoError(t, err)
	assert.Equal(t, `"-2.111"`, got)
	_, err = column(t, u, connectEvent(varDecimalSchema, `{"value":"98E="}`))
	requireReason(t, err, ReasonDecimalNoScale)
}

func TestTemporalVectors(t *testing.T) {
	u := mustNew(t, DefaultOptions())
	f := func(typ, name string) string {
		return `{"type":"` + typ + `","optional":true,"name":"` + name + `","field":"v"}`
	}
	for _, c := range []struct {
		field, value, want string
	}{
		{f("int64", "io.debezium.time.Timestamp"), `1529476623000`, `"2018-06-20T06:37:03.000000Z"`},
		{f("int64", "io.debezium.time.Timestamp"), `1562630400000`, `"2019-07-09T00:00:00.000000Z"`},
		{f("int64", "io.debezium.time.Timestamp"), `-1`, `"1969-12-31T23:59:59.999000Z"`},
		{f("int64", "org.apache.kafka.connect.data.Timestamp"), `1529476623123`, `"2018-06-20T06:37:03.123000Z"`},
		{f("int64", "io.debezium.time.MicroTimestamp"), `1529476623123456`, `"2018-06-20T06:37:03.123456Z"`},
		{f("int64", "io.debezium.time.NanoTimestamp"), `1529476623123456789`, `"2018-06-20T06:37:03.123456789Z"`},
		{f("int64", "io.debezium.time.NanoTimestamp"), `1529476623123456000`, `"2018-06-20T06:37:03.123456Z"`},
		{f("string", "io.debezium.time.ZonedTimestamp"), `"2018-06-20T13:37:03Z"`, `"2018-06-20T13:37:03.000000Z"`},
		{f("string", "io.debezium.time.ZonedTimestamp"), `"2018-06-20T06:37:03.5-07:00"`, `"2018-06-20T13:37:03.500000Z"`},
		{f("string", "io.debezium.time.ZonedTimestamp"), `"2018-06-21T01:07:03.123456789+11:30"`, `"2018-06-20T13:37:03.123456789Z"`},
		{f("int32", "io.debezium.time.Date"), `16816`, `"2016-01-16"`},
		{f("int32", "io.debezium.time.Date"), `0`, `"1970-01-01"`},
		{f("int32", "io.debezium.time.Date"), `-1`, `"1969-12-31"`},
		{f("int32", "org.apache.kafka.connect.data.Date"), `11016`, `"2000-02-29"`},
		{f("int64", "io.debezium.time.MicroTime"), `45296000123`, `"12:34:56.000123"`},
		{f("int64", "io.debezium.time.MicroTime"), `0`, `"00:00:00.000000"`},
		{f("int32", "io.debezium.time.Time"), `45296123`, `"12:34:56.123000"`},
		{f("int64", "io.debezium.time.NanoTime"), `86399999999999`, `"23:59:59.999999999"`},
		{f("int32", "io.debezium.time.Year"), `2024`, `2024`},
		{f("string", "io.debezium.data.Enum"), `"pending"`, `"pending"`},
		{f("string", "io.debezium.data.EnumSet"), `"a,c"`, `"a,c"`},
		{f("string", "io.debezium.data.Json"), `"{\"k\":[1,2]}"`, `"{\"k\":[1,2]}"`},
		{f("bytes", "io.debezium.data.Bits"), `"AQ=="`, `"AQ=="`},
		{`{"type":"bytes","field":"v"}`, `"3q2+7w=="`, `"3q2+7w=="`},
		{`{"type":"boolean","field":"v"}`, `true`, `true`},
		{`{"type":"int16","field":"v"}`, `1`, `1`},
		{`{"type":"float64","field":"v"}`, `1.5e-7`, `1.5e-7`},
		{`{"type":"string","field":"v"}`, `"caf\u00e9 \"q\""`, `"caf\u00e9 \"q\""`},
	} {
		got, err := column(t, u, connectEvent(c.field, c.value))
		require.NoError(t, err, c.value)
		assert.Equal(t, c.want, got, "%s %s", c.field, c.value)
	}
	for _, c := range []struct{ field, value string }{
		{f("int64", "io.debezium.time.MicroTime"), `86400000000`},
		{f("int64", "io.debezium.time.MicroTime"), `-1`},
		{f("string", "io.debezium.time.ZonedTimestamp"), `"2018-06-20 13:37:03"`},
		{f("int64", "io.debezium.time.Timestamp"), `253402300800000`}, // year 10000
	} {
		_, err := column(t, u, connectEvent(c.field, c.value))
		requireReason(t, err, ReasonInvalidValue)
	}
	// Values the Connect type itself cannot hold contradict the schema.
	for _, c := range []struct{ field, value string }{
		{f("int32", "io.debezium.time.Date"), `1.5`},
		{`{"type":"int8","field":"v"}`, `128`},
		{`{"type":"int32","field":"v"}`, `2147483648`},
		{`{"type":"int64","field":"v"}`, `9223372036854775808`},
	} {
		_, err := column(t, u, connectEvent(c.field, c.value))
		requireReason(t, err, ReasonSchemaPayloadMismatch)
	}
}

func TestContractTypingSchemasDisabled(t *testing.T) {
	accounts, err := schemas.Load("accounts")
	require.NoError(t, err)
	ev := `{"before":null,"after":{"account_id":5,"customer_id":9,"account_type":"checking","currency":"EUR",` +
		`"balance":"AJg=","credit_limit":null,"status":"active","overdraft_allowed":1,"created_at":1529476623123,` +
		`"updated_at":null,"nickname":"new column"},` +
		`"source":{"db":"bank","table":"accounts","file":"mysql-bin.000012","pos":99,"row":3,"ts_ms":1731327659000,"gtid":"u:7"},"op":"c"}`
	o := DefaultOptions()
	o.Contracts = []*schemas.Table{accounts}
	r, err := mustNew(t, o).Unwrap([]byte(ev), Meta{})
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m))
	assert.Equal(t, "1.52", m["balance"])
	assert.Equal(t, true, m["overdraft_allowed"])
	assert.Equal(t, "2018-06-20T06:37:03.123000Z", m["created_at"])
	assert.Nil(t, m["updated_at"])
	assert.Equal(t, "new column", m["nickname"], "unknown columns pass through")
	assert.Equal(t, []string{"nickname"}, r.UnknownColumns)
	assert.Equal(t, "0000000012:00000000000000000099:000003", m["_source_pos"])
	assert.Equal(t, "u:7", m["_source_gtid"])

	o.Tinyint1AsBoolean = false
	r, err = mustNew(t, o).Unwrap([]byte(ev), Meta{})
	require.NoError(t, err)
	assert.Contains(t, string(r.Body), `"overdraft_allowed":1`)

	o.Tinyint1AsBoolean = true
	_, err = mustNew(t, o).Unwrap([]byte(strings.Replace(ev, `"overdraft_allowed":1`, `"overdraft_allowed":2`, 1)), Meta{})
	requireReason(t, err, ReasonInvalidValue)
	_, err = mustNew(t, o).Unwrap([]byte(strings.Replace(ev, `"customer_id":9`, `"customer_id":"9"`, 1)), Meta{})
	e := requireReason(t, err, ReasonTypeMismatch)
	assert.Equal(t, `debezium_unwrap: type_mismatch: field after.customer_id: got "9": expected an integer for BIGINT`, e.Error())
	_, err = mustNew(t, o).Unwrap([]byte(strings.Replace(ev, `"table":"accounts"`, `"table":"other"`, 1)), Meta{})
	requireReason(t, err, ReasonNoContract)
}

func TestTinyintOneWithConnectSchema(t *testing.T) {
	accounts, err := schemas.Parse([]byte("table: accounts\ndatabase: bank\ncolumns:\n  - {name: overdraft_allowed, type: TINYINT(1)}\n"))
	require.NoError(t, err)
	ev := []byte(`{"schema":{"type":"struct","name":"x.bank.accounts.Envelope","fields":[{"type":"struct","field":"after","fields":[` +
		`{"type":"int16","field":"overdraft_allowed"},{"type":"int16","field":"other"}]}]},` +
		`"payload":{"after":{"overdraft_allowed":1,"other":1},"source":{"db":"bank","table":"accounts","file":"b.000001","pos":1},"op":"r"}}`)
	o := DefaultOptions()
	o.Contracts = []*schemas.Table{accounts}
	r, err := mustNew(t, o).Unwrap(ev, Meta{})
	require.NoError(t, err)
	assert.Contains(t, string(r.Body), `"overdraft_allowed":true,"other":1`)
	assert.Equal(t, []string{"other"}, r.UnknownColumns)
}
