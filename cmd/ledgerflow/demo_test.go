package main

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ledgerflow/ledgerflow/pipelines"
)

// TestStreamFilesKeepThePipelines checks that the stream files the demo derives from the
// shipped pipelines lose their http section and nothing else.
func TestStreamFilesKeepThePipelines(t *testing.T) {
	for _, name := range []string{"customers.yaml", "accounts.yaml", "transactions.yaml"} {
		src, err := pipelines.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		out, err := withoutKey(src, "http")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var before, after map[string]any
		if err := yaml.Unmarshal(src, &before); err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(out, &after); err != nil {
			t.Fatalf("%s: the stream file is not YAML: %v", name, err)
		}
		if _, ok := after["http"]; ok {
			t.Errorf("%s: http is still there", name)
		}
		delete(before, "http")
		b1, _ := yaml.Marshal(before)
		b2, _ := yaml.Marshal(after)
		if string(b1) != string(b2) {
			t.Errorf("%s: the stream file changed more than http:\n%s\n---\n%s", name, b1, b2)
		}
	}
	if _, err := withoutKey([]byte("- a\n- b\n"), "http"); err == nil {
		t.Error("a YAML list was accepted as a pipeline")
	}
}

func TestParseMetricsSumsOutputs(t *testing.T) {
	m := parseMetrics(strings.NewReader(`# HELP delta_lake_rows_written_total LedgerFlow counter
# TYPE delta_lake_rows_written_total counter
delta_lake_rows_written_total{label="bronze_accounts",path="root.output.broker.outputs.0",stream="accounts"} 1005
delta_lake_rows_written_total{label="bronze_transactions",path="root.output.broker.outputs.0",stream="transactions"} 1676
delta_lake_commits_total{label="bronze_accounts",stream="accounts"} 3
delta_lake_dead_letters_total{label="x",stage="decode",stream="transactions"} 2
delta_lake_commits_total 1e+00
input_received 99
`))
	if !m.ok || m.rows != 2681 || m.commits != 4 || m.dead != 2 {
		t.Fatalf("got %+v", m)
	}
}

func FuzzParseMetrics(f *testing.F) {
	f.Add("delta_lake_rows_written_total{a=\"b}\"} 12\n")
	f.Add("delta_lake_commits_total NaN\n# x\n")
	f.Fuzz(func(t *testing.T, s string) {
		m := parseMetrics(strings.NewReader(s))
		if !m.ok {
			t.Fatal("a readable body must give ok")
		}
	})
}

func TestSlidingRate(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	r := &slidingRate{window: 5 * time.Second}
	if got := r.add(t0, 0); got != 0 {
		t.Fatalf("one sample: rate %v, want 0", got)
	}
	// A burst of 50000 in the first second, then nothing: the rate since the start would
	// still be 50000/10s = 5000/s at 10s; over the last 5 s it is 0.
	r.add(t0.Add(time.Second), 50000)
	if got := r.add(t0.Add(2*time.Second), 50000); got != 25000 {
		t.Fatalf("at 2s: rate %v, want 25000 (50000 over 2 s)", got)
	}
	for s := 3; s <= 10; s++ {
		r.add(t0.Add(time.Duration(s)*time.Second), 50000)
	}
	if got := r.add(t0.Add(11*time.Second), 50000); got != 0 {
		t.Fatalf("after the burst: rate %v, want 0", got)
	}
	if len(r.samples) > 7 {
		t.Fatalf("%d samples kept, want only the last window's", len(r.samples))
	}
	// Steady 1000/s: the window's rate is exactly that.
	for s := 12; s <= 20; s++ {
		r.add(t0.Add(time.Duration(s)*time.Second), 50000+int64(s-11)*1000)
	}
	if got := r.add(t0.Add(21*time.Second), 60000); got != 1000 {
		t.Fatalf("steady: rate %v, want 1000", got)
	}
}

func TestEventLag(t *testing.T) {
	produced := map[string]partRange{
		"t/0": {base: 100, count: 10}, // offsets 100..109
		"t/1": {base: 0, count: 5},    // offsets 0..4
	}
	bronze := map[string]int64{"t/0": 109, "t/1": 2}
	silver := map[string]int64{"t/0": 104} // silver has not committed t/1 yet
	if got := eventLag(produced, []map[string]int64{bronze, silver}); got != 10 {
		// t/0: bronze all 10, silver 100..104 = 5 → 5 committed; t/1: silver none → 0.
		t.Fatalf("lag %d, want 10 (15 produced, 5 committed everywhere)", got)
	}
	// Versions from earlier runs (below base) commit nothing of this run; versions past the
	// end count only what was produced.
	if got := eventLag(produced, []map[string]int64{{"t/0": 50, "t/1": 99}}); got != 10 {
		t.Fatalf("lag %d, want 10", got)
	}
	if got := eventLag(produced, []map[string]int64{{"t/0": 109, "t/1": 4}, {"t/0": 200, "t/1": 4}}); got != 0 {
		t.Fatalf("lag %d, want 0 when every layer committed everything", got)
	}
	// Rows in the tables do not count: the old progress line summed bronze and silver rows,
	// so two layers committing everything showed a negative lag clamped to 0 while half
	// was missing. Here nothing of the second layer is there.
	if got := eventLag(produced, []map[string]int64{{"t/0": 109, "t/1": 4}, {}}); got != 15 {
		t.Fatalf("lag %d, want 15 when one layer has committed nothing", got)
	}
}

func TestResumeMessage(t *testing.T) {
	before := map[string]tableInfo{"customers": {rows: 10}, "accounts": {rows: 20}, "transactions": {rows: 30}}
	if msg := resumeMessage("/lake", 1, map[string]tableInfo{}); msg != "" {
		t.Fatalf("a first run says %q", msg)
	}
	msg := resumeMessage("/lake", 3, before)
	for _, want := range []string{"resuming", "run 3", "/lake", "already hold 60 rows", "customers 10", "accounts 20", "transactions 30", "appends", "--fresh"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not say %q", msg, want)
		}
	}
}

func TestDemoMemoryEnvKeepsTheUsers(t *testing.T) {
	got := demoMemoryEnv(func(k string) (string, bool) { return "9", k == "GOGC" })
	want := []string{"KAFKA_MAX_UNACKED_RECORDS=8192", "BATCH_COUNT=4096", "GOMEMLIMIT=300MiB"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got %v, want %v (the user's GOGC kept)", got, want)
	}
}
