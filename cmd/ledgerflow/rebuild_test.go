package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// appendConf is a delta_lake append output config node, as deltaOutputs finds it.
func appendConf(t testing.TB, schemaFile string) deltaOutput {
	var n yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte("mode: append\nschema_file: "+schemaFile+"\npipeline: test\nbatching:\n  count: 7\n"), &n))
	return deltaOutput{label: "bronze", mode: "append", schemaFile: schemaFile, conf: n.Content[0]}
}

// unwrapRows are rows in the debezium_unwrap format, as the processor writes them for
// bank.transactions: a create, an update with its before image, a delete, a negative amount.
func unwrapTransactionRows() []string {
	row := func(id int, amount, status, op string, pos int, extra string) string {
		return fmt.Sprintf(`{"transaction_id":%d,"account_id":%d,"customer_id":7,"merchant_id":null,"amount":"%s","currency":"EUR","status":"%s","transaction_type":"purchase","channel":"online","merchant_category":"5411","device_id":"dev \"quoted\" \u00e9","country":"DE","ip_address":null,"event_ts":"2024-05-01T10:00:0%d.123456Z","created_at":"2024-05-01T10:00:00.000000Z","updated_at":null,"_op":"%s","_source_ts":"2024-05-01T10:00:05.000000Z","_source_pos":"0000000003:%020d:000000","_source_gtid":null,"_deleted":%v,"_kafka_topic":"bank_server.bank.transactions","_kafka_partition":%d,"_kafka_offset":%d%s}`,
			id, id*10, amount, status, id%10, op, pos, op == "d", id%2, pos, extra)
	}
	return []string{
		row(1, "12.30", "pending", "c", 100, ""),
		row(2, "-0.05", "pending", "c", 101, ""),
		row(1, "12.30", "completed", "u", 102, `,"_before":{"transaction_id":1,"status":"pending","amount":"12.30"}`),
		row(3, "99999999.99", "failed", "c", 103, ""),
		row(3, "99999999.99", "failed", "d", 104, ""),
	}
}

func eventsOf(t *testing.T, bodies []string) []changeEvent {
	var out []changeEvent
	for _, b := range bodies {
		var m struct {
			Topic     string `json:"_kafka_topic"`
			Partition int32  `json:"_kafka_partition"`
			Offset    int64  `json:"_kafka_offset"`
		}
		require.NoError(t, json.Unmarshal([]byte(b), &m))
		out = append(out, changeEvent{topic: m.Topic, partition: m.Partition, offset: m.Offset, body: []byte(b)})
	}
	return out
}

// canonicalRows reads a table as sorted JSON lines of every column but the given ones.
func canonicalRows(t *testing.T, path string, skip ...string) []string {
	snap, err := delta.OpenLocal(path).Snapshot(context.Background())
	require.NoError(t, err)
	st, err := snap.Schema()
	require.NoError(t, err)
	rows, err := snap.Rows(context.Background())
	require.NoError(t, err)
	var out []string
	for _, r := range rows {
		obj := map[string]any{}
		for i, f := range st.Fields {
			if !contains(skip, f.Name) {
				obj[f.Name] = jsonValue(r[i])
			}
		}
		b, _ := json.Marshal(obj)
		out = append(out, string(b))
	}
	return sortedStrings(out)
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func sortedStrings(xs []string) []string {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	if len(m) != len(xs) {
		panic("duplicate rows")
	}
	return sortedKeys(m)
}

// TestChangeLogRoundTrip writes unwrap rows into a bronze table with the real delta_lake
// output, turns the bronze rows back into events, and checks that (1) each event equals the
// row the unwrap wrote, minus what bronze does not keep, and (2) writing the events again
// through the real output gives the same bronze rows.
func TestChangeLogRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	contract, err := schemas.Load("transactions")
	require.NoError(t, err)
	src := unwrapTransactionRows()
	first := filepath.Join(dir, "bronze1")
	require.NoError(t, runMerge(ctx, appendConf(t, "transactions"), first, eventsOf(t, src), 2, "error"))

	events, snap, err := readChangeLog(ctx, first, contract)
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{"bank_server.bank.transactions/0": 101, "bank_server.bank.transactions/1": 104},
		partitionVersions(snap.Txns()), "the output committed each partition's last offset")
	require.Len(t, events, len(src))
	// Kafka order: partition 0 (id 2) before partition 1 (ids 1, 1, 3, 3), by offset.
	var order []string
	for _, ev := range events {
		order = append(order, fmt.Sprintf("%d/%d", ev.partition, ev.offset))
	}
	assert.Equal(t, []string{"0/101", "1/100", "1/102", "1/103", "1/104"}, order)
	want := map[int64]string{}
	for _, s := range src {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(s), &m))
		off, _ := m["_kafka_offset"].(float64)
		want[int64(off)] = s
	}
	for _, ev := range events {
		assert.JSONEq(t, want[ev.offset], string(ev.body), "offset %d", ev.offset)
	}

	second := filepath.Join(dir, "bronze2")
	require.NoError(t, runMerge(ctx, appendConf(t, "transactions"), second, events, 3, "error"))
	assert.Equal(t, canonicalRows(t, first, "_ingested_at", "_ingest_date"), canonicalRows(t, second, "_ingested_at", "_ingest_date"))
}

// TestWriteCellTypes covers the cell types the contracts produce that the transactions rows
// above do not: dates, small integers, booleans, floats, binary.
func TestWriteCellTypes(t *testing.T) {
	dec, err := schema.ParseDecimal("-1.50", 2)
	require.NoError(t, err)
	date, err := schema.ParseDate("1815-12-10")
	require.NoError(t, err)
	for _, c := range []struct {
		in   any
		want string
	}{
		{nil, "null"}, {true, "true"}, {int8(-3), "-3"}, {int16(200), "200"}, {int32(7), "7"}, {int64(1) << 60, "1152921504606846976"},
		{float32(0.1), "0.1"}, {float64(2.5e-9), "2.5e-09"}, {"a\"b\n", `"a\"b\n"`}, {[]byte{0, 255}, `"AP8="`},
		{dec, `"-1.50"`}, {date, `"1815-12-10"`}, {time.Date(2024, 5, 1, 1, 2, 3, 4000, time.FixedZone("x", 3600)), `"2024-05-01T00:02:03.000004Z"`},
	} {
		var b bytes.Buffer
		require.NoError(t, writeCell(&b, c.in), "%T", c.in)
		assert.Equal(t, c.want, b.String(), "%T %v", c.in, c.in)
	}
	var b bytes.Buffer
	assert.ErrorContains(t, writeCell(&b, float32(0)/func() float32 { return 0 }()), "no JSON form")
	assert.ErrorContains(t, writeCell(&b, []any{1}), "not a type a table contract produces")
}

func FuzzWriteCellString(f *testing.F) {
	for _, s := range []string{"", "plain", "é\u2028\"\\", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b bytes.Buffer
		err := writeCell(&b, s)
		if !utf8.ValidString(s) {
			if err == nil {
				t.Fatalf("%q: invalid UTF-8 accepted", s)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		var back string
		if err := json.Unmarshal(b.Bytes(), &back); err != nil {
			t.Fatalf("%q became invalid JSON %s: %v", s, b.String(), err)
		}
		if back != s {
			t.Fatalf("%q came back as %q", s, back)
		}
	})
}

// writeTable creates a Delta table with the given columns (all strings but id) and rows.
func writeTable(t *testing.T, path string, cols []string, rows [][]any) {
	ctx := context.Background()
	st := &schema.StructType{}
	for _, c := range cols {
		typ := schema.Type(schema.String)
		if c == "id" {
			typ = schema.Long
		}
		st.Fields = append(st.Fields, schema.StructField{Name: c, Type: typ, Nullable: true})
	}
	snap, err := delta.OpenLocal(path).Create(ctx, st, delta.CreateOptions{})
	require.NoError(t, err)
	tx := snap.NewTransaction("WRITE")
	_, err = tx.WriteRows(ctx, rows, delta.WriteOptions{})
	require.NoError(t, err)
	_, err = tx.Commit(ctx)
	require.NoError(t, err)
}

func TestDiffTables(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cols := []string{"id", "name", "phone", "_kafka_offset", "_ingested_at"}
	cur := filepath.Join(dir, "cur")
	writeTable(t, cur, cols, [][]any{
		{int64(1), "a", "111", "5", "t1"},
		{int64(2), "b", nil, "6", "t1"},
		{int64(3), "c", "333", "7", "t1"},
		{int64(4), "NULL", "444", "8", "t1"},
	})
	same := filepath.Join(dir, "same")
	writeTable(t, same, cols, [][]any{ // other _kafka_* and _ingested_at: still equal
		{int64(4), "NULL", "444", "80", "t2"},
		{int64(3), "c", "333", "70", "t2"},
		{int64(2), "b", nil, "60", "t2"},
		{int64(1), "a", "111", "50", "t2"},
	})
	d, err := diffTables(ctx, cur, same, []string{"id"}, 10, 0, dir)
	require.NoError(t, err)
	assert.True(t, d.equal())
	var out bytes.Buffer
	d.print(&out)
	assert.Contains(t, out.String(), "result: equal")
	assert.Contains(t, out.String(), "4 rows")

	other := filepath.Join(dir, "other")
	writeTable(t, other, cols, [][]any{
		{int64(1), "a", "111", "5", "t1"},
		{int64(2), "b", "222", "6", "t1"}, // null → value
		{int64(4), nil, "444", "8", "t1"}, // the text NULL → a real null
		{int64(5), "e", "555", "9", "t1"},
	})
	d, err = diffTables(ctx, cur, other, []string{"id"}, 10, 0, dir)
	require.NoError(t, err)
	assert.False(t, d.equal())
	assert.Equal(t, [3]int{1, 1, 2}, [3]int{d.onlyCurrent, d.onlyRebuilt, d.differ})
	out.Reset()
	d.print(&out)
	for _, want := range []string{
		"rows only in current: 1", "rows only in rebuilt: 1", "rows that differ: 2",
		"id=2: phone: current NULL, rebuilt 222", "id=3: only in current", "id=4: name: current NULL, rebuilt NULL", "id=5: only in rebuilt", "result: different",
	} {
		assert.Contains(t, out.String(), want)
	}

	noPhone := filepath.Join(dir, "nophone")
	writeTable(t, noPhone, []string{"id", "name", "_ingested_at"}, [][]any{
		{int64(1), "a", "t"}, {int64(2), "b", "t"}, {int64(3), "c", "t"}, {int64(4), "NULL", "t"},
	})
	d, err = diffTables(ctx, cur, noPhone, []string{"id"}, 1, 0, dir)
	require.NoError(t, err)
	assert.False(t, d.equal(), "a dropped column is a difference")
	assert.Equal(t, []string{"phone"}, d.onlyCurrentCols, "_kafka_offset is ignored, phone is not")
	assert.Zero(t, d.differ, "rows are compared on the columns both tables have")

	_, err = diffTables(ctx, filepath.Join(dir, "absent"), same, []string{"id"}, 1, 0, dir)
	assert.ErrorContains(t, err, "no Delta table there")
	_, err = diffTables(ctx, cur, same, []string{"customer_id"}, 1, 0, dir)
	assert.ErrorContains(t, err, "no key column customer_id")
}

func TestPickOutputs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "p.yaml")
	require.NoError(t, os.WriteFile(file, []byte(replayPipeline+`
output_resources:
  - label: other_silver
    delta_lake:
      path: /x/other
      mode: merge
      schema_file: accounts
`), 0o644))
	t.Setenv("LAKEHOUSE", "/lake")
	conf, err := loadPipeline(file, os.LookupEnv)
	require.NoError(t, err)

	_, _, err = pickOutputs(conf, "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exactly one delta_lake output with mode: merge")
	assert.Contains(t, err.Error(), "silver (mode merge), other_silver (mode merge)")

	out, bronze, err := pickOutputs(conf, "silver")
	require.NoError(t, err)
	assert.Equal(t, "/lake/silver/customers", out.path)
	assert.Equal(t, "/lake/bronze/customers", bronze, "the append output with the same contract")

	out, bronze, err = pickOutputs(conf, "other_silver")
	require.NoError(t, err)
	assert.Equal(t, "/x/other", out.path)
	assert.Empty(t, bronze, "no append output of accounts: the caller asks for --bronze")

	_, _, err = pickOutputs(conf, "bronze")
	assert.ErrorContains(t, err, "output bronze has mode append")
}

func TestRebuildRefusesExistingInto(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "p.yaml")
	require.NoError(t, os.WriteFile(file, []byte(replayPipeline), 0o644))
	t.Setenv("LAKEHOUSE", dir)
	into := filepath.Join(dir, "into")
	require.NoError(t, os.MkdirAll(filepath.Join(into, "_delta_log"), 0o755))
	_, err := (&rebuild{file: file, into: into, w: &bytes.Buffer{}}).run(context.Background())
	assert.ErrorContains(t, err, "is not empty")
	_, err = (&rebuild{file: file, into: filepath.Join(dir, "silver", "customers"), w: &bytes.Buffer{}}).run(context.Background())
	assert.ErrorContains(t, err, "rebuild into a new directory")
}

// BenchmarkRebuildTransactions measures a rebuild of silver transactions from a bronze
// table of 50,000 changes (40,000 inserts, 10,000 later updates), reported as changes per
// second of reading bronze and merging (the diff is not included).
func BenchmarkRebuildTransactions(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	const inserts, updates = 40000, 10000
	var events []changeEvent
	for i := 0; i < inserts+updates; i++ {
		id, status, op := i, "pending", "c"
		if i >= inserts {
			id, status, op = (i-inserts)*4, "completed", "u"
		}
		body := fmt.Sprintf(`{"transaction_id":%d,"account_id":%d,"customer_id":%d,"merchant_id":%d,"amount":"%d.%02d","currency":"EUR","status":"%s","transaction_type":"purchase","channel":"online","merchant_category":"5411","device_id":"dev-%d","country":"DE","ip_address":null,"event_ts":"2024-05-%02dT10:00:00.000000Z","created_at":"2024-05-01T10:00:00.000000Z","updated_at":null,"_op":"%s","_source_ts":"2024-05-01T10:00:05.000000Z","_source_pos":"0000000003:%020d:000000","_source_gtid":null,"_deleted":false}`,
			id, id%5000, id%3000, id%700, id%100000, id%100, status, id%97, 1+id%28, op, 1000+i)
		events = append(events, changeEvent{topic: "t", partition: int32(i % 3), offset: int64(i), body: []byte(body)})
	}
	bronze := filepath.Join(dir, "bronze")
	if err := runMerge(ctx, appendConf(b, "transactions"), bronze, events, 10000, "error"); err != nil {
		b.Fatal(err)
	}
	contract, err := schemas.Load("transactions")
	if err != nil {
		b.Fatal(err)
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("mode: merge\nschema_file: transactions\npipeline: bench\nbatching:\n  count: 10000\n"), &n); err != nil {
		b.Fatal(err)
	}
	silver := deltaOutput{label: "silver", mode: "merge", schemaFile: "transactions", conf: n.Content[0]}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		evs, _, err := readChangeLog(ctx, bronze, contract)
		if err != nil {
			b.Fatal(err)
		}
		if err := runMerge(ctx, silver, filepath.Join(dir, fmt.Sprintf("silver-%d", i)), evs, 10000, "error"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(events))/b.Elapsed().Seconds(), "changes/s")
}

// TestConverterEvolvedColumns: a column schema evolution added to bronze (not in the
// contract) is sent with the debezium_unknown_columns metadata the unwrap set, so that the
// silver output adds it too; bronze-only and derived columns are left out of the event.
func TestConverterEvolvedColumns(t *testing.T) {
	contract, err := schemas.Load("transactions")
	require.NoError(t, err)
	st := &schema.StructType{Fields: []schema.StructField{
		{Name: "transaction_id", Type: schema.Long},
		{Name: "loyalty_points", Type: schema.Long, Nullable: true},
		{Name: "fee", Type: schema.DecimalType{Precision: 10, Scale: 3}, Nullable: true},
		{Name: "_op", Type: schema.String},
		{Name: "_before", Type: schema.String, Nullable: true},
		{Name: "_ingested_at", Type: schema.Timestamp},
		{Name: "event_date", Type: schema.DateType, Nullable: true},
		{Name: "_ingest_date", Type: schema.DateType},
	}}
	conv, err := newRowConverter(st, contract)
	require.NoError(t, err)
	fee, err := schema.ParseDecimal("0.125", 3)
	require.NoError(t, err)
	now := time.Now().UTC()
	ev, err := conv.event([]any{int64(9), int64(40), fee, "u", `{"transaction_id":9}`, now, schema.DateOf(now), schema.DateOf(now)})
	require.NoError(t, err)
	assert.JSONEq(t, `{"transaction_id":9,"loyalty_points":40,"fee":"0.125","_op":"u","_before":{"transaction_id":9}}`, string(ev.body))
	assert.Equal(t, "loyalty_points,fee", ev.unknown)
	assert.Equal(t, "loyalty_points:long;fee:decimal(10,3)", ev.unknownTypes)
	assert.Empty(t, ev.topic, "no Kafka coordinates: sent without kafka_* metadata")

	ev, err = conv.event([]any{int64(10), nil, nil, "c", nil, now, nil, schema.DateOf(now)})
	require.NoError(t, err)
	assert.JSONEq(t, `{"transaction_id":10,"loyalty_points":null,"fee":null,"_op":"c"}`, string(ev.body), "_before only for updates")
	assert.Empty(t, ev.unknown, "a null says nothing about the new column's type")

	_, err = conv.event([]any{int64(11), nil, nil, "u", "{broken", now, nil, schema.DateOf(now)})
	assert.ErrorContains(t, err, "_before is not JSON")

	_, err = newRowConverter(&schema.StructType{Fields: []schema.StructField{{Name: "id", Type: schema.Long}}}, contract)
	assert.ErrorContains(t, err, "not a bronze change log")
}

func TestPositionGaps(t *testing.T) {
	bronze := partitionVersions(map[string]int64{"customers/customers/append/t/0": 10, "customers/customers/append/t/1": 7})
	silver := partitionVersions(map[string]int64{"customers/customers/merge/t/0": 10, "customers/customers/merge/t/1": 9, "other/t/1": 3, "x/u/2": 1})
	assert.Equal(t, map[string]int64{"t/0": 10, "t/1": 9, "u/2": 1}, silver, "the highest version per partition")
	assert.Equal(t, []string{"t/1: bronze 7, current 9", "u/2: bronze none, current 1"}, positionGaps(bronze, silver))
	assert.Empty(t, positionGaps(bronze, bronze))
}
