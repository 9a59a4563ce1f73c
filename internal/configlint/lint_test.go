package configlint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"

	_ "github.com/ledgerflow/ledgerflow/internal/plugins"
)

func checker(t *testing.T, vars map[string]string) *Checker {
	t.Helper()
	c, err := New(service.GlobalEnvironment().FullConfigSchema("", ""), env(vars))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func problems(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}

// bronze is a delta_lake output config; %MODE% and %BATCH% are replaced per case.
const bronze = `# comment
http:
  address: ${ADDR:127.0.0.1:4195}
input:
  generate:
    count: ${COUNT:1}
    interval: ""
    mapping: 'root = {}'
output:
  label: bronze
  delta_lake:
    path: ${LAKEHOUSE:/tmp/lake}/bronze/t
    mode: %MODE%
    schema_file: schemas/transactions.yaml
    batching: { count: %BATCH%, period: 1s }
`

func TestCheckPlacesEachProblemInTheRawFile(t *testing.T) {
	for _, c := range []struct {
		name, mode, batch string
		vars              map[string]string
		want              string
	}{
		{"clean", "append", "10", nil, ""},
		{"bad enum", "appendd", "10", nil,
			"f.yaml:13:11: output.delta_lake.mode: value \"appendd\" is not one of the allowed values: append, merge\n"},
		{"bad enum from a default", "${MODE:mergee}", "10", nil,
			"f.yaml:13:11: output.delta_lake.mode: value \"mergee\" is not one of the allowed values: append, merge (from ${MODE:mergee}: MODE is not set, its default)\n"},
		{"bad enum from the environment", "${MODE:merge}", "10", map[string]string{"MODE": "upsert"},
			"f.yaml:13:11: output.delta_lake.mode: value \"upsert\" is not one of the allowed values: append, merge (from ${MODE:merge}: the value of MODE)\n"},
		// The column is that of the file: the interpolation before it on the line is longer
		// than the value it stands for.
		{"wrong type after a longer interpolation", "append", "${N:5}, byte_size: x", map[string]string{"N": "not-a-number"},
			"f.yaml:15:24: output.delta_lake.batching.count: expected an integer, got \"not-a-number\" (from ${N:5}: the value of N)\n" +
				"f.yaml:15:43: output.delta_lake.batching.byte_size: expected an integer, got \"x\"\n"},
		{"quoted number", "append", `"10"`, nil,
			"f.yaml:15:24: output.delta_lake.batching.count: expected an integer, got \"10\" (a quoted string)\n"},
		{"unknown field with a suggestion", "append", "10, perod: 2s", nil,
			"f.yaml:15:28: output.delta_lake.batching.perod: unknown field \"perod\"; did you mean \"period\"?\n"},
		{"missing variable", "${MODE}", "10", nil,
			"f.yaml:13:11: environment variable MODE is not set and ${MODE} has no default\n" +
				"f.yaml:13:11: output.delta_lake.mode: value \"\" is not one of the allowed values: append, merge (from ${MODE}: MODE is not set, its default)\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			raw := strings.NewReplacer("%MODE%", c.mode, "%BATCH%", c.batch).Replace(bronze)
			got := problems(checker(t, c.vars).Check("f.yaml", []byte(raw)))
			if got != c.want {
				t.Errorf("got:\n%s\nwant:\n%s\nconfig:\n%s", got, c.want, raw)
			}
		})
	}
}

func TestCheckUnknownComponent(t *testing.T) {
	raw := "input:\n  kafak:\n    topics: [a]\noutput:\n  drop: {}\n"
	got := problems(checker(t, nil).Check("f.yaml", []byte(raw)))
	if got != "f.yaml:2:3: input.kafak: unknown input \"kafak\" (ledgerflow list shows the ones there are); did you mean \"kafka\"?\n" {
		t.Errorf("got:\n%s", got)
	}
}

func TestCheckRequiredFieldIsPlacedAtItsObject(t *testing.T) {
	raw := "input:\n  generate:\n    count: 1\n    interval: \"\"\noutput:\n  drop: {}\n"
	got := problems(checker(t, nil).Check("f.yaml", []byte(raw)))
	if got != "f.yaml:3:5: input.generate.mapping: field mapping is required\n" {
		t.Errorf("got:\n%s", got)
	}
}

// TestCheckBrokenStructureNamesTheVariable: a value with ": " in it, substituted unquoted,
// makes the YAML invalid; the problem names the ${...} on that line.
func TestCheckBrokenStructureNamesTheVariable(t *testing.T) {
	raw := "input:\n  generate:\n    count: 1\n    interval: \"\"\n    mapping: ${MAPPING:root = {\\}}\noutput:\n  drop: {}\n"
	got := problems(checker(t, map[string]string{"MAPPING": `root = "a: b"`}).Check("f.yaml", []byte(raw)))
	if !strings.HasPrefix(got, "f.yaml:5:1: invalid YAML after environment interpolation: ") || !strings.Contains(got, `quote it ("${MAPPING:`) {
		t.Errorf("got:\n%s", got)
	}
}

func TestCheckIgnoresSetPaths(t *testing.T) {
	raw := strings.NewReplacer("%MODE%", "appendd", "%BATCH%", "10").Replace(bronze)
	c := checker(t, nil)
	c.Ignore = []string{"output.delta_lake.mode"}
	if got := c.Check("f.yaml", []byte(raw)); len(got) != 0 {
		t.Errorf("a value replaced by --set is reported: %v", got)
	}
}

func TestShippedPipelinesAreClean(t *testing.T) {
	files, _ := filepath.Glob("../../pipelines/*.yaml")
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_scenarios.yaml") {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n++
		if ps := checker(t, nil).Check(f, raw); len(ps) > 0 {
			t.Errorf("%s:\n%s", f, problems(ps))
		}
	}
	if n == 0 {
		t.Fatal("no pipelines found")
	}
}
