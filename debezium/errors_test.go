package debezium

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const okSource = `"source":{"db":"d","table":"t","file":"bin.000001","pos":4,"row":0,"ts_ms":0}`

func TestBadInputs(t *testing.T) {
	u := mustNew(t, DefaultOptions())
	int32Event := func(v string) string {
		return string(connectEvent(`{"type":"int32","field":"v"}`, v))
	}
	cases := []struct {
		name, body string
		reason     Reason
		contains   []string // field, value, expected
	}{
		{"broken JSON", `{"op":"c","after":{"id":1}`, ReasonMalformedJSON, []string{"expected"}},
		{"not an object", `[1,2]`, ReasonMalformedJSON, []string{"got [1,2]", "a JSON object"}},
		{"trailing garbage", `{"op":"c"} x`, ReasonMalformedJSON, []string{"end of input"}},
		{"schema without payload", `{"schema":{"type":"struct","fields":[]}}`, ReasonMissingPayload, []string{"payload"}},
		{"payload not object", `{"schema":null,"payload":5}`, ReasonMissingPayload, []string{"payload", "got 5"}},
		{"empty object", `{}`, ReasonMissingPayload, []string{"payload"}},
		{"unknown op", `{"op":"x","after":{"id":1},` + okSource + `}`, ReasonUnknownOp, []string{"payload.op", "got x", "c, u, d, r, t or m"}},
		{"op not string", `{"op":1,"after":{"id":1},` + okSource + `}`, ReasonUnknownOp, []string{"payload.op", "got 1"}},
		{"missing op", `{"after":{"id":1},` + okSource + `}`, ReasonUnknownOp, []string{"payload.op", "missing"}},
		{"string for int32", int32Event(`"12"`), ReasonSchemaPayloadMismatch, []string{"after.v", `got "12"`, "int32"}},
		{"float for int32", int32Event(`1.5`), ReasonSchemaPayloadMismatch, []string{"after.v", "got 1.5", "int32"}},
		{"object for int32", int32Event(`{"a":1}`), ReasonSchemaPayloadMismatch, []string{"after.v", `got {"a":1}`}},
		{"decimal without scale", string(connectEvent(`{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","field":"v"}`, `"AJg="`)),
			ReasonDecimalNoScale, []string{"after.v", "AJg=", "scale"}},
		{"invalid UTF-8", `{"op":"c","after":{"name":"` + "\xff\xfe" + `"},` + okSource + `}`, ReasonInvalidUTF8, []string{"after.name", "UTF-8"}},
		{"invalid UTF-8 in key", `{"op":"c","after":{"` + "n\xc3" + `":"x"},` + okSource + `}`, ReasonInvalidUTF8, []string{"UTF-8"}},
		{"raw control char", "{\"op\":\"c\",\"after\":{\"n\":\"a\x01\"}," + okSource + "}", ReasonMalformedJSON, []string{"after.n", "control"}},
		{"bad escape", `{"op":"c","after":{"n":"a\q"},` + okSource + `}`, ReasonMalformedJSON, []string{"escape"}},
		{"create without after", `{"op":"c","after":null,` + okSource + `}`, ReasonMissingImage, []string{"payload.after"}},
		{"delete without before", `{"op":"d","before":null,` + okSource + `}`, ReasonMissingImage, []string{"payload.before"}},
		{"after not object", `{"op":"c","after":[1],` + okSource + `}`, ReasonTypeMismatch, []string{"payload.after", "got [1]"}},
		{"reserved column", `{"op":"c","after":{"_op":"x"},` + okSource + `}`, ReasonReservedColumn, []string{"after._op"}},
		{"no position", `{"op":"c","after":{"id":1},"source":{"db":"d","table":"t"}}`, ReasonInvalidSource, []string{"source", "lsn"}},
		{"non-numeric binlog", `{"op":"c","after":{"id":1},"source":{"file":"mysql-bin.abc","pos":4}}`, ReasonInvalidSource, []string{"source.file", "mysql-bin.abc"}},
		{"pos not integer", `{"op":"c","after":{"id":1},"source":{"file":"b.000001","pos":"x"}}`, ReasonInvalidSource, []string{"source.pos", "integer"}},
		{"bad schema", `{"schema":{"type":1},"payload":{}}`, ReasonSchemaInvalid, []string{"schema.type", "got 1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := u.Unwrap([]byte(c.body), Meta{})
			e := requireReason(t, err, c.reason)
			for _, s := range c.contains {
				assert.Contains(t, e.Error(), s)
			}
		})
	}
}

func TestOversizedMessage(t *testing.T) {
	u := mustNew(t, DefaultOptions())
	big := append([]byte(`{"op":"c","after":{"blob":"`), bytes.Repeat([]byte("A"), 17<<20)...)
	big = append(big, `"},`+okSource+`}`...)
	_, err := u.Unwrap(big, Meta{})
	e := requireReason(t, err, ReasonEventTooLarge)
	assert.Contains(t, e.Error(), "17825")
	assert.Contains(t, e.Error(), "max_message_bytes = 16777216")

	o := DefaultOptions()
	o.MaxMessageBytes = 18 << 20
	_, err = mustNew(t, o).Unwrap(big, Meta{})
	require.NoError(t, err, "a larger limit accepts it")
}

func TestErrorValueIsTruncated(t *testing.T) {
	u := mustNew(t, DefaultOptions())
	long := strings.Repeat("9", 500)
	_, err := u.Unwrap(connectEvent(`{"type":"int32","field":"v"}`, `"`+long+`"`), Meta{})
	e := requireReason(t, err, ReasonSchemaPayloadMismatch)
	assert.Less(t, len(e.Error()), 250)
	assert.Contains(t, e.Error(), "truncated")
}

// A column the Connect schema types but no contract knows passes through (as raw JSON for a
// struct); a payload field the schema does not list contradicts the schema.
func TestUnknownColumnPassesThrough(t *testing.T) {
	u := mustNew(t, DefaultOptions())
	ev := []byte(`{"schema":{"type":"struct","name":"s.d.t.Envelope","fields":[{"type":"struct","field":"after","fields":[{"type":"int32","field":"id"},` +
		`{"type":"struct","field":"added","optional":true,"fields":[{"type":"array","field":"x","items":{"type":"int32"}}]}]}]},` +
		`"payload":{"after":{"id":1,"added":{"x":[1,2]}},` + okSource + `,"op":"c"}}`)
	r, err := u.Unwrap(ev, Meta{})
	require.NoError(t, err)
	assert.Contains(t, string(r.Body), `"added":{"x":[1,2]}`)

	ev = []byte(`{"schema":{"type":"struct","name":"s.d.t.Envelope","fields":[{"type":"struct","field":"after","fields":[{"type":"int32","field":"id"}]}]},` +
		`"payload":{"after":{"id":1,"added":{"x":[1,"y"]}},` + okSource + `,"op":"c"}}`)
	_, err = u.Unwrap(ev, Meta{})
	e := requireReason(t, err, ReasonSchemaPayloadMismatch)
	assert.Equal(t, "after.added", e.Field)
}

func TestNewOptionsValidation(t *testing.T) {
	for _, mod := range []func(*Options){
		func(o *Options) { o.DeleteHandling = "x" },
		func(o *Options) { o.TombstoneHandling = "x" },
		func(o *Options) { o.TruncateHandling = "x" },
		func(o *Options) { o.DropKinds = []Kind{KindRow} },
		func(o *Options) { o.DecimalHandlingMode = "x" },
		func(o *Options) { o.TimePrecisionMode = "x" },
		func(o *Options) { o.MaxMessageBytes = 0 },
		func(o *Options) { o.AddFields = []string{"op:_op"}; o.AddFieldsPrefix = "" },
		func(o *Options) { o.AddFields = []string{`source."x`} },
	} {
		o := DefaultOptions()
		mod(&o)
		_, err := New(o)
		assert.Error(t, err)
	}
}

func TestAddFields(t *testing.T) {
	o := DefaultOptions()
	o.AddFields = []string{"op", "source.ts_ms", "table", "gtid:g", "transaction.id", "total_order", "source.missing"}
	u := mustNew(t, o)
	ev := `{"op":"c","ts_ms":5,"after":{"id":1},"transaction":{"id":"tx:1","total_order":3,"data_collection_order":1},` +
		`"source":{"db":"d","table":"t","file":"bin.000001","pos":4,"row":0,"ts_ms":77,"gtid":"g:1"}}`
	r, err := u.Unwrap([]byte(ev), Meta{})
	require.NoError(t, err)
	m := decodeObj(t, string(r.Body))
	assert.Equal(t, "c", m["__op"])
	assert.Equal(t, 77.0, m["__source_ts_ms"])
	assert.Equal(t, "t", m["__table"])
	assert.Equal(t, "g:1", m["__g"])
	assert.Equal(t, "tx:1", m["__transaction_id"])
	assert.Equal(t, 3.0, m["__total_order"])
	assert.Contains(t, m, "__source_missing")
	assert.Nil(t, m["__source_missing"])
}
