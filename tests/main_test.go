// Package tests holds end-to-end tests of the ledgerflow binary as a user runs it: the real
// binary built from cmd/ledgerflow, real configs, real child processes.
package tests

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// binary is the ledgerflow executable built once for the package.
var binary string

// repoRoot is the repository checkout the tests run in.
var repoRoot string

// piiKey is the hash key of the pii processors in every ledgerflow these tests start: set in
// this process's environment, which the children inherit. It is not pii.TestKey (pipeline runs
// refuse that published key); tests recompute expected hashes with it (pii_test.go).
const piiKey = "ledgerflow-tests-package-pii-key-0123456789abcdef"

// testModeEnv runs `ledgerflow test` as on a laptop without a key: LEDGERFLOW_PII_KEY empty,
// so the command uses the published pii.TestKey the hashes in pipelines/* were made with.
var testModeEnv = []string{"LEDGERFLOW_PII_KEY="}

func TestMain(m *testing.M) {
	os.Setenv("LEDGERFLOW_PII_KEY", piiKey)
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Dir(filepath.Dir(file))
	dir, err := os.MkdirTemp("", "ledgerflow-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "ledgerflow")
	build := exec.Command("go", "build", "-o", binary, "./cmd/ledgerflow")
	build.Dir = repoRoot
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building ledgerflow:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run executes ledgerflow with args in dir (repoRoot when empty) and returns its combined
// output and exit code. It fails the test if the command does not end within the timeout.
func run(t *testing.T, dir string, timeout time.Duration, env []string, args ...string) (string, int) {
	t.Helper()
	if dir == "" {
		dir = repoRoot
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("ledgerflow %v did not finish within %s:\n%s", args, timeout, out.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("ledgerflow %v: %v", args, err)
	}
	return out.String(), code
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// lockedLog collects a child process's output from several goroutines.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.buf.String()
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}
