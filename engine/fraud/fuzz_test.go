package fraud

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// FuzzParseRules feeds arbitrary files to the parser and the compiler: they must never
// panic, every diagnostic must name the file, and a file they accept must run its tests.
func FuzzParseRules(f *testing.F) {
	f.Add([]byte(goodFile))
	f.Add([]byte(evalRules))
	f.Add([]byte("rules:\n" + rule("A", "tx.amount > 1", 1)))
	f.Add([]byte("rules:\n  - id: A\n    when: |\n      any(acct.last_amounts, # == tx.amount)\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("rules: [{id: x, tests: [{given: {tx: {amount: .inf}}}]}]"))
	for _, name := range []string{"velocity", "amounts", "card_testing", "behaviour", "aml"} {
		if b, err := os.ReadFile("../../pipelines/rules/" + name + ".yaml"); err == nil {
			f.Add(b)
		}
	}
	d := shippedDescription(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		specs, ds := ParseRules("f.yaml", data)
		rs, cds := Compile(specs, d)
		for _, d := range append(ds, cds...) {
			if d.File != "f.yaml" || d.Message == "" {
				t.Fatalf("diagnostic without file or message: %+v", d)
			}
			_ = d.Error()
		}
		if len(ds) == 0 && len(cds) == 0 {
			for _, r := range rs.RunTests() {
				_ = r.String()
			}
			env := d.NewEnv()
			var res Result
			rs.Evaluate(env, &res) // an empty environment: everything nil
			if res.Score < 0 || res.Score > 100 {
				t.Fatalf("score %d", res.Score)
			}
		}
	})
}

// FuzzSetRow compares the row reader with encoding/json: it accepts exactly the JSON
// objects, never panics, and what it accepts gets a valid JSON result appended.
func FuzzSetRow(f *testing.F) {
	f.Add([]byte(benchRow))
	f.Add([]byte(`{"amount":"12.00","event_ts":"2024-05-01T00:00:00Z","merchant_id":null,"_before":{"a":[1,{"b":"\u00e9"}]}}`))
	f.Add([]byte(`{"amount":1e400,"account_id":-9223372036854775808,"currency":"E\"U"}`))
	f.Add([]byte(`{"fraud_score":1,"a":[]}`))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte(`{"a":"\ud800"}`))
	d := shippedDescription(f)
	f.Fuzz(func(t *testing.T, row []byte) {
		env := d.NewEnv()
		_, err := env.SetRow(row)
		var fe *FieldError
		accepted := err == nil || errorsAs(err, &fe)
		var obj map[string]json.RawMessage
		isObject := json.Unmarshal(row, &obj) == nil && strings.HasPrefix(strings.TrimLeft(string(row), " \t\r\n"), "{")
		if accepted && !json.Valid(row) {
			t.Fatalf("SetRow accepted invalid JSON %q", row)
		}
		if isObject && !accepted && len(row) < 10000 && !strings.Contains(string(row), strings.Repeat("[", maxDepth)) && !strings.Contains(string(row), strings.Repeat("{", maxDepth)) {
			t.Fatalf("SetRow refused the JSON object %q: %v", row, err)
		}
		if !accepted {
			return
		}
		out, err := AppendResult(nil, row, &Result{Band: "low", Version: "v"})
		if err != nil {
			t.Fatalf("AppendResult on an accepted row: %v", err)
		}
		if !json.Valid(out) {
			t.Fatalf("AppendResult made invalid JSON from %q: %q", row, out)
		}
		if stripped, err := RemoveResult(row); err != nil || !json.Valid(stripped) {
			t.Fatalf("RemoveResult(%q) = %q, %v", row, stripped, err)
		}
	})
}

// FuzzParseFeatures feeds arbitrary declarations to the features parser.
func FuzzParseFeatures(f *testing.F) {
	if b, err := os.ReadFile("../../pipelines/features/transactions.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("time: event_ts\nkeys: { acct: account_id }\nfeatures: [{ name: a, key: acct, agg: last_n, of: amount, n: 3, window: 48h }]\n"))
	tx, err := schemas.Load("../../schemas/transactions.yaml")
	if err != nil {
		f.Fatal(err)
	}
	objects := map[string]map[string]string{"merch": {"lat": "DOUBLE", "lon": "DOUBLE"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		feats, err := ParseFeatures("f.yaml", data, tx, objects)
		if err == nil {
			d := NewDescription()
			for _, ff := range feats.Fields {
				if err := d.Add(ff.Object, ff.Name, ff.Field); err != nil {
					t.Fatalf("a declaration ParseFeatures accepted adds a bad field: %v", err)
				}
			}
		}
	})
}

var strictRFC3339 = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`)

// FuzzParseTime compares the time reader with time.Parse on the RFC 3339 forms.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2024-05-01T13:14:15.123456Z", "2024-02-29", "2024-05-01 10:00:00", "2024-05-01T10:00:00+02:00", "0000-01-01T00:00:00Z", "2023-02-29"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseTime([]byte(s))
		want, err := time.Parse(time.RFC3339Nano, s)
		// time.Parse is laxer than RFC 3339 (one-digit hours, a comma before the
		// fraction); on the strict form both must agree.
		if err == nil && strictRFC3339.MatchString(s) {
			if !ok || !got.Equal(want) {
				t.Fatalf("parseTime(%q) = %v, %v; time.Parse gives %v", s, got, ok, want)
			}
		}
		if ok && err == nil && !got.Equal(want) {
			t.Fatalf("parseTime(%q) = %v, time.Parse = %v", s, got, want)
		}
		if ok && got.Location() != time.UTC {
			t.Fatalf("parseTime(%q) is not UTC", s)
		}
		if d, ok := parseClock([]byte(s)); ok && (d > 10000*time.Hour || d < -10000*time.Hour) {
			t.Fatalf("parseClock(%q) = %v", s, d)
		}
	})
}
