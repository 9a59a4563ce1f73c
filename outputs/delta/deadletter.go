package delta

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// deadLetter is one event that could not be stored, kept with the reason so nothing is lost.
type deadLetter struct {
	pos    position
	stage  string // "processing" (an upstream processor failed it) or "decode" (its values do not fit the table)
	reason string
	raw    []byte
	key    string
}

// deadLetterSchema is the dead-letter table: the reason, the raw message and where it came
// from, enough to fix the cause and replay the event.
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
}

func openDeadLetters(ctx context.Context, path, appPrefix, pipeline, target string) (*deadLetters, error) {
	t := delta.OpenLocal(path)
	snap, err := openOrCreate(ctx, t, deadLetterSchema, nil, map[string]any{"pipeline": pipeline, "purpose": "dead letters of " + target})
	if err != nil {
		return nil, fmt.Errorf("dead-letter table %s: %w", path, err)
	}
	return &deadLetters{table: t, appIDs: appPrefix + "/dead-letters", pipeline: pipeline, target: target, snap: snap}, nil
}

// write commits the entries not yet recorded. It returns how many were new.
func (d *deadLetters) write(ctx context.Context, entries []deadLetter, now time.Time) (int, error) {
	pos := make([]position, len(entries))
	for i, e := range entries {
		pos[i] = e.pos
	}
	snap, n, err := appendOnce(ctx, d.snap, d.appIDs, pos, func(i int) []any { return d.row(entries[i], now) },
		map[string]any{"pipeline": d.pipeline, "deadLettersFor": d.target})
	d.snap = snap
	if err != nil {
		return 0, fmt.Errorf("dead-letter table: %w", err)
	}
	return n, nil
}

func (d *deadLetters) row(e deadLetter, now time.Time) []any {
	row := []any{now.UTC().Truncate(time.Microsecond), nilIfEmpty(d.pipeline), d.target, e.stage, e.reason, nil, nil, nil, nil, nil, nilIfEmpty(e.key)}
	if utf8.Valid(e.raw) {
		row[5] = string(e.raw)
	} else {
		row[6] = append([]byte(nil), e.raw...)
	}
	if e.pos.known {
		row[7], row[8], row[9] = e.pos.tp.Topic, e.pos.tp.Partition, e.pos.offset
	}
	return row
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
