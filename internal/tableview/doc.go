// Package tableview turns Delta table rows into what `ledgerflow table` prints: cells as exact
// text (decimals at their scale, timestamps in UTC), column selections, row filters written in
// expr-lang, and the current/historical row counts of an SCD type 2 table.
package tableview
