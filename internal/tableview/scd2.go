package tableview

import (
	"context"

	"github.com/ledgerflow/ledgerflow/delta"
)

// The columns of a silver table stored as SCD type 2 (`stored_as_scd_type: 2`): each row is
// one version of a key, valid from __start_at until __end_at; the current version has a null
// __end_at.
const (
	SCD2Start = "__start_at"
	SCD2End   = "__end_at"
)

// SCD2Counts counts the current and the historical (closed) rows of an SCD type 2 table by
// reading its __end_at column. ok is false when the table does not have both columns.
func SCD2Counts(ctx context.Context, snap *delta.Snapshot) (current, historical int64, ok bool, err error) {
	st, err := snap.Schema()
	if err != nil {
		return 0, 0, false, err
	}
	if st.Index(SCD2Start) < 0 || st.Index(SCD2End) < 0 {
		return 0, 0, false, nil
	}
	for _, f := range snap.Files() {
		rows, err := snap.ReadFileColumns(ctx, f, []string{SCD2End})
		if err != nil {
			return 0, 0, true, err
		}
		for _, r := range rows {
			if r[0] == nil {
				current++
			} else {
				historical++
			}
		}
	}
	return current, historical, true, nil
}
