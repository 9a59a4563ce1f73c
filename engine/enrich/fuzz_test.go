package enrich

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/ledgerflow/ledgerflow/delta"
)

// FuzzKeyConversion: a key value from a row (text as a JSON number or a string) converts to
// an integer key only when it is exactly an integer, and then to that integer; it never
// panics.
func FuzzKeyConversion(f *testing.F) {
	for _, s := range []string{"0", "-1", "9223372036854775807", "9223372036854775808", "1e3", "1.0", "", " 1", "+5", "0x10", "007"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, werr := strconv.ParseInt(s, 10, 64)
		for _, v := range []any{s, json.Number(s)} {
			got, err := toInt64(v)
			if (err == nil) != (werr == nil) || err == nil && got != want {
				t.Fatalf("toInt64(%#v) = %d, %v; ParseInt says %d, %v", v, got, err, want, werr)
			}
			if sk, err := toStringKey(v); err != nil || sk != s {
				t.Fatalf("toStringKey(%#v) = %q, %v", v, sk, err)
			}
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			got, err := toInt64(f)
			if err == nil && float64(got) != f {
				t.Fatalf("toInt64(%v) = %d", f, got)
			}
		}
	})
}

// FuzzCurrentRows: whatever a writer put in add.stats, reading the current-row count never
// panics, and a file is only skipped (0 current rows) when the statistics say so exactly.
func FuzzCurrentRows(f *testing.F) {
	for _, s := range []string{`{"numRecords":3,"nullCount":{"__end_at":0}}`, `{"numRecords":3,"nullCount":{"__end_at":"x"}}`,
		`{"numRecords":null}`, `{}`, `[]`, `{"numRecords":3,"nullCount":{"__end_at":{"a":1}}}`, ``} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, stats string, scd2 bool) {
		p := &plan{hasEndAt: scd2}
		n, ok := p.currentRows(&delta.Add{Stats: stats})
		if ok && n == 0 {
			var s struct {
				NumRecords *int64         `json:"numRecords"`
				NullCount  map[string]any `json:"nullCount"`
			}
			if json.Unmarshal([]byte(stats), &s) != nil || s.NumRecords == nil {
				t.Fatalf("stats %q: skipped without a numRecords", stats)
			}
			if scd2 {
				if v, isNum := s.NullCount[colEndAt].(float64); !isNum || v != 0 {
					t.Fatalf("stats %q: skipped without a zero __end_at null count", stats)
				}
			} else if *s.NumRecords != 0 {
				t.Fatalf("stats %q: skipped a file with %d records", stats, *s.NumRecords)
			}
		}
	})
}
