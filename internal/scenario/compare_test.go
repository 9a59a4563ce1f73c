package scenario

import (
	"math/big"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

var testSchema = &schema.StructType{Fields: []schema.StructField{
	{Name: "id", Type: schema.Long},
	{Name: "amount", Type: schema.DecimalType{Precision: 18, Scale: 2}},
	{Name: "ts", Type: schema.Timestamp},
	{Name: "day", Type: schema.DateType},
	{Name: "status", Type: schema.String},
	{Name: "ok", Type: schema.Boolean},
	{Name: "reason", Type: schema.String},
}}

func dec(unscaled int64) schema.Decimal {
	return schema.Decimal{Unscaled: big.NewInt(unscaled), Scale: 2}
}

func expRows(t *testing.T, src string) []Row {
	t.Helper()
	var p parser
	var x Expect
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("rows: "+src), &n); err != nil {
		t.Fatal(err)
	}
	if err := p.expect(n.Content[0], &x); err != nil {
		t.Fatal(err)
	}
	return x.Rows
}

func TestCompareRowsCanonicalValues(t *testing.T) {
	ts := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	rows := [][]any{
		{int64(1), dec(1250), ts, schema.Date(19844), "pending", true, nil},
		{int64(2), dec(-5), ts.Add(1500 * time.Millisecond), schema.Date(0), nil, false, "broken JSON at offset 3"},
	}
	ok := []string{
		`[{id: 1, amount: "12.5"}, {id: 2, amount: "-0.05"}]`,
		`[{amount: "-0.050"}, {amount: 12.50}]`,
		`[{id: 2, ts: "2024-05-01T00:00:01.5Z", day: 1970-01-01, status: null, ok: false}, {id: 1, ts: "2024-05-01 00:00:00", day: "2024-05-01", ok: true}]`,
		`[{id: 1}, {id: 2, reason: "JSON at"}]`,
	}
	for _, src := range ok {
		if d := compareRows("t", testSchema, rows, expRows(t, src), map[string]bool{"reason": true}); d != "" {
			t.Errorf("%s must match:\n%s", src, d)
		}
	}
	bad := map[string][]string{
		`[{id: 1, amount: "12.51"}, {id: 2}]`: {`- {id: 1, amount: "12.51"}   expected (line 1), not found`, `+ {id: 1, amount: "12.50"}   found, not expected`},
		`[{id: 1}]`:                           {"expected 1 row, found 2 rows", "+ {id: 2}   found, not expected"},
		`[{id: 1}, {id: 2}, {id: 3}]`:         {"expected 3 rows, found 2 rows", "- {id: 3}   expected (line 1), not found"},
		`[{id: 1, reason: "JSON"}, {id: 2}]`:  {"- {id: 1, reason: JSON}"},
		`[{id: 1, nope: 1}, {id: 2}]`:         {`t has no column "nope" (columns: id, amount, ts`},
		`[{id: 1, amount: "1.234"}, {id: 2}]`: {`column amount: expected value "1.234": not a decimal(18,2)`},
		`[{id: 1, status: null}, {id: 2}]`:    {"- {id: 1, status: null}", `+ {id: 1, status: pending}`},
		`[{id: 1, ts: "yesterday"}, {id: 2}]`: {`column ts: expected value "yesterday"`},
	}
	for src, wants := range bad {
		d := compareRows("t", testSchema, rows, expRows(t, src), map[string]bool{"reason": true})
		for _, w := range wants {
			if !strings.Contains(d, w) {
				t.Errorf("%s: the diff lacks %q:\n%s", src, w, d)
			}
		}
	}
}

// TestCompareRowsMatchesBestAssignment: an expectation naming fewer columns must not take the
// only row another expectation fits.
func TestCompareRowsMatchesBestAssignment(t *testing.T) {
	rows := [][]any{{int64(1), nil, nil, nil, "a", nil, nil}, {int64(1), nil, nil, nil, "b", nil, nil}}
	if d := compareRows("t", testSchema, rows, expRows(t, `[{id: 1}, {id: 1, status: a}]`), nil); d != "" {
		t.Errorf("a matching exists:\n%s", d)
	}
	if d := compareRows("t", testSchema, rows, expRows(t, `[{id: 1, status: a}, {id: 1, status: a}]`), nil); !strings.Contains(d, "+ {id: 1, status: b}") {
		t.Errorf("one row a cannot satisfy two expectations:\n%s", d)
	}
}
