package delta

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// tombstoneDir is the companion table of a silver table. The leading underscore keeps it out
// of VACUUM and of engines that list the table directory; silver readers never see it.
const tombstoneDir = "_ledgerflow_tombstones"

// tombVersion is one applied delete of a key.
type tombVersion struct {
	order string
	ts    time.Time // the delete's source time: the end of the version it closed
}

type tombEntry struct {
	max string
	all []tombVersion // every delete still retained (SCD2 rebuilds history from them)
	at  time.Time     // when the newest delete was recorded, for retention
}

// after is the entry with only the deletes after order.
func (e tombEntry) after(order string) tombEntry {
	out := tombEntry{at: e.at}
	for _, v := range e.all {
		if v.order > order {
			out.all = append(out.all, v)
			out.max = max(out.max, v.order)
		}
	}
	return out
}

func (e tombEntry) has(order string) bool {
	for _, v := range e.all {
		if v.order == order {
			return true
		}
	}
	return false
}

// tombstones remembers deleted keys so that a late older change never resurrects a row.
// It is a Delta table of (key columns, _order, _sequence, _source_ts, _deleted_at, Kafka
// coordinates of the delete) with its own txn appIds, committed before the silver commit:
// after a crash between the two, the replay finds the tombstones already recorded and skips
// them, and the silver commit still applies.
//
// A tombstone committed ahead of silver is a delete silver has not applied, and may never
// see again before other changes of its key: a redelivery cut into other batches brings the
// key's earlier insert or update first. Such a tombstone must not decide that merge (it would
// drop the live row, or the insert), so load keeps only the tombstones whose Kafka position
// silver's txn versions cover; the others come back into memory when silver commits their
// delete again (commitStaged), and count from the file at the next start.
type tombstones struct {
	table     *delta.Table
	snap      *delta.Snapshot
	appIDs    string
	nk        int
	entries   map[string]tombEntry
	retention time.Duration
	lastPrune time.Time
	pipeline  string
	// inTable reports whether silver's committed txn versions cover a Kafka position.
	inTable func(position) bool
}

func tombstoneSchema(silver *schema.StructType, key []string) (*schema.StructType, error) {
	st := &schema.StructType{}
	for _, k := range key {
		i := silver.Index(k)
		if i < 0 {
			return nil, fmt.Errorf("key column %q is not a column of the table", k)
		}
		f := silver.Fields[i]
		f.Nullable, f.Metadata = false, nil
		st.Fields = append(st.Fields, f)
	}
	st.Fields = append(st.Fields,
		schema.StructField{Name: "_order", Type: schema.Binary, Nullable: false},
		schema.StructField{Name: "_sequence", Type: schema.String, Nullable: true},
		schema.StructField{Name: colSourceTS, Type: schema.Timestamp, Nullable: true},
		schema.StructField{Name: "_deleted_at", Type: schema.Timestamp, Nullable: false},
		// Where the delete came from, to tell whether silver has committed it (see load).
		// Added after the first version: a table without them gains them (addMissingColumns),
		// and its old rows, null here, count as committed, as they always did.
		schema.StructField{Name: colKafkaTopic, Type: schema.String, Nullable: true},
		schema.StructField{Name: colKafkaPartition, Type: schema.Integer, Nullable: true},
		schema.StructField{Name: colKafkaOffset, Type: schema.Long, Nullable: true},
	)
	return st, nil
}

// openTombstones opens (or creates) the tombstone table of the silver table at silverPath and
// loads the tombstones that inTable says silver has committed.
func openTombstones(ctx context.Context, silverPath string, silver *schema.StructType, key []string, appPrefix, pipeline string, retention time.Duration, now time.Time, inTable func(position) bool) (*tombstones, error) {
	st, err := tombstoneSchema(silver, key)
	if err != nil {
		return nil, err
	}
	t := delta.OpenLocal(filepath.Join(silverPath, tombstoneDir))
	snap, err := openOrCreate(ctx, t, st, nil, map[string]any{"pipeline": pipeline, "purpose": "tombstones of " + silverPath})
	if err != nil {
		return nil, fmt.Errorf("tombstone table: %w", err)
	}
	if snap, err = addMissingColumns(ctx, snap, st, pipeline); err != nil {
		return nil, fmt.Errorf("tombstone table: %w", err)
	}
	have, err := snap.Schema()
	if err != nil {
		return nil, fmt.Errorf("tombstone table: %w", err)
	}
	for i, f := range st.Fields {
		if i >= len(have.Fields) || have.Fields[i].Name != f.Name || have.Fields[i].Type.String() != f.Type.String() {
			return nil, fmt.Errorf("tombstone table: column #%d is not %s %s (schema %s)", i, f.Name, f.Type, have.JSON())
		}
	}
	ts := &tombstones{table: t, snap: snap, appIDs: appPrefix + "/tombstones", nk: len(key), retention: retention, pipeline: pipeline, inTable: inTable}
	if err := ts.load(ctx, now); err != nil {
		return nil, err
	}
	return ts, ts.prune(ctx, now)
}

func (ts *tombstones) keyIdx() []int {
	idx := make([]int, ts.nk)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

func (ts *tombstones) load(ctx context.Context, now time.Time) error {
	ts.entries = map[string]tombEntry{}
	rows, err := ts.snap.Rows(ctx)
	if err != nil {
		return fmt.Errorf("tombstone table: %w", err)
	}
	for _, r := range rows {
		key, err := encodeKey(r, ts.keyIdx())
		if err != nil {
			return fmt.Errorf("tombstone table: %w", err)
		}
		if !ts.inTable(tombPosition(r[ts.nk+4:])) {
			continue // from a merge that silver has not committed (yet)
		}
		order, _ := r[ts.nk].([]byte)
		src, _ := r[ts.nk+2].(time.Time)
		at, _ := r[ts.nk+3].(time.Time)
		ts.remember(key, string(order), src, at)
	}
	return nil
}

func (ts *tombstones) remember(key, order string, src, at time.Time) {
	e := ts.entries[key]
	if !e.has(order) {
		e.all = append(e.all, tombVersion{order: order, ts: src})
	}
	if order > e.max {
		e.max = order
	}
	if at.After(e.at) {
		e.at = at
	}
	ts.entries[key] = e
}

// write records deletes (table-order rows of the silver schema and their changes) not yet
// recorded, with one txn per Kafka partition.
func (ts *tombstones) write(ctx context.Context, dels []*change, keyIdx []int, seqIdx int, now time.Time) error {
	if len(dels) == 0 {
		return nil
	}
	now = now.UTC().Truncate(time.Microsecond)
	pos := make([]position, len(dels))
	for i, c := range dels {
		pos[i] = c.pos
	}
	row := func(i int) []any {
		c := dels[i]
		r := make([]any, 0, ts.nk+7)
		for _, k := range keyIdx {
			r = append(r, c.row[k])
		}
		r = append(r, []byte(c.order), sequenceText(c.row[seqIdx]), nilTime(c.ts), now)
		if !c.pos.known {
			return append(r, nil, nil, nil)
		}
		return append(r, c.pos.tp.Topic, c.pos.tp.Partition, c.pos.offset)
	}
	snap, written, err := appendOnce(ctx, ts.snap, ts.appIDs, pos, row, map[string]any{"pipeline": ts.pipeline})
	ts.snap = snap
	if err != nil {
		return fmt.Errorf("tombstone table: %w", err)
	}
	if len(written) > 0 {
		failpoint(fpAfterTombstones)
	}
	return nil
}

// prune drops tombstones older than the retention, at most once an hour. It rewrites the
// (small) table with the rows that stay.
func (ts *tombstones) prune(ctx context.Context, now time.Time) error {
	if now.Sub(ts.lastPrune) < time.Hour {
		return nil
	}
	ts.lastPrune = now
	cutoff := now.Add(-ts.retention)
	rows, err := ts.snap.Rows(ctx)
	if err != nil {
		return fmt.Errorf("tombstone table: %w", err)
	}
	var keep [][]any
	for _, r := range rows {
		if at, _ := r[ts.nk+3].(time.Time); !at.Before(cutoff) {
			keep = append(keep, r)
		}
	}
	if len(keep) == len(rows) {
		return nil
	}
	tx := ts.snap.NewTransaction("DELETE")
	tx.MarkTableRead()
	for _, a := range ts.snap.Files() {
		tx.Remove(a, true)
	}
	if len(keep) > 0 {
		if _, err := tx.WriteRows(ctx, keep, delta.WriteOptions{}); err != nil {
			return fmt.Errorf("tombstone table: %w", err)
		}
	}
	tx.SetCommitInfo("pipeline", ts.pipeline)
	tx.SetCommitInfo("prunedBefore", cutoff.Format(time.RFC3339))
	if _, err := tx.Commit(ctx); err != nil {
		if errors.Is(err, delta.ErrConflict) {
			return nil // another replica pruned or wrote; the next prune retries
		}
		return fmt.Errorf("tombstone table: %w", err)
	}
	snap, err := ts.snap.Update(ctx)
	if err != nil {
		return fmt.Errorf("tombstone table: %w", err)
	}
	ts.snap = snap
	return ts.load(ctx, now)
}

// tombPosition is the Kafka position of a tombstone row's coordinate columns; not known
// for a row written without them.
func tombPosition(coords []any) position {
	topic, ok1 := coords[0].(string)
	part, ok2 := coords[1].(int32)
	off, ok3 := coords[2].(int64)
	if !ok1 || !ok2 || !ok3 {
		return position{}
	}
	return position{tp: topicPartition{Topic: topic, Partition: part}, offset: off, known: true}
}

func sequenceText(v any) any {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return v
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	default:
		return fmt.Sprint(v)
	}
}

func nilTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Truncate(time.Microsecond)
}
