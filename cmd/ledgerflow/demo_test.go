package main

import (
	"strings"
	"testing"

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
