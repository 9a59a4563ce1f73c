package tests

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestRebuildSilverFromBronze runs the customers pipeline (bronze + SCD2 silver) over
// creates, updates, deletes with their tombstones, and duplicate deliveries; then rebuilds
// silver from bronze with the unchanged pipeline (the tables must be equal, exit 0) and with
// changed configs (the diff must report the change, exit 1).
func TestRebuildSilverFromBronze(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, custTopic), kfake.GroupMinSessionTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()

	var ids []int64
	var values [][]byte
	pos := int64(1000)
	add := func(id int64, op, phone string) {
		pos += 100
		ids = append(ids, id)
		values = append(values, debeziumCustomer(id, op, pos, phone))
		if op == "d" {
			ids = append(ids, id)
			values = append(values, nil) // Debezium's tombstone after a delete
		}
	}
	lake := t.TempDir()
	env := pipelineEnv(c, lake)
	prod := startChild(t, env, "-c", "pipelines/customers.yaml", "--log.level", logLevel())
	adm := kadm.NewClient(cl)
	var recs []kafkaRecord
	ends := map[int32]int64{}
	// produceAndWait sends the events added so far and waits until the pipeline committed
	// them: the input commits an offset only after every output (bronze and silver) did.
	produceAndWait := func() {
		recs = append(recs, produceCustomers(t, cl, ids, values, time.Date(2024, 5, 1, 0, 0, len(recs), 0, time.UTC))...)
		ids, values = nil, nil
		for _, r := range recs {
			ends[r.partition] = max(ends[r.partition], r.offset+1)
		}
		deadline := time.Now().Add(45 * time.Second)
		for {
			got := groupOffsets(t, adm, "ledgerflow-customers")
			if got[0] == ends[0] && got[1] == ends[1] {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the pipeline did not commit every offset in 45s: %v, want %v\n%s", got, ends, prod.logs.tail(3000))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	// Two rounds, so that the second merges into files the first wrote.
	for id := int64(0); id < 60; id++ {
		add(id, "c", fmt.Sprintf("+49-%d", id))
	}
	produceAndWait()
	for id := int64(0); id < 60; id += 3 {
		add(id, "u", fmt.Sprintf("+33-%d", id))
	}
	for id := int64(1); id < 60; id += 10 {
		add(id, "d", "")
	}
	// A redelivered older update (the source connector restarted): it must not win.
	ids, values = append(ids, 3), append(values, debeziumCustomer(3, "u", 1100+300, "+00-stale"))
	produceAndWait()
	prod.stop(t)

	rowChanges := len(recs) - 6 // the tombstones of the 6 deletes are not rows
	into := filepath.Join(t.TempDir(), "rebuilt")
	out, code := run(t, "", time.Minute, env, "rebuild", "-c", "pipelines/customers.yaml", "--into", into)
	t.Logf("ledgerflow rebuild (unchanged config):\n%s", out)
	if code != 0 || !strings.Contains(out, "result: equal") || strings.Contains(out, "note:") {
		t.Fatalf("rebuild with the pipeline's own config: exit %d, want 0, equal tables at equal positions:\n%s", code, out)
	}
	if !strings.Contains(out, fmt.Sprintf("read %d changes", rowChanges)) {
		t.Errorf("rebuild did not read every row change of bronze (%d):\n%s", rowChanges, out)
	}

	src, err := os.ReadFile(filepath.Join(repoRoot, "pipelines", "customers.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	variant := func(name, extra string) string {
		s := strings.Replace(string(src), "          stored_as_scd_type: 2\n", "          stored_as_scd_type: 2\n"+extra, 1)
		if s == string(src) {
			t.Fatal("pipelines/customers.yaml has no silver output with stored_as_scd_type: 2 to change")
		}
		return writeFile(t, filepath.Join(t.TempDir(), name), s)
	}

	noPhone := variant("nophone.yaml", "          except_columns: [ phone ]\n")
	out, code = run(t, "", time.Minute, env, "rebuild", "-c", noPhone, "--into", filepath.Join(t.TempDir(), "nophone"))
	t.Logf("ledgerflow rebuild (except_columns: [phone]):\n%s", out)
	if code != 1 || !strings.Contains(out, "columns only in current: phone") || !strings.Contains(out, "result: different") {
		t.Fatalf("rebuild without phone: exit %d, want 1 and the phone column reported:\n%s", code, out)
	}

	keepDeleted := variant("keepdeleted.yaml", "          apply_as_deletes: \"false\"\n")
	out, code = run(t, "", time.Minute, env, "rebuild", "-c", keepDeleted, "--into", filepath.Join(t.TempDir(), "keepdeleted"), "--examples", "3")
	t.Logf("ledgerflow rebuild (apply_as_deletes: false):\n%s", out)
	if code != 1 || (strings.Contains(out, "rows that differ: 0\n") && strings.Contains(out, "rows only in rebuilt: 0\n")) || !strings.Contains(out, "examples (3 of") {
		t.Fatalf("rebuild without deletes: exit %d, want 1 and differing rows for the deleted customers:\n%s", code, out)
	}

	out, code = run(t, "", time.Minute, env, "rebuild", "-c", "pipelines/customers.yaml", "--into", into)
	if code != 2 || !strings.Contains(out, "is not empty") {
		t.Fatalf("rebuild into an existing table: exit %d, want 2 and a refusal:\n%s", code, out)
	}
}

// TestRebuildTransactionsSilver rebuilds the transactions silver table (decimal amounts,
// partitioned by event_date, status updates that rewrite earlier files) with the pipeline's
// own config, naming the output: the rebuilt table must equal the one the pipeline merged.
func TestRebuildTransactionsSilver(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, txTopic), kfake.GroupMinSessionTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	lake := t.TempDir()
	env := pipelineEnv(c, lake)
	prod := startChild(t, env, "-c", "pipelines/transactions.yaml", "--log.level", logLevel())
	ends := map[int32]int64{}
	produce := func(recs []*kgo.Record) {
		if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			ends[r.Partition] = max(ends[r.Partition], r.Offset+1)
		}
		deadline := time.Now().Add(45 * time.Second)
		for {
			got := groupOffsetsOf(t, adm, "ledgerflow-transactions", txTopic)
			done := true
			for p, e := range ends {
				done = done && got[p] == e
			}
			if done {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the pipeline did not commit every offset in 45s: %v, want %v\n%s", got, ends, prod.logs.tail(3000))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	const n = 400
	var recs []*kgo.Record
	for id := int64(0); id < n; id++ {
		recs = append(recs, &kgo.Record{Topic: txTopic, Key: fmt.Appendf(nil, `{"transaction_id":%d}`, id), Value: debeziumTransaction(id, 1000+id*100)})
	}
	produce(recs)
	recs = recs[:0]
	for id := int64(0); id < n; id += 4 { // settle a quarter of them, later in the binlog
		v := debeziumTransaction(id, 1000+(n+id)*100)
		v = bytes.Replace(v, []byte(`"op":"c"`), []byte(`"op":"u"`), 1)
		v = bytes.Replace(v, []byte(`"status":"pending"`), []byte(`"status":"completed"`), 1)
		recs = append(recs, &kgo.Record{Topic: txTopic, Key: fmt.Appendf(nil, `{"transaction_id":%d}`, id), Value: v})
	}
	produce(recs)
	prod.stop(t)

	out, code := run(t, "", time.Minute, env, "rebuild", "-c", "pipelines/transactions.yaml", "--output", "silver_transactions", "--into", filepath.Join(t.TempDir(), "tx"))
	t.Logf("ledgerflow rebuild:\n%s", out)
	if code != 0 || !strings.Contains(out, "result: equal") || !strings.Contains(out, fmt.Sprintf("%d rows", n)) {
		t.Fatalf("rebuild of silver transactions: exit %d, want 0, equal tables of %d rows:\n%s", code, n, out)
	}
}
