package debezium

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // assume_time_zone must work on hosts without a zoneinfo database

	"github.com/redpanda-data/benthos/v4/public/service"

	dbz "github.com/ledgerflow/ledgerflow/debezium"
	"github.com/ledgerflow/ledgerflow/schemas"
)

const (
	fSchemaFile       = "schema_file"
	fSchemaFiles      = "schema_files"
	fDeleteHandling   = "delete_handling"
	fTombstone        = "tombstone_handling"
	fTruncate         = "truncate_handling"
	fDropKinds        = "drop_kinds"
	fIncludeBefore    = "include_before"
	fTinyint1         = "tinyint1_as_boolean"
	fDecimalMode      = "decimal_handling_mode"
	fTimeMode         = "time_precision_mode"
	fAddFields        = "add_fields"
	fAddFieldsPrefix  = "add_fields_prefix"
	fMaxMessageBytes  = "max_message_bytes"
	fAssumeTimeZone   = "assume_time_zone"
	fOldDeleteMode    = "delete.handling.mode"
	fOldDropTombs     = "drop.tombstones"
	fOldDeleteTombMod = "delete.tombstone.handling.mode"
)

// Metadata keys the processor sets.
const (
	MetaKind           = "debezium_kind"
	MetaOp             = "debezium_op"
	MetaTable          = "debezium_table"
	MetaUnknownColumns = "debezium_unknown_columns"
	// MetaSourcePos and MetaSourceTS carry a truncate's position and time (truncates keep
	// their body), so that a merge output can order it among row changes.
	// MetaUnknownColumnTypes gives, when the Connect schema types them, the Delta types of the
	// unknown columns as name:type pairs separated by ";" (e.g. "loyalty_tier:string;limit:decimal(18,2)"), so
	// that a Delta output can add them to its table.
	MetaUnknownColumnTypes = "debezium_unknown_column_types"
	MetaSourcePos          = "debezium_source_pos"
	MetaSourceTS           = "debezium_source_ts"
	MetaErrorReason        = "debezium_error_reason"
	// MetaRaw is structured metadata holding the exact original body ([]byte) of a message
	// whose body the processor replaced, so a dead letter can be replayed byte for byte.
	MetaRaw = "debezium_raw"
)

func processorSpec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Beta().
		Categories("Parsing", "Integration").
		Summary("Unwraps Debezium change events (Kafka Connect JsonConverter JSON) into flat, typed rows with change metadata.").
		Description(`
Reads the value of a Debezium change event, with or without the JsonConverter schema wrapper
(`+"`{\"schema\":…,\"payload\":…}`"+`), and replaces the message with one JSON object: the table's
columns (the `+"`after`"+` image, or `+"`before`"+` for deletes) plus these columns:

- `+"`_op`"+` c, u, d or r; `+"`_deleted`"+` true for deletes.
- `+"`_source_ts`"+` source.ts_ms (or legacy ts_sec) as `+"`2024-11-11T12:20:59.000Z`"+`.
- `+"`_source_pos`"+` a string whose byte order is the change order. MySQL/MariaDB:
  `+"`%010d:%020d:%06d`"+` = binlog file number (the digits after the last '.'), pos, row. SQL Server:
  `+"`<commit_lsn>:<change_lsn>:%020d(event_serial_no)`"+`. PostgreSQL: `+"`%020d(lsn)`"+`. Oracle: the scn
  left-padded to 30 digits. Snapshot rows share the snapshot start position (Debezium does
  this), so order them by key. Positions of different servers or binlog base names are not
  comparable.
- `+"`_source_gtid`"+` (string or null), `+"`_source_file`"+`, `+"`_source_table`"+` (db.table; db.schema.table for
  sources with schemas).
- `+"`_snapshot`"+` a string: "false" for streamed changes, else Debezium's value ("true", "first",
  "last", "incremental", …); legacy booleans map to "true"/"false".
- `+"`_kafka_topic`"+`, `+"`_kafka_partition`"+`, `+"`_kafka_offset`"+` from the kafka input's metadata, only when present.
- `+"`_before`"+` for updates when include_before is true: the before image, typed like the row.

### Typing

Values are typed by the Kafka Connect schema when the message carries one (parsed once per
distinct schema and cached), otherwise by the table contract named in schema_file. Decimals are
JSON strings with exactly the column's scale ("1234.50"), never floats. Dates are "YYYY-MM-DD";
Timestamp/MicroTimestamp/NanoTimestamp become "YYYY-MM-DDTHH:MM:SS.ffffffZ" (nine digits when
nanoseconds are non-zero) — a zone-less DATETIME is its wall clock written with Z, not shifted;
ZonedTimestamp is normalised to UTC; MicroTime/Time become "HH:MM:SS.ffffff". Year is an
integer; Enum, EnumSet (comma-joined) and Json (text) are strings; bytes and Bits stay base64
strings. TINYINT(1)/BOOL columns of the contract become booleans when tinyint1_as_boolean.
A column the contract does not know (ADD COLUMN upstream) is passed through as its JSON value
and named in the `+"`debezium_unknown_columns`"+` metadata; it fails the message only when its name cannot become a
Delta column (see Contract rules). When the Connect schema types it,
`+"`debezium_unknown_column_types`"+` gives its Delta type (`+"`name:type`"+` pairs separated by `+"`;`"+`, e.g.
`+"`fee:decimal(12,2);note:string`"+`), which the `+"`delta_lake`"+` output uses for schema evolution. Truncates carry
their position and time in `+"`debezium_source_pos`"+` and `+"`debezium_source_ts`"+`.

### Non-row messages

Tombstones (a null Kafka value, which the kafka input gives as an empty body with `+"`kafka_tombstone: \"true\"`"+`; `+"`null`"+`; or `+"`{\"schema\":null,\"payload\":null}`"+`; a value of only spaces is not one),
heartbeats, schema-change events, transaction metadata, truncates (op t) and messages (op m) are
recognised and passed through unchanged with `+"`debezium_kind`"+` set, so a `+"`switch`"+` can route them,
or dropped: tombstones by default, the others when listed in drop_kinds.

### Metadata

Every message gets `+"`debezium_kind`"+` (row, tombstone, heartbeat, schema_change, transaction,
truncate, message); rows also `+"`debezium_op`"+` and `+"`debezium_table`"+`.

### Contract rules

Whenever the event's table has a contract (`+"`schema_file`"+` / `+"`schema_files`"+`), also with Kafka Connect schemas
enabled (the contract is the source table's truth), each value is checked where it is decoded, before any
later step changes it, so bronze and silver get the same verdict:

| Reason | Rule |
|---|---|
| `+"`contract_not_null`"+` | a NOT NULL column is null or absent in the image that becomes the row (`+"`after`"+` for c/u/r, `+"`before`"+` for d) |
| `+"`contract_length`"+` | CHAR(n)/VARCHAR(n) holds more than n characters (Unicode code points, not bytes) |
| `+"`contract_enum`"+` | an ENUM value is not a member exactly as declared (`+"`''`"+` included); a SET value has a non-member |
| `+"`contract_precision`"+` | a DECIMAL(p,s) value has more than p-s integer or s fractional digits (never rounded) |
| `+"`contract_range`"+` | an integer outside its TINYINT…BIGINT [UNSIGNED] range; DATE outside 1000-01-01 – 9999-12-31 and DATETIME outside 1000-01-01 00:00:00 – 9999-12-31 23:59:59.999999 (MySQL's supported ranges); TIMESTAMP outside 1970-01-01 00:00:01 – 2038-01-19 03:14:07.999999 UTC (the epoch, Debezium's zero TIMESTAMP, is accepted); TIME outside ±838:59:59; YEAR outside 1901–2155 (or 0) |

Column names match the contract exactly. A new column (one the contract lacks) passes through and is named in
`+"`debezium_unknown_columns`"+`, unless Delta cannot store its name without column mapping (empty, a space or one of
`+"`,;{}()=`"+`, newline, tab) or it differs from a contract column or another new column only by case: then
`+"`invalid_column_name`"+`.

The column names LedgerFlow generates are reserved, in any case (`+"`reserved_column`"+`): `+"`_op`"+`, `+"`_source_ts`"+`,
`+"`_source_pos`"+`, `+"`_source_gtid`"+`, `+"`_source_file`"+`, `+"`_snapshot`"+`, `+"`_deleted`"+`, `+"`_source_table`"+`, `+"`_kafka_topic`"+`,
`+"`_kafka_partition`"+`, `+"`_kafka_offset`"+`, `+"`_before`"+`, `+"`_ingested_at`"+`, `+"`_ingest_date`"+`, `+"`__start_at`"+`, `+"`__end_at`"+`, the
`+"`add_fields`"+` columns and the contract's derived partition column (`+"`event_date`"+` for transactions): a source
column of such a name would overwrite the generated value in bronze or silver.

An error about a column the contract tags `+"`pii`"+` does not quote the value (the message lands in the dead-letter
`+"`reason`"+` and in logs) but describes it: `+"`got a string of 300 characters (value withheld: pii contact)`"+`.

With schemas disabled a contract DATETIME/TIMESTAMP column accepts epoch numbers and ISO-8601 strings with a zone
(`+"`2026-03-01T12:34:57.123Z`"+`, `+"`+02:00`"+`, `+"`-05:30`"+`), normalised to UTC; a zone-less string is refused
(`+"`invalid_value`"+`) unless `+"`assume_time_zone`"+` is set. A Connect Decimal with a negative scale is exact
(scale `+"`-2`"+`, unscaled 152 is `+"`15200`"+`).

### Kafka key

When a row event has `+"`kafka_key`"+` metadata (the Debezium key: `+"`{\"transaction_id\":1001}`"+`, or schema-wrapped
`+"`{\"schema\":…,\"payload\":{…}}`"+`), its columns must equal the row image's (`+"`after`"+` for c/u/r, `+"`before`"+` for d),
compared as typed values; with a contract they must be exactly its primary key. Kafka partitions and compacts by
the key and silver merges by the row's key: when they disagree, one of them is wrong. A tombstone's key must be
readable (with a single contract: that table's primary key), and a tombstone from Kafka must have one: Debezium
writes every tombstone with its key, and one without deletes nothing (`+"`invalid_key`"+`). Otherwise, without
`+"`kafka_key`"+` nothing is checked.

### Errors

A message that cannot be unwrapped is not dropped: it continues with its original body, flagged with an error
naming the field, the value (truncated) and what was expected, with `+"`debezium_error_reason`"+` metadata, and
`+"`debezium_unwrap_errors_total{reason}`"+` is incremented (every reason's series exists from the start at 0). Route
such messages with a `+"`catch`"+`, a `+"`switch`"+` on `+"`errored()`"+` or a `+"`reject_errored`"+`/`+"`fallback`"+` output to a
dead-letter table. The reason codes are stable:

| Reason | Meaning |
|---|---|
| `+"`event_too_large`"+` | the body is larger than `+"`max_message_bytes`"+` (16 MiB by default) |
| `+"`malformed_json`"+` | not JSON (RFC 8259) anywhere in the body, also where another fault comes first or in a part the row does not need (`+"`+1`"+`, `+"`.5`"+`, `+"`Infinity`"+`, a bare word, a value of only spaces); anything but whitespace after the value; nesting deeper than 512 levels; a bad escape. This verdict wins over every other |
| `+"`duplicate_field`"+` | a key repeated in one JSON object (envelope, payload, source, transaction, row image, schema block) |
| `+"`invalid_utf8`"+` | a string that is not valid UTF-8, or a UTF-16 surrogate escape that is not a high+low pair |
| `+"`missing_payload`"+` | a schema wrapper without payload, or an object with none of `+"`before`"+`, `+"`after`"+`, `+"`source`"+`, `+"`op`"+` |
| `+"`unknown_op`"+` | op missing or not c, u, d, r, t, m (escapes are decoded: `+"`\u0063`"+` is c) |
| `+"`missing_image`"+` | c/u/r without after, d without before |
| `+"`type_mismatch`"+` | a value of the wrong JSON type for its contract column |
| `+"`invalid_value`"+` | right JSON type, impossible value (bad base64, a date that does not exist, a zone-less time) |
| `+"`decimal_no_scale`"+` | a Connect Decimal whose schema has no scale parameter (whatever the contract says: the bytes were encoded with an unknown scale), or a VariableScaleDecimal value without its scale |
| `+"`no_contract`"+` | schemas disabled and no contract for the event's table |
| `+"`reserved_column`"+` | a source column named, in any case, like a column LedgerFlow generates (see Contract rules) |
| `+"`invalid_source`"+` | a source block that cannot give `+"`_source_pos`"+` / `+"`_source_ts`"+` |
| `+"`invalid_metadata`"+` | `+"`kafka_partition`"+` / `+"`kafka_offset`"+` not integers |
| `+"`schema_invalid`"+` | a malformed Connect schema block (no or unknown type, fields not an array, Decimal scale not an integer, …) |
| `+"`schema_payload_mismatch`"+` | the payload contradicts its schema (a string where it says int32, a field listed but absent or absent but present, null in a non-optional field) |
| `+"`invalid_column_name`"+` | a new column Delta cannot store without column mapping, or a case variant of another column |
| `+"`key_mismatch`"+` | the Kafka key (`+"`kafka_key`"+`) names other primary-key values than the row image |
| `+"`invalid_key`"+` | the Kafka key of a row or tombstone cannot be read as the table's key, or a tombstone from Kafka has none |
| `+"`contract_not_null`"+`, `+"`contract_length`"+`, `+"`contract_enum`"+`, `+"`contract_precision`"+`, `+"`contract_range`"+` | see Contract rules |

When the processor replaces a message's body it first stores the exact original bytes as structured metadata
`+"`debezium_raw`"+`, so a dead letter written later can be replayed byte for byte.`).
		Fields(
			service.NewStringField(fSchemaFile).
				Description("Table contract: it types values when Kafka Connect schemas are disabled (and refines TINYINT(1)→boolean and decimal scales when they are enabled), and its rules (NOT NULL, lengths, ENUM members, DECIMAL digits, ranges) are checked in both cases. An embedded contract name such as `transactions` or a path such as `schemas/transactions.yaml`. Events are matched to it by source table name (contract `database.table` or `table`); a schemas-disabled event of another table fails with reason no_contract.").
				Examples("schemas/transactions.yaml", "accounts").Optional(),
			service.NewStringListField(fSchemaFiles).
				Description("More table contracts, for a pipeline that reads several tables' topics. Each event uses the contract whose table matches source.db/source.table.").
				Default([]string{}).Advanced(),
			service.NewStringEnumField(fDeleteHandling, "rewrite", "drop", "tombstone").
				Description("What a delete (op d) becomes: `rewrite` a row from the before image with `_deleted: true`; `drop` nothing; `tombstone` an empty message with debezium_kind tombstone and debezium_op d.").
				Default("rewrite"),
			service.NewStringEnumField(fTombstone, "drop", "keep").
				Description("Kafka tombstones (null values that follow deletes): `drop` them (ExtractNewRecordState's default) or `keep` them (passed through, debezium_kind tombstone). Set `keep` when a delta_lake output follows: it must see every offset of a partition to commit offsets in order, and writes no row for a tombstone.").
				Default("drop"),
			service.NewStringEnumField(fTruncate, "keep", "drop").
				Description("Truncate events (op t): `keep` passes them through unchanged with debezium_kind truncate and debezium_table, so a pipeline can act on them; `drop` removes them as ExtractNewRecordState does.").
				Default("keep"),
			service.NewStringListField(fDropKinds).
				Description("Non-row kinds to drop instead of passing through: heartbeat, schema_change, transaction, message, truncate, tombstone.").
				Examples([]string{"heartbeat", "transaction"}).Default([]string{}),
			service.NewBoolField(fIncludeBefore).
				Description("Add `_before` (the before image, typed like the row) to updates, for retraction in aggregates.").
				Default(true),
			service.NewBoolField(fTinyint1).
				Description("Render contract columns typed BOOL/BOOLEAN/TINYINT(1) as JSON booleans (0/1 accepted, other values fail). With false they stay integers.").
				Default(true),
			service.NewStringEnumField(fDecimalMode, "precise", "string", "double").
				Description("Debezium's decimal.handling.mode, used for contract DECIMAL columns when Kafka Connect schemas are disabled: `precise` strings are base64 Connect Decimals at the contract scale, `string` strings are decimal text. JSON numbers (double mode, or JsonConverter decimal.format=NUMERIC) are always read exactly from their text, never through float64, and fail if they have more fractional digits than the column scale. With schemas enabled the schema decides.").
				Default("precise").Advanced(),
			service.NewStringEnumField(fTimeMode, "adaptive_time_microseconds", "connect").
				Description("Debezium's time.precision.mode, used for contract temporal columns when schemas are disabled: with `adaptive_time_microseconds` DATETIME(0-3) is epoch ms, DATETIME(4-6) epoch µs, TIME µs and TIMESTAMP a ZonedTimestamp string; with `connect` they are all milliseconds.").
				Default("adaptive_time_microseconds").Advanced(),
			service.NewStringListField(fAddFields).
				Description("Envelope fields to copy into the row, as ExtractNewRecordState's add.fields: `op`, `ts_ms`, `source.<f>` or an unqualified source field, `transaction.<f>` (`id`, `total_order`, `data_collection_order` default to transaction); `field:alias` renames. The column is add_fields_prefix + the name with '.' replaced by '_' (e.g. `__source_query`) and holds the raw JSON value or null.").
				Examples([]string{"source.query", "transaction.id:txn_id"}).Default([]string{}).Advanced(),
			service.NewStringField(fAddFieldsPrefix).Description("Prefix of add_fields columns.").Default("__").Advanced(),
			service.NewIntField(fMaxMessageBytes).
				Description("The maximum event size in bytes: a message body larger than this fails with reason `event_too_large` before any of it is decoded (a row that large cannot be a real change of a bank table, and decoding it costs memory). The default is 16 MiB.").
				Default(dbz.DefaultMaxEventBytes).Advanced(),
			service.NewStringField(fAssumeTimeZone).
				Description("The IANA time zone (e.g. `Europe/Berlin`, `UTC`) in which to read ISO-8601 DATETIME/TIMESTAMP strings that carry no zone, when schemas are disabled. Empty (the default) refuses them with `invalid_value`: a time without a zone is not an instant, and guessing one moves transactions in time. A local time that falls into a daylight-saving gap or overlap in the zone is refused too. Strings with `Z` or an offset and epoch numbers are always accepted.").
				Examples("Europe/Berlin", "UTC").Default("").Advanced(),
			service.NewStringField(fOldDeleteTombMod).
				Description("Alias for Debezium users: `drop` = delete_handling drop; `tombstone` and `delete-to-tombstone` = delete_handling tombstone; `rewrite` = delete_handling rewrite; `rewrite-with-tombstone` = rewrite plus tombstone_handling keep. Fails if it contradicts a non-default delete_handling/tombstone_handling.").
				Optional().Advanced(),
			service.NewStringField(fOldDeleteMode).
				Description("Deprecated Debezium alias: `drop` = delete_handling drop, `none` = tombstone, `rewrite` = rewrite.").
				Optional().Advanced(),
			service.NewBoolField(fOldDropTombs).
				Description("Deprecated Debezium alias: true = tombstone_handling drop, false = keep.").
				Optional().Advanced(),
		).
		Example("Transactions topic to typed rows", "Unwrap schemaless Debezium events of bank.transactions, typing them with the table contract. Heartbeats and transaction metadata are dropped; schema changes and truncates pass through with debezium_kind set, for a switch output to route.", `
pipeline:
  processors:
    - debezium_unwrap:
        schema_file: schemas/transactions.yaml
        drop_kinds: [ heartbeat, transaction ]
`)
}

func init() {
	service.MustRegisterProcessor("debezium_unwrap", processorSpec(), newProcessor)
}

type processor struct {
	u       *dbz.Unwrapper
	errs    *service.MetricCounter
	dropped *service.MetricCounter
}

// optionsFromConfig reads the parsed config, applying the Debezium alias fields. An alias
// that contradicts an explicitly set field of ours fails, rather than one silently winning.
func optionsFromConfig(conf *service.ParsedConfig) (dbz.Options, error) {
	o := dbz.DefaultOptions()
	var err error
	var files []string
	if conf.Contains(fSchemaFile) {
		f, err := conf.FieldString(fSchemaFile)
		if err != nil {
			return o, err
		}
		if f != "" {
			files = append(files, f)
		}
	}
	more, err := conf.FieldStringList(fSchemaFiles)
	if err != nil {
		return o, err
	}
	for _, f := range append(files, more...) {
		t, err := schemas.Load(f)
		if err != nil {
			return o, fmt.Errorf("%s %q: %w", fSchemaFile, f, err)
		}
		o.Contracts = append(o.Contracts, t)
	}
	if o.DeleteHandling, err = conf.FieldString(fDeleteHandling); err != nil {
		return o, err
	}
	if o.TombstoneHandling, err = conf.FieldString(fTombstone); err != nil {
		return o, err
	}
	// ParsedConfig cannot tell a default from an explicit value, so a non-default value
	// counts as set: an alias may replace a default but not contradict a chosen value.
	deleteSet, tombSet := o.DeleteHandling != "rewrite", o.TombstoneHandling != "drop"
	if o.TruncateHandling, err = conf.FieldString(fTruncate); err != nil {
		return o, err
	}
	kinds, err := conf.FieldStringList(fDropKinds)
	if err != nil {
		return o, err
	}
	for _, k := range kinds {
		o.DropKinds = append(o.DropKinds, dbz.Kind(k))
	}
	if o.IncludeBefore, err = conf.FieldBool(fIncludeBefore); err != nil {
		return o, err
	}
	if o.Tinyint1AsBoolean, err = conf.FieldBool(fTinyint1); err != nil {
		return o, err
	}
	if o.DecimalHandlingMode, err = conf.FieldString(fDecimalMode); err != nil {
		return o, err
	}
	if o.TimePrecisionMode, err = conf.FieldString(fTimeMode); err != nil {
		return o, err
	}
	if o.AddFields, err = conf.FieldStringList(fAddFields); err != nil {
		return o, err
	}
	if o.AddFieldsPrefix, err = conf.FieldString(fAddFieldsPrefix); err != nil {
		return o, err
	}
	if o.MaxMessageBytes, err = conf.FieldInt(fMaxMessageBytes); err != nil {
		return o, err
	}
	zone, err := conf.FieldString(fAssumeTimeZone)
	if err != nil {
		return o, err
	}
	if o.AssumeTimeZone, err = loadZone(zone); err != nil {
		return o, err
	}
	aliases := aliasValues{}
	if conf.Contains(fOldDeleteTombMod) {
		v, err := conf.FieldString(fOldDeleteTombMod)
		if err != nil {
			return o, err
		}
		aliases.deleteTombstoneMode = &v
	}
	if conf.Contains(fOldDeleteMode) {
		v, err := conf.FieldString(fOldDeleteMode)
		if err != nil {
			return o, err
		}
		aliases.deleteMode = &v
	}
	if conf.Contains(fOldDropTombs) {
		v, err := conf.FieldBool(fOldDropTombs)
		if err != nil {
			return o, err
		}
		aliases.dropTombstones = &v
	}
	err = aliases.apply(&o, deleteSet, tombSet)
	return o, err
}

// loadZone reads assume_time_zone: "" is none (refuse zone-less times). "Local" is refused
// because it would make the data depend on the machine the pipeline runs on.
func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return nil, nil
	}
	if name == "Local" {
		return nil, fmt.Errorf("%s %q: name the zone (e.g. Europe/Berlin or UTC); the machine's local zone is not a property of the data", fAssumeTimeZone, name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%s %q: expected an IANA time zone such as Europe/Berlin or UTC: %w", fAssumeTimeZone, name, err)
	}
	return loc, nil
}

type aliasValues struct {
	deleteTombstoneMode, deleteMode *string
	dropTombstones                  *bool
}

// apply maps Debezium's ExtractNewRecordState option names onto ours.
func (a aliasValues) apply(o *dbz.Options, deleteSet, tombSet bool) error {
	set := func(field string, dst *string, explicit bool, v, from string) error {
		if explicit && *dst != v {
			return fmt.Errorf("%s %q contradicts %s %q; set only one of them", from, v, field, *dst)
		}
		*dst = v
		return nil
	}
	if p := a.deleteTombstoneMode; p != nil {
		var del, tomb string
		switch *p {
		case "drop":
			del, tomb = "drop", "drop"
		case "tombstone", "delete-to-tombstone":
			del, tomb = "tombstone", "drop"
		case "rewrite":
			del, tomb = "rewrite", "drop"
		case "rewrite-with-tombstone":
			del, tomb = "rewrite", "keep"
		default:
			return fmt.Errorf("%s %q: expected drop, tombstone, rewrite, rewrite-with-tombstone or delete-to-tombstone", fOldDeleteTombMod, *p)
		}
		if err := set(fDeleteHandling, &o.DeleteHandling, deleteSet, del, fOldDeleteTombMod); err != nil {
			return err
		}
		if err := set(fTombstone, &o.TombstoneHandling, tombSet, tomb, fOldDeleteTombMod); err != nil {
			return err
		}
		deleteSet, tombSet = true, true
	}
	if p := a.deleteMode; p != nil {
		var del string
		switch *p {
		case "drop":
			del = "drop"
		case "none":
			del = "tombstone"
		case "rewrite":
			del = "rewrite"
		default:
			return fmt.Errorf("%s %q: expected drop, none or rewrite", fOldDeleteMode, *p)
		}
		if err := set(fDeleteHandling, &o.DeleteHandling, deleteSet, del, fOldDeleteMode); err != nil {
			return err
		}
	}
	if p := a.dropTombstones; p != nil {
		tomb := "keep"
		if *p {
			tomb = "drop"
		}
		if err := set(fTombstone, &o.TombstoneHandling, tombSet, tomb, fOldDropTombs); err != nil {
			return err
		}
	}
	return nil
}

func newProcessor(conf *service.ParsedConfig, res *service.Resources) (service.Processor, error) {
	o, err := optionsFromConfig(conf)
	if err != nil {
		return nil, err
	}
	u, err := dbz.New(o)
	if err != nil {
		return nil, err
	}
	p := &processor{
		u:       u,
		errs:    res.Metrics().NewCounter("debezium_unwrap_errors_total", "reason"),
		dropped: res.Metrics().NewCounter("debezium_unwrap_dropped_total", "kind"),
	}
	// Every series exists from the start at 0, so a dashboard or an alert on rate() sees
	// the first error of a kind instead of a series appearing out of nowhere.
	for _, r := range dbz.AllReasons {
		p.errs.Incr(0, string(r))
	}
	return p, nil
}

// MetaFromMessage reads the kafka input's metadata keys.
func MetaFromMessage(msg *service.Message) dbz.Meta {
	var m dbz.Meta
	m.Topic, m.HasTopic = msg.MetaGet("kafka_topic")
	m.Partition, m.HasPartition = msg.MetaGet("kafka_partition")
	m.Offset, m.HasOffset = msg.MetaGet("kafka_offset")
	if t, ok := msg.MetaGet("kafka_tombstone"); ok && strings.EqualFold(t, "true") {
		m.TombstoneFlag = true
	}
	m.Key, m.HasKey = msg.MetaGet("kafka_key")
	return m
}

func (p *processor) Process(_ context.Context, msg *service.Message) (service.MessageBatch, error) {
	body, err := msg.AsBytes()
	if err != nil {
		return nil, err
	}
	res, err := p.u.Unwrap(body, MetaFromMessage(msg))
	if err != nil {
		reason := string(dbz.ReasonMalformedJSON)
		var e *dbz.Error
		if errors.As(err, &e) {
			reason = string(e.Reason)
		}
		p.errs.Incr(1, reason)
		msg.MetaSetMut(MetaErrorReason, reason)
		msg.SetError(err) // the body stays the original: the dead letter is the record
		return service.MessageBatch{msg}, nil
	}
	if res.Drop {
		p.dropped.Incr(1, string(res.Kind))
		return nil, nil
	}
	if res.Body != nil {
		// Benthos never mutates a message's bytes in place (SetBytes swaps the slice), so the
		// original can be kept without a copy.
		msg.MetaSetMut(MetaRaw, body)
		msg.SetBytes(res.Body)
	}
	msg.MetaSetMut(MetaKind, string(res.Kind))
	if res.Op != "" {
		msg.MetaSetMut(MetaOp, res.Op)
	}
	if res.Table != "" {
		msg.MetaSetMut(MetaTable, res.Table)
	}
	if res.Position != "" {
		msg.MetaSetMut(MetaSourcePos, res.Position)
	}
	if res.SourceTS != "" && res.SourceTS != "null" {
		msg.MetaSetMut(MetaSourceTS, res.SourceTS)
	}
	if len(res.UnknownColumns) > 0 {
		msg.MetaSetMut(MetaUnknownColumns, strings.Join(res.UnknownColumns, ","))
		if len(res.UnknownTypes) > 0 {
			msg.MetaSetMut(MetaUnknownColumnTypes, strings.Join(res.UnknownTypes, ";"))
		}
	}
	return service.MessageBatch{msg}, nil
}

func (p *processor) Close(context.Context) error { return nil }
