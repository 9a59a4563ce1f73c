package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// Metric names ledgerflow serves at /metrics, through its own exporter (metrics/prometheus.go):
// counters and gauges keep the component's name; timers become histograms named with "_ns"
// replaced by "_seconds" (series _bucket, _sum, _count).
var (
	// Benthos core component metrics (redpanda-data/benthos v4: internal/component/input/
	// async_reader.go, processor/auto_observed.go, output/async_writer.go, and the batch
	// policy's batch_created{mechanism} in internal/batch/policy/policy.go).
	benthosCounters = []string{
		"input_received", "input_connection_up", "input_connection_failed", "input_connection_lost",
		"processor_received", "processor_batch_received", "processor_sent", "processor_batch_sent", "processor_error",
		"output_sent", "output_batch_sent", "output_error", "output_connection_up", "output_connection_failed", "output_connection_lost",
		"batch_created",
	}
	benthosTimers = []string{"input_latency_ns", "processor_latency_ns", "output_latency_ns"}

	// LedgerFlow's components (outputs/delta/writer.go, processors/debezium/processor.go,
	// processors/pii/processor.go, processors/enrich, processors/features, processors/fraud, inputs/kafka/lag.go).
	ourCounters = []string{
		"delta_lake_rows_written_total", "delta_lake_commits_total", "delta_lake_duplicates_skipped_total",
		"delta_lake_held_back_total", "delta_lake_dead_letters_total", "delta_lake_merge_stale_changes_total",
		"delta_lake_batches_grouped_total", "delta_lake_merge_bytes_removed_total", "delta_lake_merge_bytes_written_total",
		"debezium_unwrap_errors_total", "debezium_unwrap_dropped_total",
		"pii_errors_total", "pii_mask_fallbacks_total",
		"enrich_errors_total", "enrich_key_errors_total", "enrich_lookups_total", "enrich_misses_total",
		"enrich_null_keys_total", "enrich_poll_errors_total", "enrich_waits_total",
		"fraud_rules_errors_total", "fraud_rules_hits_total", "fraud_rules_input_errors_total", "fraud_rules_reloads_total",
		"features_caps_hit_total", "features_corrections_total", "features_duplicates_total", "features_errors_total",
		"features_provisional_total", "features_scored_total", "features_too_late_total", "features_where_errors_total",
	}
	ourGauges = []string{"delta_lake_table_version", "kafka_consumergroup_lag",
		"enrich_index_bytes", "enrich_index_rows", "enrich_log_lag_versions", "enrich_table_version", "enrich_waiting_rows",
		"features_buffered_transactions", "features_state_keys", "features_state_transactions", "features_watermark_lag_seconds"}
	ourTimers = []string{"delta_lake_commit_latency_ns", "enrich_wait_latency_ns"}

	// Metrics the helpers' agreed interfaces name (the team brief, "New metric names") whose
	// component another work item delivers. The dashboard may query them; the source check
	// holds them to their kind once a component registers them.
	// delta_lake_blocked_total{reason} is not in the brief's list; the delta_lake output's
	// work item announces it, and listing it keeps the source check green when it lands.
	agreedCounters = []string{"ledgerflow_poison_rows_total", "delta_lake_blocked_total"}
	agreedGauges   = []string{"ledgerflow_table_freshness_seconds"}

	// Series Prometheus adds to every scrape.
	scrapeSeries = []string{"up", "scrape_duration_seconds", "scrape_samples_scraped"}
)

// exposedMetrics is the set of series names a dashboard may query.
func exposedMetrics() map[string]bool {
	m := map[string]bool{}
	for _, group := range [][]string{benthosCounters, ourCounters, ourGauges, agreedCounters, agreedGauges, scrapeSeries} {
		for _, n := range group {
			m[n] = true
		}
	}
	for _, n := range append(slices.Clone(benthosTimers), ourTimers...) {
		base := strings.TrimSuffix(n, "_ns") + "_seconds"
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			m[base+suffix] = true
		}
	}
	return m
}

// The lists above must stay true to the code: every name of ours is registered by a
// component with that kind, every metric a component registers is in a list, and every
// Benthos name is in the Benthos module the build uses.
func TestExposedMetricsMatchSource(t *testing.T) {
	root := repoRoot(t)
	var src strings.Builder
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "deploy" || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			src.Write(readFile(t, p))
		}
		return nil
	})
	code := src.String()
	listed := map[string]bool{}
	for kind, names := range map[string][]string{"NewCounter": ourCounters, "NewGauge": ourGauges, "NewTimer": ourTimers} {
		for _, n := range names {
			listed[n] = true
			if !strings.Contains(code, kind+`("`+n+`"`) {
				t.Errorf("no component calls %s(%q); update the metric list in this test", kind, n)
			}
		}
	}
	for kind, names := range map[string][]string{"NewCounter": agreedCounters, "NewGauge": agreedGauges} {
		for _, n := range names {
			listed[n] = true
			t.Run("agreed/"+n, func(t *testing.T) {
				switch {
				case strings.Contains(code, kind+`("`+n+`"`):
				case regexp.MustCompile(`New(Counter|Gauge|Timer)\("` + n + `"`).MatchString(code):
					t.Errorf("%s is registered, but not with %s as agreed", n, kind)
				default:
					t.Skipf("no component registers %s yet (agreed interface; its work item is not in this tree)", n)
				}
			})
		}
	}
	for _, m := range regexp.MustCompile(`\.New(?:Counter|Gauge|Timer)\("([^"]+)"`).FindAllStringSubmatch(code, -1) {
		if !listed[m[1]] {
			t.Errorf("a component registers metric %q, which the test's metric lists lack: add it (the dashboard may query only listed metrics)", m[1])
		}
	}

	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found; cannot locate the Benthos module to check its metric names")
	}
	out, err := exec.Command(gobin, "list", "-m", "-f", "{{.Dir}}", "github.com/redpanda-data/benthos/v4").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skipf("Benthos module not in the module cache (go list: %v)", err)
	}
	var core strings.Builder
	for _, f := range []string{"internal/component/input/async_reader.go", "internal/component/processor/auto_observed.go", "internal/component/output/async_writer.go", "internal/batch/policy/policy.go"} {
		core.Write(readFile(t, filepath.Join(dir, f)))
	}
	for _, n := range append(slices.Clone(benthosCounters), benthosTimers...) {
		if !strings.Contains(core.String(), `"`+n+`"`) {
			t.Errorf("Benthos (%s) does not register %q", dir, n)
		}
	}
}

var (
	grafanaVar  = regexp.MustCompile(`\$\{?__[a-z_]+\}?|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?`)
	quoted      = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	braces      = regexp.MustCompile(`\{[^{}]*\}`)
	brackets    = regexp.MustCompile(`\[[^\[\]]*\]`)
	labelLists  = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	identifier  = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	promqlWords = map[string]bool{"and": true, "or": true, "unless": true, "by": true, "without": true, "on": true,
		"ignoring": true, "group_left": true, "group_right": true, "offset": true, "bool": true, "inf": true, "nan": true, "atan2": true}
)

// substituteGrafanaVars replaces dashboard variables with values that make the expression
// plain PromQL: durations for interval variables, a regexp for the rest.
func substituteGrafanaVars(expr string) string {
	return grafanaVar.ReplaceAllStringFunc(expr, func(v string) string {
		if strings.Contains(v, "interval") || strings.Contains(v, "__range") {
			return "5m"
		}
		return ".*"
	})
}

// metricNames returns the metric names a PromQL expression selects: identifiers that are
// not functions, keywords, label names (inside {} or by(...)) or durations.
func metricNames(expr string) []string {
	e := quoted.ReplaceAllString(substituteGrafanaVars(expr), `""`)
	e = braces.ReplaceAllString(e, "{}")
	e = brackets.ReplaceAllString(e, "[]")
	e = labelLists.ReplaceAllString(e, "")
	var out []string
	for _, loc := range identifier.FindAllStringIndex(e, -1) {
		name := e[loc[0]:loc[1]]
		rest := strings.TrimLeft(e[loc[1]:], " \t\n")
		if strings.HasPrefix(rest, "(") || promqlWords[strings.ToLower(name)] {
			continue
		}
		if loc[0] > 0 && (e[loc[0]-1] >= '0' && e[loc[0]-1] <= '9' || e[loc[0]-1] == '.') {
			continue // the exponent or unit of a number, e.g. 1e3
		}
		out = append(out, name)
	}
	return out
}

func TestMetricNames(t *testing.T) {
	for expr, want := range map[string][]string{
		`sum(rate(input_received{stream=~"$stream"}[$__rate_interval]))`:                                                {"input_received"},
		`histogram_quantile(0.99, sum by (le, stream) (rate(delta_lake_commit_latency_seconds_bucket{label="x"}[5m])))`: {"delta_lake_commit_latency_seconds_bucket"},
		`sum without (path) (rate(output_error[1m])) / ignoring(label) sum(rate(output_sent[1m])) > bool 0.1`:           {"output_error", "output_sent"},
		`max by (stream, label) (delta_lake_table_version) offset 5m or on(stream) vector(0)`:                           {"delta_lake_table_version"},
		`label_values(input_received, stream)`:                                                                          {"input_received", "stream"},
		`sum(increase(debezium_unwrap_errors_total{reason!="a b", stream=~"${stream:regex}"}[1h])) * 1e3 + foo_total`:   {"debezium_unwrap_errors_total", "foo_total"},
	} {
		if got := metricNames(expr); !slices.Equal(got, want) {
			t.Errorf("metricNames(%s) = %v, want %v", expr, got, want)
		}
	}
}

type dashPanel struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource *dashDatasource `json:"datasource"`
	Targets    []struct {
		RefID      string          `json:"refId"`
		Expr       string          `json:"expr"`
		Legend     string          `json:"legendFormat"`
		Datasource *dashDatasource `json:"datasource"`
	} `json:"targets"`
	Panels []dashPanel `json:"panels"`
}

type dashDatasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type dashboard struct {
	UID        string      `json:"uid"`
	Title      string      `json:"title"`
	Panels     []dashPanel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Datasource *dashDatasource `json:"datasource"`
			Definition string          `json:"definition"`
			Query      json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

// dashboardQuery is one PromQL expression with where it comes from.
type dashboardQuery struct {
	where, expr, legend string
	ds                  *dashDatasource
}

func dashboardQueries(d dashboard) []dashboardQuery {
	var out []dashboardQuery
	var walk func(ps []dashPanel)
	walk = func(ps []dashPanel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				ds := tg.Datasource
				if ds == nil {
					ds = p.Datasource
				}
				out = append(out, dashboardQuery{fmt.Sprintf("panel %d %q target %s", p.ID, p.Title, tg.RefID), tg.Expr, tg.Legend, ds})
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			out = append(out, dashboardQuery{"variable " + v.Name, v.Definition, "", v.Datasource})
		}
	}
	return out
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	var d dashboard
	if err := json.Unmarshal(readFile(t, dashboardFile), &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

func TestDashboardQueriesUseExposedMetrics(t *testing.T) {
	d := loadDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Error("dashboard needs a uid and a title (provisioning keys on the uid)")
	}
	exposed := exposedMetrics()
	var ds struct {
		Datasources []struct {
			UID  string `yaml:"uid"`
			Type string `yaml:"type"`
			URL  string `yaml:"url"`
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(readFile(t, datasourceFile), &ds); err != nil || len(ds.Datasources) != 1 {
		t.Fatalf("%s: want one datasource (%v)", datasourceFile, err)
	}
	uid := ds.Datasources[0].UID
	if ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].URL != "http://prometheus:9090" {
		t.Errorf("datasource %+v is not the compose stack's Prometheus", ds.Datasources[0])
	}
	used := map[string]bool{}
	queries := dashboardQueries(d)
	for _, q := range queries {
		if strings.TrimSpace(q.expr) == "" {
			t.Errorf("%s has an empty query", q.where)
			continue
		}
		if q.ds == nil || q.ds.UID != uid {
			t.Errorf("%s uses datasource %+v, want the provisioned uid %q", q.where, q.ds, uid)
		}
		names := metricNames(q.expr)
		if strings.HasPrefix(q.expr, "label_values(") && len(names) > 0 {
			names = names[:1] // label_values(metric, label): the second is a label name
		}
		if len(names) == 0 {
			t.Errorf("%s: %s selects no metric", q.where, q.expr)
		}
		for _, n := range names {
			used[n] = true
			if !exposed[n] {
				t.Errorf("%s: %s queries %q, which ledgerflow does not export", q.where, q.expr, n)
			}
		}
	}
	for _, must := range []string{"input_received", "output_sent", "delta_lake_commits_total", "delta_lake_rows_written_total",
		"delta_lake_dead_letters_total", "debezium_unwrap_errors_total", "delta_lake_commit_latency_seconds_bucket",
		"kafka_consumergroup_lag", "ledgerflow_table_freshness_seconds", "ledgerflow_poison_rows_total"} {
		if !used[must] {
			t.Errorf("dashboard has no panel on %s", must)
		}
	}
	checkPromQLSyntax(t, queries)
}

// checkPromQLSyntax has Prometheus' own parser check every expression: they become
// recording rules in a temporary rules file for `promtool check rules`.
func checkPromQLSyntax(t *testing.T, queries []dashboardQuery) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("promtool not installed; PromQL syntax not checked")
		return
	}
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []rule
	for i, q := range queries {
		if strings.HasPrefix(q.expr, "label_values(") {
			continue // a Grafana function, not PromQL
		}
		rules = append(rules, rule{fmt.Sprintf("dashboard:query%d", i), substituteGrafanaVars(q.expr)})
	}
	doc := map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}}
	b, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "dashboard_rules.yml")
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", f).CombinedOutput(); err != nil {
		t.Errorf("dashboard PromQL does not parse: %v\n%s\n%s", err, out, b)
	}
}

// A query on a metric nobody exports must be caught.
func TestDashboardCheckCatchesUnknownMetric(t *testing.T) {
	exposed := exposedMetrics()
	var unknown []string
	// kafka_consumergroup_lag_sum is what kafka_exporter's dashboards query; ledgerflow
	// exports only the per-partition kafka_consumergroup_lag.
	for _, n := range metricNames(`sum(kafka_consumergroup_lag_sum{pipeline=~"$pipeline"}) / sum(kafka_consumergroup_lag) + sum(rate(output_sent[5m]))`) {
		if !exposed[n] {
			unknown = append(unknown, n)
		}
	}
	sort.Strings(unknown)
	if !slices.Equal(unknown, []string{"kafka_consumergroup_lag_sum"}) {
		t.Errorf("unknown metrics = %v, want [kafka_consumergroup_lag_sum]", unknown)
	}
}

// Grafana loads the dashboard from where the provider looks, and the compose file mounts
// the dashboard directory there.
func TestGrafanaProvisioning(t *testing.T) {
	var prov struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Type    string `yaml:"type"`
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	if err := yaml.Unmarshal(readFile(t, providerFile), &prov); err != nil || prov.APIVersion != 1 || len(prov.Providers) != 1 {
		t.Fatalf("%s: want apiVersion 1 and one provider (%v)", providerFile, err)
	}
	dir := prov.Providers[0].Options.Path
	if prov.Providers[0].Type != "file" || dir == "" {
		t.Fatalf("dashboard provider %+v is not a file provider with a path", prov.Providers[0])
	}
	p := mustLoadCompose(t)
	g := p.Services["grafana"]
	m := mountAt(g, dir)
	if m == nil {
		t.Fatalf("grafana does not mount anything at the provider path %s", dir)
	}
	if rel, _ := relToRepo(t, m.Source); rel != "deploy/"+filepath.ToSlash(filepath.Dir(dashboardFile)) {
		t.Errorf("grafana mounts %s at %s, want deploy/%s", rel, dir, filepath.Dir(dashboardFile))
	}
	if m := mountAt(g, "/etc/grafana/provisioning"); m == nil {
		t.Error("grafana does not mount the provisioning directory at /etc/grafana/provisioning")
	} else if rel, _ := relToRepo(t, m.Source); rel != "deploy/grafana/provisioning" {
		t.Errorf("grafana provisioning comes from %s", rel)
	}
	if home := g.Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]; home != nil && *home != dir+"/"+filepath.Base(dashboardFile) {
		t.Errorf("home dashboard %s is not the provisioned dashboard file", *home)
	}
}

// Labels every series of a Benthos component carries (the component's label and config
// path), and the labels the agreed interfaces promise on metrics of ours whose series may
// not exist yet when a pipeline has just started (no dead letter written, no table
// committed).
var (
	componentLabels = []string{"label", "path"}
	agreedLabels    = map[string][]string{
		"debezium_unwrap_errors_total":       {"reason"},
		"delta_lake_dead_letters_total":      {"stage", "reason"},
		"kafka_consumergroup_lag":            {"consumergroup", "topic", "partition"},
		"ledgerflow_table_freshness_seconds": {"table"},
	}
	matcherLabel = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)`)
	legendLabel  = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)
	groupLists   = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)`)
)

// queryLabels lists the label names a dashboard query relies on: in its matchers, its
// by/without/on/ignoring lists, its legend, and the label of a label_values() variable.
func queryLabels(q dashboardQuery) []string {
	seen := map[string]bool{}
	e := quoted.ReplaceAllString(substituteGrafanaVars(q.expr), `""`)
	if strings.HasPrefix(e, "label_values(") {
		if args := strings.Split(strings.TrimSuffix(strings.TrimPrefix(e, "label_values("), ")"), ","); len(args) == 2 {
			seen[strings.TrimSpace(args[1])] = true
			e = args[0]
		}
	}
	for _, b := range braces.FindAllString(e, -1) {
		for _, m := range matcherLabel.FindAllStringSubmatch(b, -1) {
			seen[m[1]] = true
		}
	}
	for _, m := range groupLists.FindAllStringSubmatch(e, -1) {
		for _, l := range strings.Split(m[1], ",") {
			if l = strings.TrimSpace(l); l != "" {
				seen[l] = true
			}
		}
	}
	for _, m := range legendLabel.FindAllStringSubmatch(q.legend, -1) {
		seen[m[1]] = true
	}
	delete(seen, "__name__")
	return sortedKeys(seen)
}

// dashboardLabelProblems lists the dashboard's uses of labels that none of the query's
// metrics has: a label is there when a live series of the metric carries it, when it is a
// component label, a label the agreed interfaces promise for the metric, a label
// Prometheus adds to the scrape (job, instance, the targets' static labels), or le on a
// histogram bucket.
func dashboardLabelProblems(queries []dashboardQuery, live liveMetrics, targetLabels map[string]bool) []string {
	var out []string
	for _, q := range queries {
		names := metricNames(q.expr)
		if strings.HasPrefix(q.expr, "label_values(") && len(names) > 0 {
			names = names[:1]
		}
		allowed := map[string]bool{}
		for l := range targetLabels {
			allowed[l] = true
		}
		for _, n := range names {
			for l := range live[n] {
				allowed[l] = true
			}
			for _, l := range append(slices.Clone(componentLabels), agreedLabels[n]...) {
				allowed[l] = true
			}
			if strings.HasSuffix(n, "_bucket") {
				allowed["le"] = true
			}
		}
		for _, l := range queryLabels(q) {
			if !allowed[l] {
				out = append(out, fmt.Sprintf("%s: %s (legend %q) uses label %q, which no series of %v carries (labels: %v)", q.where, q.expr, q.legend, l, names, sortedKeys(allowed)))
			}
		}
	}
	return out
}

// prometheusTargetLabels are the labels Prometheus attaches to what it scrapes: job,
// instance and every static label of a target.
func prometheusTargetLabels(t *testing.T) map[string]bool {
	t.Helper()
	var cfg struct {
		ScrapeConfigs []struct {
			StaticConfigs []struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(readFile(t, prometheusFile), &cfg); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{"job": true, "instance": true}
	for _, sc := range cfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			for l := range st.Labels {
				out[l] = true
			}
		}
	}
	return out
}
