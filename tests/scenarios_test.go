package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPipelineScenarios runs `ledgerflow test ./pipelines` as the README says and checks that
// it runs the table-state scenarios (pipelines/*_scenarios.yaml) through the real outputs as
// well as Benthos' processor tests; then that one wrong expectation in a copy of the
// pipelines fails the command, with a diff, while the processor tests still run and pass.
func TestPipelineScenarios(t *testing.T) {
	out, code := run(t, "", 2*time.Minute, testModeEnv, "test", "./pipelines")
	if code != 0 {
		t.Fatalf("ledgerflow test ./pipelines failed (%d):\n%s", code, out)
	}
	for _, want := range []string{
		"--- PASS: pipelines/transactions_scenarios.yaml:",
		"bronze skips records redelivered after a restart",
		"Scenarios: ",
		"Test 'pipelines/transactions.yaml' succeeded",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "--- FAIL") {
		t.Errorf("a scenario failed:\n%s", out)
	}

	dir := t.TempDir()
	for _, d := range []string{"pipelines", "schemas"} {
		if err := os.CopyFS(filepath.Join(dir, d), os.DirFS(filepath.Join(repoRoot, d))); err != nil {
			t.Fatal(err)
		}
	}
	sc := filepath.Join(dir, "pipelines", "transactions_scenarios.yaml")
	b, err := os.ReadFile(sc)
	if err != nil {
		t.Fatal(err)
	}
	const right, wrong = "{transaction_id: 3, _kafka_offset: 2}", "{transaction_id: 3, _kafka_offset: 5}"
	if strings.Count(string(b), right) != 1 {
		t.Fatalf("expectation %q to break not found once in %s", right, sc)
	}
	writeFile(t, sc, strings.Replace(string(b), right, wrong, 1))
	out, code = run(t, dir, 2*time.Minute, testModeEnv, "test", "./pipelines")
	if code == 0 {
		t.Fatalf("a wrong scenario expectation must fail the run:\n%s", out)
	}
	for _, want := range []string{
		"--- FAIL: pipelines/transactions_scenarios.yaml:",
		"- " + wrong + "   expected (line",
		"+ " + right + "   found, not expected",
		"Test 'pipelines/transactions.yaml' succeeded",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
}
