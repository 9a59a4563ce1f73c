package kafka

import (
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Metadata keys set on every message. They are a contract with the outputs (Delta's
// _kafka_* columns and txn versions) and with user mappings, so they never change name.
const (
	metaTopic       = "kafka_topic"
	metaPartition   = "kafka_partition"
	metaOffset      = "kafka_offset"
	metaTimestamp   = "kafka_timestamp"
	metaTimestampMs = "kafka_timestamp_ms"
	metaKey         = "kafka_key"
	metaTombstone   = "kafka_tombstone"
	metaHeaderPfx   = "kafka_header_"
	// metaHeaders holds every header, in record order with repeats kept, as
	// []any{map[string]any{"key": k, "value": v}}: kafka_header_<name> keeps one value
	// per name, and a dead letter that is to be replayed needs them all.
	metaHeaders = "kafka_headers"
	// metaPrevOffset is the offset of the record emitted before this one on the same
	// partition under the current assignment; absent for the first. Offsets have gaps
	// (transaction markers, compaction), so this is how the delta_lake output knows that
	// every earlier record was committed before it commits a later one.
	metaPrevOffset = "kafka_prev_offset"
)

// recordToMessage converts one record. The value becomes the body; a null value (a
// tombstone, which Debezium writes after each delete so compaction can drop the key)
// becomes an empty body with kafka_tombstone "true", and is passed on like any record.
//
// Numbers are stored typed (int64) so that mappings can do arithmetic on @kafka_offset;
// meta("kafka_offset") and interpolation still render them as decimal strings.
func recordToMessage(r *kgo.Record) *service.Message {
	m := service.NewMessage(r.Value)
	m.MetaSetMut(metaTopic, r.Topic)
	m.MetaSetMut(metaPartition, int64(r.Partition))
	m.MetaSetMut(metaOffset, r.Offset)
	ts := r.Timestamp.UTC()
	m.MetaSetMut(metaTimestamp, ts.Format(time.RFC3339Nano))
	m.MetaSetMut(metaTimestampMs, ts.UnixMilli())
	if r.Key != nil {
		m.MetaSetMut(metaKey, string(r.Key))
	}
	if r.Value == nil {
		m.MetaSetMut(metaTombstone, "true")
	} else {
		m.MetaSetMut(metaTombstone, "false")
	}
	// Kafka allows repeated header names; metadata holds one value per key, so the last
	// header of a name wins, as in Kafka's own Headers.lastHeader.
	headers := make([]any, 0, len(r.Headers))
	for _, h := range r.Headers {
		m.MetaSetMut(metaHeaderPfx+h.Key, string(h.Value))
		headers = append(headers, map[string]any{"key": h.Key, "value": string(h.Value)})
	}
	m.MetaSetMut(metaHeaders, headers)
	return m
}
