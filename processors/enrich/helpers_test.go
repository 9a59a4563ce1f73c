package enrich

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	_ "github.com/ledgerflow/ledgerflow/outputs/delta"
	_ "github.com/redpanda-data/benthos/v4/public/components/pure"
)

// metricsSink records counters and gauges by name{labels}.
type metricsSink struct {
	mu sync.Mutex
	m  map[string]int64
}

var sink = &metricsSink{m: map[string]int64{}}

type sinkMetric struct {
	s   *metricsSink
	key string
}

func (c sinkMetric) Incr(n int64) { c.s.mu.Lock(); c.s.m[c.key] += n; c.s.mu.Unlock() }
func (c sinkMetric) Timing(int64) { c.Incr(1) }
func (c sinkMetric) Set(n int64)  { c.s.mu.Lock(); c.s.m[c.key] = n; c.s.mu.Unlock() }

func (s *metricsSink) NewCounterCtor(name string, _ ...string) service.MetricsExporterCounterCtor {
	return func(vals ...string) service.MetricsExporterCounter {
		c := sinkMetric{s, name + "{" + strings.Join(vals, ",") + "}"}
		c.Incr(0)
		return c
	}
}
func (s *metricsSink) NewTimerCtor(name string, _ ...string) service.MetricsExporterTimerCtor {
	return func(vals ...string) service.MetricsExporterTimer {
		return sinkMetric{s, name + "{" + strings.Join(vals, ",") + "}"}
	}
}
func (s *metricsSink) NewGaugeCtor(name string, _ ...string) service.MetricsExporterGaugeCtor {
	return func(vals ...string) service.MetricsExporterGauge {
		return sinkMetric{s, name + "{" + strings.Join(vals, ",") + "}"}
	}
}
func (s *metricsSink) Close(context.Context) error { return nil }

// value returns a metric by name and its own (last) label value, for the processor labelled
// label; ok is false when it was never created.
func (s *metricsSink) value(name, label, own string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.m {
		if strings.HasPrefix(k, name+"{"+label+",") && strings.HasSuffix(k, ","+own+"}") {
			return v, true
		}
	}
	return 0, false
}

func init() {
	err := service.RegisterMetricsExporter("enrich_test_sink", service.NewConfigSpec(),
		func(*service.ParsedConfig, *service.Logger) (service.MetricsExporter, error) { return sink, nil })
	if err != nil {
		panic(err)
	}
}

// silver is a real delta_lake output in merge mode writing one silver table.
type silver struct {
	t      *testing.T
	path   string
	res    *service.Resources
	stop   func(context.Context) error
	offset int64
	pos    int
}

func newSilver(t *testing.T, dir, contract string, scd int) *silver {
	t.Helper()
	s := &silver{t: t, path: filepath.Join(dir, "silver", contract)}
	rb := service.NewResourceBuilder()
	if err := rb.AddOutputYAML(fmt.Sprintf(`
label: out
delta_lake:
  path: %s
  mode: merge
  schema_file: %s
  pipeline: %s
  stored_as_scd_type: %d
  checkpoint_interval: 3
`, s.path, contract, contract, scd)); err != nil {
		t.Fatal(err)
	}
	res, stop, err := rb.Build()
	if err != nil {
		t.Fatal(err)
	}
	s.res, s.stop = res, stop
	t.Cleanup(func() { _ = stop(context.Background()) })
	return s
}

// write sends rows (JSON objects as debezium_unwrap emits them, without the change
// metadata, which is added here) as one batch, and waits for the commit.
func (s *silver) write(op string, rows ...string) {
	s.t.Helper()
	var batch service.MessageBatch
	for _, r := range rows {
		s.pos++
		ts := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(s.pos) * time.Second)
		body := strings.TrimSuffix(strings.TrimSpace(r), "}") + fmt.Sprintf(`,"_op":%q,"_source_ts":%q,"_source_pos":"%010d:%020d:%06d","_deleted":%v}`,
			op, ts.Format("2006-01-02T15:04:05.000Z"), 1, 1000+s.pos, 0, op == "d")
		m := service.NewMessage([]byte(body))
		m.MetaSetMut("kafka_topic", "bank_server.bank.x")
		m.MetaSetMut("kafka_partition", "0")
		m.MetaSetMut("kafka_offset", strconv.FormatInt(s.offset, 10))
		m.MetaSetMut("kafka_prev_offset", strconv.FormatInt(s.offset-1, 10))
		s.offset++
		batch = append(batch, m)
	}
	var werr error
	err := s.res.AccessOutput(context.Background(), "out", func(o *service.ResourceOutput) {
		werr = o.WriteBatch(context.Background(), batch)
	})
	if err != nil || werr != nil {
		s.t.Fatalf("writing %s: %v %v", s.path, err, werr)
	}
}

func account(id, customer int, balance, status string) string {
	return fmt.Sprintf(`{"account_id":%d,"customer_id":%d,"account_type":"checking","currency":"EUR","balance":%q,"credit_limit":null,"status":%q,"overdraft_allowed":true,"created_at":"2024-04-01T09:00:00.250000Z","updated_at":null}`, id, customer, balance, status)
}

func customer(id int, country string, risk int, kyc string) string {
	return fmt.Sprintf(`{"customer_id":%d,"first_name":"Ada","last_name":"Lovelace","email":"ada%d@example.org","phone":null,"date_of_birth":"1815-12-10","country":%q,"kyc_status":%q,"risk_rating":%d,"created_at":"2023-01-02T03:04:05.000000Z","updated_at":null}`, id, id, country, kyc, risk)
}

func merchant(id int, mcc, country, lat, lon, tier string) string {
	return fmt.Sprintf(`{"merchant_id":%d,"name":"Shop %d","mcc":%q,"country":%q,"city":"Berlin","lat":%s,"lon":%s,"risk_tier":%q,"onboarded_at":"2022-06-01T00:00:00.000000Z","updated_at":null}`, id, id, mcc, country, lat, lon, tier)
}

func tx(id, acct, cust int, merch any) string {
	m := "null"
	if merch != nil {
		m = fmt.Sprint(merch)
	}
	return fmt.Sprintf(`{"transaction_id":%d,"account_id":%d,"customer_id":%d,"merchant_id":%s,"amount":"12.00","currency":"EUR","status":"pending","transaction_type":"purchase","event_ts":"2024-05-01T12:00:00.000000Z","_op":"c"}`, id, acct, cust, m)
}

// enricher builds an enrich processor from YAML through the resource builder, with the
// metrics going to sink under the processor label given.
func enricher(t *testing.T, label, conf string) (*service.Resources, func(context.Context) error) {
	t.Helper()
	rb := service.NewResourceBuilder()
	if err := rb.SetMetricsYAML("enrich_test_sink: {}"); err != nil {
		t.Fatal(err)
	}
	if err := rb.AddProcessorYAML("label: " + label + "\nenrich:\n" + indent(conf)); err != nil {
		t.Fatal(err)
	}
	res, stop, err := rb.Build()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop(context.Background()) })
	return res, stop
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.Trim(s, "\n"), "\n") {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

func process(t *testing.T, res *service.Resources, label string, msgs ...*service.Message) service.MessageBatch {
	t.Helper()
	out, err := tryProcess(res, label, msgs...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tryProcess is process for goroutines other than the test's.
func tryProcess(res *service.Resources, label string, msgs ...*service.Message) (service.MessageBatch, error) {
	var out []service.MessageBatch
	var perr error
	err := res.AccessProcessor(context.Background(), label, func(p *service.ResourceProcessor) {
		out, perr = p.ProcessBatch(context.Background(), service.MessageBatch(msgs))
	})
	if err != nil || perr != nil {
		return nil, fmt.Errorf("process: %v %v", err, perr)
	}
	if len(out) != 1 || len(out[0]) != len(msgs) {
		return nil, fmt.Errorf("process returned %d batches (%v), want one of %d messages", len(out), out, len(msgs))
	}
	return out[0], nil
}

func envOf(t *testing.T, m *service.Message) map[string]map[string]any {
	t.Helper()
	v, ok := m.MetaGetMut(MetaEnv)
	if !ok {
		t.Fatal("no ledgerflow_env metadata")
	}
	env, ok := v.(map[string]map[string]any)
	if !ok {
		t.Fatalf("ledgerflow_env is %T", v)
	}
	return env
}

func missingOf(m *service.Message) []any {
	v, ok := m.MetaGetMut(MetaMissing)
	if !ok {
		return nil
	}
	return v.([]any)
}
