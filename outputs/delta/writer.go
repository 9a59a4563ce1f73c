package delta

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// testRowHook, set only by tests, sees every row (table order) on its way to the writer, so
// that a test can hand the real Parquet writer a value it refuses: no input that passes
// decodeRow is known to do that any more, and the poison-row path must still be proven, also
// in streams built from YAML, where the test cannot reach the output.
var testRowHook func(o *output, row []any)

type output struct {
	path, mode, pipeline, appPrefix, dlqPath, configHash, compression string
	evolution                                                         string
	checkpointInterval                                                int64
	targetFileSize                                                    int64
	contract                                                          *schemas.Table
	layout                                                            *layout
	log                                                               *service.Logger

	maxHold time.Duration

	mu    sync.Mutex
	table *delta.Table
	// committed is closed (and replaced) after every commit, waking held batches.
	committed chan struct{}
	snap      *delta.Snapshot
	perm      []int // layout column i is table column perm[i]
	// identity is true when perm maps every column to itself.
	identity bool
	width    int
	dlq      *deadLetters
	// merge is set in mode merge: it keeps the key index and the tombstones.
	merge *merger

	mRows, mCommits, mSkipped, mWaiting, mDead *service.MetricCounter
	mStale, mBytesRewritten, mBytesWritten     *service.MetricCounter
	mGrouped, mPoison, mBlocked                *service.MetricCounter

	// blocked paces batches that wait for an operator (see pause).
	blocked blockage
	fresh   *freshness
	// srcTSIdx is the layout index of _source_ts, for freshness.
	srcTSIdx int

	// qmu guards queue: the batches waiting for the commit lock (see commitGroup).
	qmu            sync.Mutex
	queue          []*commitRequest
	mVersion       *service.MetricGauge
	mCommitLatency *service.MetricTimer
}

func newOutput(conf *service.ParsedConfig, mgr *service.Resources) (*output, error) {
	o := &output{log: mgr.Logger(), committed: make(chan struct{})}
	var err error
	if o.path, err = conf.FieldString(fieldPath); err != nil {
		return nil, err
	}
	if o.mode, err = conf.FieldString(fieldMode); err != nil {
		return nil, err
	}
	schemaFile, err := conf.FieldString(fieldSchemaFile)
	if err != nil {
		return nil, err
	}
	if o.contract, err = schemas.Load(schemaFile); err != nil {
		return nil, fmt.Errorf("delta_lake: %s: %w", fieldSchemaFile, err)
	}
	var partitionBy []string
	if conf.Contains(fieldPartitionBy) {
		if partitionBy, err = conf.FieldStringList(fieldPartitionBy); err != nil {
			return nil, err
		}
	}
	if len(partitionBy) == 0 {
		// In a stream an absent optional list parses as present and empty: both mean the
		// default partitioning, never none.
		partitionBy = nil
	}
	tinyBool, err := conf.FieldBool(fieldTinyint1AsBool)
	if err != nil {
		return nil, err
	}
	if o.mode != "merge" {
		if set := mergeOnlyFieldsSet(conf); len(set) > 0 {
			return nil, fmt.Errorf("delta_lake: mode append does not use the merge-only field(s) %s: remove them, or set mode: merge", strings.Join(set, ", "))
		}
	}
	var mopts *mergeOptions
	if o.mode == "merge" {
		if mopts, err = parseMergeOptions(conf); err != nil {
			return nil, err
		}
		if len(mopts.key) == 0 {
			mopts.key = o.contract.PrimaryKey
		}
		if len(mopts.key) == 0 {
			return nil, fmt.Errorf("delta_lake: mode merge needs a key: the contract %s has no primary_key and %s is not set", o.contract.Name, fieldKey)
		}
		o.layout, err = silverLayout(o.contract, partitionBy, mopts.columns, mopts.exceptColumns, mopts.scd2, tinyBool)
	} else {
		o.layout, err = bronzeLayout(o.contract, partitionBy, tinyBool)
	}
	if err != nil {
		return nil, fmt.Errorf("delta_lake: %w", err)
	}
	if mopts != nil {
		if o.merge, err = newMerger(mopts, o.layout); err != nil {
			return nil, fmt.Errorf("delta_lake: %w", err)
		}
		o.merge.tablePath = o.path
	}
	if o.evolution, err = conf.FieldString(fieldSchemaEvolution); err != nil {
		return nil, err
	}
	if o.pipeline, err = conf.FieldString(fieldPipeline); err != nil {
		return nil, err
	}
	if o.appPrefix, err = conf.FieldString(fieldAppID); err != nil {
		return nil, err
	}
	if o.appPrefix == "" {
		o.appPrefix = o.pipeline + "/" + o.contract.Name + "/" + o.mode
	}
	ci, err := conf.FieldInt(fieldCheckpointInterval)
	if err != nil {
		return nil, err
	}
	if ci < 1 {
		return nil, fmt.Errorf("delta_lake: %s must be at least 1, got %d", fieldCheckpointInterval, ci)
	}
	o.checkpointInterval = int64(ci)
	sizeText, err := conf.FieldString(fieldTargetFileSize)
	if err != nil {
		return nil, err
	}
	if o.targetFileSize, err = parseBytes(sizeText); err != nil {
		return nil, fmt.Errorf("delta_lake: %s: %w", fieldTargetFileSize, err)
	}
	if o.compression, err = conf.FieldString(fieldCompression); err != nil {
		return nil, err
	}
	if o.maxHold, err = conf.FieldDuration(fieldMaxHold); err != nil {
		return nil, err
	}
	if o.dlqPath, err = conf.FieldString(fieldDeadLetterPath); err != nil {
		return nil, err
	}
	if o.dlqPath == "" {
		o.dlqPath = filepath.Clean(o.path) + "_dead_letters"
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s|%s|%s|%v|%s", o.path, o.mode, o.appPrefix, o.layout.schema.JSON(), o.layout.partitions, o.compression)
	o.configHash = hex.EncodeToString(h.Sum(nil))[:16]

	m := mgr.Metrics()
	o.mRows = m.NewCounter("delta_lake_rows_written_total")
	o.mCommits = m.NewCounter("delta_lake_commits_total")
	o.mSkipped = m.NewCounter("delta_lake_duplicates_skipped_total")
	o.mWaiting = m.NewCounter("delta_lake_held_back_total")
	o.mDead = m.NewCounter("delta_lake_dead_letters_total", "stage", "reason")
	for stage, codes := range stageReasons() {
		for _, code := range codes {
			o.mDead.Incr(0, stage, code) // exists at 0 from the start
		}
	}
	o.mPoison = m.NewCounter("ledgerflow_poison_rows_total")
	o.mPoison.Incr(0)
	o.mBlocked = m.NewCounter("delta_lake_blocked_total", "reason")
	o.mBlocked.Incr(0, blockedFileUnreadable)
	o.mBlocked.Incr(0, blockedSchemaException)
	o.fresh = newFreshness(m, o.path)
	o.srcTSIdx = o.layout.schema.Index(colSourceTS)
	o.mVersion = m.NewGauge("delta_lake_table_version")
	o.mCommitLatency = m.NewTimer("delta_lake_commit_latency_ns")
	o.mStale = m.NewCounter("delta_lake_merge_stale_changes_total")
	o.mGrouped = m.NewCounter("delta_lake_batches_grouped_total")
	o.mBytesRewritten = m.NewCounter("delta_lake_merge_bytes_removed_total")
	o.mBytesWritten = m.NewCounter("delta_lake_merge_bytes_written_total")
	return o, nil
}

// Connect opens the table, creating it from the contract when absent, and checks that an
// existing table has every column this output writes.
func (o *output) Connect(ctx context.Context) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.table = delta.NewTable(delta.NewLocalStorage(o.path), delta.Options{CheckpointInterval: o.checkpointInterval})
	snap, err := openOrCreate(ctx, o.table, o.layout.schema, o.layout.partitions, map[string]any{
		"pipeline": o.pipeline, "configHash": o.configHash, "contract": o.contract.Name,
	})
	if err != nil {
		return fmt.Errorf("delta_lake %s: %w", o.path, err)
	}
	ts, err := snap.Schema()
	if err != nil {
		return err
	}
	o.adoptTableColumns(ts)
	if o.merge != nil {
		o.merge.index = nil
		// Only the tombstones of deletes this snapshot of silver holds may decide a merge:
		// one recorded ahead of a silver commit that a crash prevented is not a delete yet.
		inTable := func(p position) bool {
			if !p.known {
				return true
			}
			v, ok := snap.TxnVersion(appID(o.appPrefix, p.tp))
			return ok && p.offset <= v
		}
		if o.merge.tombs, err = openTombstones(ctx, o.path, ts, o.merge.opts.key, o.appPrefix, o.pipeline, o.merge.opts.tombstoneRetention, time.Now(), inTable); err != nil {
			return fmt.Errorf("delta_lake %s: %w", o.path, err)
		}
	}
	if err := o.adopt(snap); err != nil {
		return err
	}
	dlq, err := openDeadLetters(ctx, o.dlqPath, o.appPrefix, o.pipeline, o.path)
	if err != nil {
		return err
	}
	o.dlq = dlq
	o.fresh.load(ctx, o.table)
	o.fresh.start()
	return nil
}

// adopt makes snap the output's view of the table and maps the layout onto its schema, which
// may have more (nullable) columns or another order than ours.
func (o *output) adopt(snap *delta.Snapshot) error {
	ts, err := snap.Schema()
	if err != nil {
		return err
	}
	perm := make([]int, len(o.layout.schema.Fields))
	for i, f := range o.layout.schema.Fields {
		j := ts.Index(f.Name)
		if j < 0 {
			return fmt.Errorf("delta_lake %s: the table has no column %q that the contract %s needs (schema evolution is not enabled)", o.path, f.Name, o.contract.Name)
		}
		if got := ts.Fields[j].Type.String(); got != f.Type.String() {
			return fmt.Errorf("delta_lake %s: column %q is %s in the table, the contract needs %s", o.path, f.Name, got, f.Type)
		}
		perm[i] = j
	}
	for j, f := range ts.Fields {
		if !f.Nullable && !contains(perm, j) {
			return fmt.Errorf("delta_lake %s: the table's NOT NULL column %q is not written by this output", o.path, f.Name)
		}
	}
	if o.merge != nil {
		if err := o.merge.adoptSchema(ts, snap); err != nil {
			return fmt.Errorf("delta_lake %s: %w", o.path, err)
		}
		// Our own commits keep the index current; anyone else's means reading the keys again.
		if o.merge.index == nil || o.merge.index.version != snap.Version() {
			if err := o.merge.buildIndex(context.Background(), snap); err != nil {
				return fmt.Errorf("delta_lake %s: %w", o.path, err)
			}
		}
	}
	o.snap, o.perm, o.width = snap, perm, len(ts.Fields)
	o.identity = len(perm) == len(ts.Fields)
	for i, j := range perm {
		o.identity = o.identity && i == j
	}
	o.mVersion.Set(snap.Version())
	return nil
}

func openOrCreate(ctx context.Context, t *delta.Table, st *schema.StructType, partitions []string, info map[string]any) (*delta.Snapshot, error) {
	exists, err := t.Exists(ctx)
	if err != nil {
		return nil, err
	}
	if exists {
		return t.Snapshot(ctx)
	}
	snap, err := t.Create(ctx, st, delta.CreateOptions{PartitionColumns: partitions, CommitInfo: info})
	if errors.Is(err, delta.ErrTableExists) {
		return t.Snapshot(ctx) // another writer created it first
	}
	return snap, err
}

// WriteBatch commits the batch's new rows and the partitions' txn versions in one Delta
// commit and dead-letters what cannot be stored.
//
// Records whose predecessor on their partition is not committed yet (it is in another batch
// that a pipeline thread has not delivered, or that is being retried) are held here, not
// nacked: the call waits until the commits of other in-flight batches close the gap, then
// writes them. Nacking instead would deadlock behind Benthos' fan_out broker, which retries a
// failed batch before it accepts the next one. A record held longer than max_hold is nacked
// with an error that names the missing offset.
func (o *output) WriteBatch(ctx context.Context, batch service.MessageBatch) error {
	o.mu.Lock()
	connected := o.snap != nil
	o.mu.Unlock()
	if !connected {
		return service.ErrNotConnected
	}
	positions := make([]position, len(batch))
	pending := make([]int, len(batch))
	for i, m := range batch {
		positions[i] = messagePosition(m)
		pending[i] = i
	}
	err := o.writeBatch(ctx, batch, positions, pending)
	if reason := blockedReason(err); reason != "" {
		o.pause(ctx, reason, err)
	} else if err == nil {
		o.unblocked()
	}
	return err
}

func (o *output) writeBatch(ctx context.Context, batch service.MessageBatch, positions []position, pending []int) error {
	if o.evolution == evolveException {
		if err := o.refuseInvalidColumns(batch); err != nil {
			return err
		}
	}
	l, err := o.evolve(ctx, batch)
	if err != nil {
		return err
	}
	prep := o.prepare(l, batch, positions, time.Now())
	deadline := time.NewTimer(o.maxHold)
	defer deadline.Stop()
	var progress int64 = -1
	for {
		req := &commitRequest{prep: prep, positions: positions, pending: pending}
		waitIdx, changed, now, err := o.commitGroup(ctx, req)
		if err != nil {
			return err
		}
		if len(waitIdx) == 0 {
			return nil
		}
		if now != progress {
			progress = now
			if !deadline.Stop() {
				select {
				case <-deadline.C:
				default:
				}
			}
			deadline.Reset(o.maxHold)
		}
		pending = waitIdx
		select {
		case <-changed:
			continue
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
		}
		berr := service.NewBatchError(batch, fmt.Errorf("held back for %s waiting for earlier records of the same partition", o.maxHold))
		for _, i := range pending {
			p := positions[i]
			berr = berr.Failed(i, fmt.Errorf("offset %d of %s/%d waited %s for offset %d, which never reached this output: a processor may drop messages (debezium_unwrap must keep tombstones: tombstone_handling: keep)", p.offset, p.tp.Topic, p.tp.Partition, o.maxHold, p.prev))
		}
		o.log.Errorf("delta_lake %s: %v", o.path, berr)
		return berr
	}
}

// commitWithRetry commits the pending messages (commitConflictRetry), dead-lettering the
// rows the writer refuses (commitIsolating). It returns the indexes that must keep waiting.
// Callers hold o.mu.
func (o *output) commitWithRetry(ctx context.Context, prep []prepared, positions []position, pending []int) ([]int, error) {
	return o.commitIsolating(ctx, prep, positions, pending)
}

// commitConflictRetry plans and commits the pending messages, re-planning when a concurrent
// writer committed for one of our partitions (a rebalance overlap), so that nothing it
// wrote is written twice. It returns the indexes that must keep waiting. Callers hold o.mu.
func (o *output) commitConflictRetry(ctx context.Context, prep []prepared, positions []position, pending []int) ([]int, error) {
	for attempt := 1; ; attempt++ {
		waitIdx, err := o.commit(ctx, prep, positions, pending)
		retry := errors.Is(err, delta.ErrConcurrentTransaction) || (o.merge != nil && errors.Is(err, delta.ErrConflict))
		if retry && attempt < 5 {
			snap, uerr := o.snap.Update(ctx)
			if uerr != nil {
				return nil, uerr
			}
			if aerr := o.adopt(snap); aerr != nil {
				return nil, aerr
			}
			continue
		}
		return waitIdx, err
	}
}

// prepared is one message decoded before the commit lock is taken, so that concurrent
// batches decode in parallel while their commits stay serial.
type prepared struct {
	row  []any       // in layout order; nil for non-row messages and dead letters
	dead *deadLetter // set when the message cannot be stored
	pos  string      // the row's _source_pos, for the commit's position range
	// Merge mode: the change is a delete (apply_as_deletes), or a truncate at pos/ts.
	del, trunc bool
	ts         time.Time
	msg        *service.Message // for a dead letter found at merge or write time
}

// prepare decodes every message of the batch. It needs no lock: it reads only the layout,
// which never changes.
func (o *output) prepare(l *layout, batch service.MessageBatch, positions []position, now time.Time) []prepared {
	out := make([]prepared, len(batch))
	posCol := l.schema.Index(colSourcePos)
	for i, m := range batch {
		out[i].msg = m
		if perr := m.GetError(); perr != nil {
			code, _ := m.MetaGet(metaErrorReason)
			if code == "" {
				code = codeProcessorError
			}
			out[i].dead = newDeadLetter(m, positions[i], stageProcessing, code, perr.Error())
			continue
		}
		if kind, ok := m.MetaGet("debezium_kind"); ok && kind != "row" {
			if kind == "truncate" && o.merge != nil {
				out[i] = o.prepareTruncate(l, m, positions[i])
			}
			continue
		}
		raw, _ := m.AsBytes()
		row, err := l.decodeRow(raw, now)
		if err == nil && o.merge != nil {
			out[i].del, err = o.prepareChange(l, row)
		}
		if err != nil {
			out[i].dead = newDeadLetter(m, positions[i], stageDecode, reasonCode(err, codeMalformedRow), err.Error())
			continue
		}
		if pos := positions[i]; pos.known {
			// The input's coordinates are authoritative; the body may lack them (a pipeline
			// that does not run debezium_unwrap right after the kafka input).
			row[l.kafkaCols[0]] = pos.tp.Topic
			row[l.kafkaCols[1]] = pos.tp.Partition
			row[l.kafkaCols[2]] = pos.offset
		}
		out[i].row = row
		out[i].pos, _ = row[posCol].(string)
	}
	return out
}

// refuseInvalidColumns stops a batch (schema_evolution exception) holding an event the unwrap
// refused for a column name Delta cannot store: in that mode a schema change the table cannot
// take stops the pipeline instead of becoming a dead letter.
func (o *output) refuseInvalidColumns(batch service.MessageBatch) error {
	for _, m := range batch {
		if m.GetError() == nil {
			continue
		}
		if code, _ := m.MetaGet(metaErrorReason); code == "invalid_column_name" {
			return schemaChangeErr("delta_lake %s: schema_evolution is exception and the event at offset %s of %s/%s has a column Delta cannot store (%v); the pipeline stops here until the source is fixed or schema_evolution is changed",
				o.path, metaString(m, "kafka_offset"), metaString(m, "kafka_topic"), metaString(m, "kafka_partition"), m.GetError())
		}
	}
	return nil
}

func (o *output) commit(ctx context.Context, prep []prepared, allPositions []position, pending []int) ([]int, error) {
	positions := make([]position, len(pending))
	for j, i := range pending {
		positions[j] = allPositions[i]
	}
	committed := map[topicPartition]int64{}
	for _, p := range positions {
		if p.known {
			if v, ok := o.snap.TxnVersion(appID(o.appPrefix, p.tp)); ok {
				committed[p.tp] = v
			}
		}
	}
	verdicts, next := plan(positions, committed)
	var rows [][]any
	var changes []*change
	var dead []deadLetter
	var minPos, maxPos string
	var waitIdx []int
	var srcMax time.Time
	for j, i := range pending {
		switch verdicts[j] {
		case skip:
			o.mSkipped.Incr(1)
			continue
		case wait:
			o.mWaiting.Incr(1)
			waitIdx = append(waitIdx, i)
			continue
		}
		p := prep[i]
		if p.dead != nil {
			dead = append(dead, *p.dead)
			continue
		}
		if o.merge != nil && (p.row != nil || p.trunc) {
			c, err := o.toChange(p, allPositions[i])
			if err != nil {
				dead = append(dead, *newDeadLetter(p.msg, allPositions[i], stageMerge, reasonCode(err, codeInvalidKey), err.Error()))
				continue
			}
			changes = append(changes, c)
			if p.trunc && p.ts.After(srcMax) {
				srcMax = p.ts
			}
		}
		if p.row == nil {
			continue // not a row: only advances the partition's version
		}
		if t, ok := p.row[o.srcTSIdx].(time.Time); ok && t.After(srcMax) {
			srcMax = t
		}
		if p.pos != "" {
			if minPos == "" || p.pos < minPos {
				minPos = p.pos
			}
			if p.pos > maxPos {
				maxPos = p.pos
			}
		}
		if o.merge == nil {
			rows = append(rows, o.toTableOrder(p.row))
		}
	}
	if testRowHook != nil {
		for _, r := range rows {
			testRowHook(o, r)
		}
		for _, c := range changes {
			if c.row != nil {
				testRowHook(o, c.row)
			}
		}
	}
	if len(dead) > 0 {
		written, err := o.dlq.write(ctx, dead, time.Now())
		if err != nil {
			return nil, fmt.Errorf("delta_lake %s: writing %d dead letters: %w", o.path, len(dead), err)
		}
		if len(written) > 0 {
			failpoint(fpAfterDeadLetters)
		}
		for _, k := range written {
			d := &dead[k]
			o.mDead.Incr(1, d.stage, metricReason(d.code))
			if d.stage == stageWrite && d.code == codePoisonRow {
				o.mPoison.Incr(1)
			}
			o.log.Warnf("delta_lake %s: dead-lettered %s offset %d (%s, %s): %s", o.path, d.pos.tp.Topic, d.pos.offset, d.stage, d.code, truncateText(d.reason, 512))
		}
	}
	if len(rows) == 0 && len(changes) == 0 && len(next) == 0 {
		return waitIdx, nil
	}
	op := "STREAMING UPDATE"
	if o.merge != nil {
		op = "MERGE"
	}
	tx := o.snap.NewTransaction(op)
	offsets := map[string]any{}
	for tp, v := range next {
		id := appID(o.appPrefix, tp)
		tx.TxnVersion(id)
		tx.SetTxn(id, v)
		offsets[tp.Topic+"/"+strconv.Itoa(int(tp.Partition))] = v
	}
	start := time.Now()
	wopts := delta.WriteOptions{TargetFileSize: o.targetFileSize, Compression: o.compression}
	if len(rows) > 0 {
		if _, err := tx.WriteRows(ctx, rows, wopts); err != nil {
			return nil, writeErr(fmt.Errorf("delta_lake %s: %w", o.path, err))
		}
	}
	var st *staged
	if o.merge != nil && len(changes) > 0 {
		var err error
		if st, err = o.merge.stage(ctx, o.snap, tx, changes, wopts, time.Now()); err != nil {
			return nil, fmt.Errorf("delta_lake %s: %w", o.path, err)
		}
		tx.SetCommitInfo("mergeMetrics", map[string]any{
			"numSourceRows": len(changes), "numStaleChanges": st.stale,
			"numTargetFilesRemoved": len(st.removed), "numTargetFilesAdded": len(st.adds),
			"numTargetRowsCopied": st.rowsRewritten, "numOutputRows": len(st.outKeys),
			"numTargetBytesRemoved": st.bytesRemoved, "numTargetBytesAdded": st.written,
		})
	}
	tx.SetCommitInfo("pipeline", o.pipeline)
	tx.SetCommitInfo("configHash", o.configHash)
	tx.SetCommitInfo("outputMode", o.mode)
	if o.merge == nil {
		tx.SetCommitInfo("numRows", len(rows))
	}
	tx.SetCommitInfo("kafkaOffsets", offsets)
	if minPos != "" {
		tx.SetCommitInfo("sourcePositionMin", minPos)
		tx.SetCommitInfo("sourcePositionMax", maxPos)
	}
	if !srcMax.IsZero() {
		tx.SetCommitInfo(infoSourceTSMax, srcMax.UTC().Format(time.RFC3339Nano))
	}
	res, err := tx.Commit(ctx)
	if err != nil {
		return nil, err
	}
	o.mCommitLatency.Timing(time.Since(start).Nanoseconds())
	o.fresh.observe(srcMax)
	if st != nil {
		o.merge.commitStaged(st, res.Version)
		for _, msg := range st.incomplete {
			o.log.Errorf("delta_lake %s: a partial update (ignore_null_updates) of a key without a stored row was not stored: %s", o.path, msg)
		}
		o.mStale.Incr(int64(st.stale))
		o.mBytesRewritten.Incr(st.bytesRemoved)
		o.mBytesWritten.Incr(st.written)
	} else if o.merge != nil {
		o.merge.index.version = res.Version
	}
	if res.CheckpointErr != nil {
		o.log.Warnf("delta_lake %s: %v (the commit succeeded; the next checkpoint will cover it)", o.path, res.CheckpointErr)
	}
	snap, err := o.snap.Update(ctx)
	if err != nil {
		return nil, fmt.Errorf("delta_lake %s: committed version %d but could not re-read the log: %w", o.path, res.Version, err)
	}
	if err := o.adopt(snap); err != nil {
		return nil, err
	}
	o.mCommits.Incr(1)
	o.mRows.Incr(int64(len(rows)))
	if st != nil {
		o.mRows.Incr(int64(len(changes) - st.stale))
	}
	// Wake the calls holding records that waited for this commit.
	close(o.committed)
	o.committed = make(chan struct{})
	return waitIdx, nil
}

func (o *output) toTableOrder(row []any) []any {
	if o.identity && len(row) == o.width {
		return row // the table was created from this layout: same columns, same order
	}
	out := make([]any, o.width)
	for i, v := range row {
		out[o.perm[i]] = v
	}
	return out
}

// Close stops the freshness updater; every commit is already durable.
func (o *output) Close(context.Context) error {
	o.fresh.close()
	return nil
}

// messagePosition reads the Kafka coordinates the kafka input attached.
func messagePosition(m *service.Message) position {
	topic, ok1 := m.MetaGet("kafka_topic")
	part, ok2 := m.MetaGet("kafka_partition")
	off, ok3 := m.MetaGet("kafka_offset")
	if !ok1 || !ok2 || !ok3 {
		return position{}
	}
	p, err1 := strconv.ParseInt(part, 10, 32)
	o, err2 := strconv.ParseInt(off, 10, 64)
	if err1 != nil || err2 != nil {
		return position{}
	}
	prev := int64(-1)
	if s, ok := m.MetaGet("kafka_prev_offset"); ok && s != "" {
		if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			prev = v
		}
	}
	return position{tp: topicPartition{Topic: topic, Partition: int32(p)}, offset: o, prev: prev, known: true}
}

func metaString(m *service.Message, key string) string {
	v, _ := m.MetaGet(key)
	return v
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// parseBytes reads sizes such as "128MiB", "64MB", "1048576".
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}}
	for _, u := range units {
		if len(s) > len(u.suffix) && s[len(s)-len(u.suffix):] == u.suffix {
			n, err := strconv.ParseInt(s[:len(s)-len(u.suffix)], 10, 64)
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("%q: expected a positive size such as 128MiB", s)
			}
			return n * u.mult, nil
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q: expected a positive size such as 128MiB", s)
	}
	return n, nil
}
