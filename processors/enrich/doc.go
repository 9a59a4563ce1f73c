// Package enrich is the `enrich` Benthos processor: a thin adapter over engine/enrich that
// joins each row with the current rows of silver Delta tables and hands the values to the
// fraud rules through the structured metadata `ledgerflow_env` (map[string]map[string]any
// keyed by object name), optionally also into the row. The processor's ConfigSpec is its
// user documentation.
package enrich
