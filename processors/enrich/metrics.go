package enrich

import (
	"sync"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/engine/enrich"
)

// metrics are the processor's counters and gauges, all created at start for every object so
// that dashboards and alerts see zeros rather than absent series.
type metrics struct {
	lookups, misses, waits, nullKeys, keyErrors *service.MetricCounter
	errors, pollErrors                          *service.MetricCounter
	rows, bytes, version, lag, waiting          *service.MetricGauge
	waitLatency                                 *service.MetricTimer

	mu         sync.Mutex
	pollErrSum map[string]int64 // PollErrors already counted, per object
}

func newMetrics(m *service.Metrics, names []string) *metrics {
	x := &metrics{
		lookups:     m.NewCounter("enrich_lookups_total", "object"),
		misses:      m.NewCounter("enrich_misses_total", "object"),
		waits:       m.NewCounter("enrich_waits_total", "object"),
		nullKeys:    m.NewCounter("enrich_null_keys_total", "object"),
		keyErrors:   m.NewCounter("enrich_key_errors_total", "object"),
		pollErrors:  m.NewCounter("enrich_poll_errors_total", "object"),
		errors:      m.NewCounter("enrich_errors_total", "reason"),
		rows:        m.NewGauge("enrich_index_rows", "object"),
		bytes:       m.NewGauge("enrich_index_bytes", "object"),
		version:     m.NewGauge("enrich_table_version", "object"),
		lag:         m.NewGauge("enrich_log_lag_versions", "object"),
		waiting:     m.NewGauge("enrich_waiting_rows", "object"),
		waitLatency: m.NewTimer("enrich_wait_latency_ns"),
		pollErrSum:  map[string]int64{},
	}
	for _, n := range names {
		for _, c := range []*service.MetricCounter{x.lookups, x.misses, x.waits, x.nullKeys, x.keyErrors, x.pollErrors} {
			c.Incr(0, n)
		}
	}
	x.errors.Incr(0, "malformed_json")
	return x
}

// onPoll is the engine's OnPoll hook (called from the followers).
func (x *metrics) onPoll(s enrich.TableStats) {
	x.rows.Set(int64(s.Rows), s.Name)
	x.bytes.Set(s.Bytes, s.Name)
	x.version.Set(s.Version, s.Name)
	x.lag.Set(s.LagVersions, s.Name)
	x.waiting.Set(s.Waiting, s.Name)
	x.mu.Lock()
	d := s.PollErrors - x.pollErrSum[s.Name]
	x.pollErrSum[s.Name] = s.PollErrors
	x.mu.Unlock()
	if d > 0 {
		x.pollErrors.Incr(d, s.Name)
	}
}
