package deploy

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"gopkg.in/yaml.v3"
)

// Every container that runs ledgerflow (the image's default command, each compose
// service of the image), run for real: the binary built as the Dockerfile builds it, in a
// rebuilt copy of the container's file system, with the container's environment.
// `ledgerflow lint` checks exactly the configs the command loads; `echo` shows that the
// HTTP server listens where the healthcheck probes; then the command starts against a
// kfake cluster (KAFKA_BROKERS) with HTTP on a free port (LEDGERFLOW_HTTP_ADDRESS), must
// answer /ready and join its consumer group, and must stop cleanly on SIGTERM, as on
// `docker stop`.
func TestContainersRunTheirCommands(t *testing.T) {
	bin := imageBinary(t)
	containers := ledgerflowContainers(t)
	if len(containers) < 2 {
		t.Fatalf("found %d ledgerflow containers (image + compose services), want the image and the compose services", len(containers))
	}
	live := liveMetrics{}
	for _, c := range containers {
		t.Run(c.name, func(t *testing.T) {
			if len(c.argv) == 0 || path.Base(c.argv[0]) != "ledgerflow" {
				t.Fatalf("%s runs %v, not ledgerflow", c.name, c.argv)
			}
			a, err := parseLedgerflowArgs(c.argv[1:])
			if err != nil {
				t.Fatalf("%s: ledgerflow %v: %v", c.name, c.argv[1:], err)
			}
			r := c.build(t)
			lintContainer(t, bin, r, a)
			topics := echoContainer(t, bin, r, a)
			m := startContainer(t, bin, r, a, topics)
			live.add(m)
		})
	}
	// What the processes served is what the dashboard and the metric lists may rely on.
	t.Run("metrics", func(t *testing.T) {
		if len(live) == 0 {
			t.Skip("no container started")
		}
		exposed := exposedMetrics()
		for _, name := range sortedKeys(live.names()) {
			t.Logf("served: %s %v", name, sortedKeys(live[name]))
			if !exposed[name] && !strings.HasPrefix(name, "go_") && !strings.HasPrefix(name, "process_") && !strings.HasPrefix(name, "promhttp_") {
				t.Errorf("ledgerflow serves %s, which the test's metric lists (grafana_test.go) lack", name)
			}
		}
		for _, want := range []string{"input_received", "output_sent", "input_connection_up", "output_connection_up", "kafka_consumergroup_lag", "delta_lake_table_version"} {
			if live[want] == nil {
				t.Errorf("/metrics has no %s series", want)
			}
		}
		for _, p := range dashboardLabelProblems(dashboardQueries(loadDashboard(t)), live, prometheusTargetLabels(t)) {
			t.Error(p)
		}
	})
}

// runIn runs the binary in the container's working directory with exactly env.
func runIn(t *testing.T, bin string, r containerRoot, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // deadlock guard
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = r.workdir()
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func lintContainer(t *testing.T, bin string, r containerRoot, a ledgerflowArgs) {
	t.Helper()
	args := a.lintArgs(r.rewrite)
	if out, err := runIn(t, bin, r, r.environ(nil), args...); err != nil {
		t.Errorf("%s: ledgerflow %v with the container's environment %v: %v\n%s", r.spec.name, args, r.spec.env, err, out)
	}
}

// echoContainer checks, from the configs as the process resolves them (environment
// interpolated), that the HTTP server listens on the port the healthcheck probes, and
// returns the Kafka topics the command reads.
func echoContainer(t *testing.T, bin string, r containerRoot, a ledgerflowArgs) []string {
	t.Helper()
	var topics []string
	for i, f := range append(slices.Clone(a.configs), a.streams...) {
		args := []string{"-c", r.rewrite(f)}
		for _, res := range a.resources {
			args = append(args, "-r", r.rewrite(res))
		}
		for _, s := range a.sets {
			args = append(args, "-s", s)
		}
		args = append(args, "echo")
		out, err := runIn(t, bin, r, r.environ(nil), args...)
		if err != nil {
			t.Fatalf("%s: ledgerflow %v: %v\n%s", r.spec.name, args, err, out)
		}
		var doc map[string]any
		if err := yaml.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%s: ledgerflow %v printed no YAML: %v\n%s", r.spec.name, args, err, out)
		}
		topics = append(topics, listsUnder(doc["input"], "topics")...)
		if a.mode != "run" || i > 0 {
			continue
		}
		httpConf, _ := doc["http"].(map[string]any)
		addr, _ := httpConf["address"].(string)
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			t.Errorf("%s: %s resolves http.address to %q: %v", r.spec.name, f, addr, err)
		} else if hp := healthPort(r.spec.health); hp != port {
			t.Errorf("%s: %s listens on %s (http.address), the healthcheck %q probes /ready on port %q", r.spec.name, f, addr, r.spec.health, hp)
		}
	}
	if len(topics) == 0 {
		t.Fatalf("%s: the command reads no Kafka topic", r.spec.name)
	}
	return topics
}

// listsUnder collects the string items of every list under a key named key, at any depth.
func listsUnder(n any, key string) []string {
	var out []string
	switch v := n.(type) {
	case map[string]any:
		for k, c := range v {
			if l, ok := c.([]any); ok && k == key {
				for _, item := range l {
					if s, ok := item.(string); ok {
						out = append(out, s)
					}
				}
			}
			out = append(out, listsUnder(c, key)...)
		}
	case []any:
		for _, c := range v {
			out = append(out, listsUnder(c, key)...)
		}
	}
	return out
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startContainer starts the command with Kafka on a kfake cluster holding its topics and
// HTTP on a free port, waits until /ready answers 200 and the consumer group has assigned
// it partitions (kafka_consumergroup_lag series appear), checks that the lakehouse volume
// is where its tables go, stops it with SIGTERM and returns the /metrics it served.
func startContainer(t *testing.T, bin string, r containerRoot, a ledgerflowArgs, topics []string) string {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topics...))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	addr := freeAddr(t)
	overrides := map[string]string{"KAFKA_BROKERS": strings.Join(cluster.ListenAddrs(), ","), "LEDGERFLOW_HTTP_ADDRESS": addr}
	args := make([]string, len(r.spec.argv)-1)
	for i, arg := range r.spec.argv[1:] {
		args[i] = r.rewrite(arg)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = r.workdir()
	cmd.Env = r.environ(overrides)
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			return err
		case <-time.After(2 * time.Minute): // deadlock guard
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("still running 2 minutes after SIGTERM; killed")
		}
	}
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("%s: stopping ledgerflow: %v", r.spec.name, err)
		}
	}()
	desc := fmt.Sprintf("%s: ledgerflow %s (env %v)", r.spec.name, strings.Join(r.spec.argv[1:], " "), r.spec.env)

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil}}
	get := func(p string) (int, string) {
		resp, err := client.Get("http://" + addr + p)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var metrics string
	guard := time.After(3 * time.Minute) // deadlock guard, not a performance bound
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		code, ready := get("/ready")
		mcode, body := get("/metrics")
		if code == http.StatusOK && mcode == http.StatusOK && strings.Contains(body, "kafka_consumergroup_lag{") {
			metrics = body
			break
		}
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("%s exited before it was ready (%v); logs:\n%s", desc, err, logs.String())
		case <-guard:
			t.Fatalf("%s: no /ready 200 with consumer lag series after 3 minutes (/ready %d %q, /metrics %d); logs:\n%s", desc, code, ready, mcode, logs.String())
		case <-tick.C:
		}
	}

	// The tables go to the container's LAKEHOUSE, i.e. into the volume mounted there.
	if lh, ok := r.spec.env["LAKEHOUSE"]; !ok {
		t.Errorf("%s: no LAKEHOUSE in the container's environment", r.spec.name)
	} else if entries, err := os.ReadDir(r.host(lh)); err != nil || len(entries) == 0 {
		t.Errorf("%s: nothing under LAKEHOUSE=%s after start (%v); logs:\n%s", desc, lh, err, logs.String())
	}
	if err := stop(); err != nil {
		t.Errorf("%s: on SIGTERM: %v; logs:\n%s", desc, err, logs.String())
	}
	return metrics
}

// liveMetrics is what /metrics served: series name -> label names seen on it.
type liveMetrics map[string]map[string]bool

func (l liveMetrics) names() map[string]bool {
	out := map[string]bool{}
	for n := range l {
		out[n] = true
	}
	return out
}

func (l liveMetrics) add(exposition string) {
	for _, line := range strings.Split(exposition, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.IndexAny(line, "{ ")
		if i < 0 {
			continue
		}
		name := line[:i]
		if l[name] == nil {
			l[name] = map[string]bool{}
		}
		if line[i] != '{' {
			continue
		}
		for _, label := range exposedLabelNames(line[i+1:]) {
			l[name][label] = true
		}
	}
}

// exposedLabelNames reads the label names of one exposition-format series, from after its
// opening brace: name="value" pairs, values with \" \\ \n escapes.
func exposedLabelNames(s string) []string {
	var out []string
	for len(s) > 0 && s[0] != '}' {
		eq := strings.IndexByte(s, '=')
		if eq < 0 || eq+1 >= len(s) || s[eq+1] != '"' {
			return out
		}
		out = append(out, strings.TrimSpace(strings.TrimPrefix(s[:eq], ",")))
		j := eq + 2
		for j < len(s) && s[j] != '"' {
			if s[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(s) {
			return out
		}
		s = strings.TrimPrefix(s[j+1:], ",")
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
