package debezium

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/redpanda-data/benthos/v4/public/components/pure"
	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	dbz "github.com/ledgerflow/ledgerflow/debezium"
)

// counters is a metrics exporter that remembers counter totals by "name{labels}".
type counters struct {
	mu sync.Mutex
	m  map[string]int64
}

type counter struct {
	c   *counters
	key string
}

func (c counter) Incr(n int64) {
	c.c.mu.Lock()
	c.c.m[c.key] += n // Incr(0) creates the series
	c.c.mu.Unlock()
}
func (counter) Timing(int64)                    {}
func (counter) Set(int64)                       {}
func (c *counters) Close(context.Context) error { return nil }

// has reports whether a counter series exists (was created, even at 0).
func (c *counters) has(name, label string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if strings.HasPrefix(k, name+"{") && strings.HasSuffix(k, ","+label+"}") {
			return true
		}
	}
	return false
}

// get sums a counter over the labels Benthos adds (label, path), by name and own label value.
func (c *counters) get(name, label string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for k, v := range c.m {
		if strings.HasPrefix(k, name+"{") && strings.HasSuffix(k, ","+label+"}") {
			n += v
		}
	}
	return n
}

func (c *counters) NewCounterCtor(name string, _ ...string) service.MetricsExporterCounterCtor {
	return func(vals ...string) service.MetricsExporterCounter {
		return counter{c, name + "{" + strings.Join(vals, ",") + "}"}
	}
}

func (c *counters) NewTimerCtor(name string, _ ...string) service.MetricsExporterTimerCtor {
	return func(...string) service.MetricsExporterTimer { return counter{c, name} }
}

func (c *counters) NewGaugeCtor(name string, _ ...string) service.MetricsExporterGaugeCtor {
	return func(...string) service.MetricsExporterGauge { return counter{c, name} }
}

type inMsg struct {
	body string
	meta map[string]string
}

type outMsg struct {
	body string
	meta map[string]string
	err  error
	raw  []byte // structured metadata debezium_raw, nil when absent
}

// runProcessor feeds messages through a real Benthos stream running debezium_unwrap with
// the given YAML config and returns what reaches the output, in order.
func runProcessor(t *testing.T, conf string, in []inMsg) ([]outMsg, *counters) {
	t.Helper()
	env := service.NewEnvironment()
	cs := &counters{m: map[string]int64{}}
	require.NoError(t, env.RegisterMetricsExporter("test_counters", service.NewConfigSpec(),
		func(*service.ParsedConfig, *service.Logger) (service.MetricsExporter, error) { return cs, nil }))
	sb := env.NewStreamBuilder()
	require.NoError(t, sb.SetLoggerYAML("level: none"))
	require.NoError(t, sb.SetMetricsYAML("test_counters: {}"))
	produce, err := sb.AddProducerFunc()
	require.NoError(t, err)
	require.NoError(t, sb.AddProcessorYAML("debezium_unwrap:\n"+indent(conf)))
	var mu sync.Mutex
	var out []outMsg
	require.NoError(t, sb.AddConsumerFunc(func(_ context.Context, m *service.Message) error {
		b, err := m.AsBytes()
		require.NoError(t, err)
		meta := map[string]string{}
		_ = m.MetaWalk(func(k, v string) error { meta[k] = v; return nil })
		var raw []byte
		if v, ok := m.MetaGetMut(MetaRaw); ok {
			raw, _ = v.([]byte)
			require.True(t, raw != nil, "debezium_raw must be []byte, got %T", v)
		}
		mu.Lock()
		out = append(out, outMsg{body: string(b), meta: meta, err: m.GetError(), raw: raw})
		mu.Unlock()
		return nil
	}))
	stream, err := sb.Build()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
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
			t.Fatalf("stream stopped: %v", err)
		}
	}
	stopCtx, stopCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer stopCancel()
	require.NoError(t, stream.Stop(stopCtx))
	<-done
	return out, cs
}

func indent(s string) string {
	if strings.TrimSpace(s) == "" {
		return "  {}"
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = "  " + lines[i]
	}
	return strings.Join(lines, "\n")
}

func decodeObj(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &m), "%s", s)
	return m
}

const upd301 = `{"before":{"id":1001,"first_name":"Sally","last_name":"Thomas","email":"sally.thomas@acme.com"},"after":{"id":1001,"first_name":"Sarah","last_name":"Thomas","email":"sally.thomas@acme.com"},"source":{"version":"3.0.1.Final","connector":"mysql","name":"wasm","ts_ms":1731327659000,"snapshot":"false","db":"inventory","sequence":null,"ts_us":1731327659000000,"ts_ns":1731327659000000000,"table":"customers","server_id":223344,"gtid":null,"file":"mysql-bin.000003","pos":1041,"row":0,"thread":102,"query":null},"transaction":null,"op":"u","ts_ms":1731327659957,"ts_us":1731327659957757,"ts_ns":1731327659957757335}`

func TestProcessorRowWithKafkaMetadata(t *testing.T) {
	out, _ := runProcessor(t, "", []inMsg{{body: upd301, meta: map[string]string{
		"kafka_topic": "wasm.inventory.customers", "kafka_partition": "2", "kafka_offset": "41", "kafka_key": `{"id":1001}`}}})
	require.Len(t, out, 1)
	require.NoError(t, out[0].err)
	row := decodeObj(t, out[0].body)
	assert.Equal(t, "Sarah", row["first_name"])
	assert.Equal(t, "wasm.inventory.customers", row["_kafka_topic"])
	assert.Equal(t, 2.0, row["_kafka_partition"])
	assert.Equal(t, 41.0, row["_kafka_offset"])
	assert.Equal(t, "Sally", row["_before"].(map[string]any)["first_name"])
	assert.Equal(t, "row", out[0].meta[MetaKind])
	assert.Equal(t, "u", out[0].meta[MetaOp])
	assert.Equal(t, "inventory.customers", out[0].meta[MetaTable])
}

func TestProcessorWithoutMetadataOmitsKafkaColumns(t *testing.T) {
	out, _ := runProcessor(t, "include_before: false", []inMsg{{body: upd301}})
	require.Len(t, out, 1)
	row := decodeObj(t, out[0].body)
	for _, k := range []string{"_kafka_topic", "_kafka_partition", "_kafka_offset", "_before"} {
		assert.NotContains(t, row, k)
	}
	assert.Equal(t, "0000000003:00000000000000001041:000000", row["_source_pos"])
}

func TestProcessorErrorsAreFlaggedAndCounted(t *testing.T) {
	in := []inMsg{
		{body: `{"op":"c","after":{"id":1}`},                              // broken JSON
		{body: `{"schema":{"type":"struct","fields":[]}}`},                // missing payload
		{body: `{"op":"x","after":{"id":1},"source":{}}`},                 // unknown op
		{body: strings.Repeat(" ", 2048) + "{}"},                          // too large (limit 1 KiB)
		{body: upd301, meta: map[string]string{"kafka_partition": "two"}}, // bad metadata
		{body: upd301}, // fine
	}
	out, cs := runProcessor(t, "max_message_bytes: 1024", in)
	require.Len(t, out, len(in), "errored messages must not be dropped")
	wantReasons := []dbz.Reason{dbz.ReasonMalformedJSON, dbz.ReasonMissingPayload, dbz.ReasonUnknownOp, dbz.ReasonEventTooLarge, dbz.ReasonInvalidMeta}
	for i := range wantReasons {
		assert.Nil(t, out[i].raw, "an errored message keeps its body, which is the raw record: no debezium_raw")
	}
	for i, r := range wantReasons {
		require.Error(t, out[i].err, "message %d", i)
		assert.Equal(t, string(r), out[i].meta[MetaErrorReason])
		assert.Equal(t, in[i].body, out[i].body, "an errored message keeps its body for the dead-letter path")
		assert.Equal(t, int64(1), cs.get("debezium_unwrap_errors_total", string(r)), "counter for %s", r)
	}
	assert.NoError(t, out[5].err)
	assert.Contains(t, out[2].err.Error(), `payload.op`)
	assert.Contains(t, out[2].err.Error(), `got x`)
	assert.Contains(t, out[3].err.Error(), "max_message_bytes = 1024")
}

func TestProcessorNonRowKinds(t *testing.T) {
	hb := `{"ts_ms":1700000000000}`
	txn := `{"status":"BEGIN","id":"x:1","ts_ms":1,"event_count":null,"data_collections":null}`
	trunc := `{"source":{"db":"bank","table":"transactions","file":"mysql-bin.000001","pos":4,"row":0},"op":"t","ts_ms":1}`
	msgM := `{"op":"m","ts_ms":1,"source":{"db":"bank"},"message":{"prefix":"p","content":"AQ=="}}`
	ddl := `{"source":{"db":"bank","table":"transactions"},"databaseName":"bank","ddl":"ALTER TABLE transactions ADD x INT","tableChanges":[]}`
	in := []inMsg{
		{body: "", meta: map[string]string{"kafka_tombstone": "true", "kafka_key": `{"id":7}`}}, // Debezium keys every tombstone
		{body: hb, meta: map[string]string{"kafka_topic": "__debezium-heartbeat.bank_server"}},
		{body: hb},
		{body: txn}, {body: trunc}, {body: msgM}, {body: ddl},
		{body: `{"schema":null,"payload":null}`},
	}
	out, cs := runProcessor(t, "tombstone_handling: keep", in)
	require.Len(t, out, len(in))
	kinds := []dbz.Kind{dbz.KindTombstone, dbz.KindHeartbeat, dbz.KindHeartbeat, dbz.KindTransaction, dbz.KindTruncate, dbz.KindMessage, dbz.KindSchemaChange, dbz.KindTombstone}
	for i, k := range kinds {
		require.NoError(t, out[i].err)
		assert.Equal(t, string(k), out[i].meta[MetaKind], "message %d", i)
		assert.Equal(t, in[i].body, out[i].body, "non-row messages pass through unchanged")
	}
	assert.Equal(t, "bank.transactions", out[4].meta[MetaTable])
	assert.Equal(t, "t", out[4].meta[MetaOp])

	out, cs = runProcessor(t, "drop_kinds: [heartbeat, transaction, schema_change, message, truncate]", in)
	require.Len(t, out, 0, "everything listed is dropped, tombstones by default")
	assert.Equal(t, int64(2), cs.get("debezium_unwrap_dropped_total", "heartbeat"))
	assert.Equal(t, int64(2), cs.get("debezium_unwrap_dropped_total", "tombstone"))
}

func deleteEvent() string {
	return `{"before":{"id":7,"name":"x"},"after":null,"source":{"db":"d","table":"t","file":"b.000001","pos":9,"row":0,"ts_ms":0},"op":"d"}`
}

func TestProcessorDeleteModesAndAliases(t *testing.T) {
	tomb := inMsg{body: "", meta: map[string]string{"kafka_tombstone": "true", "kafka_key": `{"id":7}`}}
	del := inMsg{body: deleteEvent()}
	cases := []struct {
		conf  string
		kinds []string // debezium_kind of outputs, in order
	}{
		{"", []string{"row"}},
		{"delete_handling: drop", nil},
		{"delete_handling: tombstone", []string{"tombstone"}},
		{"tombstone_handling: keep", []string{"row", "tombstone"}},
		{`delete.handling.mode: drop`, nil},
		{`delete.handling.mode: none`, []string{"tombstone"}},
		{`delete.handling.mode: rewrite`, []string{"row"}},
		{`drop.tombstones: false`, []string{"row", "tombstone"}},
		{"delete.handling.mode: rewrite\ndrop.tombstones: false", []string{"row", "tombstone"}},
		{`delete.tombstone.handling.mode: drop`, nil},
		{`delete.tombstone.handling.mode: tombstone`, []string{"tombstone"}},
		{`delete.tombstone.handling.mode: delete-to-tombstone`, []string{"tombstone"}},
		{`delete.tombstone.handling.mode: rewrite`, []string{"row"}},
		{`delete.tombstone.handling.mode: rewrite-with-tombstone`, []string{"row", "tombstone"}},
	}
	for _, c := range cases {
		t.Run(c.conf, func(t *testing.T) {
			out, _ := runProcessor(t, c.conf, []inMsg{del, tomb})
			var kinds []string
			for _, o := range out {
				require.NoError(t, o.err)
				kinds = append(kinds, o.meta[MetaKind])
				if o.meta[MetaKind] == "row" {
					row := decodeObj(t, o.body)
					assert.Equal(t, true, row["_deleted"])
					assert.Equal(t, 7.0, row["id"])
				}
				if o.meta[MetaKind] == "tombstone" && o.meta[MetaOp] == "d" {
					assert.Empty(t, o.body)
				}
			}
			assert.Equal(t, c.kinds, kinds)
		})
	}
}

func TestConfigAliasConflicts(t *testing.T) {
	env := service.NewEnvironment()
	for _, conf := range []string{
		"delete_handling: drop\ndelete.handling.mode: rewrite",
		"tombstone_handling: keep\ndrop.tombstones: true",
		"delete.tombstone.handling.mode: bogus",
		"delete.handling.mode: bogus",
	} {
		pc, err := processorSpec().ParseYAML(conf, env)
		require.NoError(t, err)
		_, err = optionsFromConfig(pc)
		assert.Error(t, err, conf)
	}
	pc, err := processorSpec().ParseYAML("delete_handling: drop\ndelete.handling.mode: drop", env)
	require.NoError(t, err)
	o, err := optionsFromConfig(pc)
	require.NoError(t, err, "agreeing settings are fine")
	assert.Equal(t, "drop", o.DeleteHandling)
	pc, err = processorSpec().ParseYAML("schema_file: nosuchtable", env)
	require.NoError(t, err)
	_, err = optionsFromConfig(pc)
	assert.ErrorContains(t, err, "nosuchtable")
}
