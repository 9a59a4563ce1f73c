// Package debezium is LedgerFlow's one Debezium codec, a plain Go package with no Benthos
// import (processors, inputs and tests are its callers; it imports only delta/schema and
// schemas). Both directions live here so that they cannot drift apart:
//
//   - Decoding (Unwrapper, New, Options): Debezium change events — Kafka Connect
//     JsonConverter JSON, with or without the schema wrapper — become the flat, typed JSON
//     rows the Delta outputs read; every non-row message Debezium puts on Kafka is
//     recognised. The debezium_unwrap processor (processors/debezium) is a thin adapter:
//     it parses its config into Options, calls Unwrap per message with the Kafka metadata
//     (Meta) and maps Result and *Error onto the message, its metadata and its counters.
//   - Encoding (Connector, Table, Source): row changes become Debezium 3.0 MySQL/MariaDB
//     events byte for byte as Kafka Connect writes them, for the mysql_cdc input
//     (inputs/mysql, binlog and snapshot values) and for generators such as the bank
//     simulator and the scenario tests (NewContractTable, a contract's Go values, checked).
//
// What callers must do: decoding — build one Unwrapper per configuration (it is safe for
// concurrent use) and route any error: it is always an *Error whose Reason is one of
// AllReasons, and a failed message must go to a dead letter with its original bytes, never
// be dropped. Encoding — prepare one Table per table version (again after a DDL), pass one
// value per column in table order, and treat an error as "this row cannot be an event"
// (the error names the column, the value and what was expected).
//
// The JSON scanner is the sub-package jsonscan, shared with the Delta row decoder and the
// PII processor; the unwrap's scanner (scan.go) embeds it and adds what is strict by
// contract here (UTF-8 checks, a reason code for every fault).
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
// to and checked against the contract's precision and scale, columns the contract lacks
// are reported in debezium_unknown_columns, and the contract rules apply (below).
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
// refused when they carry more fractional digits than the scale (no rounding ever). A
// negative Connect scale multiplies (scale "-2", unscaled 152 is 15200, rendered at scale
// 0 or at the contract's scale). VariableScaleDecimal keeps its own scale unless a contract
// gives one. Dates are "YYYY-MM-DD". Timestamp/MicroTimestamp/NanoTimestamp are
// "YYYY-MM-DDTHH:MM:SS.ffffffZ" (nine digits when nanoseconds are non-zero): a zone-less
// DATETIME is its wall clock written with Z, not shifted. ZonedTimestamp is normalised to
// UTC. MicroTime/Time/NanoTime are "HH:MM:SS.ffffff"; a contract TIME column is an interval
// ("-00:00:01.000000", "838:59:59.000000"). Year is an int; Enum, EnumSet (the
// comma-joined string) and Json (the document as text) are strings; bytes and Bits stay
// base64 strings as Debezium sends them; structs, arrays and unknown types pass through as
// JSON.
//
// With schemas disabled a contract DATETIME/TIMESTAMP column also accepts an ISO-8601 string
// with a zone (YYYY-MM-DDTHH:MM:SS[.f{1,9}] then Z or ±HH:MM or ±HHMM), normalised to UTC.
// A zone-less ISO string is refused (invalid_value) unless assume_time_zone names the zone;
// then a local time in a daylight-saving gap or overlap of that zone is refused too.
//
// # Contract rules
//
// Whenever the event's table has a contract (schema_file / schema_files) — with Kafka
// Connect schemas enabled too — every value is checked against its column where it is
// decoded, before anything (PII hashing, a Delta writer) changes it, so bronze and silver
// get the same verdict. The rules are schemas.Rule:
//
//	contract_not_null   a NOT NULL column is null or absent in the image that becomes the
//	                    row (after for c/u/r, before for d; an update's before is not checked)
//	contract_length     CHAR(n)/VARCHAR(n) with more than n characters (code points, not bytes)
//	contract_enum       an ENUM value that is not a member exactly as declared ('' included),
//	                    a SET value with a non-member
//	contract_precision  a DECIMAL(p,s) value with more than p-s integer or s fractional
//	                    significant digits (never rounded)
//	contract_range      integers outside TINYINT..BIGINT [UNSIGNED]; DATE outside
//	                    1000-01-01 .. 9999-12-31, DATETIME outside 1000-01-01 00:00:00 ..
//	                    9999-12-31 23:59:59.999999 (MySQL's supported ranges: earlier years
//	                    are stored, but MySQL does not say how they behave); TIMESTAMP
//	                    outside 1970-01-01 00:00:01 .. 2038-01-19 03:14:07.999999 UTC (the
//	                    epoch itself is accepted: it is Debezium's zero TIMESTAMP); TIME
//	                    outside ±838:59:59; YEAR outside 1901..2155 (or 0)
//
// Column names match the contract exactly. A column the contract lacks is a new column
// (schema evolution, debezium_unknown_columns) unless Delta cannot store its name without
// column mapping (empty, or a space or one of ,;{}()=\n\t) or it differs from a contract
// column or another new column only by ASCII case: then invalid_column_name.
//
// Column names that LedgerFlow generates are reserved, in any case (reserved_column):
// schemas.ReservedColumns (_op _source_ts _source_pos _source_gtid _source_file _snapshot
// _deleted _source_table _kafka_topic _kafka_partition _kafka_offset _before _ingested_at
// _ingest_date __start_at __end_at: the row metadata above and the delta_lake output's
// columns), the add_fields columns, and the contract's derived partition column (event_date
// for transactions). A source column of such a name would overwrite the generated value.
//
// # Strict JSON
//
// The scanner accepts exactly one JSON value (RFC 8259): anything but whitespace after it,
// nesting deeper than 512 levels, a bad escape, a raw control character, a number such as
// +1, .5, 01 or Infinity, a bare word is malformed_json. The syntax verdict comes first:
// when an event fails for any other reason, the whole body is checked, so a body that is
// not JSON is malformed_json wherever the fault is (a value's first byte may have looked
// like a typing error: "op":c, "file":mysql-bin.000003). Row images the result does not
// need (a create's before, a truncate's images) and heartbeats are checked too. A value of
// only whitespace is not JSON (and not a tombstone). Escapes
// are decoded in every string it reads: member names (envelope, source, images, keys), op,
// source fields, values checked against the contract. Invalid UTF-8 and UTF-16 surrogates
// that are not a high+low pair (\ud800 alone) are invalid_utf8. A member name repeated in
// one object (the envelope, the payload, source, transaction, a row image, a schema block,
// a VariableScaleDecimal, the Kafka key) is duplicate_field (invalid_key in a key).
//
// # Connect schema blocks
//
// A schema block is parsed once per distinct block (cached by its bytes; a block that is
// invalid is cached as invalid but never stands in for the topic's last good schema). It
// must be a Connect schema: an object with a known type (int8..int64, float32/64, boolean,
// string, bytes, array with items, map with keys and values, struct with a fields array of
// named fields, each name once), logical types on their base type (Decimal on bytes with an
// integer scale in -130..130, …), before/after structs alike; otherwise schema_invalid. The
// payload must agree with it: every field the row struct lists and no other, each value of
// the field's Connect type and within its range, null only where optional, and a row only
// under a schema that declares the image; otherwise schema_payload_mismatch. A Decimal
// without a scale parameter (parameters absent, {} or only connect.decimal.precision) is
// decimal_no_scale whatever the contract says: its unscaled bytes were encoded with a scale
// nobody knows, and the contract's scale is what the column holds, not what the producer
// used.
//
// # Kafka key
//
// When the message has kafka_key metadata (a Debezium key: {"id":1001} or
// {"schema":…,"payload":{"id":1001}}), a row event's key columns must equal the row image's
// (after for c/u/r, before for d), compared after typing both like the column; otherwise
// key_mismatch. With a contract, the key must consist of exactly its primary key columns. A
// key that cannot be read (not a JSON object, trailing bytes, repeated or too many fields, a
// value that does not type) is invalid_key, also on a tombstone, which carries nothing else;
// with a single contract, a tombstone's key must be that table's primary key. A tombstone
// from Kafka (kafka_topic or kafka_tombstone metadata) without kafka_key is invalid_key:
// Debezium writes every tombstone with its key, and one without deletes nothing. Otherwise,
// without kafka_key nothing is checked; heartbeats, schema changes and transaction metadata
// keep keys of their own.
//
// # Non-row messages
//
// Tombstones (an empty body, as the kafka input gives a null value with kafka_tombstone
// "true"; the JSON text null; or {"schema":null,"payload":null}),
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
// debezium_unwrap_errors_total counter (every reason's series exists from the start, at 0).
// The processor never drops a failed message: it keeps its body (the original record), gets
// the error (Benthos' errored() / catch) and debezium_error_reason metadata. The message
// names the field, the value (truncated to 64 bytes) and what was expected. The value of a
// column the contract tags pii is not quoted but described ("got a string of 300
// characters (value withheld: pii contact)"), and a malformed_json message quotes the
// bytes at the fault but never into a string. An object with none of before, after,
// source and op is missing_payload; an envelope whose op is missing or wrong is
// unknown_op. The codes
// (AllReasons) are stable and agreed with the delta_lake dead-letter table:
//
//	event_too_large malformed_json duplicate_field invalid_utf8 missing_payload unknown_op
//	missing_image type_mismatch invalid_value decimal_no_scale no_contract reserved_column
//	invalid_source invalid_metadata schema_invalid schema_payload_mismatch
//	invalid_column_name key_mismatch invalid_key contract_not_null contract_length
//	contract_enum contract_precision contract_range
//
// event_too_large: the body exceeds max_message_bytes (the maximum event size, 16 MiB by
// default). When the processor replaces a body it first stores the exact original bytes as
// structured metadata debezium_raw (no copy), for replay.
//
// # Encoding
//
// A Connector (topic.prefix, connector name mysql|mariadb, schemas.enable) prepares a Table
// per table version: topic <prefix>.<db>.<table>, the static part of the source block and,
// with schemas, the Connect schemas of value and key (JsonConverter's key order), so that
// an event only appends payload bytes. AppendEnvelope writes before/after/source/
// transaction(null)/op/ts_ms/ts_us/ts_ns; AppendKey the primary key struct (ok false for a
// table without a key: Debezium sends a null key). Values follow the connector's default
// converters: decimal.handling.mode=precise (Connect Decimal, base64 two's complement at the
// column scale, never rounded), time.precision.mode=adaptive_time_microseconds (DATE days,
// DATETIME(0-3) epoch ms and (4-6) epoch µs of the wall clock, TIMESTAMP ZonedTimestamp in
// UTC, TIME µs), binary.handling.mode=bytes, bigint.unsigned.handling.mode=long, strings
// quoted as Jackson does (AppendString). MySQL zero dates are null in nullable columns and
// the epoch otherwise, as Debezium writes them. The decoder reads all of this back to the
// same values (FuzzEncodeDecodeRoundTrip); the golden tests hold the encoder to the bytes
// the two encoders it replaced wrote.
package debezium
