// Package debezium is the `debezium_unwrap` Benthos processor: it turns Debezium change
// events (Kafka Connect JsonConverter JSON, with or without the schema wrapper) into flat,
// typed JSON rows for the Delta outputs, and recognises every non-row message Debezium puts
// on Kafka.
//
// # Output row (a contract with the delta_lake output; names must not change)
//
// One JSON object: the table's columns from the `after` image (the `before` image for
// deletes), in source column order, followed by
//
//	_op            "c" | "u" | "d" | "r"
//	_source_ts     source.ts_ms (legacy source.ts_sec × 1000) as "2024-11-11T12:20:59.000Z"; null if absent
//	_source_pos    string, byte-wise sortable in change order (below)
//	_source_gtid   source.gtid, string or null
//	_source_file   source.file, string or null
//	_snapshot      string: "false" when streaming, else Debezium's value: "true", "first",
//	               "first_in_data_collection", "last_in_data_collection", "last", "incremental".
//	               Legacy booleans become "true"/"false"; null/absent is "false".
//	_deleted       boolean, true only for op d
//	_source_table  "db.table" ("db.schema.table" when the source has a schema, e.g. SQL Server)
//	_kafka_topic, _kafka_partition (int), _kafka_offset (int)   only when the metadata is present
//	__<field>      add_fields copies (raw JSON value, null when the envelope lacks it)
//	_before        updates only, when include_before: the before image typed like the row (or null)
//
// # _source_pos
//
// MySQL/MariaDB: fmt "%010d:%020d:%06d" of the binlog file's numeric extension (the digits
// after the last '.', compared as a number as Debezium does), pos and row. Snapshot rows all
// carry the snapshot start position (Debezium's behaviour): order them by primary key. A
// consumer comparing positions should let a streamed change win a tie with a snapshot read
// (_op r), so a read never overwrites a change. Positions from different binlog base names or
// server ids are not comparable.
// Sources without file/pos: SQL Server "<commit_lsn>:<change_lsn>:%020d(event_serial_no)"
// (the LSNs are fixed-width hex, so they sort byte-wise; snapshot rows with null LSNs sort
// first); PostgreSQL "%020d" of lsn; Oracle the scn left-padded with zeros to 30 digits. A row
// with none of these fails with reason invalid_source, because silver cannot order it.
//
// # Typing
//
// With schemas.enable=true the Connect schema of each message types the values. The schema
// block is parsed once per distinct schema: later messages are recognised by comparing their
// bytes with the topic's previous schema (memcmp, no scan), falling back to a hash of the
// scanned block. When a table contract is configured too, it refines the Connect typing:
// TINYINT(1)/BOOL columns become booleans (tinyint1_as_boolean), DECIMAL columns are rescaled
// to and checked against the contract's precision and scale, and columns the contract lacks
// are reported in debezium_unknown_columns.
//
// With schemas disabled the contract (schema_file / schema_files, loaded with schemas.Load)
// types the values; an event is matched to the contract whose table (and database, when the
// contract names one) equals source.db/source.table, case-insensitively. A single contract
// also types events that carry no source table. Without any contract values pass through as
// their validated JSON (numbers stay numbers, strings stay strings); decimals then cannot be
// recognised, so configure a contract for money tables.
//
// Rendering: decimals are JSON strings with exactly the column scale ("1234.50"); base64
// Connect Decimals are decoded from their two's-complement bytes, decimal strings
// (decimal.handling.mode=string) are validated and rescaled, JSON numbers (double mode or
// decimal.format=NUMERIC) are read exactly from their text — never via float64 — and
// refused when they carry more fractional digits than the scale (no rounding ever).
// VariableScaleDecimal keeps its own scale unless a contract gives one. Dates are
// "YYYY-MM-DD". Timestamp/MicroTimestamp/NanoTimestamp are "YYYY-MM-DDTHH:MM:SS.ffffffZ"
// (nine digits when nanoseconds are non-zero): a zone-less DATETIME is its wall clock
// written with Z, not shifted. ZonedTimestamp is normalised to UTC. MicroTime/Time/NanoTime
// are "HH:MM:SS.ffffff". Year is an int; Enum, EnumSet (the comma-joined string) and Json
// (the document as text) are strings; bytes and Bits stay base64 strings as Debezium sends
// them; structs, arrays and unknown types pass through as JSON.
//
// # Non-row messages
//
// Tombstones (kafka_tombstone "true", an empty body, `null`, or {"schema":null,"payload":null}),
// heartbeats (topic __debezium-heartbeat.*, a Heartbeat schema, or a payload of only ts_*),
// schema changes (ddl/tableChanges or a SchemaChangeValue schema), transaction metadata
// (status without op), truncates (op t) and messages (op m) pass through unchanged with
// debezium_kind set, or are dropped (tombstone_handling, truncate_handling, drop_kinds).
// Deletes follow delete_handling (rewrite, drop, tombstone). ExtractNewRecordState's option
// names delete.handling.mode, drop.tombstones and delete.tombstone.handling.mode are accepted
// as aliases; an alias that contradicts an explicitly set option is a config error.
//
// # Errors
//
// Unwrap returns an *Error whose Reason is the `reason` label of the
// debezium_unwrap_errors_total counter. The processor never drops a failed message: it keeps
// its body, gets the error (Benthos' errored() / catch) and debezium_error_reason metadata.
package debezium
