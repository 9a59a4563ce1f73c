package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/delta"
)

func TestCLIListShowsOurComponents(t *testing.T) {
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

func TestCLIDocsRendersMarkdownForOurComponents(t *testing.T) {
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

// TestCLIPrometheusEndpointIsValid runs a pipeline with no metrics block (prometheus is the
// default) and checks /metrics with promtool, an independent parser of the exposition format.
func TestCLIPrometheusEndpointIsValid(t *testing.T) {
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

func TestCLIStreamsModeRunsSeveralConfigs(t *testing.T) {
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

func TestCLIEnvInterpolationWithDefaults(t *testing.T) {
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

// TestCLIPipelineUnitTests runs `ledgerflow test ./pipelines` exactly as the README says, and
// shows the command can fail: a copy of the pipelines with one wrong expectation must fail.
func TestCLIPipelineUnitTests(t *testing.T) {
	out, code := run(t, "", 2*time.Minute, testModeEnv, "test", "./pipelines")
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
	out, code = run(t, dir, 2*time.Minute, testModeEnv, "test", "./pipelines")
	if code == 0 || !strings.Contains(out, "1.53") {
		t.Fatalf("a wrong expectation must fail the run (exit %d):\n%s", code, out)
	}
}

func TestCLIPipelinesLint(t *testing.T) {
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

// helpTexts returns the --help of the root command and of every command and subcommand the
// root help lists, by command line.
func helpTexts(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	var visit func(cmd []string)
	visit = func(cmd []string) {
		text, code := run(t, "", time.Minute, nil, append(append([]string{}, cmd...), "--help")...)
		if code != 0 {
			t.Fatalf("ledgerflow %v --help: exit %d\n%s", cmd, code, text)
		}
		out["ledgerflow "+strings.Join(cmd, " ")] = text
		_, list, ok := strings.Cut(text, "COMMANDS:\n")
		if !ok {
			return
		}
		for _, line := range strings.Split(list, "\n") {
			if !strings.HasPrefix(line, "   ") {
				break
			}
			name := strings.TrimSuffix(strings.Fields(line)[0], ",")
			if name != "help" {
				visit(append(append([]string{}, cmd...), name))
			}
		}
	}
	visit(nil)
	if len(out) < 15 {
		t.Fatalf("only %d help texts found: %v", len(out), out)
	}
	return out
}

// TestCLIHelpIsLedgerFlows: no text of the Benthos template (its tagline, its examples with
// components this binary does not have, its /benthos paths), -c listed, and each default
// printed once.
func TestCLIHelpIsLedgerFlows(t *testing.T) {
	helps := helpTexts(t)
	root := helps["ledgerflow "]
	for _, want := range []string{"--config value, -c value", "ledgerflow -c pipelines/transactions.yaml", "Delta Lake"} {
		if !strings.Contains(root, want) {
			t.Errorf("ledgerflow --help lacks %q:\n%s", want, root)
		}
	}
	for cmd, text := range helps {
		for _, leftover := range []string{"mundane", "kafka//file", "awk", "nats", "protobuf", "/benthos", "benthos.dev", "@service", "Benthos unit"} {
			if strings.Contains(text, leftover) {
				t.Errorf("%s --help contains %q:\n%s", cmd, leftover, text)
			}
		}
		for _, line := range strings.Split(text, "\n") {
			if strings.Count(line, "(default:") > 1 {
				t.Errorf("%s --help prints a default twice: %q", cmd, line)
			}
		}
	}
}

var (
	helpPathRe = regexp.MustCompile(`(?:^|[\s'"(=])(?:\./)?((?:pipelines|schemas|docs|deploy)/[A-Za-z0-9_./*-]*[A-Za-z0-9_*])`)
	helpURLRe  = regexp.MustCompile(`https://github\.com/ledgerflow/ledgerflow/(?:tree|blob)/main/([A-Za-z0-9_./-]*[A-Za-z0-9_])`)
)

// TestCLIHelpNamesOnlyExistingFiles checks every repository path (and link into the
// repository) that a help text names.
func TestCLIHelpNamesOnlyExistingFiles(t *testing.T) {
	checked := 0
	for cmd, text := range helpTexts(t) {
		var paths []string
		for _, m := range helpPathRe.FindAllStringSubmatch(text, -1) {
			paths = append(paths, m[1])
		}
		for _, m := range helpURLRe.FindAllStringSubmatch(text, -1) {
			paths = append(paths, m[1])
		}
		for _, p := range paths {
			checked++
			p = strings.TrimSuffix(p, "/...")
			matches, err := filepath.Glob(filepath.Join(repoRoot, p))
			if err != nil || len(matches) == 0 {
				t.Errorf("%s --help names %s, which does not exist", cmd, p)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d paths found in the help texts: the pattern is broken", checked)
	}
}

// TestCLIVersionFromBuildInfo compares --version with what `go version -m` reads from the
// same binary: version, commit (and modified), date of the commit, the engine's version.
func TestCLIVersionFromBuildInfo(t *testing.T) {
	out, code := run(t, "", time.Minute, nil, "--version")
	if code != 0 {
		t.Fatalf("--version: exit %d\n%s", code, out)
	}
	info, err := exec.Command("go", "version", "-m", binary).Output()
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	version, engine := "", ""
	for _, line := range strings.Split(string(info), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "build":
			k, v, _ := strings.Cut(f[1], "=")
			settings[k] = v
		case len(f) >= 3 && f[0] == "mod" && f[1] == "github.com/ledgerflow/ledgerflow":
			version = f[2]
		case len(f) >= 3 && f[0] == "dep" && f[1] == "github.com/redpanda-data/benthos/v4":
			engine = f[2]
		}
	}
	want := func(key, fallback string) string {
		if v := settings[key]; v != "" {
			return v
		}
		return fallback
	}
	commit := want("vcs.revision", "unknown")
	if settings["vcs.modified"] == "true" {
		commit += " (modified: built with uncommitted changes)"
	}
	if version == "" {
		version = "(devel)"
	}
	expected := "Version: " + version + "\nCommit: " + commit + "\nDate: " + want("vcs.time", "unknown") +
		"\nEngine: Benthos " + engine + ", "
	if !strings.HasPrefix(out, expected) || engine == "" {
		t.Fatalf("--version:\n%s\nwant it to start with:\n%s\n(go version -m:\n%s)", out, expected, info)
	}
	if short, _ := run(t, "", time.Minute, nil, "-v"); short != out {
		t.Errorf("-v prints %q, --version %q", short, out)
	}
}

// TestCLIVersionLdflagsOverride builds the binary with -X stamps, as a release build does.
func TestCLIVersionLdflagsOverride(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "ledgerflow")
	build := exec.Command("go", "build", "-o", bin, "-ldflags",
		"-X main.Version=9.8.7 -X main.Commit=0123456789abcdef -X main.Date=2026-01-02T03:04:05Z", "./cmd/ledgerflow")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "Version: 9.8.7\nCommit: 0123456789abcdef\nDate: 2026-01-02T03:04:05Z\nEngine: Benthos v4.") {
		t.Fatalf("--version:\n%s", out)
	}
}

// TestCLIListNamesOurComponentsApart: `list` shows LedgerFlow's components in their own
// section, every registered component (the core's json listing) exactly once, and nothing
// that is not registered.
func TestCLIListNamesOurComponentsApart(t *testing.T) {
	text, code := run(t, "", time.Minute, nil, "list")
	if code != 0 {
		t.Fatalf("list: exit %d\n%s", code, text)
	}
	ours, core, ok := strings.Cut(text, "Benthos core components")
	if !ok || !strings.HasPrefix(ours, "LedgerFlow components") {
		t.Fatalf("list has no LedgerFlow and core sections:\n%s", text)
	}
	parse := func(s string) map[string][]string {
		m := map[string][]string{}
		section := ""
		for _, line := range strings.Split(s, "\n") {
			switch {
			case strings.HasPrefix(line, "  - "):
				m[section] = append(m[section], strings.TrimPrefix(line, "  - "))
			case strings.HasSuffix(line, ":") && !strings.HasPrefix(line, " "):
				section = strings.ToLower(strings.ReplaceAll(strings.TrimSuffix(line, ":"), " ", "-"))
			}
		}
		return m
	}
	o, c := parse(ours), parse(core)
	wantOurs := map[string][]string{"inputs": {"kafka", "mysql_cdc"}, "processors": {"debezium_unwrap", "enrich", "features", "fraud_rules", "pii"}, "outputs": {"delta_lake", "kafka"}, "metrics": {"prometheus"}}
	if !reflect.DeepEqual(o, wantOurs) {
		t.Errorf("LedgerFlow section = %v, want %v", o, wantOurs)
	}
	js, code := run(t, "", time.Minute, nil, "list", "--format", "json")
	if code != 0 {
		t.Fatalf("list --format json: exit %d\n%s", code, js)
	}
	var all map[string][]string
	if err := json.Unmarshal([]byte(js), &all); err != nil {
		t.Fatalf("list --format json: %v\n%s", err, js)
	}
	for kind, names := range all {
		seen := map[string]int{}
		for _, n := range append(append([]string{}, o[kind]...), c[kind]...) {
			seen[n]++
		}
		for _, n := range names {
			if seen[n] != 1 {
				t.Errorf("%s %q is listed %d times in the text listing", kind, n, seen[n])
			}
			delete(seen, n)
		}
		for n := range seen {
			t.Errorf("%s %q is listed but not registered", kind, n)
		}
	}
	if len(all["inputs"]) < 10 {
		t.Fatalf("json listing looks empty: %v", all)
	}
}

// TestCLIConfigNamesLedgerFlow: the config the binary fills in and its logs say ledgerflow,
// not benthos; the shipped transactions pipeline starts so.
func TestCLIConfigNamesLedgerFlow(t *testing.T) {
	echo, code := run(t, "", time.Minute, nil, "echo")
	if code != 0 || !strings.Contains(echo, "root_path: /ledgerflow") || !strings.Contains(echo, "'@service': ledgerflow") || strings.Contains(strings.ToLower(echo), "benthos") {
		t.Errorf("echo (exit %d):\n%s", code, echo)
	}
	created, code := run(t, "", time.Minute, nil, "create", "kafka/debezium_unwrap/delta_lake")
	if code != 0 || !strings.Contains(created, "debezium_unwrap:") || !strings.Contains(created, "delta_lake:") || strings.Contains(strings.ToLower(created), "benthos") {
		t.Errorf("create (exit %d):\n%s", code, created)
	}

	// The shipped pipeline, against a Kafka that is not there: its start-up lines.
	cmd := exec.Command(binary, "-c", "pipelines/transactions.yaml")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "KAFKA_BROKERS=127.0.0.1:1", "LAKEHOUSE="+t.TempDir(),
		"LEDGERFLOW_HTTP_ADDRESS=127.0.0.1:"+itoa(freePort(t)))
	var logs lockedLog
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for i := 0; i < 300 && !strings.Contains(logs.tail(1<<20), "Launching a LedgerFlow instance"); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	got := logs.tail(1 << 20)
	if !strings.Contains(got, "Launching a LedgerFlow instance") || !strings.Contains(got, "@service=ledgerflow") || strings.Contains(got, "@service=benthos") {
		t.Fatalf("start-up logs:\n%s", got)
	}
}

// configCase is a config with a mistake and the problems lint must report for it, exactly.
type configCase struct {
	name, yaml string
	env        []string
	want       []string
}

var configCases = []configCase{
	{"typo in a field name", `
input:
  generate:
    count: 1
    interval: ""
    mapping: 'root = {}'
    intervall: 1s
output:
  drop: {}
`, nil, []string{`f.yaml:7:5: input.generate.intervall: unknown field "intervall"; did you mean "interval"?`}},
	{"wrong type", `
input:
  generate:
    count: ten
    interval: ""
    mapping: 'root = {}'
output:
  drop: {}
`, nil, []string{`f.yaml:4:12: input.generate.count: expected an integer, got "ten"`}},
	{"bad enum value", `
input:
  generate: { count: 1, interval: "", mapping: 'root = {}' }
output:
  delta_lake:
    path: /tmp/x
    mode: upsert
    schema_file: schemas/transactions.yaml
`, nil, []string{`f.yaml:7:11: output.delta_lake.mode: value "upsert" is not one of the allowed values: append, merge`}},
	// After ${...} the text the core lints is longer or shorter than the file: the column is
	// the file's, and the problem says where the value came from.
	{"interpolated values", `
http: { address: "${LF_TEST_ADDR:127.0.0.1:4195}", enabled: ${LF_TEST_ON:maybe} }
input:
  generate: { count: "${LF_TEST_COUNT:1}", interval: "", mapping: 'root = {}' }
output:
  delta_lake:
    path: ${LF_TEST_LAKE:/tmp/x}/t
    mode: ${LF_TEST_MODE:append}
    schema_file: schemas/transactions.yaml
    batching: { count: ${LF_TEST_N}, period: 1s }
`, []string{"LF_TEST_ADDR=0.0.0.0:4195000000", "LF_TEST_MODE=apend"}, []string{
		`f.yaml:2:61: http.enabled: expected true or false, got "maybe" (from ${LF_TEST_ON:maybe}: LF_TEST_ON is not set, its default)`,
		`f.yaml:4:22: input.generate.count: expected an integer, got "1" (a quoted string) (from ${LF_TEST_COUNT:1}: LF_TEST_COUNT is not set, its default)`,
		`f.yaml:8:11: output.delta_lake.mode: value "apend" is not one of the allowed values: append, merge (from ${LF_TEST_MODE:append}: the value of LF_TEST_MODE)`,
		`f.yaml:10:24: environment variable LF_TEST_N is not set and ${LF_TEST_N} has no default`,
	}},
}

// TestCLIConfigErrorsPointAtOurYAML runs lint, a run (-c) and streams mode on configs with
// one kind of mistake each, through the binary: each problem at its line and column of the
// file, and nothing started.
func TestCLIConfigErrorsPointAtOurYAML(t *testing.T) {
	for _, c := range configCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "f.yaml"), c.yaml) // line 1 is the blank one after the backtick
			runs := [][]string{{"lint", "f.yaml"}, {"-c", "f.yaml"}}
			if !strings.Contains(c.yaml, "\nhttp:") {
				runs = append(runs, []string{"streams", "--no-api", "f.yaml"}) // a stream file has no http section
			}
			for _, args := range runs {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a deadlock guard: a run that starts never ends
				defer cancel()
				cmd := exec.CommandContext(ctx, binary, args...)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), c.env...)
				var stderr strings.Builder
				cmd.Stderr = &stderr
				err := cmd.Run()
				if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
					t.Fatalf("ledgerflow %v: %v, want exit 1\n%s", args, err, stderr.String())
				}
				lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
				if len(lines) != len(c.want)+1 || !reflect.DeepEqual(lines[:len(c.want)], c.want) {
					t.Errorf("ledgerflow %v printed:\n%s\nwant:\n%s\n<summary>", args, stderr.String(), strings.Join(c.want, "\n"))
				}
				if args[0] != "lint" && !strings.Contains(lines[len(lines)-1], "nothing was started") {
					t.Errorf("a run with config problems must not start: %s", stderr.String())
				}
			}
		})
	}
}

// oracleCount runs a count query with the independent Delta reader, or returns -1 when it is
// not installed (LEDGERFLOW_DELTA_ORACLE unset).
func oracleCount(t *testing.T, table, where string) int64 {
	t.Helper()
	oracle := os.Getenv("LEDGERFLOW_DELTA_ORACLE")
	if oracle == "" {
		return -1
	}
	out, err := exec.Command("node", oracle, table, "--sql", "select count(*) as n from t where "+where).CombinedOutput()
	if err != nil {
		t.Fatalf("oracle: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`"n":"?(\d+)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("oracle output: %s", out)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

// readRows reads a table with our Delta library: column names and rows.
func readRows(t *testing.T, path string) ([]string, [][]any) {
	t.Helper()
	snap, err := delta.OpenLocal(path).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, err := snap.Schema()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range st.Fields {
		names = append(names, f.Name)
	}
	return names, rows
}

func column(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

// TestCLITable runs `table show` and `table describe` on the tables the demo writes with the
// real pipelines and delta_lake outputs, and checks what they print against our Delta
// library and, when installed, the independent reader.
func TestCLITable(t *testing.T) {
	lake := filepath.Join(t.TempDir(), "lake")
	if out, code := run(t, "", 4*time.Minute, nil, "demo", "--events", "1500", "--out", lake); code != 0 {
		t.Fatalf("demo: exit %d\n%s", code, out)
	}
	silverTx := filepath.Join(lake, "silver", "transactions")
	bronzeTx := filepath.Join(lake, "bronze", "transactions")

	t.Run("where and columns are exact", func(t *testing.T) {
		out, code := run(t, "", time.Minute, nil, "table", "show", silverTx, "--columns", "transaction_id,amount,currency",
			"--where", `amount > 400.5 && currency == "EUR"`, "--limit", "0", "--format", "json")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
		limit := new(big.Rat).SetFrac64(4005, 10)
		got := 0
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var row map[string]json.RawMessage
			if err := json.Unmarshal([]byte(line), &row); err != nil {
				t.Fatalf("%v: %s", err, line)
			}
			if len(row) != 3 || row["transaction_id"] == nil || row["amount"] == nil || string(row["currency"]) != `"EUR"` {
				t.Fatalf("row %s: want transaction_id, amount and currency EUR only", line)
			}
			a, ok := new(big.Rat).SetString(string(row["amount"]))
			if !ok || a.Cmp(limit) <= 0 {
				t.Fatalf("row %s does not match amount > 400.5", line)
			}
			got++
		}
		names, rows := readRows(t, silverTx)
		ai, ci := column(names, "amount"), column(names, "currency")
		want := 0
		for _, r := range rows {
			if a, ok := new(big.Rat).SetString(tableText(r[ai])); ok && a.Cmp(limit) > 0 && r[ci] == "EUR" {
				want++
			}
		}
		if got != want || want == 0 {
			t.Fatalf("--where matched %d rows, the table has %d", got, want)
		}
		if n := oracleCount(t, silverTx, "amount > 400.5 and currency = 'EUR'"); n >= 0 && n != int64(want) {
			t.Fatalf("the independent reader counts %d rows, ledgerflow %d", n, got)
		}
	})

	t.Run("limit, truncation and one footer", func(t *testing.T) {
		out, code := run(t, "", time.Minute, nil, "table", "show", bronzeTx, "--columns", "transaction_id,_before",
			"--where", `_before != nil`, "--limit", "3")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 5 || !strings.HasPrefix(lines[0], "transaction_id") || strings.Count(out, "rows shown") != 1 {
			t.Fatalf("want a header, 3 rows and one footer:\n%s", out)
		}
		for _, l := range lines[1:4] {
			cell := strings.TrimSpace(strings.Join(strings.Fields(l)[1:], " "))
			if !strings.HasSuffix(cell, "…") || len([]rune(cell)) != 40 {
				t.Errorf("a wide _before is not cut to 40 characters with …: %q", cell)
			}
		}
		if f := lines[4]; !strings.Contains(f, "3 rows shown") || !strings.Contains(f, "more rows match: --limit 3") || !strings.Contains(f, "--max-width 0") {
			t.Errorf("footer: %s", f)
		}
		js, _ := run(t, "", time.Minute, nil, "table", "show", bronzeTx, "--columns", "_before", "--where", `_before != nil`, "--limit", "1", "--format", "json")
		var row map[string]string
		if err := json.Unmarshal([]byte(js), &row); err != nil || len(row["_before"]) <= 40 || !strings.HasPrefix(row["_before"], "{") {
			t.Errorf("JSON must hold the whole value: %v %s", err, js)
		}
		whole, _ := run(t, "", time.Minute, nil, "table", "show", bronzeTx, "--columns", "_before", "--where", `_before != nil`, "--limit", "1", "--max-width", "0")
		if strings.Contains(whole, "…") || !strings.Contains(whole, strings.TrimSpace(row["_before"])) {
			t.Errorf("--max-width 0 must not cut:\n%s", whole)
		}
	})

	t.Run("bad arguments say what is expected", func(t *testing.T) {
		out, code := run(t, "", time.Minute, nil, "table", "show", silverTx, "--columns", "amount,amout")
		if code == 0 || !strings.Contains(out, `no column "amout"`) || !strings.Contains(out, "transaction_id") {
			t.Errorf("unknown column (exit %d):\n%s", code, out)
		}
		out, code = run(t, "", time.Minute, nil, "table", "show", silverTx, "--where", "amout > 1")
		if code == 0 || !strings.Contains(out, "amout") || !strings.Contains(out, "columns: ") {
			t.Errorf("unknown name in --where (exit %d):\n%s", code, out)
		}
	})

	t.Run("describe SCD2 counts current and historical rows", func(t *testing.T) {
		for _, table := range []string{"customers", "accounts"} {
			path := filepath.Join(lake, "silver", table)
			names, rows := readRows(t, path)
			end := column(names, "__end_at")
			if end < 0 || column(names, "__start_at") < 0 {
				t.Fatalf("silver %s is not SCD type 2: %v", table, names)
			}
			var cur, hist int64
			for _, r := range rows {
				if r[end] == nil {
					cur++
				} else {
					hist++
				}
			}
			if hist == 0 {
				t.Fatalf("silver %s has no history to count", table)
			}
			if n := oracleCount(t, path, "__end_at is null"); n >= 0 && n != cur {
				t.Fatalf("independent reader: %d current rows, our library %d", n, cur)
			}
			out, code := run(t, "", time.Minute, nil, "table", "describe", path)
			want := fmt.Sprintf("rows        %d (SCD type 2: %d current, %d historical)\n", cur+hist, cur, hist)
			if code != 0 || !strings.Contains(out, want) {
				t.Errorf("describe %s: want %q in\n%s", table, want, out)
			}
			js, _ := run(t, "", time.Minute, nil, "table", "describe", "--json", path)
			if !strings.Contains(js, fmt.Sprintf(`"currentRows": %d`, cur)) || !strings.Contains(js, fmt.Sprintf(`"historicalRows": %d`, hist)) {
				t.Errorf("describe --json %s:\n%s", table, js)
			}
		}
		out, _ := run(t, "", time.Minute, nil, "table", "describe", silverTx)
		if strings.Contains(out, "SCD type 2") {
			t.Errorf("silver transactions (SCD type 1) described as SCD2:\n%s", out)
		}
	})
}

// tableText is a cell as exact text (decimals keep their digits).
func tableText(v any) string {
	if s, ok := v.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprint(v)
}

// TestCLIDocsAreMarkdown: no AsciiDoc in the pages `ledgerflow docs` writes (the core's
// shared fields carry xrefs; a description may still have == titles), and the core's links
// become Markdown links.
func TestCLIDocsAreMarkdown(t *testing.T) {
	dir := t.TempDir()
	if out, code := run(t, "", time.Minute, nil, "docs", "--out", dir); code != 0 {
		t.Fatalf("docs: exit %d\n%s", code, out)
	}
	adoc := regexp.MustCompile(`(?m)^=+ |xref:|link:\S+\[|^\[source|^----$|\.adoc\b`)
	pages := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		pages++
		b, _ := os.ReadFile(p)
		if m := adoc.FindString(string(b)); m != "" {
			t.Errorf("%s has AsciiDoc (%q)", p, m)
		}
		if strings.Count(string(b), "```")%2 != 0 {
			t.Errorf("%s has an unclosed code block", p)
		}
		return nil
	})
	if err != nil || pages < 6 {
		t.Fatalf("%d pages: %v", pages, err)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "output", "delta_lake.md"))
	for _, want := range []string{"[batching policy](https://docs.redpanda.com/redpanda-connect/configuration/batching/)", "Type: `array of string`", "### `batching.count`"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("delta_lake.md lacks %q", want)
		}
	}
}
