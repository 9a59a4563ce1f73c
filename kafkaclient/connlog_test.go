package kafkaclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

type line struct {
	level slog.Level
	msg   string
}

type lines struct {
	mu sync.Mutex
	l  []line
}

func (c *lines) Enabled(context.Context, slog.Level) bool { return true }
func (c *lines) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *lines) WithGroup(string) slog.Handler            { return c }
func (c *lines) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.l = append(c.l, line{r.Level, r.Message})
	return nil
}

func (c *lines) take() []line {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.l
	c.l = nil
	return l
}

func refused() error {
	return fmt.Errorf("unable to dial: %w", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)})
}

func TestUnreachable(t *testing.T) {
	assert.True(t, Unreachable(refused()))
	assert.True(t, Unreachable(&net.DNSError{Err: "no such host", Name: "kafka-1"}))
	assert.False(t, Unreachable(kerr.SaslAuthenticationFailed))
	assert.False(t, Unreachable(&net.OpError{Op: "read", Err: errors.New("connection reset by peer")}), "a failure on an open connection")
	assert.False(t, Unreachable(nil))
}

// franz-go's own warnings and errors about brokers it cannot dial go to debug (ConnLog
// reports those, with back-off); everything else keeps its level.
func TestLoggerDemotesUnreachable(t *testing.T) {
	h := &lines{}
	l := Logger{L: service.NewLoggerFromSlog(slog.New(h))}
	l.Log(kgo.LogLevelWarn, "unable to open connection to broker", "addr", "127.0.0.1:1", "err", refused())
	l.Log(kgo.LogLevelError, "group manage loop errored", "group", "g", "err", refused())
	l.Log(kgo.LogLevelWarn, "join group failed", "group", "g", "err", kerr.InvalidSessionTimeout)
	l.Log(kgo.LogLevelError, "unable to initialize sasl", "err", kerr.SaslAuthenticationFailed)
	got := h.take()
	assert.Equal(t, []slog.Level{slog.LevelDebug, slog.LevelDebug, slog.LevelWarn, slog.LevelError},
		[]slog.Level{got[0].level, got[1].level, got[2].level, got[3].level})
	assert.Equal(t, "kafka client: join group failed group=g err="+kerr.InvalidSessionTimeout.Error(), got[2].msg)
}

func TestConnLog(t *testing.T) {
	h := &lines{}
	c := NewConnLog(service.NewLoggerFromSlog(slog.New(h)))
	seed := kgo.BrokerMetadata{NodeID: -1, Host: "127.0.0.1", Port: 9092}
	other := kgo.BrokerMetadata{NodeID: 2, Host: "kafka-2", Port: 9093}

	c.OnBrokerConnect(seed, 0, nil, refused())
	c.OnBrokerConnect(seed, 0, nil, refused())  // within the interval: debug
	c.OnBrokerConnect(other, 0, nil, refused()) // another broker has its own interval
	c.OnBrokerConnect(seed, 0, nil, kerr.SaslAuthenticationFailed)
	c.OnBrokerConnect(seed, 0, nil, fmt.Errorf("unable to dial: %w", context.Canceled))
	assert.Equal(t, []line{
		{slog.LevelWarn, "cannot reach Kafka at 127.0.0.1:9092: connect: connection refused; retrying in 1s"},
		{slog.LevelDebug, "cannot reach Kafka at 127.0.0.1:9092: connect: connection refused"},
		{slog.LevelWarn, "cannot reach Kafka at kafka-2:9093: connect: connection refused; retrying in 1s"},
	}, h.take(), "not its business: SASL failures and canceled dials")

	// A connection starts the intervals over, and says so once.
	c.OnBrokerConnect(seed, 0, &net.TCPConn{}, nil)
	c.OnBrokerConnect(seed, 0, &net.TCPConn{}, nil)
	c.OnBrokerConnect(seed, 0, nil, refused())
	assert.Equal(t, []line{
		{slog.LevelInfo, "reached Kafka at 127.0.0.1:9092"},
		{slog.LevelWarn, "cannot reach Kafka at 127.0.0.1:9092: connect: connection refused; retrying in 1s"},
	}, h.take())
}
