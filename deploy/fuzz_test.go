package deploy

import (
	"os"
	"strings"
	"testing"
)

func FuzzParseDockerfile(f *testing.F) {
	f.Add(string(readFileF(f, dockerfile)))
	f.Add("FROM a AS b\nRUN x \\\n# c\n y\nFROM c\nWORKDIR d\nCOPY e/ /f/\nCOPY g/*.h /i/\nUSER 1:2\n")
	f.Add("ARG X\nFROM ${X}\nCOPY\nCOPY --from=x\nWORKDIR ../..\n\\")
	f.Fuzz(func(t *testing.T, src string) {
		df := parseDockerfile(t, src)
		if len(df.stages) > strings.Count(strings.ToUpper(src), "FROM") {
			t.Fatalf("%d stages from %d FROM words", len(df.stages), strings.Count(strings.ToUpper(src), "FROM"))
		}
		fin := df.final()
		wd := fin.workdir()
		if !strings.HasPrefix(wd, "/") {
			t.Fatalf("workdir %q is not absolute", wd)
		}
		for _, p := range []string{"/pipelines/transactions.yaml", wd + "/schemas/x.yaml", "/"} {
			fin.copiedFrom(p)
		}
		dockerfileProblems(df)
	})
}

func FuzzMetricNames(f *testing.F) {
	for _, q := range []string{
		`sum by (stream) (rate(input_received{stream=~"$stream"}[$__rate_interval]))`,
		`histogram_quantile(0.99, sum by (le) (rate(delta_lake_commit_latency_seconds_bucket[5m])))`,
		`a{b="}"} / ignoring(c) d offset 5m`, `"unterminated`, `{{{]]]`, `1e3 + 0x1f`,
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		for _, n := range metricNames(expr) {
			if !identifier.MatchString(n) || identifier.FindString(n) != n {
				t.Fatalf("metricNames(%q) returned %q, not an identifier", expr, n)
			}
			if promqlWords[strings.ToLower(n)] {
				t.Fatalf("metricNames(%q) returned the keyword %q", expr, n)
			}
		}
	})
}

func FuzzIgnoredBy(f *testing.F) {
	f.Add("**/*.test\n!keep.test\n.git\n/bin", "a/b/c.test")
	f.Add("[", "x")
	f.Fuzz(func(t *testing.T, patterns, rel string) {
		hit := ignoredBy(strings.Split(patterns, "\n"), rel)
		if hit != "" && !strings.Contains(patterns, hit) {
			t.Fatalf("ignoredBy returned %q, which is not one of the patterns", hit)
		}
	})
}

func readFileF(f *testing.F, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	return b
}
