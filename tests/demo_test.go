package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var producedTx = regexp.MustCompile(`transaction row events produced: (\d+); bronze transactions rows added: (\d+)`)

// demoRun runs `ledgerflow demo` and returns its output and the transaction row events the
// simulator reports.
func demoRun(t *testing.T, dir string, args ...string) (string, int64) {
	t.Helper()
	out, code := run(t, dir, 4*time.Minute, nil, append([]string{"demo"}, args...)...)
	if code != 0 {
		t.Fatalf("ledgerflow demo %v exited %d:\n%s", args, code, out)
	}
	m := producedTx.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the summary does not report the transaction row events:\n%s", out)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	if n == 0 {
		t.Fatalf("no transaction row events produced:\n%s", out)
	}
	return out, n
}

// checkBronze reads bronze transactions with our Delta reader: each Kafka offset at most
// once, and want rows in all.
func checkBronze(t *testing.T, lake string, want int64) {
	t.Helper()
	counts := offsetCounts(t, filepath.Join(lake, "bronze", "transactions"))
	var rows int64
	for k, n := range counts {
		if n != 1 {
			t.Errorf("offset %s is in bronze transactions %d times", k, n)
		}
		rows += int64(n)
	}
	if rows != want {
		t.Fatalf("bronze transactions holds %d rows, the simulator produced %d transaction row events", rows, want)
	}
}

// TestDemo runs the README's first command twice on one lakehouse: first outside the
// repository (embedded pipelines and contracts, as a packaged binary), then from the
// checkout (./pipelines), which resumes on the persisted Kafka log.
func TestDemo(t *testing.T) {
	lake := filepath.Join(t.TempDir(), "lakehouse")
	elsewhere := t.TempDir()
	out, n1 := demoRun(t, elsewhere, "--events", "3000", "--out", lake, "--seed", "7")
	for _, tbl := range []string{"customers", "accounts", "transactions"} {
		if _, err := os.Stat(filepath.Join(lake, "bronze", tbl, "_delta_log", "00000000000000000000.json")); err != nil {
			t.Errorf("bronze %s was not created: %v", tbl, err)
		}
	}
	for _, want := range []string{"freshness", "p50", "p99", "ledgerflow table show", "ledgerflow table describe", "ledgerflow table history",
		"fraud patterns injected", "dead letters: 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("the summary does not mention %q:\n%s", want, out)
		}
	}
	checkBronze(t, lake, n1)

	// Resume: the Kafka log under <lake>/.demo keeps offsets going, so the tables' txn
	// versions stay valid and the new events land after the old ones.
	out2, n2 := demoRun(t, "", "--events", "2000", "--out", lake, "--seed", "7")
	if !strings.Contains(out2, "resuming") {
		t.Errorf("the second run does not say it resumes:\n%s", out2)
	}
	checkBronze(t, lake, n1+n2)
	if show, code := run(t, "", time.Minute, nil, "table", "show", "--limit", "3", filepath.Join(lake, "bronze", "transactions")); code != 0 || !strings.Contains(show, "3 rows shown") {
		t.Errorf("the printed table command fails (%d):\n%s", code, show)
	}
}

// TestDemoRefusesForeignTables checks that a lakehouse whose tables another Kafka fed is not
// resumed (its offsets would be skipped as already written) and that --fresh starts over.
func TestDemoRefusesForeignTables(t *testing.T) {
	lake := filepath.Join(t.TempDir(), "lakehouse")
	writeFile(t, filepath.Join(lake, "bronze", "transactions", "_delta_log", "00000000000000000000.json"), "{}\n")
	out, code := run(t, "", time.Minute, nil, "demo", "--events", "1500", "--out", lake)
	if code == 0 || !strings.Contains(out, "--fresh") {
		t.Fatalf("demo on foreign tables: exit %d, want a refusal naming --fresh:\n%s", code, out)
	}
	// --fresh deletes only a directory that looks like a lakehouse.
	other := t.TempDir()
	keep := writeFile(t, filepath.Join(other, "notes.txt"), "mine")
	if out, code := run(t, "", time.Minute, nil, "demo", "--events", "10", "--out", other, "--fresh"); code == 0 || !strings.Contains(out, "notes.txt") {
		t.Fatalf("--fresh on a directory with other files: exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Fatalf("--fresh deleted a file that is not the lakehouse's: %v", err)
	}
	_, n := demoRun(t, "", "--events", "1500", "--out", lake, "--fresh")
	checkBronze(t, lake, n)
}
