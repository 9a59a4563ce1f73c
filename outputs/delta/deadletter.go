package delta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// deadLetter is one event that could not be stored, kept with the reason and the exact Kafka
// record (value, key, headers, coordinates) so that it can be fixed and replayed.
type deadLetter struct {
	pos     position
	stage   string // see the stage* constants
	code    string // reason_code
	reason  string // the message, for humans
	raw     []byte // the Kafka record value, byte for byte
	key     []byte
	hasKey  bool
	tsMs    int64 // the Kafka record timestamp
	hasTS   bool
	headers any // the JSON text of the headers, or nil
}

// Metadata a dead letter reads (agreed interface 3).
const (
	metaDebeziumRaw    = "debezium_raw"
	metaErrorReason    = "debezium_error_reason"
	metaKafkaKey       = "kafka_key"
	metaKafkaTimestamp = "kafka_timestamp_ms"
	metaKafkaHeaders   = "kafka_headers"
	metaKafkaHeaderPfx = "kafka_header_"
)

// newDeadLetter takes from m what a replay needs. raw is the exact record value: the
// unwrap keeps it in debezium_raw when it replaces the body, else the body is the value.
func newDeadLetter(m *service.Message, pos position, stage, code, reason string) *deadLetter {
	d := &deadLetter{pos: pos, stage: stage, code: code, reason: reason}
	if v, ok := m.MetaGetMut(metaDebeziumRaw); ok {
		d.raw = metaBytes(v)
	} else {
		d.raw, _ = m.AsBytes()
	}
	if v, ok := m.MetaGetMut(metaKafkaKey); ok {
		d.key, d.hasKey = metaBytes(v), true
	}
	if v, ok := m.MetaGetMut(metaKafkaTimestamp); ok {
		d.tsMs, d.hasTS = metaInt(v)
	}
	d.headers = headersJSON(m, pos.known)
	return d
}

func metaBytes(v any) []byte {
	switch b := v.(type) {
	case []byte:
		return append([]byte(nil), b...)
	case string:
		return []byte(b)
	case nil:
		return nil
	}
	return []byte(fmt.Sprint(v))
}

func metaInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case uint64:
		return int64(n), n <= 1<<63-1
	case float64:
		return int64(n), n == float64(int64(n))
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	}
	return 0, false
}

type header struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// headersJSON is the kafka_headers metadata as a JSON array of {key, value} in record order
// with repeats; without it, the kafka_header_<name> strings (one per name, sorted). A record
// from Kafka without headers is "[]"; a message that did not come from Kafka has none (nil).
func headersJSON(m *service.Message, fromKafka bool) any {
	var hs []header
	found := false
	if v, ok := m.MetaGetMut(metaKafkaHeaders); ok {
		if list, ok := v.([]any); ok {
			found = true
			for _, e := range list {
				if kv, ok := e.(map[string]any); ok {
					k, _ := kv["key"].(string)
					hs = append(hs, header{Key: k, Value: string(metaBytes(kv["value"]))})
				}
			}
		}
	}
	if !found {
		_ = m.MetaWalkMut(func(k string, v any) error {
			if name, ok := strings.CutPrefix(k, metaKafkaHeaderPfx); ok {
				hs = append(hs, header{Key: name, Value: string(metaBytes(v))})
			}
			return nil
		})
		sort.Slice(hs, func(i, j int) bool { return hs[i].Key < hs[j].Key })
		found = len(hs) > 0 || fromKafka
	}
	if !found {
		return nil
	}
	if hs == nil {
		hs = []header{}
	}
	// encoding/json writes invalid UTF-8 as U+FFFD: JSON text cannot hold raw bytes.
	b, err := json.Marshal(hs)
	if err != nil {
		return nil
	}
	return string(b)
}

// deadLetterSchema is the dead-letter table: the reason, the raw message and where it came
// from, enough to fix the cause and replay the event. Columns added since the first version
// come last, so that a table created before them and extended (addMissingColumns) has the
// same order as a new one.
var deadLetterSchema = &schema.StructType{Fields: []schema.StructField{
	{Name: "failed_at", Type: schema.Timestamp, Nullable: false},
	{Name: "pipeline", Type: schema.String, Nullable: true},
	{Name: "target_table", Type: schema.String, Nullable: false},
	{Name: "stage", Type: schema.String, Nullable: false},
	{Name: "reason", Type: schema.String, Nullable: false},
	{Name: "raw", Type: schema.String, Nullable: true},
	// raw_bytes holds the message instead of raw when it is not valid UTF-8, so that even a
	// corrupt message is kept byte for byte.
	{Name: "raw_bytes", Type: schema.Binary, Nullable: true},
	{Name: colKafkaTopic, Type: schema.String, Nullable: true},
	{Name: colKafkaPartition, Type: schema.Integer, Nullable: true},
	{Name: colKafkaOffset, Type: schema.Long, Nullable: true},
	{Name: "_kafka_key", Type: schema.String, Nullable: true},
	{Name: "reason_code", Type: schema.String, Nullable: true},
	{Name: "_kafka_timestamp", Type: schema.Timestamp, Nullable: true},
	{Name: "_kafka_headers", Type: schema.String, Nullable: true},
	// _kafka_key_bytes holds the key instead of _kafka_key when it is not valid UTF-8.
	{Name: "_kafka_key_bytes", Type: schema.Binary, Nullable: true},
}}

// deadLetters writes to the dead-letter Delta table of one output. It uses its own txn
// appIds so that a replay after a crash between the dead-letter commit and the main commit
// does not record the same event twice.
type deadLetters struct {
	table    *delta.Table
	appIDs   string
	pipeline string
	target   string
	snap     *delta.Snapshot
	// perm[i] is the table column of deadLetterSchema field i; width the table's columns.
	perm  []int
	width int
}

func openDeadLetters(ctx context.Context, path, appPrefix, pipeline, target string) (*deadLetters, error) {
	t := delta.OpenLocal(path)
	snap, err := openOrCreate(ctx, t, deadLetterSchema, nil, map[string]any{"pipeline": pipeline, "purpose": "dead letters of " + target})
	if err != nil {
		return nil, fmt.Errorf("dead-letter table %s: %w", path, err)
	}
	if snap, err = addMissingColumns(ctx, snap, deadLetterSchema, pipeline); err != nil {
		return nil, fmt.Errorf("dead-letter table %s: %w", path, err)
	}
	d := &deadLetters{table: t, appIDs: appPrefix + "/dead-letters", pipeline: pipeline, target: target, snap: snap}
	ts, err := snap.Schema()
	if err != nil {
		return nil, fmt.Errorf("dead-letter table %s: %w", path, err)
	}
	for _, f := range deadLetterSchema.Fields {
		j := ts.Index(f.Name)
		if j < 0 {
			return nil, fmt.Errorf("dead-letter table %s: column %q is missing", path, f.Name)
		}
		if got := ts.Fields[j].Type.String(); got != f.Type.String() {
			return nil, fmt.Errorf("dead-letter table %s: column %q is %s, expected %s", path, f.Name, got, f.Type)
		}
		d.perm = append(d.perm, j)
	}
	for j, f := range ts.Fields {
		if !f.Nullable && !contains(d.perm, j) {
			return nil, fmt.Errorf("dead-letter table %s: NOT NULL column %q is not one this output writes", path, f.Name)
		}
	}
	d.width = len(ts.Fields)
	return d, nil
}

// addMissingColumns adds the fields of want that the table lacks, as nullable columns at the
// end, in a metadata-only commit (rows written before read them as null). A concurrent
// writer doing the same is no error: the columns are then there.
func addMissingColumns(ctx context.Context, snap *delta.Snapshot, want *schema.StructType, pipeline string) (*delta.Snapshot, error) {
	for attempt := 0; ; attempt++ {
		ts, err := snap.Schema()
		if err != nil {
			return nil, err
		}
		var add []schema.StructField
		var names []string
		for _, f := range want.Fields {
			if ts.Index(f.Name) < 0 {
				f.Nullable = true
				add = append(add, f)
				names = append(names, f.Name+" "+f.Type.String())
			}
		}
		if len(add) == 0 {
			return snap, nil
		}
		md := snap.Metadata()
		md.SchemaString = (&schema.StructType{Fields: append(append([]schema.StructField(nil), ts.Fields...), add...)}).JSON()
		tx := snap.NewTransaction("ADD COLUMNS")
		tx.UpdateMetadata(md)
		tx.SetCommitInfo("pipeline", pipeline)
		tx.SetCommitInfo("addedColumns", names)
		_, cerr := tx.Commit(ctx)
		next, uerr := snap.Update(ctx)
		if uerr != nil {
			return nil, uerr
		}
		snap = next
		if cerr == nil {
			continue // re-check against the new schema, then return it
		}
		if !errors.Is(cerr, delta.ErrConflict) || attempt >= 5 {
			return nil, fmt.Errorf("adding columns %v: %w", names, cerr)
		}
	}
}

// write commits the entries not yet recorded. It returns the indexes of entries written.
func (d *deadLetters) write(ctx context.Context, entries []deadLetter, now time.Time) ([]int, error) {
	pos := make([]position, len(entries))
	for i, e := range entries {
		pos[i] = e.pos
	}
	snap, written, err := appendOnce(ctx, d.snap, d.appIDs, pos, func(i int) []any { return d.row(entries[i], now) },
		map[string]any{"pipeline": d.pipeline, "deadLettersFor": d.target})
	d.snap = snap
	if err != nil {
		return nil, fmt.Errorf("dead-letter table: %w", err)
	}
	return written, nil
}

// row is the table row of e. Every string is valid UTF-8 (the Parquet writer refuses other
// text, and a dead letter that cannot be written would stop the pipeline): bytes that are
// not go to the binary twin column, messages are repaired.
func (d *deadLetters) row(e deadLetter, now time.Time) []any {
	vals := make([]any, len(deadLetterSchema.Fields))
	vals[0] = now.UTC().Truncate(time.Microsecond)
	vals[1] = nilIfEmpty(strings.ToValidUTF8(d.pipeline, "\uFFFD"))
	vals[2] = strings.ToValidUTF8(d.target, "\uFFFD")
	vals[3] = e.stage
	vals[4] = truncateText(e.reason, 64<<10)
	if utf8.Valid(e.raw) {
		vals[5] = string(e.raw)
	} else {
		vals[6] = append([]byte(nil), e.raw...)
	}
	if e.pos.known {
		vals[7], vals[8], vals[9] = strings.ToValidUTF8(e.pos.tp.Topic, "\uFFFD"), e.pos.tp.Partition, e.pos.offset
	}
	if e.hasKey {
		if utf8.Valid(e.key) {
			vals[10] = string(e.key)
		} else {
			vals[14] = append([]byte(nil), e.key...)
		}
	}
	vals[11] = nilIfEmpty(strings.ToValidUTF8(e.code, "\uFFFD"))
	if e.hasTS && e.tsMs >= minTimestampMs && e.tsMs <= maxTimestampMs {
		vals[12] = time.UnixMilli(e.tsMs).UTC()
	}
	vals[13] = e.headers
	if d.width == len(vals) && isIdentity(d.perm) {
		return vals
	}
	row := make([]any, d.width)
	for i, j := range d.perm {
		row[j] = vals[i]
	}
	return row
}

func isIdentity(perm []int) bool {
	for i, j := range perm {
		if i != j {
			return false
		}
	}
	return true
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
