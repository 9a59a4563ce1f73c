package delta

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/delta"
)

// infoSourceTSMax is the commitInfo key holding the newest _source_ts of a commit's rows:
// where a restarted output learns how fresh the table is without scanning it.
const infoSourceTSMax = "sourceTimestampMax"

// freshnessInterval is how often ledgerflow_table_freshness_seconds is recomputed: the gauge
// grows while nothing is committed, which is what an alert on a stalled table needs.
const freshnessInterval = time.Second

// freshness keeps ledgerflow_table_freshness_seconds{table}: now minus the newest source
// commit time (_source_ts) committed to the table. It is absent until that time is known
// (from a commit, or from the commitInfo of the table's recent commits at start): 0 would
// claim a perfectly fresh table.
type freshness struct {
	gauge    *service.MetricGauge
	table    string
	newest   atomic.Int64 // unix microseconds; 0 while unknown
	once     sync.Once
	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

func newFreshness(m *service.Metrics, path string) *freshness {
	return &freshness{gauge: m.NewGauge("ledgerflow_table_freshness_seconds", "table"), table: tableLabel(path),
		stop: make(chan struct{}), done: make(chan struct{})}
}

// tableLabel is "<layer>/<table>": the last two elements of the table path.
func tableLabel(path string) string {
	clean := filepath.Clean(path)
	return filepath.Base(filepath.Dir(clean)) + "/" + filepath.Base(clean)
}

// observe records a committed source time.
func (f *freshness) observe(t time.Time) {
	if t.IsZero() {
		return
	}
	us := t.UnixMicro()
	for {
		cur := f.newest.Load()
		if us <= cur || f.newest.CompareAndSwap(cur, us) {
			break
		}
	}
	f.update(time.Now())
}

func (f *freshness) update(now time.Time) {
	if us := f.newest.Load(); us != 0 {
		f.gauge.SetFloat64(now.Sub(time.UnixMicro(us)).Seconds(), f.table)
	}
}

// start runs the updater until close; a second call does nothing.
func (f *freshness) start() {
	f.once.Do(func() {
		go func() {
			defer close(f.done)
			t := time.NewTicker(freshnessInterval)
			defer t.Stop()
			for {
				select {
				case <-f.stop:
					return
				case now := <-t.C:
					f.update(now)
				}
			}
		}()
	})
}

// close stops the updater (if it ran) and waits for it.
func (f *freshness) close() {
	started := true
	f.once.Do(func() { started = false })
	f.stopOnce.Do(func() { close(f.stop) })
	if started {
		<-f.done
	}
}

// load reads the newest source time recorded in the commitInfo of the table's last commits.
func (f *freshness) load(ctx context.Context, t *delta.Table) {
	hist, err := t.History(ctx, 20)
	if err != nil {
		return
	}
	for _, h := range hist {
		if s, ok := h.Info[infoSourceTSMax].(string); ok {
			if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
				f.observe(ts)
				return
			}
		}
	}
}
