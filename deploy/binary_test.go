package deploy

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The ledgerflow binary the tests run is built with the Dockerfile's own `go build` command
// (its environment assignments, flags and -ldflags, build args expanded), so that what the
// tests start is what the image holds.

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
	binaryDir  string
)

// Build args the tests give the Dockerfile's build, to see them come out of --version.
var testBuildArgs = map[string]string{
	"VERSION": "9.8.7-deploytest",
	"COMMIT":  "0123456789abcdef0123456789abcdef01234567",
	"DATE":    "2031-02-03T04:05:06Z",
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binaryDir != "" {
		os.RemoveAll(binaryDir)
	}
	os.Exit(code)
}

// imageBinary returns the ledgerflow binary built as the Dockerfile builds it. It skips in
// -short mode and when there is no go command.
func imageBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the ledgerflow binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	root := repoRoot(t)
	df := parseDockerfile(t, string(readFile(t, dockerfile)))
	binaryOnce.Do(func() {
		binaryDir, binaryErr = os.MkdirTemp("", "ledgerflow-deploy-test-")
		if binaryErr != nil {
			return
		}
		binaryPath = filepath.Join(binaryDir, "ledgerflow")
		var env, args []string
		env, args, binaryErr = dockerfileGoBuild(df, testBuildArgs, binaryPath)
		if binaryErr != nil {
			return
		}
		// -buildvcs=false: the image's build context has no .git (.dockerignore), so the
		// binary gets no VCS stamp that could hide a missing -X.
		args = append([]string{args[0], "-buildvcs=false"}, args[1:]...)
		cmd := exec.Command(gobin, args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			binaryErr = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// dockerfileGoBuild finds the builder stage's `go build` RUN and returns its environment
// assignments and the arguments after `go`, with the stage's ARGs expanded (overrides
// first, then the ARG defaults; TARGETOS/TARGETARCH are this machine's) and the output
// path (-o) replaced by out.
func dockerfileGoBuild(df *dockerFile, overrides map[string]string, out string) (env, args []string, err error) {
	for _, s := range df.stages[:max(len(df.stages)-1, 0)] {
		vars := map[string]string{"TARGETOS": runtime.GOOS, "TARGETARCH": runtime.GOARCH}
		for k, v := range df.args {
			vars[k] = v
		}
		for _, in := range s.ins {
			if in.cmd == "ARG" {
				k, v, hasDefault := strings.Cut(in.args, "=")
				if _, auto := vars[k]; !hasDefault && auto {
					continue // ARG TARGETOS: the platform BuildKit sets
				}
				if _, set := overrides[k]; !set {
					vars[k] = v
				}
			}
			if in.cmd != "RUN" || !strings.Contains(in.args, "go build") {
				continue
			}
			for k, v := range overrides {
				vars[k] = v
			}
			words, err := shellWords(in.args, func(k string) string { return vars[k] })
			if err != nil {
				return nil, nil, fmt.Errorf("Dockerfile line %d: %v", in.line, err)
			}
			i := 0
			for i < len(words) && strings.HasPrefix(words[i], "--mount=") {
				i++
			}
			for i < len(words) && strings.Contains(words[i], "=") && !strings.HasPrefix(words[i], "-") {
				env = append(env, words[i])
				i++
			}
			if i+1 >= len(words) || words[i] != "go" || words[i+1] != "build" {
				return nil, nil, fmt.Errorf("Dockerfile line %d: RUN %q is not one plain `[VAR=value ...] go build ...` command", in.line, in.args)
			}
			args = slices.Clone(words[i+1:])
			for j := range args {
				if args[j] == "-o" && j+1 < len(args) {
					args[j+1] = out
				}
			}
			return env, args, nil
		}
	}
	return nil, nil, fmt.Errorf("no builder stage RUNs go build")
}

// shellWords splits a POSIX shell command line into words: single and double quotes,
// backslash escapes, $VAR and ${VAR} expansion. Anything that would make the line more
// than one simple command (&&, ;, |, $(...), backquotes) is an error, so the caller never
// runs half of a command.
func shellWords(line string, lookup func(string) string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, single, double := false, false, false
	expand := func(i int) (int, error) {
		rest := line[i+1:]
		if strings.HasPrefix(rest, "{") {
			end := strings.IndexByte(rest, '}')
			if end < 0 {
				return 0, fmt.Errorf("unterminated ${ in %q", line)
			}
			name := rest[1:end]
			if strings.ContainsAny(name, ":-=?+#%/") {
				return 0, fmt.Errorf("parameter expansion ${%s} is not supported", name)
			}
			cur.WriteString(lookup(name))
			return i + 1 + end, nil
		}
		if strings.HasPrefix(rest, "(") {
			return 0, fmt.Errorf("command substitution in %q is not supported", line)
		}
		n := 0
		for n < len(rest) && (rest[n] == '_' || rest[n] >= 'A' && rest[n] <= 'Z' || rest[n] >= 'a' && rest[n] <= 'z' || n > 0 && rest[n] >= '0' && rest[n] <= '9') {
			n++
		}
		if n == 0 {
			cur.WriteByte('$')
			return i, nil
		}
		cur.WriteString(lookup(rest[:n]))
		return i + n, nil
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case single:
			if c == '\'' {
				single = false
			} else {
				cur.WriteByte(c)
			}
		case double:
			switch c {
			case '"':
				double = false
			case '\\':
				if i+1 < len(line) && strings.IndexByte("$`\"\\", line[i+1]) >= 0 {
					i++
					cur.WriteByte(line[i])
				} else {
					cur.WriteByte(c)
				}
			case '$':
				var err error
				if i, err = expand(i); err != nil {
					return nil, err
				}
			case '`':
				return nil, fmt.Errorf("command substitution in %q is not supported", line)
			default:
				cur.WriteByte(c)
			}
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.IndexByte("&;|<>`()", c) >= 0:
			return nil, fmt.Errorf("%q is more than one simple command (%q)", line, c)
		default:
			inWord = true
			switch c {
			case '\'':
				single = true
			case '"':
				double = true
			case '\\':
				if i+1 < len(line) {
					i++
					cur.WriteByte(line[i])
				}
			case '$':
				var err error
				if i, err = expand(i); err != nil {
					return nil, err
				}
			default:
				cur.WriteByte(c)
			}
		}
	}
	if single || double {
		return nil, fmt.Errorf("unterminated quote in %q", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// The image's binary says which source it was built from: the Dockerfile's VERSION,
// COMMIT and DATE build args reach `ledgerflow --version` (a -X naming a variable that does
// not exist is silently ignored by the linker, so only running the binary shows it).
func TestImageVersionStamp(t *testing.T) {
	bin := imageBinary(t)
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("ledgerflow --version: %v\n%s", err, out)
	}
	for _, want := range []string{
		"Version: " + testBuildArgs["VERSION"] + "\n",
		"Commit: " + testBuildArgs["COMMIT"] + "\n",
		"Date: " + testBuildArgs["DATE"] + "\n",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("ledgerflow --version of the binary built as the Dockerfile builds it (build args %v) lacks %q:\n%s", testBuildArgs, strings.TrimSpace(want), out)
		}
	}
}
