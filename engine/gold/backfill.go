package gold

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// InRange selects the groups whose backfill_by date lies in [from, to] (both inclusive).
// It fails when the declaration has no backfill_by: such a table is backfilled whole.
func InRange(d *Decl, from, to schema.Date) (GroupFilter, error) {
	if d.backfill < 0 {
		return nil, fmt.Errorf("gold table %s has no backfill_by date column: backfill it whole (without --from/--to)", d.Table)
	}
	if to < from {
		return nil, fmt.Errorf("gold table %s: backfill range %s .. %s is empty (--to before --from)", d.Table, from, to)
	}
	i := d.backfill
	return func(g []any) bool {
		v, ok := g[i].(schema.Date)
		return ok && v >= from && v <= to
	}, nil
}

// Diff returns the changes that make current — gold table rows (OutputSchema order) — equal
// to the state's rows, both restricted to the groups keep selects (all when nil): upserts
// for missing or different rows, deletes for rows the state has no group for. The backfill
// commits it for its range; start-up uses it through Verify.
func (s *State) Diff(current [][]any, keep GroupFilter) (Changes, error) {
	want, err := s.Rows()
	if err != nil {
		return Changes{}, err
	}
	ng := len(s.d.Groups)
	have := map[string][]any{}
	for _, row := range current {
		if len(row) < ng {
			return Changes{}, fmt.Errorf("gold table %s: a current row has %d columns, expected %d", s.d.Table, len(row), len(s.d.OutputSchema().Fields))
		}
		vals, key := s.groupKeyOfRow(row)
		if keep != nil && !keep(vals) {
			continue
		}
		have[key] = row
	}
	var ch Changes
	for _, row := range want {
		vals, key := s.groupKeyOfRow(row)
		if keep != nil && !keep(vals) {
			continue
		}
		if cur, ok := have[key]; !ok || !rowsEqual(cur, row) {
			ch.Upserts = append(ch.Upserts, row)
		}
		delete(have, key)
	}
	keys := make([]string, 0, len(have))
	for k := range have {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		ch.Deletes = append(ch.Deletes, slices.Clone(have[k][:ng]))
	}
	return ch, nil
}

// Verify checks that the gold table's rows equal the state's (recomputed from silver at the
// version the table reflects). The error names the first differing group and column.
func (s *State) Verify(current [][]any) error {
	ch, err := s.Diff(current, nil)
	if err != nil || ch.Empty() {
		return err
	}
	ng := len(s.d.Groups)
	cur := map[string][]any{}
	for _, row := range current {
		_, k := s.groupKeyOfRow(row)
		cur[k] = row
	}
	schemaFields := s.d.OutputSchema().Fields
	for _, row := range ch.Upserts {
		vals, k := s.groupKeyOfRow(row)
		got, ok := cur[k]
		if !ok {
			return fmt.Errorf("gold table %s: group %s is missing from the table (silver has %d such rows)", s.d.Table, describeGroup(s.d, vals), len(ch.Upserts))
		}
		for i := ng; i < len(row); i++ {
			if !cellEqual(got[i], row[i]) {
				return fmt.Errorf("gold table %s: group %s: column %s is %v in the table, %v recomputed from silver", s.d.Table, describeGroup(s.d, vals), schemaFields[i].Name, cellText(got[i]), cellText(row[i]))
			}
		}
	}
	vals, _ := s.groupKeyOfRow(ch.Deletes[0])
	return fmt.Errorf("gold table %s: group %s is in the table but has no rows in silver", s.d.Table, describeGroup(s.d, vals))
}

// groupKeyOfRow reads a gold row's group values back as expression values, and their key.
func (s *State) groupKeyOfRow(row []any) ([]any, string) {
	ng := len(s.d.Groups)
	vals := make([]any, ng)
	var key []byte
	for i := 0; i < ng; i++ {
		vals[i] = exprValue(row[i])
		key = appendKey(key, vals[i])
	}
	return vals, string(key)
}

func rowsEqual(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !cellEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

// cellEqual compares two cells of one Delta column: decimals by value and scale, timestamps
// as instants, doubles bit for bit (NaN equals NaN).
func cellEqual(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	switch x := a.(type) {
	case schema.Decimal:
		y, ok := b.(schema.Decimal)
		return ok && x.Scale == y.Scale && x.Unscaled != nil && y.Unscaled != nil && x.Unscaled.Cmp(y.Unscaled) == 0
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case []byte:
		y, ok := b.([]byte)
		return ok && string(x) == string(y)
	}
	return a == b
}

func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case schema.Decimal:
		return x.String()
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case schema.Date:
		return x.String()
	}
	return fmt.Sprint(v)
}
