package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func scrape(t *testing.T, e *Exporter) string {
	t.Helper()
	rec := httptest.NewRecorder()
	e.HandlerFunc()(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return string(b)
}

// Several components ask for the same metric name; they must share one series family, and
// the numbers must add up rather than one registration silently winning.
func TestSharedMetricNamesAccumulate(t *testing.T) {
	e := NewExporter("lf_", false, []float64{0.001, 1}, nil)
	a := e.NewCounterCtor("output_sent", "label", "path")("bronze", "root.output.0")
	b := e.NewCounterCtor("output_sent", "label", "path")("bronze", "root.output.0")
	a.Incr(2)
	b.Incr(3)
	e.NewTimerCtor("delta_lake_commit_latency_ns")().Timing(500_000) // 0.5 ms
	e.NewGaugeCtor("delta_lake_table_version", "label")("bronze").Set(42)
	body := scrape(t, e)
	for _, want := range []string{
		`lf_output_sent{label="bronze",path="root.output.0"} 5`,
		`lf_delta_lake_commit_latency_seconds_bucket{le="0.001"} 1`,
		`lf_delta_lake_table_version{label="bronze"} 42`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %q in:\n%s", want, body)
		}
	}
}

// A second registration of a name with other label keys cannot be honoured by Prometheus;
// it must neither panic nor corrupt the first.
func TestConflictingLabelKeysDoNotPanic(t *testing.T) {
	e := NewExporter("", false, []float64{1}, nil)
	e.NewCounterCtor("x_total", "a")("1").Incr(1)
	e.NewCounterCtor("x_total", "a", "b")("1", "2").Incr(1)
	if body := scrape(t, e); !strings.Contains(body, `x_total{a="1"} 1`) {
		t.Fatalf("first registration damaged:\n%s", body)
	}
}
