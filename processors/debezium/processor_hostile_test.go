package debezium

import (
	"context"
	"strings"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	dbz "github.com/ledgerflow/ledgerflow/debezium"
)

// oddButValid is a valid create event with unusual whitespace, escapes and member order, so
// a re-encoded body could not pass for the original.
const oddButValid = "{ \"op\" :\t\"\\u0063\" ,\r\n \"after\" : { \"transaction_id\" : 1001 , \"account_id\":20,\"customer_id\":7,\"amount\":\"AJg=\"," +
	"\"currency\":\"\\u0045UR\",\"status\":\"pending\",\"transaction_type\":\"purchase\",\"device_id\":\"caf\\u00e9 \\/ \\\"q\\\" \\ud83d\\ude00\"," +
	"\"event_ts\":1714521600123,\"created_at\":1714521600123 } , \"before\" : null ,\n" +
	"\"source\":{\"db\":\"bank\",\"table\":\"transactions\",\"file\":\"mysql-bin.000003\",\"pos\":1541,\"row\":0,\"ts_ms\":1714521601000} }\n\n"

// The unwrap keeps the exact original body as debezium_raw when it replaces the body, so a
// dead letter written downstream can be replayed byte for byte.
func TestProcessorKeepsRawBytesForReplay(t *testing.T) {
	tomb := inMsg{body: "", meta: map[string]string{"kafka_tombstone": "true", "kafka_key": `{"transaction_id":1001}`}}
	del := inMsg{body: `{"before":{"transaction_id":1001,"account_id":20,"customer_id":7,"amount":"AJg=","currency":"EUR","status":"pending",` +
		`"transaction_type":"purchase","event_ts":1,"created_at":1},"after":null,"source":{"db":"bank","table":"transactions","file":"mysql-bin.000003","pos":1,"row":0},"op":"d"}`}
	out, _ := runProcessor(t, "schema_file: transactions\ntombstone_handling: keep", []inMsg{{body: oddButValid}, tomb, del})
	require.Len(t, out, 3)
	require.NoError(t, out[0].err)
	assert.Equal(t, oddButValid, string(out[0].raw), "debezium_raw is the original body, byte for byte")
	assert.Contains(t, out[0].body, `"_op":"c"`)
	assert.Nil(t, out[1].raw, "a tombstone passes through unchanged: its body is the record")
	require.NoError(t, out[2].err)
	assert.Equal(t, del.body, string(out[2].raw))

	out, _ = runProcessor(t, "schema_file: transactions\ndelete_handling: tombstone", []inMsg{del})
	require.Len(t, out, 1)
	assert.Equal(t, "", out[0].body)
	assert.Equal(t, del.body, string(out[0].raw), "a delete rewritten to a tombstone keeps its record too")
}

// The original body is kept without a copy: Benthos replaces a message's bytes, never
// mutates them, so the slice the input produced is the one stored.
func TestProcessorRawIsNotACopy(t *testing.T) {
	conf, err := processorSpec().ParseYAML("schema_file: transactions", service.NewEnvironment())
	require.NoError(t, err)
	proc, err := newProcessor(conf, service.MockResources())
	require.NoError(t, err)
	body := []byte(oddButValid)
	msg := service.NewMessage(body)
	batch, err := proc.Process(context.Background(), msg)
	require.NoError(t, err)
	require.Len(t, batch, 1)
	require.NoError(t, batch[0].GetError())
	v, ok := batch[0].MetaGetMut(MetaRaw)
	require.True(t, ok)
	raw := v.([]byte)
	assert.Equal(t, oddButValid, string(raw))
	assert.True(t, &raw[0] == &body[0], "debezium_raw aliases the input bytes")
	out, err := batch[0].AsBytes()
	require.NoError(t, err)
	assert.NotEqual(t, string(body), string(out))
	assert.Equal(t, oddButValid, string(body), "the input bytes were not modified")
}

// Every reason's counter series exists at 0 from the start.
func TestProcessorPrecreatesErrorCounters(t *testing.T) {
	_, cs := runProcessor(t, "", []inMsg{{body: upd301}})
	for _, r := range dbz.AllReasons {
		assert.True(t, cs.has("debezium_unwrap_errors_total", string(r)), "series for %s", r)
		assert.Equal(t, int64(0), cs.get("debezium_unwrap_errors_total", string(r)), "%s", r)
	}
	assert.Len(t, dbz.AllReasons, 24, "the agreed reason codes")
}

// Hostile events through a real Benthos stream: flagged, counted, body kept; good events in
// between come out as rows.
func TestProcessorHostileEvents(t *testing.T) {
	good := txCreate(txGood)
	in := []inMsg{
		{body: good, meta: map[string]string{"kafka_key": `{"transaction_id":1001}`}},
		{body: good, meta: map[string]string{"kafka_key": `{"transaction_id":1002}`}},
		{body: txCreate(strings.Replace(txGood, `"currency":"EUR"`, `"currency":"EURO"`, 1))},
		{body: txCreate(strings.Replace(txGood, `"transaction_type":"purchase",`, "", 1))},
		{body: good + "\x00"},
		{body: `{"op":"c","op":"c","after":` + txGood + `,` + txSource + `}`},
		{body: "", meta: map[string]string{"kafka_tombstone": "true", "kafka_key": `{"transaction_id":`}},
		{body: good},
	}
	out, cs := runProcessor(t, "schema_file: transactions\ntombstone_handling: keep", in)
	require.Len(t, out, len(in))
	want := []string{"", "key_mismatch", "contract_length", "contract_not_null", "malformed_json", "duplicate_field", "invalid_key", ""}
	for i, w := range want {
		if w == "" {
			require.NoError(t, out[i].err, "message %d", i)
			assert.Equal(t, "row", out[i].meta[MetaKind])
			continue
		}
		require.Error(t, out[i].err, "message %d", i)
		assert.Equal(t, w, out[i].meta[MetaErrorReason], "message %d: %v", i, out[i].err)
		assert.Equal(t, in[i].body, out[i].body, "message %d keeps its body", i)
		assert.Equal(t, int64(1), cs.get("debezium_unwrap_errors_total", w), w)
	}
}

// A valid create event of bank.transactions (the engine's tests have the full hostile set).
const txGood = `{"transaction_id":1001,"account_id":20,"customer_id":7,"merchant_id":555,"amount":"AJg=","currency":"EUR",` +
	`"status":"pending","transaction_type":"purchase","channel":"online","merchant_category":"5411","device_id":null,` +
	`"country":"DE","ip_address":null,"event_ts":1714521600123,"created_at":1714521600123,"updated_at":null}`

const txSource = `"source":{"version":"3.0.1.Final","connector":"mysql","name":"bank_server","ts_ms":1714521601000,"snapshot":"false",` +
	`"db":"bank","table":"transactions","server_id":1,"gtid":null,"file":"mysql-bin.000003","pos":1541,"row":0}`

func txCreate(after string) string {
	return `{"before":null,"after":` + after + `,` + txSource + `,"op":"c","ts_ms":1714521601234}`
}
