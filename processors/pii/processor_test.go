package pii

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/redpanda-data/benthos/v4/public/components/pure"
	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	_ "github.com/ledgerflow/ledgerflow/processors/debezium"
)

// metricsSink is a metrics exporter that remembers every counter by "name{labels}".
type metricsSink struct {
	mu sync.Mutex
	m  map[string]int64
}

type sinkCounter struct {
	s   *metricsSink
	key string
}

func (c sinkCounter) Incr(n int64) { c.s.mu.Lock(); c.s.m[c.key] += n; c.s.mu.Unlock() }
func (c sinkCounter) Timing(int64) {}
func (c sinkCounter) Set(int64)    {}

func (s *metricsSink) NewCounterCtor(name string, labels ...string) service.MetricsExporterCounterCtor {
	return func(vals ...string) service.MetricsExporterCounter {
		c := sinkCounter{s, name + "{" + strings.Join(vals, ",") + "}"}
		c.Incr(0)
		return c
	}
}
func (s *metricsSink) NewTimerCtor(name string, _ ...string) service.MetricsExporterTimerCtor {
	return func(...string) service.MetricsExporterTimer { return sinkCounter{s, name} }
}
func (s *metricsSink) NewGaugeCtor(name string, _ ...string) service.MetricsExporterGaugeCtor {
	return func(...string) service.MetricsExporterGauge { return sinkCounter{s, name} }
}
func (s *metricsSink) Close(context.Context) error { return nil }

// value sums a counter over the labels Benthos adds (label, path), by name and own label.
func (s *metricsSink) value(name, label string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	found := false
	for k, v := range s.m {
		if strings.HasPrefix(k, name+"{") && strings.HasSuffix(k, ","+label+"}") {
			n += v
			found = true
		}
	}
	return n, found
}

func (s *metricsSink) dump() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for k, v := range s.m {
		fmt.Fprintf(&b, "%s %d\n", k, v)
	}
	return b.String()
}

type msgIn struct {
	body string
	meta map[string]string
}

type msgOut struct {
	body string
	meta map[string]string
	err  error
}

type run struct {
	out     []msgOut
	metrics *metricsSink
	logMu   sync.Mutex
	logBuf  bytes.Buffer
}

// logs returns the log lines so far; a stream that failed to start may still be logging.
func (r *run) logs() string {
	r.logMu.Lock()
	defer r.logMu.Unlock()
	return r.logBuf.String()
}

// runStream feeds messages through a real Benthos stream with the given processors (a YAML
// list) and returns what reaches the output, the metrics and every log line (debug level).
// It needs at least one message: a stream that fails to start returns its error from Run
// while the first message waits.
func runStream(t *testing.T, processors string, in []msgIn) (*run, error) {
	t.Helper()
	require.NotEmpty(t, in)
	env := service.NewEnvironment()
	r := &run{metrics: &metricsSink{m: map[string]int64{}}}
	require.NoError(t, env.RegisterMetricsExporter("sink", service.NewConfigSpec(),
		func(*service.ParsedConfig, *service.Logger) (service.MetricsExporter, error) { return r.metrics, nil }))
	sb := env.NewStreamBuilder()
	sb.SetLogger(slog.New(slog.NewTextHandler(&lockedWriter{mu: &r.logMu, w: &r.logBuf}, &slog.HandlerOptions{Level: slog.LevelDebug})))
	require.NoError(t, sb.SetMetricsYAML("sink: {}"))
	produce, err := sb.AddProducerFunc()
	require.NoError(t, err)
	var list []any
	require.NoError(t, yaml.Unmarshal([]byte(processors), &list))
	for _, p := range list {
		b, err := yaml.Marshal(p)
		require.NoError(t, err)
		if err := sb.AddProcessorYAML(string(b)); err != nil {
			return r, err // a lint error
		}
	}
	var mu sync.Mutex
	require.NoError(t, sb.AddConsumerFunc(func(_ context.Context, m *service.Message) error {
		b, err := m.AsBytes()
		require.NoError(t, err)
		meta := map[string]string{}
		_ = m.MetaWalk(func(k, v string) error { meta[k] = v; return nil })
		mu.Lock()
		r.out = append(r.out, msgOut{string(b), meta, m.GetError()})
		mu.Unlock()
		return nil
	}))
	stream, err := sb.Build()
	if err != nil {
		return r, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // deadlock guard
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- stream.Run(ctx) }()
	for _, m := range in {
		msg := service.NewMessage([]byte(m.body))
		for k, v := range m.meta {
			msg.MetaSetMut(k, v)
		}
		perr := make(chan error, 1)
		go func() { perr <- produce(ctx, msg) }()
		select {
		case err := <-perr:
			require.NoError(t, err)
		case err := <-done:
			return r, err
		}
	}
	require.NoError(t, stream.Stop(ctx))
	return r, <-done
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

const keyEnv = "LEDGERFLOW_PII_KEY_TEST"

const customersPipeline = `
- debezium_unwrap:
    schema_file: customers
    tombstone_handling: keep
- pii:
    schema_file: schemas/customers.yaml
    key_env: ` + keyEnv + `
    columns:
      email: hash
      phone: hash
      date_of_birth: year
      first_name: keep
      last_name: keep
`

const source = `"source":{"version":"3.0.1.Final","connector":"mysql","name":"bank_server","ts_ms":1714521601000,"snapshot":"false","db":"bank","table":"customers","server_id":1,"file":"mysql-bin.000001","pos":%d,"row":0}`

func customerEvent(op, before, after string, pos int) string {
	return `{"before":` + before + `,"after":` + after + `,` + strings.Replace(source, "%d", strconv.Itoa(pos), 1) + `,"op":"` + op + `","ts_ms":1714521601234}`
}

const ada = `{"customer_id":7,"first_name":"Ada","last_name":"Lovelace","email":"ada@example.org","phone":"+44 20 7946 0958","date_of_birth":-56270,"country":"GB","kyc_status":"verified","risk_rating":20,"created_at":1714521600000,"updated_at":null}`
const ada2 = `{"customer_id":7,"first_name":"Ada","last_name":"Lovelace","email":"\u00e9","phone":null,"date_of_birth":-56270,"country":"GB","kyc_status":"verified","risk_rating":20,"created_at":1714521600000,"updated_at":1714521660000}`

// The real pipeline shape: debezium_unwrap then pii, events in, protected rows out.
func TestStreamProtectsEveryRowKind(t *testing.T) {
	t.Setenv(keyEnv, testKey)
	kafka := func(off string) map[string]string {
		return map[string]string{"kafka_topic": "bank_server.bank.customers", "kafka_partition": "0", "kafka_offset": off}
	}
	r, err := runStream(t, customersPipeline, []msgIn{
		{customerEvent("c", "null", ada, 4), kafka("1")},
		{customerEvent("u", ada, ada2, 5), kafka("2")},
		{customerEvent("d", ada2, "null", 6), kafka("3")},
		{"", map[string]string{"kafka_tombstone": "true", "kafka_key": `{"customer_id":7}`}},
		{`{"before":null,"after":{"customer_id":"seven","email":"ada@example.org"},` + strings.Replace(source, "%d", "7", 1) + `,"op":"c"}`, nil},
	})
	require.NoError(t, err)
	require.Len(t, r.out, 5)

	create, update, del, tomb, broken := r.out[0], r.out[1], r.out[2], r.out[3], r.out[4]
	for _, m := range []msgOut{create, update, del} {
		require.NoError(t, m.err)
		assert.NotContains(t, m.body, "ada@example.org")
		assert.NotContains(t, m.body, "7946")
		assert.NotContains(t, m.body, "1815-12-10")
	}
	assert.JSONEq(t, `{"customer_id":7,"first_name":"Ada","last_name":"Lovelace","email":"`+openssl["ada@example.org"]+`","phone":"`+openssl["+44 20 7946 0958"]+`","date_of_birth":"1815-01-01","country":"GB","kyc_status":"verified","risk_rating":20,"created_at":"2024-05-01T00:00:00.000000Z","updated_at":null,
		"_op":"c","_source_ts":"2024-05-01T00:00:01.000Z","_source_pos":"0000000001:00000000000000000004:000000","_source_gtid":null,"_source_file":"mysql-bin.000001","_snapshot":"false","_deleted":false,"_source_table":"bank.customers","_kafka_topic":"bank_server.bank.customers","_kafka_partition":0,"_kafka_offset":1}`, create.body)

	b, _ := get(t, []byte(update.body), "_before")
	assert.JSONEq(t, `{"customer_id":7,"first_name":"Ada","last_name":"Lovelace","email":"`+openssl["ada@example.org"]+`","phone":"`+openssl["+44 20 7946 0958"]+`","date_of_birth":"1815-01-01","country":"GB","kyc_status":"verified","risk_rating":20,"created_at":"2024-05-01T00:00:00.000000Z","updated_at":null}`, string(b))
	e, _ := get(t, []byte(update.body), "email")
	assert.Equal(t, `"`+openssl["é"]+`"`, string(e), "the escaped é of the event hashes as é")

	e, _ = get(t, []byte(del.body), "email")
	assert.Equal(t, `"`+openssl["é"]+`"`, string(e))
	assert.Contains(t, del.body, `"_deleted":true`)

	assert.Equal(t, "", tomb.body)
	assert.Equal(t, "tombstone", tomb.meta["debezium_kind"])

	// An event the unwrap refused passes untouched (it is dead-lettered as the raw event).
	require.Error(t, broken.err)
	assert.Equal(t, "type_mismatch", broken.meta["debezium_error_reason"])
	assert.NotContains(t, broken.meta, MetaErrorReason)

	assert.Contains(t, r.logs(), "pii: table customers: date_of_birth=year, email=hash, phone=hash; personal data kept in clear by configuration: first_name (name), last_name (name)")
	for _, reason := range Reasons {
		n, ok := r.metrics.value("pii_errors_total", string(reason))
		assert.True(t, ok, "pii_errors_total{reason=%s} exists from start", reason)
		assert.Zero(t, n)
	}
}

func TestStreamFailsRowsItCannotProtect(t *testing.T) {
	t.Setenv(keyEnv, testKey)
	r, err := runStream(t, `
- pii:
   schema_file: transactions
   key_env: `+keyEnv+`
   columns: { ip_address: mask, device_id: hash }
`, []msgIn{
		{`{"transaction_id":1,"device_id":{"id":"dev-42"}}`, nil},
		{`{"transaction_id":1,"ip_address":"10.1.2.3","_source_table":"bank.customers"}`, nil},
		{`not json`, nil},
		{`{"transaction_id":2,"device_id":"dev-42","ip_address":"unknown"}`, nil},
	})
	require.NoError(t, err)
	require.Len(t, r.out, 4)
	for i, want := range []Reason{ReasonTypeMismatch, ReasonTableMismatch, ReasonMalformedJSON} {
		require.Error(t, r.out[i].err)
		assert.Equal(t, string(want), r.out[i].meta[MetaErrorReason])
		n, _ := r.metrics.value("pii_errors_total", string(want))
		assert.EqualValues(t, 1, n, want)
	}
	assert.Equal(t, `{"transaction_id":1,"device_id":{"id":"dev-42"}}`, r.out[0].body, "a failed row keeps its body for the dead letter")
	assert.NotContains(t, r.out[0].err.Error(), "dev-42")
	assert.NotContains(t, r.out[1].err.Error(), "10.1.2.3")
	require.NoError(t, r.out[3].err)
	assert.Equal(t, `{"transaction_id":2,"device_id":"`+openssl["dev-42"]+`","ip_address":"***"}`, r.out[3].body)
	n, ok := r.metrics.value("pii_mask_fallbacks_total", "ip_address")
	assert.True(t, ok)
	assert.EqualValues(t, 1, n)
}

// A missing key stops the pipeline at start; there is no default key.
func TestStreamMissingKeyIsAStartupError(t *testing.T) {
	conf := `
- pii:
    schema_file: customers
    key_env: LEDGERFLOW_PII_KEY_THAT_IS_NOT_SET
    columns: { email: hash, phone: hash, date_of_birth: year, first_name: keep, last_name: keep }
`
	one := []msgIn{{`{"email":"ada@example.org"}`, nil}}
	r, err := runStream(t, conf, one)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "environment variable LEDGERFLOW_PII_KEY_THAT_IS_NOT_SET is not set; there is no default key")
	assert.Empty(t, r.out, "nothing passed")

	// No key source at all, with a hash policy.
	_, err = runStream(t, strings.Replace(conf, "    key_env: LEDGERFLOW_PII_KEY_THAT_IS_NOT_SET\n", "", 1), one)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "a hash policy needs a key")

	// A short key.
	t.Setenv("LEDGERFLOW_PII_SHORT", "too-short-to-be-a-key")
	_, err = runStream(t, strings.Replace(conf, "LEDGERFLOW_PII_KEY_THAT_IS_NOT_SET", "LEDGERFLOW_PII_SHORT", 1), one)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "shorter than 32 bytes")
	assert.NotContains(t, err.Error(), "too-short-to-be-a-key")

	// A key that is configured must be readable even when no column is hashed yet.
	_, err = runStream(t, `
- pii:
    schema_file: transactions
    key_env: LEDGERFLOW_PII_KEY_THAT_IS_NOT_SET
    columns: { ip_address: mask, device_id: drop }
`, one)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "LEDGERFLOW_PII_KEY_THAT_IS_NOT_SET is not set")

	// Policies are checked against the contract at start too.
	_, err = runStream(t, `
- pii:
    schema_file: customers
    columns: { email: mask, phone: mask, date_of_birth: year, first_name: keep, nickname: drop }
`, one)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `column "nickname" is not in contract customers`)
	assert.Contains(t, err.Error(), "last_name (pii: name)")
}

// The key must appear in no log line, error, metadata, metric name or label, whatever
// happens: rows protected, rows failed, masks falling back, startup failures, lint.
func TestStreamNeverRevealsTheKey(t *testing.T) {
	t.Setenv(keyEnv, testKey)
	var seen strings.Builder
	collect := func(r *run) {
		for _, m := range r.out {
			seen.WriteString(m.body)
			if m.err != nil {
				seen.WriteString(m.err.Error())
			}
			for k, v := range m.meta {
				seen.WriteString(k + v)
			}
		}
		seen.WriteString(r.logs())
		seen.WriteString(r.metrics.dump())
	}
	r, err := runStream(t, customersPipeline, []msgIn{{customerEvent("c", "null", ada, 4), nil}})
	require.NoError(t, err)
	collect(r)
	r, err = runStream(t, `
- pii:
    schema_file: customers
    key_env: `+keyEnv+`
    columns: { email: hash, phone: mask, date_of_birth: year, first_name: mask, last_name: keep }
`, []msgIn{
		{`{"email":{"nested":true}}`, nil},
		{`{"date_of_birth":"soon"}`, nil},
		{`{"phone":"x","_source_table":"other.t"}`, nil},
		{`{"phone":"not a phone","first_name":"'quoted'"}`, nil},
		{`[`, nil},
	})
	require.NoError(t, err)
	collect(r)
	require.Len(t, r.out, 5)
	for i, want := range []string{"type_mismatch", "invalid_value", "table_mismatch", "", "malformed_json"} {
		assert.Equal(t, want, r.out[i].meta[MetaErrorReason], "row %d took the path it should", i)
	}
	// Startup failures with the key in the environment.
	for _, conf := range []string{
		strings.Replace(customersPipeline, "key_env: "+keyEnv, "key_env: "+keyEnv+"\n    key_file: /nonexistent", 1),
		strings.Replace(customersPipeline, "first_name: keep", "first_name: hash", 1) + "      nope: hash\n",
		strings.Replace(customersPipeline, "key_env: "+keyEnv, "key_env: "+testKey, 1), // the key written where its name belongs
	} {
		r, err := runStream(t, conf, []msgIn{{customerEvent("c", "null", ada, 4), nil}})
		require.Error(t, err)
		seen.WriteString(err.Error())
		collect(r)
	}
	// Benthos' own lint of the config.
	lints, err := service.NewEnvironment().NewComponentConfigLinter().LintProcessorYAML([]byte("pii:\n  schema_file: customers\n  key_env: " + keyEnv + "\n  columns: { email: hush }\n"))
	require.NoError(t, err)
	require.NotEmpty(t, lints)
	for _, l := range lints {
		seen.WriteString(l.Error())
	}

	all := seen.String()
	require.Contains(t, all, "pii: table customers", "the logs were captured")
	require.Contains(t, all, "pii_mask_fallbacks_total", "the metrics were captured")
	for _, secret := range []string{testKey, testKey[:16], testKey[len(testKey)-16:]} {
		if i := strings.Index(all, secret); i >= 0 {
			t.Errorf("key material %q found at: …%s…", secret, all[max(0, i-120):min(len(all), i+60)])
		}
	}
}

func TestLintRule(t *testing.T) {
	lint := func(conf string) []string {
		lints, err := service.NewEnvironment().NewComponentConfigLinter().LintProcessorYAML([]byte(conf))
		require.NoError(t, err)
		var out []string
		for _, l := range lints {
			out = append(out, l.What)
		}
		return out
	}
	assert.Empty(t, lint("pii:\n  schema_file: customers\n  key_env: K\n  columns: { email: hash, phone: mask, dob: year, a: keep, b: drop }\n"))
	got := strings.Join(lint("pii:\n  schema_file: customers\n  key_env: K\n  key_file: /k\n  columns: { email: hsh, phone: Keep }\n"), "\n")
	assert.Contains(t, got, "set key_env or key_file, not both")
	assert.Contains(t, got, `columns.email: policy "hsh" is not one of keep, hash, mask, drop, year`)
	assert.Contains(t, got, `columns.phone: policy "Keep"`)
	assert.NotEmpty(t, lint("pii:\n  columns: {}\n"), "schema_file is required")
}

// The lint rule is parsed in this package's init, which may run before the pure plugin
// methods register (it did in the binary: "unrecognised method 'concat'"); it may only use
// methods of the Bloblang core (internal/bloblang/query).
func TestLintRuleUsesCoreMethodsOnly(t *testing.T) {
	core := map[string]bool{"type": true, "key_values": true, "filter": true, "contains": true, "map_each": true, "format": true, "string": true, "or": true, "append": true}
	for _, m := range regexp.MustCompile(`\.([a-z_]+)\(`).FindAllStringSubmatch(lintRuleText(t), -1) {
		assert.True(t, core[m[1]], "method %s is not a core Bloblang method", m[1])
	}
}

// lintRuleText reads the rule back from the source, as it is passed to LintRule.
func lintRuleText(t *testing.T) string {
	b, err := os.ReadFile("processor.go")
	require.NoError(t, err)
	s := string(b)
	i := strings.Index(s, "LintRule(`")
	require.GreaterOrEqual(t, i, 0)
	j := strings.Index(s[i+10:], "`")
	return s[i+10 : i+10+j]
}

// The published TestKey of `ledgerflow test` is refused outside test mode: hashes made with
// it can be recomputed by anyone who reads this repository.
func TestStreamRefusesThePublishedTestKey(t *testing.T) {
	was := testMode.Load()
	t.Cleanup(func() { testMode.Store(was) })
	testMode.Store(false)
	t.Setenv("LEDGERFLOW_PII_PUBLISHED", TestKey)
	conf := `
- pii:
    schema_file: transactions
    key_env: LEDGERFLOW_PII_PUBLISHED
    columns: { ip_address: mask, device_id: hash }
`
	one := []msgIn{{`{"transaction_id":1,"device_id":"dev-42"}`, nil}}
	_, err := runStream(t, conf, one)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "published test key")

	EnableTestMode()
	r, err := runStream(t, conf, one)
	require.NoError(t, err)
	require.Len(t, r.out, 1)
	assert.Equal(t, `{"transaction_id":1,"device_id":"`+refHash(TestKey, "dev-42")+`"}`, r.out[0].body)
}
