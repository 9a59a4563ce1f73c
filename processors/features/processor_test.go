package features

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func schemaPath() string { return "../../schemas/transactions.yaml" }

func newTestProcessor(t *testing.T, extra string) *processor {
	t.Helper()
	conf, err := processorSpec().ParseYAML(fmt.Sprintf(`
declaration: testdata/features.yaml
schema_file: %s
partitions: 2
objects: { merch: { lat: "DECIMAL(9,6)" } }
%s`, schemaPath(), extra), nil)
	require.NoError(t, err)
	p, err := newProcessor(conf, service.MockResources())
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	return p.(*processor)
}

type txRow struct {
	id, acct  int64
	merch     any
	amount    string
	status    string
	at        time.Duration // event time after t0
	op        string
	sourceAt  time.Duration
	partition int
	offset    int64
	device    any
}

func (r txRow) msg() *service.Message {
	op := r.op
	if op == "" {
		op = "c"
	}
	ev := t0.Add(r.at).Format("2006-01-02T15:04:05.000000Z")
	src := t0.Add(r.sourceAt).Format("2006-01-02T15:04:05.000Z")
	if r.sourceAt == 0 {
		src = t0.Add(r.at).Format("2006-01-02T15:04:05.000Z")
	}
	row := map[string]any{
		"transaction_id": r.id, "account_id": r.acct, "customer_id": 1, "merchant_id": r.merch, "amount": r.amount,
		"currency": "EUR", "status": r.status, "transaction_type": "purchase", "channel": "online", "merchant_category": nil,
		"device_id": r.device, "country": "DE", "ip_address": nil, "event_ts": ev, "created_at": ev, "updated_at": nil,
		"_op": op, "_source_ts": src, "_source_pos": fmt.Sprintf("%010d:%020d:%06d", 3, 100+r.offset*10+int64(r.partition), 0),
		"_kafka_topic": "bank.transactions", "_kafka_partition": r.partition, "_kafka_offset": r.offset, "_deleted": op == "d",
	}
	b, _ := json.Marshal(row)
	m := service.NewMessage(b)
	m.MetaSetMut("debezium_kind", "row")
	m.MetaSetMut("kafka_topic", "bank.transactions")
	m.MetaSetMut("kafka_partition", fmt.Sprint(r.partition))
	m.MetaSetMut("kafka_offset", fmt.Sprint(r.offset))
	return m
}

type batchResult struct {
	out []service.MessageBatch
	err error
}

func process(ctx context.Context, p *processor, rows ...txRow) chan batchResult {
	var b service.MessageBatch
	for _, r := range rows {
		b = append(b, r.msg())
	}
	ch := make(chan batchResult, 1)
	go func() {
		out, err := p.ProcessBatch(ctx, b)
		ch <- batchResult{out, err}
	}()
	return ch
}

func envField(t *testing.T, m *service.Message, obj, field string) any {
	t.Helper()
	v, ok := m.MetaGetMut(MetaEnv)
	require.True(t, ok, "no ledgerflow_env")
	return v.(map[string]map[string]any)[obj][field]
}

func meta(m *service.Message, k string) string { v, _ := m.MetaGet(k); return v }

func wait(t *testing.T, ch chan batchResult) service.MessageBatch {
	t.Helper()
	select {
	case r := <-ch:
		require.NoError(t, r.err)
		require.Len(t, r.out, 1)
		return r.out[0]
	case <-time.After(time.Minute): // a deadlock guard, not a timing assertion
		t.Fatal("ProcessBatch did not return")
		return nil
	}
}

// A batch is held until the other partition's watermark passes its rows' event times, so
// a transaction sees an earlier one that arrived later on another partition.
func TestBatchWaitsForTheWatermark(t *testing.T) {
	p := newTestProcessor(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Partition 0 delivers the later transaction first.
	b1 := process(ctx, p, txRow{id: 2, acct: 7, merch: 55, amount: "20.00", status: "completed", at: 30 * time.Second, partition: 0, offset: 0})
	waitPending(t, p, 1)
	// Partition 1 has delivered nothing: the watermark cannot have passed 10:00:30.
	select {
	case <-b1:
		t.Fatal("the batch came back before the watermark passed its event time")
	default:
	}
	b2 := process(ctx, p, txRow{id: 1, acct: 7, merch: 55, amount: "5.50", status: "failed", at: 10 * time.Second, partition: 1, offset: 0})
	waitPending(t, p, 2)
	b3 := process(ctx, p, txRow{id: 3, acct: 8, merch: 56, amount: "1.00", status: "completed", at: 40 * time.Second, partition: 1, offset: 1},
		txRow{id: 4, acct: 8, merch: 56, amount: "1.00", status: "completed", at: 50 * time.Second, partition: 0, offset: 1})
	out1 := wait(t, b1)
	require.Len(t, out1, 1)
	m := out1[0]
	require.Equal(t, "false", meta(m, MetaProvisional))
	require.Equal(t, "scored", meta(m, MetaKind))
	require.Equal(t, int64(1), envField(t, m, "acct", "count_1m"))
	require.Equal(t, "5.50", envField(t, m, "acct", "sum_24h"))
	require.Equal(t, int64(1), envField(t, m, "acct", "failed_10m"))
	require.Equal(t, []any{"5.50"}, envField(t, m, "acct", "last_amounts"))
	require.Equal(t, t0.Add(10*time.Second), envField(t, m, "acct", "last_tx_time"))
	require.Equal(t, int64(1), envField(t, m, "acct", "amount_60d_n"))
	require.Equal(t, 5.5, envField(t, m, "acct", "amount_60d_mean"))
	require.Equal(t, int64(1), envField(t, m, "merch", "count_10m"))
	_, hasDev := m.MetaGetMut(MetaEnv)
	require.True(t, hasDev)
	require.NotContains(t, mustEnv(m), "dev", "no device: no dev values")
	out2 := wait(t, b2)
	require.Equal(t, int64(0), envField(t, out2[0], "acct", "count_1m"))
	require.Nil(t, envField(t, out2[0], "acct", "last_tx_time"))
	// Shutdown: the rows still waiting come back, provisional, never dropped.
	cancel()
	out3 := wait(t, b3)
	require.Len(t, out3, 2)
	require.Equal(t, "true", meta(out3[1], MetaProvisional))
}

// waitPending waits until n rows wait for the watermark (a synchronisation point between
// the test's goroutines, guarded against a deadlock, not a timing assertion).
func waitPending(t *testing.T, p *processor, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for p.e.Stats().Pending < n {
		if time.Now().After(deadline) {
			t.Fatalf("never %d rows pending", n)
		}
		time.Sleep(time.Millisecond)
	}
}

func mustEnv(m *service.Message) map[string]map[string]any {
	v, _ := m.MetaGetMut(MetaEnv)
	return v.(map[string]map[string]any)
}

// In on_arrival mode a row is scored at once; a transaction that arrives later with an
// earlier event time corrects it: the correction is an extra message of the late row's batch.
func TestLateEventCorrectsEarlierScore(t *testing.T) {
	p := newTestProcessor(t, "mode: on_arrival\nrow_fields: true")
	ctx := context.Background()
	a := wait(t, process(ctx, p, txRow{id: 10, acct: 7, merch: 55, amount: "20.00", status: "completed", at: 30 * time.Second, partition: 0, offset: 0}))
	require.Equal(t, "true", meta(a[0], MetaProvisional))
	require.Equal(t, int64(0), envField(t, a[0], "acct", "count_1m"))
	var row map[string]any
	require.NoError(t, json.Unmarshal(mustBytes(a[0]), &row))
	require.EqualValues(t, 0, row["f_acct_count_1m"])
	require.Equal(t, "0.00", row["f_acct_sum_24h"])
	require.Equal(t, true, row["features_provisional"])

	b := wait(t, process(ctx, p, txRow{id: 9, acct: 7, merch: 55, amount: "1.25", status: "completed", at: 20 * time.Second, partition: 1, offset: 0, device: "d1"}))
	require.Len(t, b, 2, "the late row and a correction of transaction 10")
	c := b[1]
	require.Equal(t, "correction", meta(c, MetaKind))
	require.Equal(t, "0", meta(c, "kafka_offset"))
	require.Equal(t, "1", meta(c, "kafka_partition"), "the causing record's coordinates")
	require.Equal(t, int64(1), envField(t, c, "acct", "count_1m"))
	require.Contains(t, mustEnv(b[0]), "dev", "the late row has a device")
	require.NotContains(t, mustEnv(c), "dev", "transaction 10 has none: nothing of the causing row's values leaks into its correction")
	require.NoError(t, json.Unmarshal(mustBytes(c), &row))
	require.EqualValues(t, 10, row["transaction_id"])
	require.Equal(t, "1.25", mustEnv(c)["acct"]["sum_24h"])
	require.Equal(t, true, row["features_correction"])
	require.EqualValues(t, 1, row["f_acct_count_1m"])
	require.Equal(t, "2026-03-01T10:00:30.000000Z", row["event_ts"])
}

func mustBytes(m *service.Message) []byte { b, _ := m.AsBytes(); return b }

// Rows the engine cannot place in time fail with a reason and pass through; the rest of
// the batch is scored; tombstones and unwrap failures are left alone.
func TestBadRowsFailWithAReason(t *testing.T) {
	p := newTestProcessor(t, "mode: on_arrival")
	bad := txRow{id: 5, acct: 7, amount: "1.00", status: "failed", at: time.Second, op: "u", partition: 0}.msg()
	var row map[string]any
	require.NoError(t, json.Unmarshal(mustBytes(bad), &row))
	row["_source_ts"] = nil
	b, _ := json.Marshal(row)
	bad.SetBytes(b)
	wrongAmount := txRow{id: 6, acct: 7, amount: "1.005", status: "failed", at: time.Second, partition: 0, offset: 1}.msg()
	tomb := service.NewMessage(nil)
	tomb.MetaSetMut("debezium_kind", "tombstone")
	good := txRow{id: 7, acct: 7, amount: "3.00", status: "completed", at: 2 * time.Second, partition: 0, offset: 2}.msg()
	out, err := p.ProcessBatch(context.Background(), service.MessageBatch{bad, wrongAmount, tomb, good})
	require.NoError(t, err)
	require.Len(t, out[0], 4)
	require.ErrorContains(t, out[0][0].GetError(), "_source_ts")
	require.Equal(t, "missing_source_ts", meta(out[0][0], MetaErrorReason))
	require.ErrorContains(t, out[0][1].GetError(), `amount: "1.005" has more than 2 fractional digits`)
	require.Equal(t, "invalid_value", meta(out[0][1], MetaErrorReason))
	require.NoError(t, out[0][2].GetError())
	require.Empty(t, meta(out[0][2], MetaKind))
	require.Equal(t, "scored", meta(out[0][3], MetaKind))
}

// An enrichment field (of: merch.lat) is read from the ledgerflow_env an earlier processor
// set, and the values are merged into that map without losing its fields.
func TestEnrichmentFieldsAndMerge(t *testing.T) {
	p := newTestProcessor(t, "mode: on_arrival")
	ctx := context.Background()
	m1 := txRow{id: 1, acct: 7, merch: 55, amount: "1.00", status: "completed", at: time.Second, partition: 0}.msg()
	m1.MetaSetMut(MetaEnv, map[string]map[string]any{"merch": {"lat": "52.520008", "risk_tier": "low"}})
	_, err := p.ProcessBatch(ctx, service.MessageBatch{m1})
	require.NoError(t, err)
	m2 := txRow{id: 2, acct: 7, merch: 56, amount: "1.00", status: "completed", at: 2 * time.Second, partition: 0, offset: 1}.msg()
	m2.MetaSetMut(MetaEnv, map[string]any{"merch": map[string]any{"lat": 48.1, "risk_tier": "high"}})
	out, err := p.ProcessBatch(ctx, service.MessageBatch{m2})
	require.NoError(t, err)
	env := mustEnv(out[0][0])
	require.Equal(t, []any{"52.520008"}, env["acct"]["prev_lat"])
	require.Equal(t, "high", env["merch"]["risk_tier"])
	require.Equal(t, int64(0), env["merch"]["count_10m"])
}
