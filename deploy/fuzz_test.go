package deploy

import (
	"os"
	"regexp"
	"slices"
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

// shellWords must not panic, and words it returns, quoted again, read back the same.
func FuzzShellWords(f *testing.F) {
	for _, s := range []string{
		`CGO_ENABLED=0 go build -ldflags "-s -w -X main.Version=${VERSION}" -o /out ./cmd`,
		`a 'b c' "d\"e" f\ g $X ${Y}`, `"unterminated`, `a && b`, `${`, `$`, `\`, `''""`,
	} {
		f.Add(s)
	}
	lookup := func(k string) string { return "<" + k + ">" }
	f.Fuzz(func(t *testing.T, line string) {
		words, err := shellWords(line, lookup)
		if err != nil {
			return
		}
		var quoted []string
		for _, w := range words {
			quoted = append(quoted, "'"+strings.ReplaceAll(w, "'", `'\''`)+"'")
		}
		again, err := shellWords(strings.Join(quoted, " "), lookup)
		if err != nil || !slices.Equal(again, words) {
			t.Fatalf("shellWords(%q) = %q; quoted again %q reads %q, %v", line, words, quoted, again, err)
		}
	})
}

// exposedLabelNames must not panic on any series text, and reads back the names of a
// series written in the exposition format, whatever the values hold.
func FuzzExposedLabelNames(f *testing.F) {
	f.Add(`label="a",path="b"} 1`, "label", `x"y\z`)
	f.Add(`a="\"} 1`, "le", "+Inf")
	f.Fuzz(func(t *testing.T, raw, name, value string) {
		exposedLabelNames(raw)
		if !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`).MatchString(name) {
			return
		}
		esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(value)
		series := name + `="` + esc + `",other="` + esc + `"} 1`
		if got := exposedLabelNames(series); !slices.Equal(got, []string{name, "other"}) {
			t.Fatalf("exposedLabelNames(%s) = %q, want [%s other]", series, got, name)
		}
	})
}

// parseLedgerflowArgs must not panic, and what it accepts names what a process loads.
func FuzzParseLedgerflowArgs(f *testing.F) {
	f.Add("-c /pipelines/t.yaml")
	f.Add("streams --no-api -o /o.yaml /a.yaml /b.yaml")
	f.Add("run --set=a=b -r /r.yaml /c.yaml")
	f.Fuzz(func(t *testing.T, line string) {
		a, err := parseLedgerflowArgs(strings.Fields(line))
		if err != nil {
			return
		}
		if a.mode == "run" && len(a.configs) != 1 || a.mode == "streams" && len(a.streams) == 0 || a.mode != "run" && a.mode != "streams" {
			t.Fatalf("parseLedgerflowArgs(%q) accepted %+v", line, a)
		}
	})
}
