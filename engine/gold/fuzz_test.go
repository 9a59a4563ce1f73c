package gold

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds declarations to the parser: it must never panic, fail with Errors that
// carry a place, and what it accepts must bind to its default schema and evaluate rows
// without panicking.
func FuzzParse(f *testing.F) {
	for _, n := range Names() {
		data, err := embedded.ReadFile("declarations/" + n + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(okHead + "  - {name: n, count: \"*\", where: status == \"complete\"}\n"))
	f.Add([]byte(okHead + "  - name: r\n    ratio: {numerator: a, denominator: a}\n    type: DOUBLE\n"))
	f.Add([]byte("table: t\nsource: {table: transactions}\ngroup_by: [{name: m, expr: month(event_date)}]\naggregates: [{name: x, max: date(event_ts)}]\n"))
	rows := []txn{
		{id: 1, customer: 1, merchant: ptr(int64(2)), cents: 150, currency: "EUR", status: "completed", typ: "purchase", eventTS: day0, alerts: ptr(int32(1)), pos: 1, op: "c"},
		{id: 1, customer: 1, cents: -3, currency: "USD", status: "failed", typ: "refund", eventTS: day0.Add(90e9), pos: 2, op: "u"},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data, "f.yaml")
		if err != nil {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error %T without diagnostics: %v", err, err)
			}
			return
		}
		b, err := d.Bind(d.DefaultSchema())
		if err != nil {
			t.Fatalf("a parsed declaration does not bind to its own default schema: %v", err)
		}
		s := NewState(b)
		r0, r1 := rows[0].toRow(b.st), rows[1].toRow(b.st)
		for _, p := range []Pair{{New: r0}, {Old: r0, New: r1}, {Old: r1}} {
			if err := s.Apply(p); err != nil {
				return // an expression may fail on a row (nil operand, division by zero)
			}
			_, _ = s.Flush()
		}
		_, _ = Reference(b, [][]any{r1})
	})
}
