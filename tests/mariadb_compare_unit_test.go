package tests

import (
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// TestMariaDBCompareFindsDifferences is the negative control of the MariaDB end-to-end
// comparison: equal cells compare equal, and a cent, a millisecond, a NULL, a missing row
// and an extra row are each reported.
func TestMariaDBCompareFindsDifferences(t *testing.T) {
	contract, err := schemas.Load("accounts")
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) mysql.FieldValue { return mysql.NewFieldValue(mysql.FieldValueTypeString, 0, []byte(s)) }
	signed := func(n int64) mysql.FieldValue { return mysql.NewFieldValue(mysql.FieldValueTypeSigned, uint64(n), nil) }
	null := mysql.NewFieldValue(mysql.FieldValueTypeNull, 0, nil)
	cols := []string{"account_id", "balance", "credit_limit", "overdraft_allowed", "created_at", "updated_at"}
	srcRow := []mysql.FieldValue{signed(7), str("-0.01"), null, signed(1), str("1969-12-31 23:59:59.999"), str("9999-12-31 23:59:59.999")}
	dec := func(unscaled int64) schema.Decimal { return schema.Decimal{Unscaled: big.NewInt(unscaled), Scale: 2} }
	ts := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04:05.000", s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	types := []schema.Type{schema.Long, schema.DecimalType{Precision: 18, Scale: 2}, schema.DecimalType{Precision: 18, Scale: 2}, schema.Boolean, schema.Timestamp, schema.Timestamp}
	silverRow := []any{int64(7), dec(-1), nil, true, ts("1969-12-31 23:59:59.999"), ts("9999-12-31 23:59:59.999")}

	silver := func(rows ...[]any) mdbTableImage {
		img := mdbTableImage{columns: cols, rows: map[int64][]string{}}
		for _, r := range rows {
			out := make([]string, len(cols))
			for i := range cols {
				out[i] = mdbCanonicalSilver(t, contract.Column(cols[i]), types[i], r[i])
			}
			img.rows[r[0].(int64)] = out
		}
		return img
	}
	source := func() mdbTableImage {
		img := mdbTableImage{columns: cols, rows: map[int64][]string{}}
		out := make([]string, len(cols))
		for i := range cols {
			out[i] = mdbCanonicalSource(t, contract.Column(cols[i]), srcRow[i])
		}
		img.rows[7] = out
		return img
	}

	if d := mdbCompareImages("accounts", source(), silver(silverRow), nil, 10); !d.ok() {
		t.Fatalf("equal rows reported as different: %v", d.lines)
	}
	for _, c := range []struct {
		name string
		col  int
		v    any
	}{
		{"a cent", 1, dec(-2)},
		{"NULL vs 0.00", 2, dec(0)},
		{"false vs 1", 3, false},
		{"a millisecond", 4, ts("1970-01-01 00:00:00.000")},
		{"a microsecond", 5, ts("9999-12-31 23:59:59.999").Add(time.Microsecond)},
	} {
		row := append([]any(nil), silverRow...)
		row[c.col] = c.v
		d := mdbCompareImages("accounts", source(), silver(row), nil, 10)
		if d.ok() || d.cellDiffs != 1 || !strings.Contains(d.lines[0], cols[c.col]) {
			t.Errorf("%s: expected one difference in %s, got %d: %v", c.name, cols[c.col], d.cellDiffs, d.lines)
		}
	}
	extra := append([]any(nil), silverRow...)
	extra[0] = int64(8)
	d := mdbCompareImages("accounts", source(), silver(extra), nil, 10)
	if len(d.missing) != 1 || d.missing[0] != 7 || len(d.extra) != 1 || d.extra[0] != 8 {
		t.Errorf("expected key 7 missing and key 8 extra, got missing %v extra %v", d.missing, d.extra)
	}
}
