package features

import (
	"sync"

	"github.com/redpanda-data/benthos/v4/public/service"

	engine "github.com/ledgerflow/ledgerflow/engine/features"
)

// metrics mirrors the engine's cumulative counters into Benthos metrics (the engine counts
// under its lock; the adapter adds the deltas).
type metrics struct {
	mu                                                        sync.Mutex
	last                                                      engine.Stats
	lag, buffered, txns, keys                                 *service.MetricGauge
	scored, provisional, corrections, tooLate, dups, whereErr *service.MetricCounter
	caps, errors                                              *service.MetricCounter
}

func newMetrics(m *service.Metrics) *metrics {
	mt := &metrics{
		lag:         m.NewGauge("features_watermark_lag_seconds"),
		buffered:    m.NewGauge("features_buffered_transactions"),
		txns:        m.NewGauge("features_state_transactions"),
		keys:        m.NewGauge("features_state_keys"),
		scored:      m.NewCounter("features_scored_total"),
		provisional: m.NewCounter("features_provisional_total"),
		corrections: m.NewCounter("features_corrections_total"),
		tooLate:     m.NewCounter("features_too_late_total"),
		dups:        m.NewCounter("features_duplicates_total"),
		whereErr:    m.NewCounter("features_where_errors_total"),
		caps:        m.NewCounter("features_caps_hit_total", "cap"),
		errors:      m.NewCounter("features_errors_total", "reason"),
	}
	// Pre-create the labelled series at 0 so dashboards see them before the first event.
	for _, c := range []string{"max_entries_per_key", "max_distinct"} {
		mt.caps.Incr(0, c)
	}
	for _, r := range []string{"invalid_value", "missing_column", "missing_source_ts", "not_an_object"} {
		mt.errors.Incr(0, r)
	}
	mt.last.CapsHit = map[string]uint64{}
	return mt
}

// update reads the engine's counters under m's lock, so deltas are never negative.
func (m *metrics) update(e *engine.Engine) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := e.Stats()
	m.lag.SetFloat64(max(s.LagSeconds, 0))
	m.buffered.Set(int64(s.Pending))
	m.txns.Set(int64(s.Transactions))
	m.keys.Set(int64(s.Keys))
	m.scored.Incr(int64(s.Scored - m.last.Scored))
	m.provisional.Incr(int64(s.Provisional - m.last.Provisional))
	m.corrections.Incr(int64(s.Corrections - m.last.Corrections))
	m.tooLate.Incr(int64(s.TooLate - m.last.TooLate))
	m.dups.Incr(int64(s.Duplicates - m.last.Duplicates))
	m.whereErr.Incr(int64(s.WhereErrors - m.last.WhereErrors))
	for c, n := range s.CapsHit {
		m.caps.Incr(int64(n-m.last.CapsHit[c]), c)
	}
	m.last = s
}
