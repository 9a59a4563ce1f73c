package delta

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

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// The side tables (tombstones, dead letters) commit before the silver commit of the same
// batch. These tests SIGKILL a real process exactly between the two (LEDGERFLOW_FAILPOINT),
// then restart on the same tables and redeliver the records the way Kafka may: from the
// committed offset, but cut into other batches than before the crash. After every commit the
// table must equal the source applied to exactly the records its txn versions cover.

const (
	childDirEnv      = "LEDGERFLOW_SIDETABLE_CHILD_DIR"
	childScenarioEnv = "LEDGERFLOW_SIDETABLE_CHILD_SCENARIO"
)

// crashScenario is what the child process writes before it is killed, and what the parent
// redelivers afterwards, one record per batch, with the table expected after each.
type crashScenario struct {
	extra     string // output config
	failpoint string
	before    [][]ch // batches the child commits; the last one is killed at the failpoint
	redeliver []ch   // from the first record of the killed batch, one record per batch
	want      []map[int64]string
}

var crashScenarios = map[string]crashScenario{
	// A key inserted and deleted in the killed batch. Redelivered up to the insert only,
	// the key must be there: its delete is not in the table yet.
	"new-key": {
		failpoint: fpAfterTombstones,
		before:    [][]ch{{{1, "pending", 100, "c", ""}}, {{2, "pending", 200, "c", ""}, {2, "pending", 300, "d", ""}}},
		redeliver: []ch{{2, "pending", 200, "c", ""}, {2, "pending", 300, "d", ""}},
		want:      []map[int64]string{{1: "pending", 2: "pending"}, {1: "pending"}},
	},
	// A key already in the table, updated and deleted in the killed batch: the update alone
	// must update it, not delete it.
	"stored-key": {
		failpoint: fpAfterTombstones,
		before:    [][]ch{{{1, "pending", 100, "c", ""}}, {{1, "completed", 200, "u", ""}, {1, "completed", 300, "d", ""}}},
		redeliver: []ch{{1, "completed", 200, "u", ""}, {1, "completed", 300, "d", ""}},
		want:      []map[int64]string{{1: "completed"}, {}},
	},
	// The same under SCD2, where the state compared is the open version of each key: the
	// delete from the future must not close the version the update opens.
	"scd2": {
		extra:     "stored_as_scd_type: 2",
		failpoint: fpAfterTombstones,
		before:    [][]ch{{{1, "pending", 100, "c", ""}}, {{1, "completed", 200, "u", ""}, {1, "completed", 300, "d", ""}}},
		redeliver: []ch{{1, "completed", 200, "u", ""}, {1, "completed", 300, "d", ""}},
		want:      []map[int64]string{{1: "completed"}, {}},
	},
	// A dead letter committed ahead of its batch: the replay must still store the rows of
	// the batch, and record the dead letter once.
	"dead-letter": {
		failpoint: fpAfterDeadLetters,
		before:    [][]ch{{{1, "pending", 100, "c", ""}}, {{-1, "", 0, "", ""}, {2, "pending", 200, "c", ""}}},
		redeliver: []ch{{-1, "", 0, "", ""}, {2, "pending", 200, "c", ""}},
		want:      []map[int64]string{{1: "pending"}, {1: "pending", 2: "pending"}},
	},
}

// body is the record of c; id -1 is a record the output cannot decode (a dead letter).
func crashBody(c ch) string {
	if c.id < 0 {
		return `{"transaction_id":"not a number"}`
	}
	return c.body()
}

// TestSideTableCrashChild is the process the crash tests kill; it does nothing unless started
// by one of them.
func TestSideTableCrashChild(t *testing.T) {
	dir := os.Getenv(childDirEnv)
	if dir == "" {
		t.Skip("started only by TestCrashBetweenSideTableAndSilverCommit")
	}
	sc := crashScenarios[os.Getenv(childScenarioEnv)]
	h := &silverHarness{t: t, dir: dir, extra: sc.extra}
	h.o = h.open()
	for _, b := range sc.before {
		var batch service.MessageBatch
		for _, c := range b {
			batch = append(batch, msg(crashBody(c), 0, h.offset, h.offset-1))
			h.offset++
		}
		if err := h.o.WriteBatch(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("failpoint %s was not reached: the process should have been killed", sc.failpoint)
}

func TestCrashBetweenSideTableAndSilverCommit(t *testing.T) {
	for name, sc := range crashScenarios {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestSideTableCrashChild$", "-test.v")
			cmd.Env = append(os.Environ(), childDirEnv+"="+dir, childScenarioEnv+"="+name, failpointEnv+"="+sc.failpoint)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("the child was not killed at failpoint %s (%v):\n%s", sc.failpoint, err, out)
			}
			if !strings.Contains(string(out), "failpoint "+sc.failpoint+" reached") {
				t.Fatalf("the child died elsewhere than at failpoint %s:\n%s", sc.failpoint, out)
			}

			h := &silverHarness{t: t, dir: dir, extra: sc.extra}
			committed := 0
			for _, b := range sc.before[:len(sc.before)-1] {
				committed += len(b)
			}
			h.offset = int64(committed)
			if v := h.txnVersion(); v != h.offset-1 {
				t.Fatalf("before the redelivery the txn version is %d, want %d (the killed batch must not be committed)", v, h.offset-1)
			}
			h.o = h.open()
			for i, c := range sc.redeliver {
				if err := h.o.WriteBatch(context.Background(), service.MessageBatch{msg(crashBody(c), 0, h.offset, h.offset-1)}); err != nil {
					t.Fatal(err)
				}
				h.offset++
				if v := h.txnVersion(); v != h.offset-1 {
					t.Fatalf("after redelivering offset %d the txn version is %d", h.offset-1, v)
				}
				got := h.openState(sc.extra != "")
				if fmt.Sprint(got) != fmt.Sprint(sc.want[i]) {
					t.Fatalf("after redelivering offset %d (the killed batch cut after it): silver\n got %v\nwant %v", h.offset-1, got, sc.want[i])
				}
			}
			if name == "dead-letter" {
				if n := len(tableRows(t, h.path()+"_dead_letters")); n != 1 {
					t.Fatalf("%d dead letters, want 1 (recorded before the crash, not again)", n)
				}
			}
		})
	}
}

// txnVersion is the table's committed txn version of partition 0 (-1: none).
func (h *silverHarness) txnVersion() int64 {
	h.t.Helper()
	snap, err := delta.OpenLocal(h.path()).Snapshot(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	v, ok := snap.TxnVersion(appID("test/transactions/merge", topicPartition{"bank_server.bank.transactions", 0}))
	if !ok {
		return -1
	}
	return v
}

// openState is the table as id -> status of each key's current row: for SCD2 the open
// version (__end_at null), of which a key must have at most one.
func (h *silverHarness) openState(scd2 bool) map[int64]string {
	h.t.Helper()
	if !scd2 {
		return h.state()
	}
	snap, err := delta.OpenLocal(h.path()).Snapshot(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	st, _ := snap.Schema()
	rows, err := snap.Rows(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	id, status, end := st.Index("transaction_id"), st.Index("status"), st.Index(colEndAt)
	out := map[int64]string{}
	for _, r := range rows {
		if r[end] != nil {
			continue
		}
		k := r[id].(int64)
		if _, dup := out[k]; dup {
			h.t.Fatalf("key %d has two open versions", k)
		}
		out[k] = r[status].(string)
	}
	return out
}

// TestOldTombstoneTableGainsCoordinates: a tombstone table written before the Kafka
// coordinate columns gains them at start, and its rows (null coordinates) keep deciding
// merges: a late older insert of a deleted key stays out.
func TestOldTombstoneTableGainsCoordinates(t *testing.T) {
	h := &silverHarness{t: t, dir: t.TempDir()}
	h.o = h.open()
	h.batch(ch{1, "pending", 100, "c", ""})
	silverSchema, _ := h.o.snap.Schema()
	full, err := tombstoneSchema(silverSchema, []string{"transaction_id"})
	if err != nil {
		t.Fatal(err)
	}
	old := &schema.StructType{Fields: full.Fields[:len(full.Fields)-3]}
	tombPath := filepath.Join(h.path(), tombstoneDir)
	if err := os.RemoveAll(tombPath); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	snap, err := delta.OpenLocal(tombPath).Create(ctx, old, delta.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	order, err := orderOf(fmt.Sprintf("%010d:%020d:%06d", 3, 300, 0), "d")
	if err != nil {
		t.Fatal(err)
	}
	tx := snap.NewTransaction("WRITE")
	if _, err := tx.WriteRows(ctx, [][]any{{int64(5), []byte(order), nil, posTime(300), time.Now().UTC().Truncate(time.Microsecond)}}, delta.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	h.restart()
	h.batch(ch{5, "pending", 200, "c", ""}) // older than the old table's delete of key 5
	h.expect(map[int64]string{1: "pending"})
	now, _ := delta.OpenLocal(tombPath).Snapshot(ctx)
	st, _ := now.Schema()
	for _, c := range []string{colKafkaTopic, colKafkaPartition, colKafkaOffset} {
		if st.Index(c) < 0 {
			t.Fatalf("the old tombstone table did not gain %s: %s", c, st.JSON())
		}
	}
	// A delete recorded now carries its coordinates, and they read back.
	h.batch(ch{1, "pending", 400, "d", ""})
	rows := tableRows(t, tombPath)
	var coords []string
	for _, r := range rows {
		if p := tombPosition(r[len(r)-3:]); p.known {
			coords = append(coords, fmt.Sprintf("%s/%d/%d", p.tp.Topic, p.tp.Partition, p.offset))
		}
	}
	if want := fmt.Sprintf("[bank_server.bank.transactions/0/%d]", h.offset-1); fmt.Sprint(coords) != want {
		t.Fatalf("tombstone coordinates %v, want %s", coords, want)
	}
}
