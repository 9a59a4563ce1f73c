package kafkaclient

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Report intervals of an unreachable broker: the first line at once, then after 1s, 2s,
// 4s ... and at most every 30s for as long as it stays unreachable.
const (
	firstReportDelay = time.Second
	maxReportDelay   = 30 * time.Second
)

// LogOpts are the kgo options that route a client's logs to log: the Logger bridge and
// the ConnLog hook. They go together: the bridge drops franz-go's own lines about
// brokers that cannot be reached (one per dial, every retry) because ConnLog reports
// them, with back-off.
func LogOpts(log *service.Logger) []kgo.Opt {
	return []kgo.Opt{kgo.WithLogger(Logger{L: log}), kgo.WithHooks(NewConnLog(log))}
}

// ConnLog reports brokers that cannot be reached, as kgo.HookBrokerConnect: one Warn line
// `cannot reach Kafka at host:port: <cause>; retrying in 8s` per broker address, the
// interval doubling from 1s up to 30s while the broker stays unreachable. franz-go keeps
// dialing on its own schedule in between (at least as often as the lines say), and the
// first successful connection to the address logs that it is reachable again and starts
// the intervals over. Failures after a connection was opened (TLS, SASL) are not its
// business: the component that needs the connection reports them.
type ConnLog struct {
	log *service.Logger

	mu    sync.Mutex
	addrs map[string]*reportBackoff
}

type reportBackoff struct {
	next  time.Time     // no line before this
	delay time.Duration // announced by the next line
}

// NewConnLog returns a ConnLog writing to log; pass it to kgo.WithHooks.
func NewConnLog(log *service.Logger) *ConnLog {
	return &ConnLog{log: log, addrs: map[string]*reportBackoff{}}
}

// OnBrokerConnect implements kgo.HookBrokerConnect; franz-go calls it after every dial.
func (c *ConnLog) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	addr := net.JoinHostPort(meta.Host, strconv.Itoa(int(meta.Port)))
	if err == nil {
		c.mu.Lock()
		_, warned := c.addrs[addr]
		delete(c.addrs, addr)
		c.mu.Unlock()
		if warned {
			c.log.Infof("reached Kafka at %s", addr)
		}
		return
	}
	if !Unreachable(err) || canceled(err) {
		return
	}
	now := time.Now()
	c.mu.Lock()
	b := c.addrs[addr]
	if b == nil {
		b = &reportBackoff{delay: firstReportDelay}
		c.addrs[addr] = b
	}
	if now.Before(b.next) {
		c.mu.Unlock()
		c.log.Debugf("cannot reach Kafka at %s: %s", addr, cause(err))
		return
	}
	d := b.delay
	b.next = now.Add(d)
	b.delay = min(2*d, maxReportDelay)
	c.mu.Unlock()
	c.log.Warnf("cannot reach Kafka at %s: %s; retrying in %v", addr, cause(err), d)
}

// Unreachable reports whether err means that no connection to a broker could be opened:
// refused, timed out, no route, unknown host. Errors on an opened connection (TLS, SASL,
// a broker error) are not.
func Unreachable(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// canceled is a dial abandoned because its client closed or its request ended, not a
// broker that failed to answer.
func canceled(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, kgo.ErrClientClosed) || strings.Contains(err.Error(), "operation was canceled")
}

// cause is the reason of a dial error without the wrapping that repeats the address.
func cause(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err.Error()
	}
	return strings.TrimPrefix(err.Error(), "unable to dial: ")
}

// Reach pings cl's brokers until one answers; each attempt may take up to
// attemptTimeout. While none can be reached (Unreachable, or the attempt timed out) it
// keeps trying every second without returning: the ConnLog hook reports the brokers with
// back-off, so a pipeline started before Kafka waits for it with a few clear lines
// instead of failing Connect (an error every second) over and over. It returns nil once
// a broker answers, ctx's error when ctx ends first, and any other failure (TLS, SASL)
// at once, for the caller to report.
func Reach(ctx context.Context, cl *kgo.Client, attemptTimeout time.Duration) error {
	for {
		pctx, cancel := context.WithTimeout(ctx, attemptTimeout)
		err := cl.Ping(pctx)
		cancel()
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case !Unreachable(err) && !errors.Is(err, context.DeadlineExceeded):
			return err
		}
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
