package scenario

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// FileSuffix ends the name of a scenario file: pipelines/transactions_scenarios.yaml holds the
// scenarios of pipelines/transactions.yaml.
const FileSuffix = "_scenarios.yaml"

// IsScenarioFile reports whether path names a scenario file.
func IsScenarioFile(path string) bool {
	b := filepath.Base(path)
	return strings.HasSuffix(b, FileSuffix) || strings.HasSuffix(b, "_scenarios.yml")
}

// Find lists the scenario files that test arguments select.
func Find(args []string) ([]string, error) {
	all, err := Expand(args)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range all {
		if IsScenarioFile(p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// Expand lists the YAML files that test arguments select, as Benthos' test command reads
// them: a file, a directory (its files), DIR/... (recursively) or a glob. Arguments that are
// not paths (flag values) select nothing.
func Expand(args []string) ([]string, error) {
	set := map[string]bool{}
	add := func(p string) {
		if ext := filepath.Ext(p); ext == ".yaml" || ext == ".yml" {
			set[filepath.Clean(p)] = true
		}
	}
	for _, a := range args {
		switch {
		case strings.HasSuffix(a, "/..."):
			root := strings.TrimSuffix(a, "/...")
			if root == "" {
				root = "."
			}
			err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if !d.IsDir() {
					add(p)
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		case strings.ContainsAny(a, "*?["):
			ms, err := filepath.Glob(a)
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				add(m)
			}
		default:
			st, err := os.Stat(a)
			if err != nil {
				continue
			}
			if !st.IsDir() {
				add(a)
				continue
			}
			entries, err := os.ReadDir(a)
			if err != nil {
				return nil, err
			}
			for _, e := range entries {
				if !e.IsDir() {
					add(filepath.Join(a, e.Name()))
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// RunAll parses and runs the scenario files, printing one line per scenario (PASS, FAIL or
// KNOWN, then the reason indented) and a summary to w. It reports whether every scenario
// passed (known failures that still fail count as passed).
func (r *Runner) RunAll(ctx context.Context, files []string, w io.Writer) bool {
	ok := true
	passed, failed, known := 0, 0, 0
	for _, path := range files {
		f, err := ParseFile(path)
		if err != nil {
			fmt.Fprintf(w, "--- FAIL: %s\n    %s\n", path, indent(err.Error()))
			ok = false
			failed++
			continue
		}
		for _, res := range r.RunFile(ctx, f) {
			where := fmt.Sprintf("%s:%d", res.File, res.Scenario.Line)
			if kf := res.Scenario.KnownFailure; kf != "" {
				if res.Passed() {
					ok = false
					failed++
					fmt.Fprintf(w, "--- FAIL: %s: %s (%.2fs)\n    passes now: remove its known_failure (%s)\n", where, res.Scenario.Name, res.Duration.Seconds(), kf)
				} else {
					known++
					fmt.Fprintf(w, "--- KNOWN: %s: %s (%.2fs)\n    known_failure: %s\n    %s\n", where, res.Scenario.Name, res.Duration.Seconds(), kf, indent(res.Failure))
				}
				continue
			}
			if res.Passed() {
				passed++
				fmt.Fprintf(w, "--- PASS: %s: %s (%.2fs)\n", where, res.Scenario.Name, res.Duration.Seconds())
				continue
			}
			ok = false
			failed++
			fmt.Fprintf(w, "--- FAIL: %s: %s (%.2fs)\n    %s\n", where, res.Scenario.Name, res.Duration.Seconds(), indent(res.Failure))
		}
	}
	summary := fmt.Sprintf("Scenarios: %d passed", passed)
	if failed > 0 {
		summary += fmt.Sprintf(", %d failed", failed)
	}
	if known > 0 {
		summary += fmt.Sprintf(", %d known failures", known)
	}
	fmt.Fprintln(w, summary)
	return ok
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n    ") }
