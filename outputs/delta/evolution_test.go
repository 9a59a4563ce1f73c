package delta

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// withNewColumns is c's event after ALTER TABLE ADD COLUMN risk_note, fee upstream, as
// debezium_unwrap emits it: the values in the row, the names (and the Connect types it knows)
// in metadata.
func (h *silverHarness) withNewColumns(c ch, note, fee string) *service.Message {
	body := strings.Replace(c.body(), `"_op"`, fmt.Sprintf(`"risk_note":%q,"fee":%q,"_op"`, note, fee), 1)
	m := msg(body, 0, h.offset, h.offset-1)
	h.offset++
	m.MetaSetMut("debezium_unknown_columns", "risk_note,fee")
	m.MetaSetMut("debezium_unknown_column_types", "fee:decimal(12,2);risk_note:string")
	return m
}

func TestSchemaEvolutionAddsColumns(t *testing.T) {
	h := newSilver(t, "")
	h.batch(ch{1, "pending", 100, "c", ""}, ch{2, "pending", 101, "c", ""}, ch{3, "pending", 102, "c", ""})
	ctx := context.Background()
	b := service.MessageBatch{h.withNewColumns(ch{1, "completed", 110, "u", ""}, "manual review", "1.25"),
		h.withNewColumns(ch{4, "pending", 111, "c", ""}, "new", "0.10")}
	if err := h.o.WriteBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	h.restart() // the added columns keep being stored after a restart
	if err := h.o.WriteBatch(ctx, service.MessageBatch{h.withNewColumns(ch{5, "pending", 120, "c", ""}, "after restart", "2.00")}); err != nil {
		t.Fatal(err)
	}
	h.batch(ch{2, "failed", 130, "u", ""}) // an event without the columns: they read null

	snap, err := delta.OpenLocal(h.path()).Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := snap.Schema()
	note, fee := st.Index("risk_note"), st.Index("fee")
	if note < 0 || fee < 0 || st.Fields[note].Type != schema.String || st.Fields[fee].Type.String() != "decimal(12,2)" {
		t.Fatalf("schema after evolution: %s", st.JSON())
	}
	rows, err := snap.Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]string{}
	for _, r := range rows {
		f := "null"
		if d, ok := r[fee].(schema.Decimal); ok {
			f = d.String()
		}
		got[r[st.Index("transaction_id")].(int64)] = fmt.Sprintf("%v/%s", r[note], f)
	}
	want := map[int64]string{1: "manual review/1.25", 2: "<nil>/null", 3: "<nil>/null", 4: "new/0.10", 5: "after restart/2.00"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rows after evolution\n got %v\nwant %v", got, want)
	}
	if oracle := os.Getenv("LEDGERFLOW_DELTA_ORACLE"); oracle != "" {
		out, err := exec.Command("node", oracle, h.path(), "--sql", "select count(*) as n, sum(fee) as s from t where risk_note is not null").CombinedOutput()
		if err != nil || !strings.Contains(string(out), `"n":"3"`) || !strings.Contains(string(out), `3.35`) {
			t.Fatalf("independent reader after evolution: %v\n%s", err, out)
		}
	} else {
		t.Log("LEDGERFLOW_DELTA_ORACLE not set (.ci/run sets it): independent reader check skipped")
	}
}

func TestSchemaEvolutionModes(t *testing.T) {
	ctx := context.Background()
	h := newSilver(t, "schema_evolution: exception")
	err := h.o.WriteBatch(ctx, service.MessageBatch{h.withNewColumns(ch{1, "pending", 100, "c", ""}, "x", "1.00")})
	if err == nil || !strings.Contains(err.Error(), `new column "risk_note"`) {
		t.Fatalf("exception mode: want an error naming the column, got %v", err)
	}

	h = newSilver(t, "schema_evolution: ignore")
	if err := h.o.WriteBatch(ctx, service.MessageBatch{h.withNewColumns(ch{1, "pending", 100, "c", ""}, "x", "1.00")}); err != nil {
		t.Fatal(err)
	}
	snap, _ := delta.OpenLocal(h.path()).Snapshot(ctx)
	if st, _ := snap.Schema(); st.Index("risk_note") >= 0 {
		t.Fatal("ignore mode added a column")
	}
	h.expect(map[int64]string{1: "pending"})

	// A new column whose values do not fit the type it was added with is a dead letter,
	// never a silent null.
	h = newSilver(t, "")
	if err := h.o.WriteBatch(ctx, service.MessageBatch{h.withNewColumns(ch{1, "pending", 100, "c", ""}, "x", "1.00")}); err != nil {
		t.Fatal(err)
	}
	if err := h.o.WriteBatch(ctx, service.MessageBatch{h.withNewColumns(ch{2, "pending", 101, "c", ""}, "y", "not money")}); err != nil {
		t.Fatal(err)
	}
	h.expect(map[int64]string{1: "pending"})
	dl := tableRows(t, h.path()+"_dead_letters")
	if len(dl) != 1 || !strings.Contains(fmt.Sprint(dl[0][4]), "column fee") {
		t.Fatalf("dead letters: %v", dl)
	}
}
