// Package delta holds the delta_lake output: it writes unwrapped change events into Delta Lake
// tables with exactly-once delivery per Kafka partition (Delta txn actions committed with the
// data), sending events it cannot store to a dead-letter Delta table.
package delta

import (
	"fmt"

	"github.com/redpanda-data/benthos/v4/public/service"
)

const (
	fieldPath               = "path"
	fieldMode               = "mode"
	fieldSchemaFile         = "schema_file"
	fieldPartitionBy        = "partition_by"
	fieldPipeline           = "pipeline"
	fieldAppID              = "app_id"
	fieldCheckpointInterval = "checkpoint_interval"
	fieldTargetFileSize     = "target_file_size"
	fieldCompression        = "compression"
	fieldDeadLetterPath     = "dead_letter_path"
	fieldTinyint1AsBool     = "tinyint1_as_boolean"
	fieldBatching           = "batching"
	fieldMaxHold            = "max_hold"
	fieldMaxInFlight        = "max_in_flight"
)

func outputSpec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Beta().
		Categories("Services").
		Summary("Writes change events into a Delta Lake table, exactly once per Kafka partition.").
		Description(`Takes the rows produced by `+"`debezium_unwrap`"+` (a JSON object of the table's columns plus `+"`_op`"+`,
`+"`_source_ts`"+`, `+"`_source_pos`"+`, `+"`_deleted`"+` and the `+"`_kafka_*`"+` coordinates) and commits them to the Delta table at
`+"`path`"+`, creating it from `+"`schema_file`"+` on first use. The table is standard Delta (protocol reader 1 / writer 2,
Parquet data files) that Spark, delta-rs, DuckDB and Trino read.

### Modes

- `+"`append`"+`: the bronze change log. Every event becomes one row: the after image (the before image for
  deletes) with the metadata columns, `+"`_before`"+` (the before image of updates, as JSON) and `+"`_ingested_at`"+`,
  partitioned by `+"`_ingest_date`"+` unless `+"`partition_by`"+` says otherwise.
- `+"`merge`"+`: current state by key (silver), a copy-on-write MERGE. See "Merge mode" below.

### Merge mode

Keeps one row per `+"`key`"+` (SCD type 1) or every version (type 2) equal to the source table as of the last
applied change. A change is applied only if its `+"`sequence_by`"+` value (default `+"`_source_pos`"+`, the binlog
position) is newer than the stored row's and than the key's last delete; so a late older event never regresses a
row, a redelivered event changes nothing, a snapshot read (`+"`_op = r`"+`, also incremental snapshots) never
overwrites a change streamed at or after its position, and a late insert never resurrects a deleted key. Within a
batch the changes of a key collapse to the newest. A primary-key change (delete of the old key and create of the
new key at one position) leaves only the new key. A truncate (kept by `+"`debezium_unwrap`"+`) empties the table and
fences off every change from before it.

Deleted keys are remembered in the companion table `+"`<path>/_ledgerflow_tombstones`"+` for `+"`tombstone_retention`"+`.
The output keeps an in-memory index of key → data file (read from the key columns at start, about 100 bytes a key),
so a batch rewrites only the files that hold its keys; new keys go to new files. Every commit records Spark's
`+"`mergeMetrics`"+` (files removed/added, rows copied, bytes removed/added) for measuring write
amplification. Silver tables are partitioned by the contract's `+"`partition`"+` column (`+"`event_date`"+` for
transactions) unless `+"`partition_by`"+` says otherwise.

### Delivery guarantees

Each commit carries, in the same atomic Delta commit as the data, one `+"`txn`"+` action per Kafka partition
(appId `+"`<app_id>/<topic>/<partition>`"+`, version = the last offset committed). Records at or below a
partition's committed version are skipped, so redeliveries after a crash or rebalance never duplicate rows.
A record is written only after every earlier record of its partition is committed (the `+"`kafka`"+` input
stamps each message with `+"`kafka_prev_offset`"+`); one that overtook a retried batch is held back in the output
(up to `+"`max_hold`"+` without progress, then nacked), never written ahead. The output acknowledges a batch only after its commit, so the input commits
Kafka offsets only for records that are in the table. Concurrent writers to the same table are safe: commits
use put-if-absent and Delta's conflict checks.

Messages that are not rows (`+"`debezium_kind`"+` metadata other than `+"`row`"+`: tombstones, heartbeats, schema
changes) advance the partition's version without writing a row.

### Dead letters

A message that an earlier processor marked as failed (for example `+"`debezium_unwrap`"+` on broken JSON), or whose
values do not fit the table (a value too large for its decimal, a string for a number column, a missing NOT NULL
column), is written to the dead-letter Delta table at `+"`dead_letter_path`"+`. The rest of the batch lands; the metric
`+"`delta_lake_dead_letters_total{stage,reason}`"+` counts them. A dead letter holds what a replay needs: `+"`raw`"+` is the
exact Kafka record value (from the `+"`debezium_raw`"+` metadata that `+"`debezium_unwrap`"+` keeps when it replaces the
body, else the body; valid UTF-8 goes to `+"`raw`"+`, anything else byte for byte to `+"`raw_bytes`"+`), `+"`_kafka_key`"+`
(or `+"`_kafka_key_bytes`"+` when the key is not UTF-8), `+"`_kafka_topic`"+`, `+"`_kafka_partition`"+`, `+"`_kafka_offset`"+`,
`+"`_kafka_timestamp`"+` and `+"`_kafka_headers`"+` (JSON text: an array of `+"`{\"key\": …, \"value\": …}`"+` in record order,
repeats kept). `+"`stage`"+` says where it was refused, `+"`reason_code`"+` why (machine-readable, stable) and `+"`reason`"+` the
message (the column, the value, what was expected). A dead-letter table written before these columns existed gets
them added on start (old rows read null).

Reason codes:

`+reasonCodesDoc+`

### Poison rows

A batch that fails for a reason that retrying cannot cure is never retried forever. Errors are classified:
storage I/O, a cancelled context and concurrent commits are transient and the batch is retried as it is; the
Parquet writer refusing a value is not. Then the batch is bisected: each half is committed on its own, with its
partitions' txn versions (exactly once holds), until the rows that fail alone are found. Each of them becomes a
dead letter (stage `+"`write`"+`, code `+"`poison_row`"+`, with the writer's error) and is counted by
`+"`ledgerflow_poison_rows_total`"+`; everything else lands.

A data file already in the table that cannot be read (corrupt, truncated, missing) is not a row problem: the output
reports it as `+"`data file <path> of the table cannot be read`"+`, counts it in
`+"`delta_lake_blocked_total{reason=\"table_file_unreadable\"}`"+`, and retries the batch after a pause that grows from 1 s
to 30 s (logged once per pause) until the file is restored or removed from the table. A schema change refused by
`+"`schema_evolution: exception`"+` is paced the same way (`+"`reason=\"schema_exception\"`"+`).

### Batching

`+"`batching`"+` is Benthos' batch policy. A policy with a `+"`count`"+` (or `+"`byte_size`"+`, or `+"`check`"+`) and no `+"`period`"+`
would hold a last partial batch forever (a finite input then never ends); the output gives such a policy a
`+"`period`"+` of `+"`500ms`"+` and logs a warning at start. Set `+"`period`"+` to choose another.

### Metrics

- `+"`delta_lake_dead_letters_total{stage,reason}`"+`, `+"`ledgerflow_poison_rows_total`"+`, `+"`delta_lake_blocked_total{reason}`"+`:
  every stage and reason code listed above exists at 0 from the start.
- `+"`ledgerflow_table_freshness_seconds{table}`"+` (gauge, `+"`table`"+` = `+"`<layer>/<table>`"+` from the last two elements of
  `+"`path`"+`, e.g. `+"`silver/transactions`"+`): now minus the newest source commit time (`+"`_source_ts`"+`) committed to the
  table, recomputed every second, so it grows while the table stalls. Absent until a source time is known (the
  first commit, or the last commits' `+"`commitInfo.sourceTimestampMax`"+` at start).
- `+"`delta_lake_commit_latency_ns`"+` (a timer; the `+"`prometheus`"+` exporter publishes it as the histogram
  `+"`delta_lake_commit_latency_seconds`"+`): from writing a commit's data files (and, in merge mode, rewriting the
  touched files) to its log entry landing.
- `+"`delta_lake_rows_written_total`"+`, `+"`delta_lake_commits_total`"+`, `+"`delta_lake_duplicates_skipped_total`"+`,
  `+"`delta_lake_held_back_total`"+`, `+"`delta_lake_table_version`"+`, `+"`delta_lake_batches_grouped_total`"+`,
  `+"`delta_lake_merge_stale_changes_total`"+`, `+"`delta_lake_merge_bytes_removed_total`"+`, `+"`delta_lake_merge_bytes_written_total`"+`.`).
		LintRule(mergeOnlyLint()).
		Field(service.NewStringField(fieldPath).
			Description("Table root directory. Created with the table on first write.").
			Example("./lakehouse/bronze/transactions")).
		Field(service.NewStringEnumField(fieldMode, "append", "merge").
			Description("`append` writes every event as a row (bronze change log); `merge` keeps current state by key (silver). The merge-only fields (`key`, `sequence_by`, `apply_as_deletes`, `apply_as_truncates`, `ignore_null_updates`, `columns`, `except_columns`, `tombstone_retention`, `stored_as_scd_type`, `target_file_rows`) set to anything but their defaults in mode `append` are a lint and a start-up error: they would be ignored.").
			Default("append")).
		Field(service.NewStringField(fieldSchemaFile).
			Description("The table contract: a path such as `schemas/transactions.yaml`, or the name of one embedded in the binary (`customers`, `accounts`, `transactions`).").
			Example("schemas/transactions.yaml")).
		Field(service.NewStringListField(fieldPartitionBy).
			Description("Partition columns. In append mode the default is `_ingest_date` (the UTC date of `_ingested_at`); the contract's derived partition column (e.g. `event_date`) may be named too.").
			Optional().
			Example([]string{"_ingest_date"}).
			Example([]string{"event_date"})).
		Field(service.NewStringField(fieldPipeline).
			Description("The pipeline's name, recorded in every commitInfo and the dead-letter table.").
			Default("ledgerflow")).
		Field(service.NewStringField(fieldAppID).
			Description("Prefix of the Delta txn application ids. The default, `<pipeline>/<table>/<mode>`, is right unless two outputs write the same table from the same topics. Changing it on an existing table makes every record look new: redeliveries would be written again.").
			Default("").
			Advanced()).
		Field(service.NewIntField(fieldCheckpointInterval).
			Description("Write a Delta checkpoint every this many commits (when the table has no `delta.checkpointInterval` property).").
			Default(10)).
		Field(service.NewStringField(fieldTargetFileSize).
			Description("Roll data files at about this size.").
			Default("128MiB")).
		Field(service.NewStringEnumField(fieldCompression, "zstd", "snappy").
			Description("Parquet compression codec.").
			Default("zstd").
			Advanced()).
		Field(service.NewStringField(fieldDeadLetterPath).
			Description("Root of the dead-letter Delta table. Default: `<path>_dead_letters`.").
			Default("")).
		Field(service.NewBoolField(fieldTinyint1AsBool).
			Description("Store TINYINT(1) columns (MySQL's BOOLEAN) as Delta booleans. Keep it equal to the setting of `debezium_unwrap`.").
			Default(true).
			Advanced()).
		Field(service.NewDurationField(fieldMaxHold).
			Description("How long a record may wait for an earlier record of its partition (delivered out of order by pipeline threads, or being retried) without that partition advancing, before it is nacked with an error naming the missing offset. The wait restarts whenever the partition commits: a slow merge working through batches ahead is not a missing record.").
			Default("60s").
			Advanced()).
		Field(service.NewIntField(fieldMaxInFlight).
			Description("Batches handed to the output at once. Commits are serialised; extra batches wait in the output for their partition's earlier records, so this must exceed how far pipeline threads can reorder batches.").
			Default(64).
			Advanced()).
		Fields(mergeFields()...).
		Field(service.NewBatchPolicyField(fieldBatching).
			Description("Allows you to configure a [batching policy](https://docs.redpanda.com/redpanda-connect/configuration/batching/). A `count`, `byte_size` or `check` without a `period` gets a `period` of `500ms`, so that a last partial batch is written (see \"Batching\").")).
		Example("Bronze change log of transactions", "Appends every change event, partitioned by ingest date.", `
output:
  delta_lake:
    path: ${LAKEHOUSE:./lakehouse}/bronze/transactions
    mode: append
    schema_file: schemas/transactions.yaml
    pipeline: transactions
    batching:
      count: 10000
      period: 1s
`).
		Example("Silver customers with history", "Current state by primary key with SCD type 2 history, leaving out a PII column.", `
output:
  delta_lake:
    path: ${LAKEHOUSE:./lakehouse}/silver/customers
    mode: merge
    schema_file: schemas/customers.yaml
    pipeline: customers
    stored_as_scd_type: 2
    except_columns: [ phone ]
    tombstone_retention: 168h
    batching:
      count: 10000
      period: 500ms
`)
}

// defaultBatchPeriod flushes a partial batch of a policy that has none.
const defaultBatchPeriod = "500ms"

// withDefaultPeriod gives a batch policy that can hold a partial batch a period. Benthos
// does not flush a partial batch when a finite input ends, so without one the last events
// of a file, a scenario or a rebuild would never be written and the stream never end.
func withDefaultPeriod(pol *service.BatchPolicy) bool {
	if pol.Period != "" || (pol.Count <= 1 && pol.ByteSize <= 0 && pol.Check == "") {
		return false
	}
	pol.Period = defaultBatchPeriod
	return true
}

func init() {
	service.MustRegisterBatchOutput("delta_lake", outputSpec(),
		func(conf *service.ParsedConfig, mgr *service.Resources) (service.BatchOutput, service.BatchPolicy, int, error) {
			pol, err := conf.FieldBatchPolicy(fieldBatching)
			if err != nil {
				return nil, pol, 0, err
			}
			if withDefaultPeriod(&pol) {
				mgr.Logger().Warnf("delta_lake: batching has a count, byte_size or check but no period: a last partial batch would wait forever, so period %s is used; set batching.period to choose", defaultBatchPeriod)
			}
			mif, err := conf.FieldInt(fieldMaxInFlight)
			if err != nil {
				return nil, pol, 0, err
			}
			if mif < 1 {
				return nil, pol, 0, fmt.Errorf("delta_lake: %s must be at least 1, got %d", fieldMaxInFlight, mif)
			}
			out, err := newOutput(conf, mgr)
			return out, pol, mif, err
		})
}
