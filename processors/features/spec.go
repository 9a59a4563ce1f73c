package features

import "github.com/redpanda-data/benthos/v4/public/service"

const (
	fDeclaration       = "declaration"
	fSchemaFile        = "schema_file"
	fObjects           = "objects"
	fMode              = "mode"
	fMaxDelay          = "max_delay"
	fPartitions        = "partitions"
	fCorrectionHorizon = "correction_horizon"
	fRowFields         = "row_fields"
	fRestore           = "restore"
	fRestoreBronze     = "bronze"
	fRestoreCommitted  = "committed_table"
	fMaxEntriesPerKey  = "max_entries_per_key"
	fMaxDistinct       = "max_distinct"
	fTick              = "tick"
)

// Metadata keys the processor sets.
const (
	// MetaEnv is structured metadata map[string]map[string]any: object -> field -> value,
	// merged into what an earlier processor (enrich) put there; fraud_rules reads it.
	MetaEnv = "ledgerflow_env"
	// MetaKind is "scored" on a transaction row, "correction" on a correction message.
	MetaKind        = "features_kind"
	MetaProvisional = "features_provisional"
	MetaCapped      = "features_capped"
	MetaWatermark   = "features_watermark"
	MetaSeq         = "features_seq"
	MetaErrorReason = "features_error_reason"
)

func processorSpec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Beta().
		Categories("Integration").
		Summary("Adds event-time windowed features per account, customer, merchant, device, IP and account+merchant to transaction rows, exactly and whatever the arrival order.").
		Description(`
Reads `+"`debezium_unwrap`"+` rows of transactions and adds the values of the features declared in a
features file (format: `+"`pipelines/features/transactions.yaml`"+`). The value a transaction T at event time t
gets is computed over the other transactions of its key whose event time lies in [t − window, t) (equal times:
the smaller transaction id counts), each in its state as of t (an update counts from its source commit time,
a delete removes it), never over what happened to arrive first. Money stays exact (decimal strings);
`+"`stats`"+` gives n, mean and sample standard deviation computed from exact sums.

### When a row is scored

Kafka partitions carry one account's transactions in any order (Debezium keys by transaction id), so each
partition has a low watermark (newest change time − `+"`max_out_of_orderness`"+`) and the minimum over partitions
that delivered within `+"`idle_timeout`"+` says which event times are complete. A batch is held until the
watermark passes each of its rows' event times, or for at most `+"`max_delay`"+`; rows scored before the
watermark passed are flagged `+"`features_provisional`"+`. A version that arrives after a transaction it
affects was scored produces a **correction**: an extra message, appended to the batch of the version that
caused it, carrying the corrected transaction's new values. The last value emitted for a transaction is always
the value its complete history gives.

### Delivery guarantees

Nothing is dropped and nothing is held across calls: the batch comes back (with its corrections) only after
its rows are scored, so the input acknowledges a record only once everything derived from it is written.
Because batches wait, other batches must keep flowing to advance the watermark: set `+"`pipeline.threads`"+`
well above the number of partitions in flight (32 is a good start). On shutdown, waiting rows are scored with
what is known (provisional) and returned.

### Output

- structured metadata `+"`ledgerflow_env`"+`: `+"`{acct: {count_1m: 3, ...}, merch: {...}}`"+`, merged into an existing map;
  ints are int64, money a decimal string, stats float64, `+"`last_time`"+` a UTC time or null, `+"`last_n`"+` a list,
  `+"`seen`"+` a bool; an object whose key is null in the row (no device) gets no values.
- metadata `+"`features_kind`"+` (`+"`scored`"+` | `+"`correction`"+`), `+"`features_provisional`"+`, `+"`features_capped`"+`,
  `+"`features_watermark`"+` (RFC 3339), `+"`features_seq`"+` (emission order within a run).
- with `+"`row_fields: true`"+`, the same values as row members `+"`f_<object>_<name>`"+` (for the
  transaction_features table); off by default so bronze and silver outputs in the same pipeline gain no columns.
- a correction message is a compact row (transaction id, `+"`_source_pos`"+` of the corrected version, event time,
  key and aggregated columns, the `+"`f_`"+` members) with the causing record's metadata; route it with a
  `+"`switch`"+` output on `+"`@features_kind`"+` to gold tables only.
- a row that cannot be placed in time (no `+"`_source_ts`"+` on an update, a bad value) is marked failed with
  `+"`features_error_reason`"+` and passes through unscored.

Metrics: `+"`features_watermark_lag_seconds`"+`, `+"`features_buffered_transactions`"+`, `+"`features_scored_total`"+`,
`+"`features_provisional_total`"+`, `+"`features_corrections_total`"+`, `+"`features_too_late_total`"+`,
`+"`features_duplicates_total`"+`, `+"`features_caps_hit_total{cap}`"+`, `+"`features_errors_total{reason}`"+`.

### Restarts

With `+"`restore`"+`, the state is rebuilt at start from the bronze table: the records at or below what the
`+"`committed_table`"+`'s txn versions say is committed downstream. Records above are redelivered by Kafka and
counted once (the state is a set of versions keyed by source position), so after a SIGKILL every value equals
an uninterrupted run's. Design: `+"`docs/design/features.md`"+`.
`).
		Fields(
			service.NewStringField(fDeclaration).
				Description("The features declaration file (YAML: `time`, `keys`, `watermark`, `features`).").
				Example("pipelines/features/transactions.yaml"),
			service.NewStringField(fSchemaFile).
				Description("The transactions table contract; `where` predicates and `of:` columns are typed from it.").
				Default("schemas/transactions.yaml"),
			service.NewAnyField(fObjects).
				Description("Types of enrichment fields an `of: object.field` names, as SQL types (object -> field -> type). Their values are read from `ledgerflow_env`, where the enrich processor puts them.").
				Example(map[string]any{"merch": map[string]any{"lat": "DECIMAL(9,6)", "lon": "DECIMAL(9,6)"}}).
				Optional(),
			service.NewStringAnnotatedEnumField(fMode, map[string]string{
				"event_time": "Score once the watermark passes the row's event time (or after `max_delay`, provisional).",
				"on_arrival": "Score at once (for a decision within milliseconds); values are provisional unless the watermark had passed, and corrected later.",
			}).Default("event_time"),
			service.NewDurationField(fMaxDelay).
				Description("The longest a row waits for the watermark (processing time). Empty: the declaration's `watermark.max_delay`.").
				Default("").Example("30s"),
			service.NewIntField(fPartitions).
				Description("How many Kafka partitions feed the pipeline. The watermark does not advance until all have delivered or `idle_timeout` has passed, so a partition that has not been fetched yet cannot be overtaken. 0: do not wait.").
				Default(0),
			service.NewDurationField(fCorrectionHorizon).
				Description("Corrections are emitted for transactions whose event time is at most this far behind the watermark; older ones are final (a version that would change them is counted in `features_too_late_total`).").
				Default("24h"),
			service.NewBoolField(fRowFields).
				Description("Also add the values as row members `f_<object>_<name>` plus `features_provisional`.").
				Default(false),
			service.NewObjectField(fRestore,
				service.NewStringField(fRestoreBronze).Description("The bronze transactions table (every record exactly once, with its Kafka coordinates)."),
				service.NewStringField(fRestoreCommitted).Description("The Delta table whose txn versions say what is committed downstream (the table that stores this processor's results). Empty: the bronze table.").Default(""),
			).Description("Rebuild the state at start from bronze. Without it the state starts empty.").Optional(),
			service.NewIntField(fMaxEntriesPerKey).Description("Cap on the transactions kept per key value; beyond it the oldest are dropped and the key's values are flagged `features_capped`.").Default(1_000_000).Advanced(),
			service.NewIntField(fMaxDistinct).Description("Cap on the values one `distinct` evaluation counts.").Default(100_000).Advanced(),
			service.NewDurationField(fTick).Description("How often idle partitions and `max_delay` are checked.").Default("50ms").Advanced(),
		).
		Example("Features before the rules", "Event-time features for fraud_rules; batches wait for the watermark, so run many pipeline threads.", `
pipeline:
  threads: 32
  processors:
    - debezium_unwrap: { schema_file: schemas/transactions.yaml }
    - features:
        declaration: pipelines/features/transactions.yaml
        partitions: 12
        restore:
          bronze: ./lakehouse/bronze/transactions
`)
}
