package tests

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

const custTopic = "bank_server.bank.customers"

// debeziumCustomer is a schemas-disabled Debezium 3 change event of bank.customers. op is
// c, u or d; a delete carries the row as its before image.
func debeziumCustomer(id int64, op string, pos int64, phone string) []byte {
	ph := "null"
	if phone != "" {
		ph = `"` + phone + `"`
	}
	ts := int64(1714521600000) + pos
	row := fmt.Sprintf(`{"customer_id":%d,"first_name":"First%d","last_name":"Last%d","email":"c%d@example.org","phone":%s,"date_of_birth":%d,"country":"DE","kyc_status":"verified","risk_rating":%d,"created_at":%d,"updated_at":%d}`,
		id, id, id, id, ph, -3000+id, id%101, 1714521600000+id*1000, ts)
	before, after := "null", row
	switch op {
	case "u":
		before = row
	case "d":
		before, after = row, "null"
	}
	return fmt.Appendf(nil, `{"before":%s,"after":%s,"source":{"version":"3.0.1.Final","connector":"mysql","name":"bank_server","ts_ms":%d,"snapshot":"false","db":"bank","table":"customers","server_id":1,"file":"mysql-bin.000003","pos":%d,"row":0},"op":"%s","ts_ms":%d}`,
		before, after, ts, pos, op, ts+5)
}

// kafkaRecord is where a produced record landed.
type kafkaRecord struct {
	partition int32
	offset    int64
	ts        time.Time
}

// produceCustomers produces events (already encoded) keyed by customer id and returns where
// each landed, in production order. Record timestamps are base + i seconds.
func produceCustomers(t *testing.T, cl *kgo.Client, ids []int64, values [][]byte, base time.Time) []kafkaRecord {
	t.Helper()
	recs := make([]*kgo.Record, len(values))
	for i, v := range values {
		recs[i] = &kgo.Record{Topic: custTopic, Key: fmt.Appendf(nil, `{"customer_id":%d}`, ids[i]), Value: v, Timestamp: base.Add(time.Duration(i) * time.Second)}
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatalf("producing: %v", err)
	}
	out := make([]kafkaRecord, len(recs))
	for i, r := range recs {
		out[i] = kafkaRecord{partition: r.Partition, offset: r.Offset, ts: r.Timestamp}
	}
	return out
}

// pipelineEnv is the environment of a pipeline run against cluster c writing under lake.
func pipelineEnv(c *kfake.Cluster, lake string) []string {
	return []string{
		"KAFKA_BROKERS=" + c.ListenAddrs()[0], "LAKEHOUSE=" + lake, "KAFKA_SESSION_TIMEOUT=1s", "KAFKA_REBALANCE_TIMEOUT=3s",
		"KAFKA_REVOKE_ACK_TIMEOUT=1s", "LEDGERFLOW_HTTP_ADDRESS=127.0.0.1:0", "BATCH_PERIOD=50ms", "BATCH_COUNT=2000",
	}
}

// child is a ledgerflow process started in the background.
type child struct {
	cmd  *exec.Cmd
	logs *lockedLog
	done chan error
}

func startChild(t *testing.T, env []string, args ...string) *child {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), env...)
	ch := &child{cmd: cmd, logs: &lockedLog{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = ch.logs, ch.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { ch.done <- cmd.Wait() }()
	t.Cleanup(func() {
		ch.stop(t)
		if t.Failed() {
			t.Logf("ledgerflow %v (tail):\n%s", args, ch.logs.tail(3000))
		}
	})
	return ch
}

// stop ends the process with SIGTERM (a graceful pipeline shutdown) and waits for it.
func (c *child) stop(t *testing.T) {
	if c.cmd.ProcessState != nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
		t.Errorf("ledgerflow did not stop within 30s of SIGTERM")
	}
}

// waitRows polls a bronze table until it holds want distinct offsets, then waits a little
// longer so that extra rows, if any were coming, would show.
func waitRows(t *testing.T, ch *child, path string, want int) map[string]int {
	t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for time.Now().Before(deadline) {
		if got := offsetCounts(t, path); len(got) >= want {
			time.Sleep(700 * time.Millisecond)
			return offsetCounts(t, path)
		}
		select {
		case err := <-ch.done:
			ch.done <- err
			t.Fatalf("ledgerflow exited (%v) before %s held %d rows:\n%s", err, path, want, ch.logs.tail(3000))
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Fatalf("%s holds %d offsets after 40s, want %d", path, len(offsetCounts(t, path)), want)
	return nil
}

// expectOffsets checks that a bronze table holds exactly the given Kafka records, once each.
func expectOffsets(t *testing.T, table string, got map[string]int, want []kafkaRecord) {
	t.Helper()
	wantSet := map[string]bool{}
	for _, r := range want {
		wantSet[fmt.Sprintf("%d/%d", r.partition, r.offset)] = true
	}
	for k, n := range got {
		if !wantSet[k] {
			t.Errorf("%s holds offset %s, which is before the replay position", table, k)
		} else if n != 1 {
			t.Errorf("%s holds offset %s %d times", table, k, n)
		}
	}
	for k := range wantSet {
		if got[k] == 0 {
			t.Errorf("%s lacks offset %s", table, k)
		}
	}
}

func groupOffsets(t *testing.T, adm *kadm.Client, group string) map[int32]int64 {
	t.Helper()
	return groupOffsetsOf(t, adm, group, custTopic)
}

// groupOffsetsOf returns the group's committed offsets of one topic, none before it joined.
func groupOffsetsOf(t *testing.T, adm *kadm.Client, group, topic string) map[int32]int64 {
	t.Helper()
	out := map[int32]int64{}
	resp, err := adm.FetchOffsets(context.Background(), group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return out // the pipeline has not joined yet
	}
	if err != nil {
		t.Fatal(err)
	}
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.Err == nil {
			out[o.Partition] = o.At
		}
	})
	return out
}

// TestReplayFromOffsetsAndTime runs the customers pipeline over 120 events, then replays it
// into other lakehouses from explicit offsets and from a timestamp, and into its own tables:
// each replayed bronze table must hold exactly the records from the position on, and the
// production table and consumer group must be left as they were.
func TestReplayFromOffsetsAndTime(t *testing.T) {
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
	adm := kadm.NewClient(cl)

	const n = 120
	ids, values := make([]int64, n), make([][]byte, n)
	for i := range values {
		ids[i] = int64(i % 80) // some customers change twice
		op := "c"
		if i >= 80 {
			op = "u"
		}
		values[i] = debeziumCustomer(ids[i], op, int64(1000+i*100), fmt.Sprintf("+49-%d", i))
	}
	base := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	recs := produceCustomers(t, cl, ids, values, base)
	ends := map[int32]int64{}
	for _, r := range recs {
		ends[r.partition] = max(ends[r.partition], r.offset+1)
	}
	if len(ends) != 2 {
		t.Fatalf("all records landed in %d partition(s); the test needs both", len(ends))
	}

	root := t.TempDir()
	lake := filepath.Join(root, "prod")
	prod := startChild(t, pipelineEnv(c, lake), "-c", "pipelines/customers.yaml", "--log.level", logLevel())
	prodBronze := filepath.Join(lake, "bronze", "customers")
	expectOffsets(t, prodBronze, waitRows(t, prod, prodBronze, n), recs)

	offsetsArg := fmt.Sprintf("%s:0=%d,%s:1=%d", custTopic, ends[0]/2, custTopic, ends[1]-3)

	// While the pipeline runs its group is active: replay must refuse to move it.
	out, code := run(t, "", time.Minute, pipelineEnv(c, lake), "replay", "-c", "pipelines/customers.yaml", "--offsets", offsetsArg)
	if code == 0 || !strings.Contains(out, "active member") || !strings.Contains(out, "ledgerflow-customers") {
		t.Fatalf("replay on an active group: exit %d, want a refusal naming the group and its members:\n%s", code, out)
	}
	prod.stop(t)
	prodCommitted := groupOffsets(t, adm, "ledgerflow-customers")
	if prodCommitted[0] != ends[0] || prodCommitted[1] != ends[1] {
		t.Fatalf("production group committed %v, want the log ends %v", prodCommitted, ends)
	}

	// A dry run says what it would do and changes nothing.
	out, code = run(t, "", time.Minute, pipelineEnv(c, lake), "replay", "-c", "pipelines/customers.yaml", "--offsets", offsetsArg, "--dry-run")
	if code != 0 || !strings.Contains(out, "dry run: nothing changed") || !strings.Contains(out, "already holds") {
		t.Fatalf("dry run: exit %d:\n%s", code, out)
	}
	t.Logf("ledgerflow replay --dry-run:\n%s", out)
	if got := groupOffsets(t, adm, "ledgerflow-customers"); got[0] != ends[0] || got[1] != ends[1] {
		t.Fatalf("dry run moved the group to %v", got)
	}

	// From explicit offsets into another lakehouse.
	lake2 := filepath.Join(root, "try1")
	rep := startChild(t, pipelineEnv(c, lake), "replay", "-c", "pipelines/customers.yaml", "--offsets", offsetsArg, "--lakehouse", lake2, "--", "--log.level", logLevel())
	var want []kafkaRecord
	for _, r := range recs {
		if (r.partition == 0 && r.offset >= ends[0]/2) || (r.partition == 1 && r.offset >= ends[1]-3) {
			want = append(want, r)
		}
	}
	bronze2 := filepath.Join(lake2, "bronze", "customers")
	expectOffsets(t, bronze2, waitRows(t, rep, bronze2, len(want)), want)
	rep.stop(t)
	if log := rep.logs.tail(1 << 20); !strings.Contains(log, "group ledgerflow-replay-customers") || !strings.Contains(log, "is written") {
		t.Errorf("replay output does not name the replay group or say the new table gets every record:\n%s", log)
	}

	// From a timestamp, into a third lakehouse; the replay group is reused and moved again.
	from := base.Add(100 * time.Second)
	lake3 := filepath.Join(root, "try2")
	rep = startChild(t, pipelineEnv(c, lake), "replay", "-c", "pipelines/customers.yaml", "--from", from.Format(time.RFC3339), "--lakehouse", lake3, "--", "--log.level", logLevel())
	want = want[:0]
	for _, r := range recs {
		if !r.ts.Before(from) {
			want = append(want, r)
		}
	}
	if len(want) != n-100 {
		t.Fatalf("expected %d records at or after %s, the producer stamped %d", n-100, from, len(want))
	}
	bronze3 := filepath.Join(lake3, "bronze", "customers")
	expectOffsets(t, bronze3, waitRows(t, rep, bronze3, len(want)), want)
	rep.stop(t)

	// The production table and group were never touched.
	expectOffsets(t, prodBronze, offsetCounts(t, prodBronze), recs)
	if got := groupOffsets(t, adm, "ledgerflow-customers"); got[0] != ends[0] || got[1] != ends[1] {
		t.Fatalf("replays into other lakehouses moved the production group to %v", got)
	}

	// Into the same tables from the start: the group moves back, every record is read again,
	// and the table's txn versions skip all of them.
	rep = startChild(t, pipelineEnv(c, lake), "replay", "-c", "pipelines/customers.yaml", "--from", "earliest", "--", "--log.level", logLevel())
	deadline := time.Now().Add(40 * time.Second)
	for {
		// The log first: once it says the commit happened, the offsets read next are the run's.
		committed := strings.Contains(rep.logs.tail(1<<20), "committed the offsets")
		got := groupOffsets(t, adm, "ledgerflow-customers")
		if committed && got[0] == ends[0] && got[1] == ends[1] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replayed production group did not reach the log end: %v, want %v", got, ends)
		}
		time.Sleep(200 * time.Millisecond)
	}
	rep.stop(t)
	if log := rep.logs.tail(1 << 20); !strings.Contains(log, "already holds") || !strings.Contains(log, "skipped") {
		t.Errorf("replay into the same tables does not say that held records are skipped:\n%s", log)
	}
	expectOffsets(t, prodBronze, offsetCounts(t, prodBronze), recs)
}
