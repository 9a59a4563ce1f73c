// Package gold keeps aggregate tables (the gold layer) exact under CDC: counts, sums, min,
// max, exact distinct counts, ratios and derived columns, grouped by expressions over the
// rows of one silver table, maintained from silver's change pairs (the row a key had before
// a silver commit and the row it has after). An update retracts the old row's contribution
// from its group and adds the new one to its (maybe different) group; a delete only
// retracts; a stale change, which silver drops, produces no pair and changes nothing.
//
// A declaration (YAML, see docs/design/gold.md) is parsed and type-checked once against the
// source table's contract (Parse, Load); Bind fixes where its columns sit in the silver
// table's rows. A State holds every group; Apply takes pairs, Flush returns the rows to upsert
// into and the groups to delete from the gold table. Recompute builds a State from a table's
// current rows (start-up, backfill), Reference is the plain GROUP BY that tests compare
// against. Money never passes through a float: sums are exact decimals.
//
// The package is plain Go: the delta_lake output and the CLI drive it.
package gold
