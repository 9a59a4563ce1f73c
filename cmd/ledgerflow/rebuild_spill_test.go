package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/ledgerflow/ledgerflow/schemas"
)

const spillPipeline = `
input:
  kafka:
    seed_brokers: [ "localhost:9092" ]
    topics: [ "t" ]
    consumer_group: g
output:
  broker:
    pattern: fan_out
    outputs:
      - label: bronze
        delta_lake:
          path: ${LAKEHOUSE}/bronze/transactions
          schema_file: transactions
          pipeline: test
      - label: silver
        delta_lake:
          path: ${LAKEHOUSE}/silver/transactions
          mode: merge
          schema_file: transactions
          pipeline: test
          batching:
            count: 40
`

// transactionChanges are n changes over n/3 transactions on three partitions: inserts,
// later status updates, and deletes, with one row delivered twice (the same offset).
func transactionChanges(n int) []changeEvent {
	var events []changeEvent
	keys := n / 3
	for i := 0; i < n; i++ {
		id, status, op := i%keys, "pending", "c"
		switch {
		case i >= 2*keys && id%5 == 0:
			op = "d"
		case i >= keys:
			status, op = fmt.Sprintf("s%d", i), "u"
		}
		body := fmt.Sprintf(`{"transaction_id":%d,"account_id":%d,"customer_id":7,"merchant_id":null,"amount":"%d.%02d","currency":"EUR","status":"%s","transaction_type":"purchase","channel":"online","merchant_category":"5411","device_id":"dev-%d","country":"DE","ip_address":null,"event_ts":"2024-05-01T10:00:00.000000Z","created_at":"2024-05-01T10:00:00.000000Z","updated_at":null,"_op":"%s","_source_ts":"2024-05-01T10:00:05.000000Z","_source_pos":"0000000003:%020d:000000","_source_gtid":null,"_deleted":%v}`,
			id, id%50, i, i%100, status, id%13, op, 1000+i, op == "d")
		// Partitioned by key, so each key's changes keep their order on one partition.
		part := int32(id % 3)
		events = append(events, changeEvent{topic: "t", partition: part, offset: int64(i), body: []byte(body)})
	}
	return events
}

// TestRebuildSpillsAndEqualsInMemory rebuilds silver twice from one bronze table: with the
// default budget (everything sorted in memory) and with a budget of a few events, so that
// the change log is sorted in many spilled runs merged back. The two tables must hold the
// same rows, Kafka columns included, and the spill directory must be gone afterwards.
func TestRebuildSpillsAndEqualsInMemory(t *testing.T) {
	ctx := context.Background()
	lake := t.TempDir()
	t.Setenv("LAKEHOUSE", lake)
	file := filepath.Join(lake, "p.yaml")
	require.NoError(t, os.WriteFile(file, []byte(spillPipeline), 0o644))
	events := transactionChanges(300)
	// A row delivered twice lands in bronze twice; the rebuild must keep scan order for it.
	events = append(events[:150:150], append([]changeEvent{events[149]}, events[150:]...)...)
	require.NoError(t, runMerge(ctx, appendConf(t, "transactions"), filepath.Join(lake, "bronze", "transactions"), events, 25, "error"))
	var n yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte("mode: merge\nschema_file: transactions\npipeline: test\n"), &n))
	silver := deltaOutput{label: "silver", mode: "merge", schemaFile: "transactions", conf: n.Content[0]}
	require.NoError(t, runMerge(ctx, silver, filepath.Join(lake, "silver", "transactions"), events, 40, "error"))

	build := func(name string, budget int64) (*rebuild, string) {
		var out bytes.Buffer
		rb := &rebuild{file: file, into: filepath.Join(lake, "out", name), logLevel: "error", examples: 5, memoryBudget: budget, w: &out}
		equal, err := rb.run(ctx)
		require.NoError(t, err, out.String())
		assert.True(t, equal, out.String())
		return rb, out.String()
	}
	inMem, _ := build("in-memory", 0)
	assert.Equal(t, 0, inMem.spillRuns, "the default budget holds 301 small changes")
	spilled, text := build("spilled", 4<<10)
	assert.Greater(t, spilled.spillRuns, 5, "a 4 KiB budget sorts 301 changes in many runs:\n%s", text)
	assert.Contains(t, text, "sorted in")
	want := canonicalRows(t, filepath.Join(lake, "out", "in-memory"), "_ingested_at")
	assert.NotEmpty(t, want)
	assert.Equal(t, want, canonicalRows(t, filepath.Join(lake, "out", "spilled"), "_ingested_at"))
	left, err := filepath.Glob(filepath.Join(lake, "out", ".rebuild-spill-*"))
	require.NoError(t, err)
	assert.Empty(t, left, "the spill directory is removed")
}

// TestSpilledOrderEqualsSort checks the external sort against the in-memory sort on a real
// bronze table whose files interleave three partitions, for budgets from one event per run
// to everything in memory.
func TestSpilledOrderEqualsSort(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	contract, err := schemas.Load("transactions")
	require.NoError(t, err)
	events := transactionChanges(120)
	bronze := filepath.Join(dir, "bronze")
	require.NoError(t, runMerge(ctx, appendConf(t, "transactions"), bronze, events, 10, "error"))
	want, _, err := readChangeLog(ctx, bronze, contract)
	require.NoError(t, err)
	require.Len(t, want, len(events))
	for _, budget := range []int64{1, 700, 5000, 0} {
		cl, _, err := spillChangeLog(ctx, bronze, contract, budget, dir)
		require.NoError(t, err)
		var got []changeEvent
		require.NoError(t, cl.each(func(ev *changeEvent) error {
			got = append(got, *ev)
			return nil
		}))
		if budget == 1 {
			assert.Len(t, cl.runs, len(events), "one event per run")
		}
		require.Equal(t, len(want), len(got), "budget %d", budget)
		for i := range want {
			if !assert.Equal(t, want[i], got[i], "budget %d, event %d", budget, i) {
				break
			}
		}
		cl.close()
		_, err = os.Stat(cl.dir)
		assert.True(t, cl.dir == "" || os.IsNotExist(err), "spill directory %s left behind", cl.dir)
	}
}

// TestRunsMergeTiesAndUncoordinated merges runs holding the same Kafka position twice (a
// row read twice keeps scan order) and rows without Kafka coordinates (ordered by
// _source_pos, before every topic), with unknown-column metadata surviving the spill.
func TestRunsMergeTiesAndUncoordinated(t *testing.T) {
	dir := t.TempDir()
	ev := func(seq int64, topic string, part int32, off int64, pos string) seqEvent {
		return seqEvent{changeEvent{topic: topic, partition: part, offset: off, pos: pos, body: []byte(fmt.Sprintf(`{"n":%d}`, seq)),
			unknown: fmt.Sprintf("c%d", seq), unknownTypes: fmt.Sprintf("c%d:string", seq)}, seq}
	}
	all := []seqEvent{ev(0, "b", 0, 5, "p1"), ev(1, "", 0, 0, "p9"), ev(2, "a", 1, 3, "p2"), ev(3, "b", 0, 5, "p1"),
		ev(4, "", 0, 0, "p3"), ev(5, "a", 0, 7, ""), ev(6, "a", 1, 3, "p2"), ev(7, "a", 0, 2, "")}
	cl := &changeLog{dir: dir}
	for i := 0; i < 6; i += 2 {
		name := filepath.Join(dir, fmt.Sprintf("run-%d", i))
		require.NoError(t, writeRun(name, append([]seqEvent(nil), all[i:i+2]...)))
		cl.runs = append(cl.runs, name)
	}
	cl.mem = append([]seqEvent(nil), all[6:]...)
	sortEvents(cl.mem)
	var got []string
	require.NoError(t, cl.each(func(e *changeEvent) error {
		got = append(got, fmt.Sprintf("%s/%d/%d %s %s %s %s", e.topic, e.partition, e.offset, e.pos, e.body, e.unknown, e.unknownTypes))
		return nil
	}))
	assert.Equal(t, []string{
		`/0/0 p3 {"n":4} c4 c4:string`, `/0/0 p9 {"n":1} c1 c1:string`,
		`a/0/2  {"n":7} c7 c7:string`, `a/0/7  {"n":5} c5 c5:string`,
		`a/1/3 p2 {"n":2} c2 c2:string`, `a/1/3 p2 {"n":6} c6 c6:string`,
		`b/0/5 p1 {"n":0} c0 c0:string`, `b/0/5 p1 {"n":3} c3 c3:string`,
	}, got)
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"64MiB": 64 << 20, "512KiB": 512 << 10, "1GiB": 1 << 30, "100": 100, "7B": 7, " 2 MiB ": 2 << 20} {
		got, err := parseBytes(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "MiB", "-1", "1.5MiB", "12TB", "9999999999999GiB"} {
		_, err := parseBytes(bad)
		assert.ErrorContains(t, err, "expected a size", bad)
	}
}

// TestWriteRebuildMeasurementTables is a tool, not a check: with
// LEDGERFLOW_REBUILD_MEASURE_DIR=<dir> and LEDGERFLOW_REBUILD_MEASURE_CHANGES=<n> it writes
// <dir>/bronze/transactions (n changes over n/4 keys on three partitions: inserts, updates,
// deletes), <dir>/silver/transactions merged from them, and <dir>/p.yaml, for measuring
// `ledgerflow rebuild` memory with /usr/bin/time -v (see docs/design/rebuild.md).
func TestWriteRebuildMeasurementTables(t *testing.T) {
	dir := os.Getenv("LEDGERFLOW_REBUILD_MEASURE_DIR")
	if dir == "" {
		t.Skip("LEDGERFLOW_REBUILD_MEASURE_DIR not set: this writes tables for a measurement")
	}
	n, err := strconv.Atoi(os.Getenv("LEDGERFLOW_REBUILD_MEASURE_CHANGES"))
	require.NoError(t, err, "LEDGERFLOW_REBUILD_MEASURE_CHANGES")
	ctx := context.Background()
	events := make([]changeEvent, 0, n)
	keys := n / 4
	for i := 0; i < n; i++ {
		id, status, op := i%keys, "pending", "c"
		switch {
		case i >= 3*keys && id%7 == 0:
			op = "d"
		case i >= keys:
			status, op = fmt.Sprintf("s%d", i/keys), "u"
		}
		body := fmt.Sprintf(`{"transaction_id":%d,"account_id":%d,"customer_id":%d,"merchant_id":%d,"amount":"%d.%02d","currency":"EUR","status":"%s","transaction_type":"purchase","channel":"online","merchant_category":"5411","device_id":"dev-%d","country":"DE","ip_address":null,"event_ts":"2024-05-%02dT10:00:00.000000Z","created_at":"2024-05-01T10:00:00.000000Z","updated_at":null,"_op":"%s","_source_ts":"2024-05-01T10:00:05.000000Z","_source_pos":"0000000003:%020d:000000","_source_gtid":null,"_deleted":%v}`,
			id, id%5000, id%3000, id%700, i%100000, i%100, status, id%97, 1+id%28, op, 1000+i, op == "d")
		events = append(events, changeEvent{topic: "t", partition: int32(id % 3), offset: int64(i), body: []byte(body)})
	}
	require.NoError(t, runMerge(ctx, appendConf(t, "transactions"), filepath.Join(dir, "bronze", "transactions"), events, 10000, "error"))
	var node yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte("mode: merge\nschema_file: transactions\npipeline: test\n"), &node))
	silver := deltaOutput{label: "silver", mode: "merge", schemaFile: "transactions", conf: node.Content[0]}
	require.NoError(t, runMerge(ctx, silver, filepath.Join(dir, "silver", "transactions"), events, 10000, "error"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(strings.ReplaceAll(spillPipeline, "count: 40", "count: 10000")), 0o644))
}
