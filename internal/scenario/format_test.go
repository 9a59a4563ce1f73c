package scenario

import (
	"strings"
	"testing"
)

func TestParseErrorsNameTheLine(t *testing.T) {
	head := "pipeline: p.yaml\noutput: bronze_x\nscenarios:\n  - name: s\n"
	cases := map[string]struct{ body, want string }{
		"unknown event key":       {"    events:\n      - inserts: {id: 1}\n    expect: {count: 0}\n", `x_scenarios.yaml:6: unknown key "inserts" in an event`},
		"two kinds":               {"    events:\n      - insert: {id: 1}\n        delete: {id: 1}\n    expect: {count: 0}\n", "x_scenarios.yaml:7: an event has one kind; this one has insert and delete"},
		"no kind":                 {"    events:\n      - at: 5\n    expect: {count: 0}\n", "x_scenarios.yaml:6: an event needs a kind"},
		"bad position":            {"    events:\n      - insert: {id: 1}\n        at: 1:x\n    expect: {count: 0}\n", `x_scenarios.yaml:7: at: "1:x": expected a binlog position`},
		"forward reference":       {"    events:\n      - duplicate_of: 0\n    expect: {count: 0}\n", "x_scenarios.yaml:6: duplicate_of: 0 is not the index of an earlier event"},
		"both events and batches": {"    events: [{insert: {id: 1}}]\n    batches: [[{insert: {id: 1}}]]\n    expect: {count: 0}\n", "give events (one batch) or batches, not both"},
		"no expect":               {"    events: [{insert: {id: 1}}]\n", `scenario "s": no expect`},
		"unknown expect":          {"    events: [{insert: {id: 1}}]\n    expect: {rowz: []}\n", `x_scenarios.yaml:6: unknown key "rowz" in expect`},
		"bad count":               {"    events: [{insert: {id: 1}}]\n    expect: {count: many}\n", `count: "many": expected a row count`},
		"before on insert":        {"    events:\n      - insert: {id: 1}\n        before: {id: 2}\n    expect: {count: 0}\n", "before: only an update takes a before image"},
		"restart typo":            {"    batches:\n      - restrat\n    expect: {count: 0}\n", "x_scenarios.yaml:6: a batch: expected a list of events, or restart"},
	}
	for name, c := range cases {
		_, err := Parse("dir/x_scenarios.yaml", []byte(head+c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", name, err, c.want)
		}
	}
}

func TestParseDefaultsAndSteps(t *testing.T) {
	f, err := Parse("pipelines/transactions_scenarios.yaml", []byte(`
output: silver_transactions
defaults: {amount: "1.00", status: pending}
scenarios:
  - name: one
    defaults: {status: completed}
    batches:
      - - insert: {transaction_id: 1}
        - update: {transaction_id: 1, status: failed}
          at: "2:300:1"
      - restart
      - - redeliver: 1
  - name: two
    output: bronze_transactions
    events: [{truncate: {}}]
    expect: {rows: [], dead_letter_count: 0}
`))
	if err == nil {
		t.Fatal("scenario one has no expect: must fail")
	}
	f, err = Parse("pipelines/transactions_scenarios.yaml", []byte(`
output: silver_transactions
defaults: {amount: "1.00", status: pending}
scenarios:
  - name: one
    defaults: {status: completed}
    batches:
      - - insert: {transaction_id: 1}
        - update: {transaction_id: 1, status: failed}
          at: "2:300:1"
      - restart
      - - redeliver: 1
    expect: {count: 1}
  - name: two
    output: bronze_transactions
    events: [{truncate: {}}]
    expect: {rows: [], dead_letter_count: 0}
`))
	if err != nil {
		t.Fatal(err)
	}
	if f.Pipeline != "pipelines/transactions.yaml" {
		t.Errorf("pipeline %q, want the file beside the scenarios", f.Pipeline)
	}
	one, two := f.Scenarios[0], f.Scenarios[1]
	if one.Output != "silver_transactions" || two.Output != "bronze_transactions" {
		t.Errorf("outputs %q %q", one.Output, two.Output)
	}
	if one.Defaults["status"].Value != "completed" || one.Defaults["amount"].Value != "1.00" || two.Defaults["status"].Value != "pending" {
		t.Errorf("defaults not overlaid: %v %v", one.Defaults["status"].Value, two.Defaults["status"].Value)
	}
	if len(one.Steps) != 3 || !one.Steps[1].Restart || len(one.Steps[0].Events) != 2 || one.Steps[2].Events[0].Ref != 1 {
		t.Errorf("steps %+v", one.Steps)
	}
	if at := one.Steps[0].Events[1].At; at == nil || *at != (Position{File: 2, Pos: 300, Row: 1}) {
		t.Errorf("at %+v", at)
	}
	if !two.Expect.HasRows || len(two.Expect.Rows) != 0 || two.Expect.DeadLetterCount == nil || *two.Expect.DeadLetterCount != 0 {
		t.Errorf("expect %+v", two.Expect)
	}
}

func TestParsePosition(t *testing.T) {
	for in, want := range map[string]Position{"100": {1, 100, 0}, "2:100": {2, 100, 0}, "3:4:5": {3, 4, 5}} {
		got, err := ParsePosition(in)
		if err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "-1", "1:2:3:4", "a", "1:4294967296"} {
		if _, err := ParsePosition(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("output: o\nscenarios:\n  - name: n\n    events: [{insert: {id: 1}, at: 5}]\n    expect: {rows: [{id: 1}]}\n"))
	f.Add([]byte("scenarios:\n  - name: n\n    batches: [[{redeliver: 0}], restart]\n    expect: {count: 1}\n"))
	f.Add([]byte("scenarios: [{name: x, output: y, events: [{debezium: {a: [1, 2.5, null]}, key: k}], expect: {dead_letters: [{reason: r}]}}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Parse("f_scenarios.yaml", data)
	})
}

func FuzzParsePosition(f *testing.F) {
	for _, s := range []string{"100", "2:100", "2:100:1", "::", "9999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePosition(s)
		if err != nil {
			return
		}
		q, err := ParsePosition(p.String())
		if err != nil || q != p {
			t.Fatalf("%q → %v does not round-trip: %v %v", s, p, q, err)
		}
	})
}
