package delta

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redpanda-data/benthos/v4/public/service"

	_ "github.com/ledgerflow/ledgerflow/metrics"
)

// scrape reads /metrics from the stream's HTTP mux and parses it as Prometheus text.
func scrape(t *testing.T, srv *httptest.Server) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v\n%s", err, body)
	}
	return fams, string(body)
}

// series finds the series of family name whose labels include want.
func series(fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
	for _, m := range f.GetMetric() {
		ok := true
		for k, v := range want {
			found := false
			for _, l := range m.GetLabel() {
				found = found || l.GetName() == k && l.GetValue() == v
			}
			ok = ok && found
		}
		if ok {
			return m
		}
	}
	return nil
}

func value(m *dto.Metric) float64 {
	switch {
	case m == nil:
		return -1
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	return -1
}

// waitFor polls until cond holds; the deadline is a deadlock guard, not a timing assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMetricsThroughThePrometheusExporter runs a stream with the real `prometheus` exporter
// and reads /metrics as Prometheus would: the dead-letter, poison and blocked counters exist
// at 0 before any event, dead letters count by stage and reason, table freshness is
// now - _source_ts with table="silver/transactions" and keeps growing while nothing is
// committed, commit latency is a histogram in seconds, and a poison row is counted. promtool
// accepts the text.
func TestMetricsThroughThePrometheusExporter(t *testing.T) {
	dir := t.TempDir()
	table := filepath.Join(dir, "silver", "transactions")
	sb := service.NewStreamBuilder()
	mux := http.NewServeMux()
	sb.SetHTTPMux(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	if err := sb.SetMetricsYAML("prometheus: { add_go_metrics: false }"); err != nil {
		t.Fatal(err)
	}
	if err := sb.SetLoggerYAML("level: error"); err != nil {
		t.Fatal(err)
	}
	produce, err := sb.AddBatchProducerFunc()
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.AddOutputYAML("delta_lake: { path: " + table + ", mode: merge, schema_file: transactions }"); err != nil {
		t.Fatal(err)
	}
	stream, err := sb.Build()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- stream.Run(ctx) }()
	defer func() {
		stopCtx, stopCancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer stopCancel()
		_ = stream.Stop(stopCtx)
	}()

	var fams map[string]*dto.MetricFamily
	waitFor(t, "the output's metrics", func() bool {
		fams, _ = scrape(t, srv)
		return fams["delta_lake_dead_letters_total"] != nil
	})
	for stage, codes := range stageReasons() {
		for _, code := range codes {
			if m := series(fams, "delta_lake_dead_letters_total", map[string]string{"stage": stage, "reason": code}); value(m) != 0 {
				t.Errorf("dead letters %s/%s at start: %v", stage, code, m)
			}
		}
	}
	for name, labels := range map[string]map[string]string{
		"ledgerflow_poison_rows_total": nil,
		"delta_lake_blocked_total":     {"reason": blockedFileUnreadable},
	} {
		if m := series(fams, name, labels); value(m) != 0 {
			t.Errorf("%s at start: %v", name, m)
		}
	}
	if fams["ledgerflow_table_freshness_seconds"] != nil {
		t.Errorf("freshness of a table nothing was committed to: %v", fams["ledgerflow_table_freshness_seconds"])
	}

	sourceTS := time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond)
	row := func(id int, amount string) *service.Message {
		body := strings.Replace(txEvent(id, amount), `"_source_ts":"2024-03-01T10:00:01.000Z"`, `"_source_ts":"`+sourceTS.Format(time.RFC3339Nano)+`"`, 1)
		return msg(body, 0, int64(id), int64(id)-1)
	}
	refused := row(3, "1.00")
	refused.SetError(errors.New("debezium_unwrap: contract: column status: value \"lost\" is not one of the ENUM values"))
	refused.MetaSetMut("debezium_error_reason", "contract_enum")
	poisonIDs(t, 4) // the writer refuses row 4
	if err := produce(ctx, service.MessageBatch{row(0, "1.00"), row(1, "not money"), row(2, "2.00"), refused, row(4, "4.00"), row(5, "5.00")}); err != nil {
		t.Fatal(err)
	}
	if got := offsetsOf(t, table); len(got) != 3 {
		t.Fatalf("offsets in the table: %v", got)
	}

	fams, text := scrape(t, srv)
	if os.Getenv("SHOW_METRICS") != "" {
		t.Log(text)
	}
	if m := series(fams, "ledgerflow_poison_rows_total", nil); value(m) != 1 {
		t.Errorf("poison rows: %v", m)
	}
	for _, c := range []struct{ stage, reason string }{{"decode", "type_mismatch"}, {"processing", "contract_enum"}, {"write", "poison_row"}} {
		if m := series(fams, "delta_lake_dead_letters_total", map[string]string{"stage": c.stage, "reason": c.reason}); value(m) != 1 {
			t.Errorf("dead letters %s/%s: %v", c.stage, c.reason, m)
		}
	}
	fresh := series(fams, "ledgerflow_table_freshness_seconds", map[string]string{"table": "silver/transactions"})
	if fams["ledgerflow_table_freshness_seconds"].GetType() != dto.MetricType_GAUGE || fresh == nil {
		t.Fatalf("no freshness gauge for silver/transactions:\n%s", text)
	}
	f1 := value(fresh)
	if age := time.Since(sourceTS).Seconds(); f1 < 3600 || f1 > age {
		t.Errorf("freshness %v s; the newest committed _source_ts is %v s old", f1, age)
	}
	lat := fams["delta_lake_commit_latency_seconds"]
	if lat.GetType() != dto.MetricType_HISTOGRAM || len(lat.GetMetric()) == 0 || lat.GetMetric()[0].GetHistogram().GetSampleCount() < 1 {
		t.Fatalf("commit latency is not a histogram in seconds with samples: %v", lat)
	}
	if s := lat.GetMetric()[0].GetHistogram().GetSampleSum(); s <= 0 || s > 600 {
		t.Errorf("commit latency sum %v is not in seconds", s)
	}
	if fams["delta_lake_commit_latency_ns"] != nil {
		t.Errorf("the _ns timer leaked through as its own family")
	}

	// Nothing more is committed: the gauge still grows, recomputed by the output every second.
	waitFor(t, "freshness to grow without commits", func() bool {
		fams, _ = scrape(t, srv)
		return value(series(fams, "ledgerflow_table_freshness_seconds", map[string]string{"table": "silver/transactions"})) >= f1+1
	})

	if _, err := exec.LookPath("promtool"); err != nil {
		t.Log("promtool not installed: text format not cross-checked")
	} else {
		cmd := exec.Command("promtool", "check", "metrics")
		_, text = scrape(t, srv)
		cmd.Stdin = strings.NewReader(text)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 3) {
			t.Fatalf("promtool check metrics cannot read the text: %v\n%s", err, out)
		}
		// Exit 3 is lint findings. Benthos' own counters (output_sent, ...) lack the _total
		// suffix, and their names are Benthos'; ours must have no finding at all.
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if strings.HasPrefix(line, "delta_lake_") || strings.HasPrefix(line, "ledgerflow_") {
				t.Errorf("promtool: %s", line)
			}
		}
	}
	select {
	case err := <-done:
		t.Fatalf("the stream ended early: %v", err)
	default:
	}
}

// A restarted output knows how fresh its table is before it commits anything: the newest
// source time is in the last commits' commitInfo.
func TestFreshnessSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	o := newTestOutput(t, dir, "")
	if o.fresh.newest.Load() != 0 {
		t.Fatal("a new table has a freshness")
	}
	if err := o.WriteBatch(context.Background(), service.MessageBatch{msg(txEvent(1, "1.00"), 0, 0, -1)}); err != nil {
		t.Fatal(err)
	}
	_ = o.Close(context.Background())
	o2 := newTestOutput(t, dir, "")
	defer o2.Close(context.Background())
	want := time.Date(2024, 3, 1, 10, 0, 1, 0, time.UTC) // txEvent's _source_ts
	if got := time.UnixMicro(o2.fresh.newest.Load()).UTC(); !got.Equal(want) {
		t.Fatalf("after a restart the newest source time is %v, want %v", got, want)
	}
	if tableLabel(filepath.Join(dir, "bronze")) != filepath.Base(dir)+"/bronze" || tableLabel("./lake/silver/transactions/") != "silver/transactions" {
		t.Fatalf("table labels: %q %q", tableLabel(filepath.Join(dir, "bronze")), tableLabel("./lake/silver/transactions/"))
	}
}
