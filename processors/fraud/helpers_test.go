package fraud

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/redpanda-data/benthos/v4/public/components/pure"
	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/require"
)

// counters is a metrics exporter that remembers counter totals by "name{labels}".
type counters struct {
	mu sync.Mutex
	m  map[string]int64
}

type counter struct {
	c   *counters
	key string
}

func (c counter) Incr(n int64)                  { c.c.mu.Lock(); c.c.m[c.key] += n; c.c.mu.Unlock() }
func (counter) Timing(int64)                    {}
func (counter) Set(int64)                       {}
func (c *counters) Close(context.Context) error { return nil }

// get sums a counter over the labels Benthos adds (label, path), by name and own label value.
func (c *counters) get(name, label string) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	found := false
	for k, v := range c.m {
		if strings.HasPrefix(k, name+"{") && strings.HasSuffix(k, ","+label+"}") {
			n += v
			found = true
		}
	}
	return n, found
}

func (c *counters) NewCounterCtor(name string, _ ...string) service.MetricsExporterCounterCtor {
	return func(vals ...string) service.MetricsExporterCounter {
		return counter{c, name + "{" + strings.Join(vals, ",") + "}"}
	}
}

func (c *counters) NewTimerCtor(name string, _ ...string) service.MetricsExporterTimerCtor {
	return func(...string) service.MetricsExporterTimer { return counter{c, name} }
}

func (c *counters) NewGaugeCtor(name string, _ ...string) service.MetricsExporterGaugeCtor {
	return func(...string) service.MetricsExporterGauge { return counter{c, name} }
}

// outMsg is a message that reached the stream's output.
type outMsg struct {
	body string
	meta map[string]any
	err  error
}

func (o outMsg) row(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(o.body), &m), "%s", o.body)
	return m
}

// harness runs a real Benthos stream: a producer, the fraud_rules processor configured
// with conf, and a consumer that collects what comes out.
type harness struct {
	t       *testing.T
	produce service.MessageHandlerFunc
	out     chan outMsg
	done    chan error
	stream  *service.Stream
	cancel  context.CancelFunc
	metrics *counters
}

func newHarness(t *testing.T, conf string) *harness {
	t.Helper()
	h, err := tryHarness(t, conf)
	require.NoError(t, err)
	return h
}

func tryHarness(t *testing.T, conf string) (*harness, error) {
	t.Helper()
	env := service.NewEnvironment()
	cs := &counters{m: map[string]int64{}}
	require.NoError(t, env.RegisterMetricsExporter("test_counters", service.NewConfigSpec(),
		func(*service.ParsedConfig, *service.Logger) (service.MetricsExporter, error) { return cs, nil }))
	sb := env.NewStreamBuilder()
	require.NoError(t, sb.SetLoggerYAML("level: none"))
	require.NoError(t, sb.SetMetricsYAML("test_counters: {}"))
	produce, err := sb.AddProducerFunc()
	require.NoError(t, err)
	if err := sb.AddProcessorYAML("fraud_rules:\n" + indent(conf)); err != nil {
		return nil, err
	}
	h := &harness{t: t, produce: produce, out: make(chan outMsg, 100), done: make(chan error, 1), metrics: cs}
	require.NoError(t, sb.AddConsumerFunc(func(_ context.Context, m *service.Message) error {
		b, err := m.AsBytes()
		require.NoError(t, err)
		meta := map[string]any{}
		_ = m.MetaWalkMut(func(k string, v any) error { meta[k] = v; return nil })
		h.out <- outMsg{body: string(b), meta: meta, err: m.GetError()}
		return nil
	}))
	stream, err := sb.Build()
	if err != nil {
		return nil, err
	}
	h.stream = stream
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- stream.Run(ctx) }()
	t.Cleanup(h.close)
	return h, nil
}

// send pushes one message through and returns what came out. The timeout only guards
// against a deadlock.
func (h *harness) send(body string, meta map[string]any) outMsg {
	h.t.Helper()
	msg := service.NewMessage([]byte(body))
	for k, v := range meta {
		msg.MetaSetMut(k, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	perr := make(chan error, 1)
	go func() { perr <- h.produce(ctx, msg) }()
	select {
	case o := <-h.out:
		require.NoError(h.t, <-perr)
		return o
	case err := <-h.done:
		h.t.Fatalf("stream stopped: %v", err)
	case <-ctx.Done():
		h.t.Fatal("no output within a minute (deadlock?)")
	}
	return outMsg{}
}

func (h *harness) close() {
	if h.stream == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = h.stream.Stop(ctx)
	h.cancel()
	<-h.done
	h.stream = nil
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = "  " + lines[i]
	}
	return strings.Join(lines, "\n")
}

// writeFile writes a file under dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// repoRoot is the repository root, where the pipelines' relative paths resolve.
const repoRoot = "../.."
