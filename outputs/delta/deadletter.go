package delta

import (
	"context"
	"errors"
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
	for attempt := 0; attempt < 5; attempt++ {
		tx := d.snap.NewTransaction("WRITE")
		versions := map[topicPartition]int64{}
		var rows [][]any
		for _, e := range entries {
			if e.pos.known {
				id := appID(d.appIDs, e.pos.tp)
				if v, ok := tx.TxnVersion(id); ok && e.pos.offset <= v {
					continue // recorded before a crash
				}
				if e.pos.offset > versions[e.pos.tp] {
					versions[e.pos.tp] = e.pos.offset
				}
			}
			rows = append(rows, d.row(e, now))
		}
		if len(rows) == 0 {
			return 0, nil
		}
		for tp, v := range versions {
			tx.SetTxn(appID(d.appIDs, tp), v)
		}
		if _, err := tx.WriteRows(ctx, rows, delta.WriteOptions{}); err != nil {
			return 0, err
		}
		tx.SetCommitInfo("pipeline", d.pipeline)
		tx.SetCommitInfo("deadLettersFor", d.target)
		_, err := tx.Commit(ctx)
		if snap, uerr := d.snap.Update(ctx); uerr == nil {
			d.snap = snap
		}
		if errors.Is(err, delta.ErrConcurrentTransaction) {
			continue
		}
		if err != nil {
			return 0, err
		}
		return len(rows), nil
	}
	return 0, errors.New("dead-letter table: lost to concurrent writers of the same partitions 5 times")
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
