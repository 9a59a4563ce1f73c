package tests

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestListShowsOurComponents(t *testing.T) {
	out, code := run(t, "", time.Minute, nil, "list", "--format", "json")
	if code != 0 {
		t.Fatalf("list failed (%d):\n%s", code, out)
	}
	for _, name := range []string{`"prometheus"`, `"bloblang"`, `"file"`} {
		if !strings.Contains(out, name) {
			t.Errorf("ledgerflow list does not show %s", name)
		}
	}
}

func TestDocsRendersMarkdownForOurComponents(t *testing.T) {
	dir := t.TempDir()
	out, code := run(t, "", time.Minute, nil, "docs", "--out", dir)
	if code != 0 {
		t.Fatalf("docs failed (%d):\n%s", code, out)
	}
	page, err := os.ReadFile(filepath.Join(dir, "metrics", "prometheus.md"))
	if err != nil {
		t.Fatalf("no page for the prometheus exporter: %v\n%s", err, out)
	}
	for _, want := range []string{"# prometheus (metrics)", "### `prefix`", "```yaml"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("prometheus.md lacks %q:\n%s", want, page)
		}
	}
	index, _ := os.ReadFile(filepath.Join(dir, "README.md"))
	if !strings.Contains(string(index), "[prometheus](metrics/prometheus.md)") {
		t.Errorf("index does not link the page:\n%s", index)
	}
}

// TestPrometheusEndpointIsValid runs a pipeline with no metrics block (prometheus is the
// default) and checks /metrics with promtool, an independent parser of the exposition format.
func TestPrometheusEndpointIsValid(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian package prometheus; .ci/run installs it)")
	}
	port := freePort(t)
	cfg := writeFile(t, filepath.Join(t.TempDir(), "gen.yaml"), `
http:
  address: 127.0.0.1:${PORT}
input:
  generate:
    interval: 1ms
    mapping: 'root = {"n": counter()}'
output:
  drop: {}
`)
	cmd := exec.Command(binary, "-c", cfg)
	cmd.Env = append(os.Environ(), "PORT="+itoa(port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var body string
	for i := 0; i < 100; i++ {
		resp, err := http.Get("http://127.0.0.1:" + itoa(port) + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			if strings.Contains(body, "output_sent") {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(body, "input_received") || !strings.Contains(body, "output_sent") {
		t.Fatalf("/metrics lacks pipeline metrics:\n%.2000s", body)
	}
	check := exec.Command(promtool, "check", "metrics")
	check.Stdin = strings.NewReader(body)
	out, err := check.CombinedOutput()
	// promtool exits 3 for lint warnings (e.g. help text style) and 1 for parse errors.
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() != 3 {
		t.Fatalf("promtool rejects /metrics: %v\n%s", err, out)
	}
}

func TestStreamsModeRunsSeveralConfigs(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a", "b"} {
		writeFile(t, filepath.Join(dir, name+".yaml"), `
input:
  generate:
    count: 3
    interval: ""
    mapping: 'root = {"stream": "`+name+`", "n": counter()}'
output:
  file:
    path: `+filepath.Join(dir, name+".out")+`
    codec: lines
`)
	}
	// Streams mode keeps serving after its streams end, so it runs in the background.
	cmd := exec.Command(binary, "streams", "--no-api", "a.yaml", "b.yaml")
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	for _, name := range []string{"a", "b"} {
		waitForLines(t, filepath.Join(dir, name+".out"), 3)
	}
}

func waitForLines(t *testing.T, path string, n int) {
	t.Helper()
	var got []byte
	for i := 0; i < 100; i++ {
		got, _ = os.ReadFile(path)
		if strings.Count(string(got), "\n") >= n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: want %d lines, got:\n%s", path, n, got)
}

func TestEnvInterpolationWithDefaults(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, filepath.Join(dir, "env.yaml"), `
input:
  generate:
    count: 1
    interval: ""
    mapping: 'root = "${GREETING:hello}"'
output:
  file:
    path: ${OUT_FILE:/nonexistent}
    codec: lines
`)
	outFile := filepath.Join(dir, "out.txt")
	out, code := run(t, dir, time.Minute, []string{"OUT_FILE=" + outFile}, "-c", cfg)
	if code != 0 {
		t.Fatalf("run failed (%d):\n%s", code, out)
	}
	got, _ := os.ReadFile(outFile)
	if strings.TrimSpace(string(got)) != "hello" {
		t.Fatalf("default not applied, got %q", got)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestPipelineUnitTests runs `ledgerflow test ./pipelines` exactly as the README says, and
// shows the command can fail: a copy of the pipelines with one wrong expectation must fail.
func TestPipelineUnitTests(t *testing.T) {
	out, code := run(t, "", 2*time.Minute, nil, "test", "./pipelines")
	if code != 0 {
		t.Fatalf("ledgerflow test ./pipelines failed (%d):\n%s", code, out)
	}
	for _, p := range []string{"customers", "accounts", "transactions"} {
		if !strings.Contains(out, "pipelines/"+p+".yaml' succeeded") {
			t.Errorf("no passing test run for %s:\n%s", p, out)
		}
	}
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "pipelines"), os.DirFS(filepath.Join(repoRoot, "pipelines"))); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(dir, "schemas"), os.DirFS(filepath.Join(repoRoot, "schemas"))); err != nil {
		t.Fatal(err)
	}
	tx := filepath.Join(dir, "pipelines", "transactions.yaml")
	b, _ := os.ReadFile(tx)
	broken := strings.Replace(string(b), `amount: "1.52"`, `amount: "1.53"`, 1)
	if broken == string(b) {
		t.Fatal("expectation to break not found")
	}
	writeFile(t, tx, broken)
	out, code = run(t, dir, 2*time.Minute, nil, "test", "./pipelines")
	if code == 0 || !strings.Contains(out, "1.53") {
		t.Fatalf("a wrong expectation must fail the run (exit %d):\n%s", code, out)
	}
}

func TestPipelinesLint(t *testing.T) {
	out, code := run(t, "", time.Minute, nil, "lint", "pipelines/customers.yaml", "pipelines/accounts.yaml", "pipelines/transactions.yaml")
	if code != 0 {
		t.Fatalf("lint failed (%d):\n%s", code, out)
	}
}

// TestCommittedDocsAreCurrent fails when docs/components, which the README links, differs
// from what `ledgerflow docs` renders from the code: regenerate with
// `go run ./cmd/ledgerflow docs --out docs/components`.
func TestCommittedDocsAreCurrent(t *testing.T) {
	dir := t.TempDir()
	if out, code := run(t, "", time.Minute, nil, "docs", "--out", dir); code != 0 {
		t.Fatalf("docs failed (%d):\n%s", code, out)
	}
	committed := filepath.Join(repoRoot, "docs", "components")
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		want, _ := os.ReadFile(p)
		got, rerr := os.ReadFile(filepath.Join(committed, rel))
		if rerr != nil || string(got) != string(want) {
			t.Errorf("docs/components/%s is stale or missing: regenerate with `go run ./cmd/ledgerflow docs --out docs/components`", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
