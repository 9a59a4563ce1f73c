package debezium

import (
	"testing"
)

// An object with none of the change-event members (before, after, source, op) is not a
// Debezium envelope at all: missing_payload. One that has some of them but no valid op is
// an envelope with an unknown op.
func TestEnvelopeWithoutMembersIsMissingPayload(t *testing.T) {
	u := hostileUnwrapper(t, "", "transactions")
	runHostile(t, u, []hostileCase{
		{"foo", `{"foo":1}`, nil, "missing_payload", []string{"payload", "before, after, source, op"}},
		{"foo and ts_ms", `{"foo":1,"ts_ms":1}`, nil, "missing_payload", nil},
		{"schema wrapper around foo", `{"schema":null,"payload":{"foo":1}}`, nil, "missing_payload", nil},
		{"empty object", `{}`, nil, "missing_payload", nil},
		{"empty payload", `{"schema":null,"payload":{}}`, nil, "missing_payload", nil},
		{"only a transaction block", `{"transaction":null,"x":2}`, nil, "missing_payload", nil},
		{"source but no op", `{"before":null,"after":` + txGood + `,` + txSource + `}`, nil, "unknown_op", []string{"payload.op", "missing"}},
		{"only a source", `{` + txSource + `,"foo":1}`, nil, "unknown_op", nil},
		{"before and after, no op", `{"before":null,"after":null}`, nil, "unknown_op", nil},
		{"op null", `{"after":` + txGood + `,` + txSource + `,"op":null}`, nil, "unknown_op", nil},
		{"wrong op", `{"after":` + txGood + `,` + txSource + `,"op":"x"}`, nil, "unknown_op", nil},
		{"a heartbeat payload is not missing anything", `{"ts_ms":1}`, nil, "", nil},
	})
}

// Debezium writes every tombstone with the deleted row's key: a Kafka tombstone without a
// key deletes nothing and is producer garbage.
func TestKeylessTombstoneIsInvalidKey(t *testing.T) {
	tx := hostileUnwrapper(t, "", "transactions")
	plain := hostileUnwrapper(t, "")
	topic := "bank_server.bank.transactions"
	cases := []hostileCase{
		{"flagged, no key", "", map[string]string{"kafka_tombstone": "true", "kafka_topic": topic}, "invalid_key", []string{"kafka_key", "(absent)", "tombstone"}},
		{"flagged, no key, no topic", "", map[string]string{"kafka_tombstone": "true"}, "invalid_key", nil},
		{"empty value from Kafka, no key", "", map[string]string{"kafka_tombstone": "false", "kafka_topic": topic}, "invalid_key", nil},
		{"null from Kafka, no key", "null", map[string]string{"kafka_topic": topic}, "invalid_key", nil},
		{"null payload from Kafka, no key", `{"schema":null,"payload":null}`, map[string]string{"kafka_topic": topic}, "invalid_key", nil},
		{"flagged, with key", "", map[string]string{"kafka_tombstone": "true", "kafka_topic": topic, "kafka_key": `{"transaction_id":1}`}, "", nil},
		{"null payload, with key", `{"schema":null,"payload":null}`, map[string]string{"kafka_topic": topic, "kafka_key": `{"transaction_id":1}`}, "", nil},
		// Heartbeat tombstones are keyed by server, and a message that did not come from
		// Kafka has no key to carry.
		{"heartbeat topic", "", map[string]string{"kafka_tombstone": "true", "kafka_topic": "__debezium-heartbeat.bank_server"}, "", nil},
		{"not from Kafka", "", nil, "", nil},
	}
	runHostile(t, tx, cases)
	runHostile(t, plain, cases)
}
