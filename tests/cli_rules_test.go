package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/processors/fraud"
)

// rulesWorkspace is a directory holding a pipeline with the documented fraud_rules processor
// and copies of the shipped rule files and features declaration, so a test can break one.
func rulesWorkspace(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "pipelines", "scored.yaml"), "input:\n  stdin: {}\n"+fraud.ExampleConfig+"output:\n  drop: {}\n")
	files, err := filepath.Glob(filepath.Join(repoRoot, "pipelines", "rules", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped rule files (%v)", err)
	}
	files = append(files, filepath.Join(repoRoot, "pipelines", "features", "transactions.yaml"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(repoRoot, f)
		writeFile(t, filepath.Join(dir, rel), string(data))
	}
	return dir
}

// TestCLILintReportsARuleTypo: a misspelt feature in a shipped rule is refused by `ledgerflow
// lint` with the rule file's position, the rule id and the expression, and the rule files
// themselves are not mistaken for Benthos configs.
func TestCLILintReportsARuleTypo(t *testing.T) {
	dir := rulesWorkspace(t)
	if out, code := run(t, dir, time.Minute, nil, "lint", "./pipelines/..."); code != 0 {
		t.Fatalf("lint of the shipped rules failed (exit %d):\n%s", code, out)
	}
	velocity := filepath.Join(dir, "pipelines", "rules", "velocity.yaml")
	data, err := os.ReadFile(velocity)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(data), "when: acct.count_1m >= 5", "when: acct.count_1mm >= 5", 1)
	if broken == string(data) {
		t.Fatal("velocity.yaml no longer has the when expression this test breaks")
	}
	writeFile(t, velocity, broken)
	out, code := run(t, dir, time.Minute, nil, "lint", "./pipelines/...")
	if code != 1 {
		t.Fatalf("lint of a rule typo exited %d, want 1:\n%s", code, out)
	}
	want := regexp.MustCompile(`pipelines/rules/velocity\.yaml:\d+:\d+: rule R1: when: .*count_1mm.*count_1m`)
	if !want.MatchString(out) {
		t.Errorf("lint output does not name the file position, rule, field and the right name:\n%s", out)
	}
	if strings.Contains(out, `unknown field "rules"`) {
		t.Errorf("rule files were linted as Benthos configs:\n%s", out)
	}
}

// TestCLITestRunsRuleTests: `ledgerflow test` runs the tests of the rules a pipeline's
// fraud_rules processor loads, and a wrong expectation fails the run.
func TestCLITestRunsRuleTests(t *testing.T) {
	dir := rulesWorkspace(t)
	out, code := run(t, dir, 2*time.Minute, testModeEnv, "test", "./pipelines")
	if code != 0 {
		t.Fatalf("test of the shipped rules failed (exit %d):\n%s", code, out)
	}
	summary := regexp.MustCompile(`(\d+) of (\d+) rule tests passed`).FindStringSubmatch(out)
	if summary == nil || summary[1] != summary[2] || summary[1] == "0" {
		t.Fatalf("no passing rule-test summary in:\n%s", out)
	}
	velocity := filepath.Join(dir, "pipelines", "rules", "velocity.yaml")
	data, err := os.ReadFile(velocity)
	if err != nil {
		t.Fatal(err)
	}
	// R1's threshold moved by one: its boundary tests must catch it.
	broken := strings.Replace(string(data), "when: acct.count_1m >= 5", "when: acct.count_1m >= 6", 1)
	writeFile(t, velocity, broken)
	out, code = run(t, dir, 2*time.Minute, testModeEnv, "test", "./pipelines")
	if code == 0 || !strings.Contains(out, "R1") {
		t.Fatalf("a rule whose boundary moved must fail its tests (exit %d):\n%s", code, out)
	}
}
