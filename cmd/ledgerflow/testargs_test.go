package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestRewriteTableArgs(t *testing.T) {
	cases := map[string][2][]string{
		"flags after path": {{"lf", "table", "show", "t/x", "--limit", "10", "--format", "json"}, {"lf", "table", "show", "--limit", "10", "--format", "json", "t/x"}},
		"bool flag":        {{"lf", "table", "describe", "t/x", "--json"}, {"lf", "table", "describe", "--json", "t/x"}},
		"already ordered":  {{"lf", "table", "show", "--limit", "5", "t/x"}, {"lf", "table", "show", "--limit", "5", "t/x"}},
		"other command":    {{"lf", "-c", "x.yaml"}, {"lf", "-c", "x.yaml"}},
		// The values of --where and --columns go with their flags, even one that starts with
		// a dash or has spaces.
		"where and columns": {{"lf", "table", "show", "t/x", "--where", "-amount > 5 && x", "--columns", "a,b", "--max-width", "0"},
			{"lf", "table", "show", "--where", "-amount > 5 && x", "--columns", "a,b", "--max-width", "0", "t/x"}},
	}
	for name, c := range cases {
		if got := rewriteTableArgs(c[0]); !reflect.DeepEqual(got, c[1]) {
			t.Errorf("%s: got %v want %v", name, got, c[1])
		}
	}
}

func TestRewriteTestArgsRecursesIntoDirectories(t *testing.T) {
	dir := t.TempDir()
	cases := map[string][2][]string{
		"dir":          {{"lf", "test", dir}, {"lf", "test", dir + "/..."}},
		"dir slash":    {{"lf", "test", dir + "/"}, {"lf", "test", dir + "/..."}},
		"already":      {{"lf", "test", dir + "/..."}, {"lf", "test", dir + "/..."}},
		"flag kept":    {{"lf", "test", "--log", "debug", dir}, {"lf", "test", "--log", "debug", dir + "/..."}},
		"file kept":    {{"lf", "test", "x.yaml"}, {"lf", "test", "x.yaml"}},
		"root flag":    {{"lf", "--env-file", "e", "test", dir}, {"lf", "--env-file", "e", "test", dir}},
		"other":        {{"lf", "-c", dir}, {"lf", "-c", dir}},
		"not test arg": {{"lf", "streams", dir}, {"lf", "streams", dir}},
	}
	for name, c := range cases {
		if got := rewriteTestArgs(c[0]); !reflect.DeepEqual(got, c[1]) {
			t.Errorf("%s: got %v want %v", name, got, c[1])
		}
	}
}

// TestRewriteLintArgsSkipsScenarioFiles: `lint pipelines/*.yaml` and `lint ./pipelines/...`
// must not lint scenario files as Benthos configs; other configs are still linted.
func TestRewriteLintArgsSkipsScenarioFiles(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.yaml", "a_scenarios.yaml", "b.yml", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, b, s := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yml"), filepath.Join(dir, "a_scenarios.yaml")
	cases := map[string][2][]string{
		"glob expanded by the shell": {{"lf", "lint", a, s}, {"lf", "lint", a}},
		"recursive":                  {{"lf", "lint", dir + "/..."}, {"lf", "lint", a, b}},
		"flags kept":                 {{"lf", "lint", "--deprecated", "-r", b, a, s}, {"lf", "lint", "--deprecated", "-r", b, a}},
		"no scenario selected":       {{"lf", "lint", a, b}, {"lf", "lint", a, b}},
		"only a scenario file":       {{"lf", "lint", s}, {"lf", "lint", s}},
	}
	for name, c := range cases {
		if got := rewriteTestArgs(c[0]); !reflect.DeepEqual(got, c[1]) {
			t.Errorf("%s: got %v want %v", name, got, c[1])
		}
	}
}

func TestRunBenthosTestsOnlyWhenTheyExist(t *testing.T) {
	dir := t.TempDir()
	write := func(n, content string) string {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sc := write("p_scenarios.yaml", "scenarios: []\n")
	plain := write("p.yaml", "input: {stdin: {}}\n# tests: are elsewhere\n")
	if runBenthosTests([]string{sc}, true) {
		t.Error("only a scenario file selected: the Benthos runner would find no tests and fail")
	}
	if runBenthosTests([]string{dir + "/..."}, true) {
		t.Error("no config with tests: in the directory")
	}
	if !runBenthosTests([]string{plain}, false) {
		t.Error("no scenarios ran: Benthos must run and report")
	}
	write("q.yaml", "input: {stdin: {}}\ntests:\n  - name: x\n")
	if !runBenthosTests([]string{dir + "/..."}, true) {
		t.Error("a config with tests: was selected")
	}
}
