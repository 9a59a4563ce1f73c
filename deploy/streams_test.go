package deploy

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The image's command, run for real: the ledgerflow binary built from this repository in
// streams mode with the Dockerfile CMD's flags, two stand-in streams instead of the pipelines
// (which need Kafka). It checks what the stack relies on: the flags are accepted, /ready (the
// healthcheck) answers 200, the stream CRUD API is off, and /metrics labels series by stream
// under the names the dashboard queries.
func TestStreamsModeAsTheImageRunsIt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the ledgerflow binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ledgerflow")
	build := exec.Command(gobin, "build", "-o", bin, "./cmd/ledgerflow")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/ledgerflow: %v\n%s", err, out)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	obs := write("observability.yaml", "http:\n  address: "+addr+"\nlogger:\n  level: warn\n")
	stream := "input:\n  generate:\n    interval: 20ms\n    mapping: 'root = {\"n\": counter()}'\noutput:\n  drop: {}\n"
	streams := []string{write("customers.yaml", stream), write("transactions.yaml", stream)}

	df := parseDockerfile(t, string(readFile(t, dockerfile)))
	cmd := df.final().execForm(t, "CMD")
	args := []string{cmd[0], "-o", obs}
	for _, a := range cmd[1:] {
		if strings.HasPrefix(a, "-") {
			args = append(args, a)
		}
	}
	args = append(args, streams...)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	proc := exec.CommandContext(ctx, bin, args...)
	var logs strings.Builder
	proc.Stdout, proc.Stderr = &logs, &logs
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = proc.Process.Signal(os.Interrupt)
		_ = proc.Wait()
	}()

	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
	get := func(path string) (int, string) {
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var metrics string
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _ := get("/ready")
		mcode, body := get("/metrics")
		if code == http.StatusOK && mcode == http.StatusOK && strings.Contains(body, `stream="transactions"`) && strings.Contains(body, "output_sent{") {
			metrics = body
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ledgerflow %v: /ready %d, /metrics %d after 30s; logs:\n%s", args, code, mcode, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code, _ := get("/streams"); code != http.StatusNotFound {
		t.Errorf("GET /streams = %d with %v; the stream CRUD API should be off", code, args)
	}
	exposed := exposedMetrics()
	seen := map[string]bool{}
	for _, line := range strings.Split(metrics, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name := line[:strings.IndexAny(line+" ", "{ ")]
		seen[name] = true
	}
	for _, want := range []string{"input_received", "output_sent", "output_batch_sent", "output_latency_seconds_bucket", "input_connection_up"} {
		if !seen[want] {
			t.Errorf("/metrics has no %s series", want)
		}
		if !exposed[want] {
			t.Errorf("%s is served but missing from the test's exposed-metric list", want)
		}
	}
	for _, s := range []string{"customers", "transactions"} {
		if !strings.Contains(metrics, fmt.Sprintf(`input_received{label="",path="root.input",stream=%q}`, s)) {
			t.Errorf("/metrics has no input_received series for stream %s", s)
		}
	}
}
