package scenario

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ledgerflow/ledgerflow/schemas"
)

func generate(t *testing.T, src string) (*generator, []record, error) {
	t.Helper()
	f, err := Parse("x_scenarios.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	s := f.Scenarios[0]
	contract, err := schemas.Load("transactions")
	if err != nil {
		t.Fatal(err)
	}
	g, err := newGenerator(contract, s.TopicPrefix, s.Defaults)
	if err != nil {
		return nil, nil, err
	}
	var recs []record
	for _, st := range s.Steps {
		for _, e := range st.Events {
			r, err := g.event(e)
			if err != nil {
				return g, recs, err
			}
			recs = append(recs, r)
		}
	}
	return g, recs, nil
}

type envelope struct {
	Before, After map[string]any
	Op            string
	Source        struct {
		File     string
		Pos      uint32
		Row      int
		Snapshot string
		TsMs     int64 `json:"ts_ms"`
	}
}

func decode(t *testing.T, r record) envelope {
	t.Helper()
	var e envelope
	if err := json.Unmarshal(r.value, &e); err != nil {
		t.Fatalf("%s: %v", r.value, err)
	}
	return e
}

func TestGeneratorImagesPositionsAndOffsets(t *testing.T) {
	_, recs, err := generate(t, `
output: o
defaults: {amount: "10.00", currency: EUR}
scenarios:
  - name: s
    batches:
      - - insert: {transaction_id: 1, amount: "12.5"}
        - update: {transaction_id: 1, status: completed}
          at: "2:300:1"
        - update: {transaction_id: 1, status: failed}
          before: {status: reversed}
        - delete: {transaction_id: 1}
        - tombstone: {transaction_id: 1}
      - - read: {transaction_id: 2}
          at: 5
          partition: 1
        - duplicate_of: 1
        - redeliver: 0
        - truncate: {}
        - insert: {transaction_id: 3}
          extra: {loyalty_tier: gold}
    expect: {count: 0}
`)
	if err != nil {
		t.Fatal(err)
	}
	ins, upd, upd2, del, tomb, read, dup, redo, trunc, extra := decode(t, recs[0]), decode(t, recs[1]), decode(t, recs[2]), decode(t, recs[3]), recs[4], decode(t, recs[5]), recs[6], recs[7], decode(t, recs[8]), decode(t, recs[9])
	if ins.Op != "c" || ins.Before != nil || ins.After["amount"] != "BOI=" || ins.After["currency"] != "EUR" || ins.After["status"] != "pending" || ins.After["merchant_id"] != nil {
		t.Errorf("insert: %+v (amount 12.50 is base64 of 1250, status the first ENUM member, nullable columns null)", ins)
	}
	if ins.Source.File != "mysql-bin.000001" || ins.Source.Pos != 10 || ins.Source.Snapshot != "false" || ins.Source.TsMs != baseTsMs+10_000 {
		t.Errorf("insert source: %+v", ins.Source)
	}
	if upd.Op != "u" || upd.Before["status"] != "pending" || upd.After["status"] != "completed" || upd.After["amount"] != "BOI=" {
		t.Errorf("update images: %+v", upd)
	}
	if upd.Source.File != "mysql-bin.000002" || upd.Source.Pos != 300 || upd.Source.Row != 1 {
		t.Errorf("update at 2:300:1: %+v", upd.Source)
	}
	if upd2.Before["status"] != "reversed" || upd2.After["status"] != "failed" || upd2.Source.Pos != 310 {
		t.Errorf("second update (before override, 10 past the previous position): %+v", upd2)
	}
	if del.Op != "d" || del.After != nil || del.Before["status"] != "failed" {
		t.Errorf("delete carries the current row: %+v", del)
	}
	if tomb.value != nil || string(tomb.key) != `{"transaction_id":1}` || tomb.offset != 4 {
		t.Errorf("tombstone: %+v", tomb)
	}
	if read.Op != "r" || read.Source.Snapshot != "true" || read.Source.Pos != 5 || recs[5].partition != 1 || recs[5].offset != 0 {
		t.Errorf("read: %+v partition %d offset %d", read, recs[5].partition, recs[5].offset)
	}
	if string(dup.value) != string(recs[1].value) || dup.offset != 5 || dup.partition != 0 {
		t.Errorf("duplicate_of 1: same value at the next offset 5, got offset %d", dup.offset)
	}
	if string(redo.value) != string(recs[0].value) || redo.offset != 0 {
		t.Errorf("redeliver 0: same record, offset 0; got offset %d", redo.offset)
	}
	if trunc.Op != "t" || trunc.Before != nil || trunc.After != nil || recs[8].key != nil {
		t.Errorf("truncate: %+v key %q", trunc, recs[8].key)
	}
	if extra.After["loyalty_tier"] != "gold" || extra.After["transaction_id"] != float64(3) {
		t.Errorf("extra column: %+v", extra.After)
	}
}

func TestGeneratorErrors(t *testing.T) {
	cases := map[string]string{
		"{insert: {transaction_id: 1, colour: red}}":      `line 5: "colour" is not a column of transactions`,
		"{update: {status: completed}}":                   "update needs the primary key column transaction_id",
		"{insert: {transaction_id: 1, amount: 1.234}}":    "column amount (DECIMAL(18,2))",
		"{insert: {transaction_id: one}}":                 `column transaction_id (BIGINT): "one": expected an integer`,
		"{insert: {transaction_id: 1, status: lost}}":     `column status (ENUM('pending','completed','failed','reversed')): "lost" is not a member`,
		"{insert: {transaction_id: 1, account_id: null}}": "column account_id (BIGINT): null in a NOT NULL column",
		"{insert: {transaction_id: 1, event_ts: soon}}":   `column event_ts (DATETIME(3)): "soon": expected a time`,
	}
	for ev, want := range cases {
		_, _, err := generate(t, "output: o\nscenarios:\n  - name: s\n    events:\n      - "+ev+"\n    expect: {count: 0}\n")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", ev, err, want)
		}
	}
}
