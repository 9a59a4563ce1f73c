// Package enrich joins rows (transactions) with the current rows of silver Delta tables
// (accounts, customers, merchants) held in memory, and keeps that memory current by
// following each table's Delta log.
//
// # What is held
//
// For each lookup, only the configured columns of the table's current rows: every row of an
// SCD type 1 table, and for an SCD type 2 table (one with an `__end_at` column) only the rows
// whose `__end_at` is null. Columns that are not selected are never decoded: the Parquet
// reader projects them away (Snapshot.ReadFileColumns).
//
// A row is one packed fixed-width record per slot (a null bitmap, then each column: integers
// at their Delta width, decimals of up to 18 digits as unscaled int64, timestamps as int64
// microseconds, dates as int32 days, strings as a 1-, 2- or 4-byte code into a per-column
// dictionary, so enum values and currency and country codes are stored once), and an
// open-addressing table maps each key to its slot. A lookup thus touches two cache lines of
// cold memory (the key's entry, its record), which is what a lookup in a million-key table
// costs. Binary columns, decimals of more than 18 digits and nested types are kept as decoded
// values beside the records. Accounts' currency, status, balance, created_at and customer_id
// take a 27-byte record; with the key entry and bookkeeping about 70 bytes a row.
//
// Values are handed out typed as the rule environment types them: integers int64, decimals
// schema.Decimal (exact; money never becomes a float), floats float64, strings string,
// booleans bool, timestamps and dates time.Time in UTC, null nil.
//
// # Following the log
//
// The index is built once from the table's snapshot (Table.Snapshot: the newest checkpoint
// plus the commits after it). After that a follower polls the log every poll interval with
// Snapshot.Update, which reads only the commit files written since; the set of live files
// before and after is compared, the added files are read (selected columns only) and the
// removed files' rows leave the index unless a newer file re-supplied their key. A merge
// writer's copy-on-write rewrite (remove a file, add its rewritten copy) therefore becomes an
// upsert of the rewritten keys; a delete is a key missing from the rewritten copy; an SCD
// type 2 update adds the closed version (skipped: its `__end_at` is set) and the new current
// one; compaction by another writer (files removed and re-added with the same rows) changes
// nothing visible. Checkpoints do not matter to a follower: it reads commit files. Only when
// commits it still needs were cleaned up from the log, or a selected column changes type, is
// the table read again in full. Files carrying deletion vectors are refused (the poll fails,
// is retried and counted), as the rest of ledgerflow's reader does.
//
// Changes of one commit are applied in short chunks under a write lock, so that a lookup
// never waits for a whole commit to be applied. Each key is always seen as one complete row
// of one version; different keys of one commit may become visible a few microseconds apart.
//
// # Consistency: the lookup sees silver as of the last poll
//
// A lookup returns the row as silver held it at the follower's last poll, NOT as of the
// transaction's event time. A transaction from an hour ago, replayed now, is enriched with
// today's account status and balance; a customer whose risk rating changed after the
// transaction is seen with the new rating. Point-in-time joins (the state as of the event) are
// what the SCD type 2 dimensions in gold are for; use those for training data and audits.
//
// # Ordering: waiting for a key
//
// A transaction may reach the enrichment before the silver table holds its account (the
// account pipeline lags, or the account was created a moment before the transaction). A
// missing key waits up to MaxWait (default 2 s) for the table to catch up: the follower is
// asked to poll at once and then every WaitPollInterval, and the lookup is retried after
// every poll. When the key is still missing at the deadline the row continues with the
// lookup's fields null and the lookup's name listed as missing. All missing keys of one batch
// share one deadline, so a batch waits at most MaxWait in total, and other lookups and
// batches are not blocked meanwhile. A key whose wait ran out is not waited for again during
// MissTTL (it is still looked up every time), so a stream of transactions that reference a
// key the table will never have does not pay MaxWait on every one. Nothing is ever dropped.
package enrich
