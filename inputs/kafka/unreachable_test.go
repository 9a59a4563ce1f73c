package kafka

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
)

// logRecord is one line the stream logged.
type logRecord struct {
	at    time.Time
	level slog.Level
	msg   string
}

// capturedLogs is a slog.Handler keeping every line, at every level.
type capturedLogs struct {
	mu   sync.Mutex
	recs []logRecord
}

func (c *capturedLogs) Enabled(context.Context, slog.Level) bool { return true }
func (c *capturedLogs) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *capturedLogs) WithGroup(string) slog.Handler            { return c }
func (c *capturedLogs) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs = append(c.recs, logRecord{at: time.Now(), level: r.Level, msg: r.Message})
	return nil
}

func (c *capturedLogs) snapshot() []logRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]logRecord(nil), c.recs...)
}

// TestUnreachableBrokerReportedWithBackOff starts the input against a seed broker that
// refuses connections. It must say so in one Warn line per back-off step, `cannot reach
// Kafka at host:port: <cause>; retrying in 1s`, then 2s, 4s, 8s, each at least its
// announced interval after the previous one, and nothing else at Warn or Error (before,
// Benthos logged a failed Connect as an error and franz-go a warning for every dial,
// every second). Then a broker starts on that port, and the input must connect and
// consume without waiting for the next report.
func TestUnreachableBrokerReportedWithBackOff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close()) // nobody listens: connections are refused
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	const topic, group = "late", "g-late"

	logs := &capturedLogs{}
	sb := service.NewStreamBuilder()
	sb.SetLogger(slog.New(logs))
	require.NoError(t, sb.AddInputYAML(inputYAML(addr, topic, group)))
	s := newSeen()
	require.NoError(t, sb.AddBatchConsumerFunc(func(_ context.Context, b service.MessageBatch) error { s.addBatch(b); return nil }))
	stream, err := sb.Build()
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- stream.Run(context.Background()) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = stream.Stop(ctx)
		<-done
	})

	reportRE := regexp.MustCompile(`^cannot reach Kafka at ` + regexp.QuoteMeta(addr) + `: (.+); retrying in (\d+s)$`)
	reports := func() (warn, other []logRecord, suppressed int) {
		for _, r := range logs.snapshot() {
			switch {
			case r.level >= slog.LevelWarn && reportRE.MatchString(r.msg):
				warn = append(warn, r)
			case r.level >= slog.LevelWarn:
				other = append(other, r)
			case strings.HasPrefix(r.msg, "cannot reach Kafka at "+addr):
				suppressed++
			}
		}
		return warn, other, suppressed
	}
	// The first four reports span at least 1+2+4 = 7s; the guard is for a stuck test only.
	eventually(t, 90*time.Second, "four reports of the unreachable broker", func() bool {
		w, _, _ := reports()
		return len(w) >= 4
	})
	warn, other, suppressed := reports()
	assert.Empty(t, other, "nothing but the reports at Warn or above")
	want := []string{"1s", "2s", "4s", "8s"}
	for i, r := range warn[:4] {
		m := reportRE.FindStringSubmatch(r.msg)
		assert.Equal(t, want[i], m[2], "report %d: %s", i, r.msg)
		assert.Contains(t, m[1], "connection refused", "report %d names the cause: %s", i, r.msg)
		if i > 0 {
			announced, _ := time.ParseDuration(want[i-1])
			assert.GreaterOrEqual(t, r.at.Sub(warn[i-1].at), announced, "report %d came before the interval report %d announced", i, i-1)
		}
	}
	// franz-go kept dialing between the reports; those attempts went to debug.
	assert.Positive(t, suppressed, "dials between reports are logged at debug")
	window := warn[3].at.Sub(warn[0].at)
	t.Logf("%d reports at Warn over %v (%d suppressed attempts at debug), first: %s", 4, window.Round(time.Millisecond), suppressed, warn[0].msg)

	// Kafka comes up on the address: the input connects on franz-go's schedule, not the
	// reports' (the next one is due 8s after the fourth).
	c := newCluster(t, 2, []string{topic}, kfake.Ports(port))
	up := time.Now()
	produce(t, newClient(t, c), topic, 0, 50)
	eventually(t, 60*time.Second, "the 50 records once Kafka is up", func() bool { return s.distinct() == 50 })
	t.Logf("consumed 50 records %v after the broker started", time.Since(up).Round(time.Millisecond))
	warnAfter, other, _ := reports()
	assert.Empty(t, other)
	if n := len(warnAfter) - len(warn); n > 1 {
		t.Errorf("%d reports between the broker starting and the records arriving", n)
	}
}
