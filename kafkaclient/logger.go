package kafkaclient

import (
	"fmt"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Logger routes franz-go's log lines (which name brokers, e.g. on dial failures) to the
// Benthos logger: pass it to kgo.WithLogger, or use LogOpts, which adds the ConnLog hook
// it relies on. franz-go's info level (joins, heartbeats, producer ID bumps) is our debug.
//
// Warnings and errors caused by a broker that cannot be reached (franz-go logs each
// failed dial, and the group loop's failure, again at every retry) are demoted to debug:
// ConnLog reports unreachable brokers once per back-off step instead.
type Logger struct{ L *service.Logger }

// Level is kgo's info: finer levels are never formatted.
func (l Logger) Level() kgo.LogLevel { return kgo.LogLevelInfo }

// Log writes one franz-go line with its key/value pairs.
func (l Logger) Log(level kgo.LogLevel, msg string, kv ...any) {
	s := msg
	for i := 0; i+1 < len(kv); i += 2 {
		s += fmt.Sprintf(" %v=%v", kv[i], kv[i+1])
		if err, ok := kv[i+1].(error); ok && level <= kgo.LogLevelWarn && Unreachable(err) {
			level = kgo.LogLevelDebug
		}
	}
	switch level {
	case kgo.LogLevelError:
		l.L.Errorf("kafka client: %s", s)
	case kgo.LogLevelWarn:
		l.L.Warnf("kafka client: %s", s)
	default:
		l.L.Debugf("kafka client: %s", s)
	}
}
