package deploy

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// A minimal Dockerfile reader (no Docker here): instructions with continuation lines joined
// and comments dropped, grouped into build stages.

type instruction struct {
	cmd  string // upper case: FROM, RUN, COPY, ...
	args string
	line int
}

type stage struct {
	from, alias string
	ins         []instruction
}

type dockerFile struct {
	args   map[string]string // ARG defaults declared before the first FROM
	stages []*stage
}

func parseDockerfile(t *testing.T, src string) *dockerFile {
	t.Helper()
	df := &dockerFile{args: map[string]string{}}
	var cur strings.Builder
	start := 0
	flush := func() {
		text := strings.TrimSpace(cur.String())
		cur.Reset()
		if text == "" {
			return
		}
		cmd, args, _ := strings.Cut(text, " ")
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			s := &stage{}
			for i := 0; i < len(f); i++ {
				switch {
				case strings.HasPrefix(f[i], "--"):
				case strings.EqualFold(f[i], "AS") && i+1 < len(f):
					s.alias = f[i+1]
					i++
				case s.from == "":
					s.from = os.Expand(f[i], func(k string) string { return df.args[k] })
				}
			}
			df.stages = append(df.stages, s)
			return
		}
		if len(df.stages) == 0 {
			if in.cmd == "ARG" {
				k, v, _ := strings.Cut(in.args, "=")
				df.args[k] = v
			}
			return
		}
		s := df.stages[len(df.stages)-1]
		s.ins = append(s.ins, in)
	}
	for i, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue // comments, parser directives, and comments inside continuations
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur.WriteString(strings.TrimSuffix(trimmed, `\`) + " ")
			continue
		}
		cur.WriteString(trimmed)
		flush()
	}
	flush()
	return df
}

func (d *dockerFile) final() *stage {
	if len(d.stages) == 0 {
		return &stage{}
	}
	return d.stages[len(d.stages)-1]
}

func (s *stage) all(cmd string) []instruction {
	var out []instruction
	for _, in := range s.ins {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

func (s *stage) last(cmd string) (instruction, bool) {
	all := s.all(cmd)
	if len(all) == 0 {
		return instruction{}, false
	}
	return all[len(all)-1], true
}

// execForm decodes the last cmd instruction's JSON (exec) form.
func (s *stage) execForm(t *testing.T, cmd string) []string {
	t.Helper()
	in, ok := s.last(cmd)
	if !ok {
		t.Fatalf("Dockerfile final stage has no %s", cmd)
	}
	var out []string
	if err := json.Unmarshal([]byte(in.args), &out); err != nil {
		t.Fatalf("Dockerfile line %d: %s is not in exec form (JSON array): %v", in.line, cmd, err)
	}
	return out
}

// workdir is the stage's working directory at its end ("/" when never set).
func (s *stage) workdir() string {
	wd := "/"
	for _, in := range s.all("WORKDIR") {
		if path.IsAbs(in.args) {
			wd = path.Clean(in.args)
		} else {
			wd = path.Join(wd, in.args)
		}
	}
	return wd
}

// copiedFrom finds which build-context file a COPY of this stage puts at the image path p,
// as a path relative to the context (the repository root). COPY --from (other stages) is
// not a context copy and is ignored.
func (s *stage) copiedFrom(p string) (string, bool) {
	for _, in := range s.all("COPY") {
		var parts []string
		fromStage := false
		for _, f := range strings.Fields(in.args) {
			if strings.HasPrefix(f, "--") {
				fromStage = fromStage || strings.HasPrefix(f, "--from=")
				continue
			}
			parts = append(parts, f)
		}
		if fromStage || len(parts) < 2 {
			continue
		}
		dest, srcs := parts[len(parts)-1], parts[:len(parts)-1]
		for _, src := range srcs {
			src = strings.TrimPrefix(src, "./")
			if strings.HasSuffix(src, "/") { // a directory: its contents go under dest
				if rel, ok := strings.CutPrefix(p, strings.TrimSuffix(dest, "/")+"/"); ok {
					return src + rel, true
				}
				continue
			}
			if strings.HasSuffix(dest, "/") && path.Dir(p) == path.Clean(dest) {
				if ok, _ := path.Match(path.Base(src), path.Base(p)); ok {
					return path.Join(path.Dir(src), path.Base(p)), true
				}
			} else if path.Clean(dest) == p {
				return src, true
			}
		}
	}
	return "", false
}

// dockerfileProblems lists what is wrong with the image definition; empty means fine.
func dockerfileProblems(df *dockerFile) []string {
	var p []string
	if len(df.stages) < 2 {
		return []string{"not a multi-stage build"}
	}
	for _, s := range df.stages {
		if why := pinned(s.from); why != "" {
			p = append(p, "base image "+s.from+" "+why)
		}
	}
	var build string
	for _, s := range df.stages[:len(df.stages)-1] {
		stageArgs := map[string]bool{}
		for _, in := range s.ins {
			if in.cmd == "ARG" {
				k, _, _ := strings.Cut(in.args, "=")
				stageArgs[strings.TrimSpace(k)] = true
			}
			if in.cmd != "RUN" || !strings.Contains(in.args, "go build") {
				continue
			}
			build = in.args
			if !strings.Contains(build, "--mount=type=cache,target=/go/pkg/mod") {
				p = append(p, "go build without a module cache mount")
			}
			// A ${VAR} no ARG of the stage declares expands to "" without a word from Docker
			// (a global ARG, before FROM, reaches a stage only when the stage declares it again).
			for _, m := range regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`).FindAllStringSubmatch(build, -1) {
				if !stageArgs[m[1]] {
					p = append(p, "go build uses $"+m[1]+", which no ARG of its stage declares")
				}
			}
		}
	}
	switch {
	case build == "":
		p = append(p, "no go build in a builder stage")
	default:
		for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-s -w", "-X main.Version=", "-X main.Commit=", "-X main.Date=", "./cmd/ledgerflow"} {
			if !strings.Contains(build, want) {
				p = append(p, "go build lacks "+want)
			}
		}
	}

	f := df.final()
	if u, ok := f.last("USER"); !ok {
		p = append(p, "final stage runs as root (no USER)")
	} else if name, _, _ := strings.Cut(u.args, ":"); name == "root" || name == "0" || name == "" {
		p = append(p, "final stage USER is root")
	}
	if hc, ok := f.last("HEALTHCHECK"); !ok || !strings.Contains(hc.args, ":4195/ready") {
		p = append(p, "no HEALTHCHECK on :4195/ready")
	} else if strings.Contains(f.from, "distroless") && !strings.Contains(hc.args, "CMD [\"/") {
		p = append(p, "HEALTHCHECK needs a shell tool the distroless base does not have")
	}
	if ex, ok := f.last("EXPOSE"); !ok || !slices.Contains(strings.Fields(ex.args), "4195") {
		p = append(p, "final stage does not EXPOSE 4195")
	}
	if ep, ok := f.last("ENTRYPOINT"); !ok || !regexp.MustCompile(`^\["(/usr/local/bin/)?ledgerflow"\]$`).MatchString(ep.args) {
		p = append(p, "ENTRYPOINT is not [\"ledgerflow\"]")
	}
	copiedBinary := false
	for _, in := range f.all("COPY") {
		if strings.Contains(in.args, "--from=") && strings.Contains(in.args, "ledgerflow") {
			copiedBinary = true
		}
	}
	if !copiedBinary {
		p = append(p, "final stage does not copy the binary from the builder")
	}
	for imagePath, want := range map[string]string{
		"/pipelines/transactions.yaml": "pipelines/transactions.yaml",
		"/schemas/transactions.yaml":   "schemas/transactions.yaml",
		// What pipelines name (schema_file: schemas/...) must resolve from the WORKDIR.
		path.Join(f.workdir(), "schemas/transactions.yaml"): "schemas/transactions.yaml",
	} {
		if got, ok := f.copiedFrom(imagePath); !ok || got != want {
			p = append(p, "image path "+imagePath+" is not copied from "+want)
		}
	}
	return p
}

func TestDockerfile(t *testing.T) {
	df := parseDockerfile(t, string(readFile(t, dockerfile)))
	for _, problem := range dockerfileProblems(df) {
		t.Error(problem)
	}
	main := string(readFile(t, filepath.Join(repoRoot(t), "cmd/ledgerflow/main.go")))
	for _, v := range []string{"Version", "Commit", "Date"} {
		if !regexp.MustCompile(`(?m)^(var)?\s+` + v + `\s+=`).MatchString(main) {
			t.Errorf("cmd/ledgerflow/main.go has no variable %s, which -X main.%s sets", v, v)
		}
	}
	// One pipeline per container: the default runs one with -c; others replace the command.
	cmd := df.final().execForm(t, "CMD")
	if _, err := singlePipeline(cmd); err != nil {
		t.Fatalf("default CMD: %v", err)
	}
	src, ok := df.final().copiedFrom(cmd[1])
	if !ok {
		t.Fatalf("CMD names %s, which no COPY puts into the image", cmd[1])
	}
	requireRepoFile(t, src)
}

// The checks must fail on a bad Dockerfile.
func TestDockerfileProblemsDetected(t *testing.T) {
	src := string(readFile(t, dockerfile))
	bad := regexp.MustCompile(`(?m)^USER .*$`).ReplaceAllString(src, "USER root")
	bad = regexp.MustCompile(`(?m)^HEALTHCHECK[^\n]*\\\n[^\n]*\n`).ReplaceAllString(bad, "")
	bad = strings.Replace(bad, "CGO_ENABLED=0 ", "", 1)
	bad = strings.Replace(bad, "COPY schemas/*.yaml /schemas/", "COPY schemas/*.yaml /etc/schemas/", 1)
	bad = strings.Replace(bad, " -X main.Commit=${COMMIT}", "", 1)
	bad = regexp.MustCompile(`(?m)^ARG DATE=.*\n`).ReplaceAllString(bad, "")
	got := strings.Join(dockerfileProblems(parseDockerfile(t, bad)), "\n")
	for _, want := range []string{"USER is root", "no HEALTHCHECK", "lacks CGO_ENABLED=0", "/schemas/transactions.yaml is not copied",
		"lacks -X main.Commit=", "uses $DATE, which no ARG"} {
		if !strings.Contains(got, want) {
			t.Errorf("mutated Dockerfile: problems %q do not mention %q", got, want)
		}
	}
	if p := dockerfileProblems(parseDockerfile(t, "FROM alpine:3.22\nUSER 1000\n")); len(p) != 1 || p[0] != "not a multi-stage build" {
		t.Errorf("single-stage Dockerfile: %v", p)
	}
}

func TestParseDockerfileContinuations(t *testing.T) {
	df := parseDockerfile(t, "# syntax=docker/dockerfile:1\nARG V=1.2\nFROM golang:${V} AS b\nRUN a \\\n  # inner comment\n  b\nFROM alpine:3.22\nWORKDIR app\nCOPY x/ /x/\nCOPY s/*.yaml /s/\nCOPY --from=b /o /usr/local/bin/o\n")
	if len(df.stages) != 2 || df.stages[0].from != "golang:1.2" || df.stages[0].alias != "b" {
		t.Fatalf("stages = %+v", df.stages)
	}
	if r, _ := df.stages[0].last("RUN"); r.args != "a   b" && strings.Join(strings.Fields(r.args), " ") != "a b" {
		t.Errorf("RUN = %q, want the continuation joined without the comment", r.args)
	}
	f := df.final()
	if f.workdir() != "/app" {
		t.Errorf("workdir = %s", f.workdir())
	}
	for p, want := range map[string]string{"/x/a/b.yaml": "x/a/b.yaml", "/s/t.yaml": "s/t.yaml"} {
		if got, ok := f.copiedFrom(p); !ok || got != want {
			t.Errorf("copiedFrom(%s) = %q, %v; want %s", p, got, ok, want)
		}
	}
	for _, p := range []string{"/s/t.json", "/usr/local/bin/o", "/y"} {
		if got, ok := f.copiedFrom(p); ok {
			t.Errorf("copiedFrom(%s) = %q, want not copied from the context", p, got)
		}
	}
}

// ignoredBy reports the .dockerignore pattern that excludes rel (a slash path relative to
// the context), or "". Docker excludes a path when a pattern matches it or a parent
// directory; a leading "**/" matches at any depth. Negations ("!") re-include.
func ignoredBy(patterns []string, rel string) string {
	parts := strings.Split(rel, "/")
	hit := ""
	for _, pat := range patterns {
		neg := strings.HasPrefix(pat, "!")
		pat = strings.TrimPrefix(strings.TrimPrefix(pat, "!"), "/")
		anyDepth := strings.HasPrefix(pat, "**/")
		pat = strings.TrimPrefix(pat, "**/")
		matched := false
		for i := range parts {
			for j := i + 1; j <= len(parts); j++ {
				if i > 0 && !anyDepth {
					break
				}
				if ok, _ := path.Match(pat, strings.Join(parts[i:j], "/")); ok {
					matched = true
				}
			}
		}
		if matched {
			if neg {
				hit = ""
			} else {
				hit = pat
			}
		}
	}
	return hit
}

func TestDockerignore(t *testing.T) {
	var patterns []string
	for _, l := range strings.Split(string(readFile(t, dockerignore)), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, l)
		}
	}
	for _, keep := range []string{"go.mod", "go.sum", "cmd/ledgerflow/main.go", "schemas/transactions.yaml",
		"schemas/schema.go", "pipelines/transactions.yaml", "outputs/delta/writer.go", "internal/plugins/plugins.go"} {
		if p := ignoredBy(patterns, keep); p != "" {
			t.Errorf(".dockerignore pattern %q excludes %s, which the build needs", p, keep)
		}
	}
	for _, drop := range []string{".git/HEAD", ".cache/delta-oracle/node_modules/x.js", "ledgerflow", "lakehouse/silver/x.parquet", "delta/delta.test"} {
		if ignoredBy(patterns, drop) == "" {
			t.Errorf(".dockerignore does not exclude %s", drop)
		}
	}
	if got := ignoredBy([]string{"**/*.test", "!keep.test"}, "keep.test"); got != "" {
		t.Errorf("negation not honoured: %q", got)
	}
}
