package scenario

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	_ "github.com/ledgerflow/ledgerflow/internal/plugins"
)

// repoRoot is the checkout, so that pipelines name schemas/... as they do when run from it.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func chdir(t *testing.T, dir string) {
	t.Helper()
	old, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chdir(old) })
}

func TestShippedScenarios(t *testing.T) {
	chdir(t, repoRoot(t))
	files, err := Find([]string{"pipelines/..."})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenario files under pipelines/")
	}
	var r Runner
	var out testWriter
	out.t = t
	if !r.RunAll(context.Background(), files, &out) {
		t.Fatal("scenarios failed")
	}
}

type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func runScenarios(t *testing.T, src string) (bool, string) {
	t.Helper()
	root := repoRoot(t)
	chdir(t, root)
	path := filepath.Join(t.TempDir(), "transactions_scenarios.yaml")
	src = "pipeline: " + filepath.Join(root, "pipelines", "transactions.yaml") + "\n" + src
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var r Runner
	var out strings.Builder
	ok := r.RunAll(context.Background(), []string{path}, &out)
	return ok, out.String()
}

// TestFailingScenarioReportsDiff: a wrong expectation fails the run, and the report shows
// what was expected and what the table holds, with lines of the scenario file.
func TestFailingScenarioReportsDiff(t *testing.T) {
	ok, out := runScenarios(t, `output: bronze_transactions
defaults: {amount: "1.00"}
scenarios:
  - name: right
    events:
      - insert: {transaction_id: 1}
    expect:
      rows: [{transaction_id: 1, amount: "1"}]
  - name: wrong
    events:
      - insert: {transaction_id: 1, amount: "12.50"}
      - update: {transaction_id: 1, status: completed}
    expect:
      rows:
        - {transaction_id: 1, status: pending, amount: "12.5"}
        - {transaction_id: 1, status: completed, amount: "12.51"}
      dead_letter_count: 1
`)
	if ok {
		t.Fatalf("a wrong expectation passed:\n%s", out)
	}
	for _, want := range []string{
		"--- PASS: ", "transactions_scenarios.yaml:5: right (",
		"transactions_scenarios.yaml:10: wrong (",
		"bronze_transactions: expected 2 rows, found 2 rows (compared on transaction_id, status, amount)",
		`  - {transaction_id: 1, status: completed, amount: "12.51"}   expected (line 17), not found`,
		`  + {transaction_id: 1, status: completed, amount: "12.50"}   found, not expected`,
		`    {transaction_id: 1, status: pending, amount: "12.50"}`,
		"bronze_transactions_dead_letters: expected dead_letter_count 1, found 0 rows",
		"Scenarios: 1 passed, 1 failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "--- FAIL: ") {
		t.Errorf("no FAIL line:\n%s", out)
	}
}

func TestScenarioSetupErrorsFail(t *testing.T) {
	cases := map[string]struct{ src, want string }{
		"unknown output": {`scenarios:
  - name: s
    output: gold_nope
    events: [{insert: {transaction_id: 1}}]
    expect: {count: 1}
`, `has no delta_lake output labelled "gold_nope" (its delta_lake outputs: bronze_transactions`},
		"bad output config": {`scenarios:
  - name: s
    output: bronze_transactions
    output_config: {checkpoint_interval: 0}
    events: [{insert: {transaction_id: 1}}]
    expect: {count: 1}
`, "checkpoint_interval must be at least 1"},
		"bad column": {`scenarios:
  - name: s
    output: bronze_transactions
    events: [{insert: {transaction_id: 1, colour: red}}]
    expect: {count: 1}
`, `"colour" is not a column of transactions`},
		"expected column the table lacks": {`scenarios:
  - name: s
    output: bronze_transactions
    events: [{insert: {transaction_id: 1}}]
    expect: {rows: [{transaction_id: 1, _snapshot: "true"}]}
`, `bronze_transactions has no column "_snapshot"`},
	}
	for name, c := range cases {
		ok, out := runScenarios(t, c.src)
		if ok || !strings.Contains(out, c.want) {
			t.Errorf("%s: want a failure containing %q, got:\n%s", name, c.want, out)
		}
	}
}

// TestKnownFailure: a marked scenario that fails does not fail the run; once it passes, the
// stale mark fails the run.
func TestKnownFailure(t *testing.T) {
	const tmpl = `output: bronze_transactions
scenarios:
  - name: marked
    known_failure: the count is wrong on purpose
    events: [{insert: {transaction_id: 1}}]
    expect: {count: COUNT}
`
	ok, out := runScenarios(t, strings.Replace(tmpl, "COUNT", "2", 1))
	if !ok || !strings.Contains(out, "--- KNOWN: ") || !strings.Contains(out, "expected count 2, found 1 row") || !strings.Contains(out, "1 known failures") {
		t.Errorf("a known failure that fails must be reported KNOWN and pass the run:\n%s", out)
	}
	ok, out = runScenarios(t, strings.Replace(tmpl, "COUNT", "1", 1))
	if ok || !strings.Contains(out, "passes now: remove its known_failure") {
		t.Errorf("a known failure that passes must fail the run:\n%s", out)
	}
}
