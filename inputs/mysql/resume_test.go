package mysql

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/inputs/mysql/mariadbtest"
)

// TestAddColumnMidStream: after ALTER TABLE … ADD COLUMN … AFTER, later events carry the
// new column at its position, in after and before, like Debezium's evolved Value schema.
func TestAddColumnMidStream(t *testing.T) {
	srv := mariadbtest.Start(t)
	in := newTestInput(t, srv, "snapshot_mode: never\nschemas_enabled: true")
	defer closeInput(t, in)
	srv.Exec("INSERT INTO bank.customers (customer_id, first_name, last_name, email, kyc_status, created_at) VALUES (1, 'Anne', 'Kretchmar', 'a@x', 'pending', '2024-01-01 00:00:00')")
	before := readMsgs(t, in, 1)
	ackAll(t, before)
	srv.Exec(
		"ALTER TABLE bank.customers ADD COLUMN middle_name VARCHAR(50) NULL AFTER first_name",
		"UPDATE bank.customers SET middle_name = 'Marie' WHERE customer_id = 1",
		"INSERT INTO bank.customers (customer_id, first_name, middle_name, last_name, email, kyc_status, created_at) VALUES (2, 'Bo', 'L', 'Ek', 'b@x', 'verified', '2024-01-01 00:00:00')",
	)
	gs := readMsgs(t, in, 2)
	ackAll(t, gs)
	compareWithDocSchema(t, body(t, gs[1].msgs[0]))
	old := payloadKeys(t, body(t, before[0].msgs[0]), "after")
	if reflect.DeepEqual(old, []string{}) || contains(old, "middle_name") {
		t.Fatalf("event before the ALTER has columns %v", old)
	}
	want := []string{"customer_id", "first_name", "middle_name", "last_name", "email", "phone", "date_of_birth", "country", "kyc_status", "risk_rating", "created_at", "updated_at"}
	for i, g := range gs {
		b := body(t, g.msgs[0])
		if got := payloadKeys(t, b, "after"); !reflect.DeepEqual(got, want) {
			t.Errorf("event %d after the ALTER: after columns %v, expected %v", i, got, want)
		}
		var env struct {
			Schema struct {
				Fields []struct {
					Field  string `json:"field"`
					Fields []struct {
						Field    string `json:"field"`
						Optional bool   `json:"optional"`
					} `json:"fields"`
				} `json:"fields"`
			} `json:"schema"`
			Payload struct {
				Before map[string]any `json:"before"`
				After  map[string]any `json:"after"`
			} `json:"payload"`
		}
		if err := json.Unmarshal(b, &env); err != nil {
			t.Fatal(err)
		}
		if f := env.Schema.Fields[1].Fields[2]; f.Field != "middle_name" || !f.Optional {
			t.Errorf("event %d: after schema field 3 is %+v, expected optional middle_name", i, f)
		}
		if i == 0 {
			if v, ok := env.Payload.Before["middle_name"]; !ok || v != nil || env.Payload.After["middle_name"] != "Marie" {
				t.Errorf("update: before.middle_name %v (present %v), after %v", v, ok, env.Payload.After["middle_name"])
			}
		}
	}
}

func payloadKeys(t *testing.T, b []byte, field string) []string {
	t.Helper()
	var env map[string]json.RawMessage
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	if p, ok := env["payload"]; ok {
		b = p
	}
	return objectShape(t, b, field).keys
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// txnIDs returns the transaction_id of each non-tombstone message.
func txnIDs(t *testing.T, gs []got) []string {
	t.Helper()
	var ids []string
	for _, m := range flat(gs) {
		if meta(m, "kafka_tombstone") == "true" {
			continue
		}
		ids = append(ids, fmt.Sprint(decode(t, m).obj("after")["transaction_id"]))
	}
	return ids
}

func insertTxn(id int) string {
	return fmt.Sprintf("INSERT INTO bank.transactions (transaction_id, account_id, customer_id, amount, currency, status, transaction_type, event_ts, created_at) VALUES (%d, 1, 1, %d.50, 'EUR', 'pending', 'purchase', '2024-01-01 00:00:00', '2024-01-01 00:00:00')", id, id)
}

// TestCheckpointResume: acknowledge some events, stop, start again with the same
// checkpoint file: delivery resumes right after the acknowledged prefix, also inside a
// transaction of several statements, and never loses an unacknowledged event.
func TestCheckpointResume(t *testing.T) {
	srv := mariadbtest.Start(t)
	ckpt := checkpointPath(t)
	conf := "checkpoint_file: " + ckpt + "\ncheckpoint_interval: 0s"
	srv.Exec(insertTxn(1)) // snapshot row
	in := newTestInput(t, srv, conf)
	ackAll(t, readMsgs(t, in, 1))

	// Single-statement transactions 2, 3; a transaction of three statements 10, 11, 12
	// (three rows events); then 20.
	srv.Exec(insertTxn(2), insertTxn(3))
	srv.Exec("BEGIN", insertTxn(10), insertTxn(11), insertTxn(12), "COMMIT")
	srv.Exec(insertTxn(20))
	gs := readMsgs(t, in, 6)
	if ids := txnIDs(t, gs); !reflect.DeepEqual(ids, []string{"2", "3", "10", "11", "12", "20"}) {
		t.Fatalf("first run ids %v", ids)
	}
	firstRunSource := decode(t, gs[4].msgs[0]).obj("source")
	// Acknowledge 2, 3, 10, 11 — not 12, not 20 (12 in flight when the process "stops").
	ackAll(t, gs[:4])
	// An acknowledgement out of order (20 before 12) must not move the checkpoint past 12.
	if err := gs[5].ack(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	closeInput(t, in)
	p := readCheckpointFile(t, ckpt)
	if p.SkipRows != 2 {
		t.Fatalf("checkpoint %v, expected to sit inside the 3-statement transaction after 2 rows", p)
	}

	in2 := newTestInput(t, srv, conf)
	gs2 := readMsgs(t, in2, 2)
	if ids := txnIDs(t, gs2); !reflect.DeepEqual(ids, []string{"12", "20"}) {
		t.Fatalf("after restart ids %v, expected 12 then 20 (next unacknowledged, no loss, 20 re-sent)", ids)
	}
	if src := decode(t, gs2[0].msgs[0]).obj("source"); !reflect.DeepEqual(src, firstRunSource) {
		t.Errorf("re-sent event's source differs:\n first  %v\n second %v", firstRunSource, src)
	}
	ackAll(t, gs2)
	closeInput(t, in2)

	// Everything acknowledged: a third run delivers only new changes.
	srv.Exec(insertTxn(30))
	in3 := newTestInput(t, srv, conf)
	defer closeInput(t, in3)
	gs3 := readMsgs(t, in3, 1)
	if ids := txnIDs(t, gs3); !reflect.DeepEqual(ids, []string{"30"}) {
		t.Fatalf("third run ids %v, expected only 30", ids)
	}
	ackAll(t, gs3)
}

// compareWithDocSchema checks a schemas_enabled create event against Debezium's documented
// one (mysql-create-schemas-enabled.json): every field of its envelope and source schema
// exists in ours with the same Connect type, except the documented drift (snapshot is a
// string enum in real 2.x/3.x connectors, a boolean in the doc); the payload has the same
// keys and op code.
func compareWithDocSchema(t *testing.T, ours []byte) {
	t.Helper()
	doc := realDebezium(t, "mysql-create-schemas-enabled.json")
	type field struct {
		Type   string  `json:"type"`
		Field  string  `json:"field"`
		Name   string  `json:"name"`
		Fields []field `json:"fields"`
	}
	type event struct {
		Schema  field                      `json:"schema"`
		Payload map[string]json.RawMessage `json:"payload"`
	}
	var a, d event
	if err := json.Unmarshal(ours, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	index := func(fs []field) map[string]field {
		m := map[string]field{}
		for _, f := range fs {
			m[f.Field] = f
		}
		return m
	}
	ourEnv := index(a.Schema.Fields)
	for _, df := range d.Schema.Fields {
		of, ok := ourEnv[df.Field]
		if !ok || of.Type != df.Type {
			t.Errorf("envelope field %s: ours %+v, Debezium's type %s", df.Field, of, df.Type)
			continue
		}
		if df.Field == "source" {
			if of.Name != "io.debezium.connector.mariadb.Source" {
				t.Errorf("source schema name %q", of.Name)
			}
			ourSrc := index(of.Fields)
			for _, sf := range df.Fields {
				o, ok := ourSrc[sf.Field]
				if !ok || (o.Type != sf.Type && sf.Field != "snapshot") {
					t.Errorf("source field %s: ours %+v, Debezium's type %s", sf.Field, o, sf.Type)
				}
			}
		}
	}
	for k := range d.Payload {
		if _, ok := a.Payload[k]; !ok {
			t.Errorf("payload lacks %s", k)
		}
	}
	if string(a.Payload["op"]) != string(d.Payload["op"]) || string(a.Payload["before"]) != "null" {
		t.Errorf("op %s before %s, expected %s and null", a.Payload["op"], a.Payload["before"], d.Payload["op"])
	}
}

// TestReconnectAfterKilledConnection: when the server drops the replication connection,
// ReadBatch reports ErrNotConnected, Connect resumes from the acknowledged position, and
// no change is lost.
func TestReconnectAfterKilledConnection(t *testing.T) {
	srv := mariadbtest.Start(t)
	in := newTestInput(t, srv, "snapshot_mode: never\ntables: [ bank.transactions ]")
	defer closeInput(t, in)
	srv.Exec(insertTxn(1))
	ackAll(t, readMsgs(t, in, 1))
	for _, row := range srv.Query("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'") {
		srv.Exec("KILL " + row[0])
	}
	srv.Exec(insertTxn(2), insertTxn(3))
	var ids []string
	deadline := time.Now().Add(30 * time.Second)
	reconnected := false
	for len(ids) < 2 && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		b, ack, err := in.ReadBatch(ctx)
		cancel()
		if errors.Is(err, service.ErrNotConnected) {
			reconnected = true
			cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := in.Connect(cctx); err != nil {
				t.Logf("connect: %v", err)
			}
			ccancel()
			continue
		}
		if err != nil {
			continue
		}
		ids = append(ids, txnIDs(t, []got{{b, ack}})...)
		_ = ack(context.Background(), nil)
	}
	if !reconnected {
		t.Error("the killed connection was not reported as ErrNotConnected")
	}
	if !reflect.DeepEqual(ids, []string{"2", "3"}) {
		t.Fatalf("after the reconnect got %v, expected [2 3]", ids)
	}
}

// TestStaleRowBecomesErroredMessage: replaying a row written before a DDL that changed the
// column count cannot be decoded with today's columns; it is delivered as an errored
// message naming the position and the reason (never dropped), and later rows flow on.
func TestStaleRowBecomesErroredMessage(t *testing.T) {
	srv := mariadbtest.Start(t)
	m := srv.Query("SHOW MASTER STATUS")[0]
	srv.Exec(insertTxn(1), "ALTER TABLE bank.transactions ADD COLUMN note VARCHAR(10) NULL", insertTxn(2))
	ckpt := checkpointPath(t)
	var pos uint32
	fmt.Sscan(m[1], &pos)
	if err := saveCheckpoint(ckpt, position{File: m[0], Pos: pos}, "mariadb"); err != nil {
		t.Fatal(err)
	}
	in := newTestInput(t, srv, "tables: [ bank.transactions ]\ntombstones_on_delete: false\ncheckpoint_file: "+ckpt)
	defer closeInput(t, in)
	gs := readMsgs(t, in, 2)
	bad := gs[0].msgs[0]
	if bad.GetError() == nil {
		t.Fatalf("stale row not flagged: %s", body(t, bad))
	}
	var info map[string]any
	if err := json.Unmarshal(body(t, bad), &info); err != nil || info["file"] != m[0] || info["table"] != "transactions" {
		t.Errorf("errored message body %s (%v)", body(t, bad), err)
	}
	if ids := txnIDs(t, gs[1:]); !reflect.DeepEqual(ids, []string{"2"}) {
		t.Errorf("after the stale row got %v", ids)
	}
	ackAll(t, gs)
	// tombstones_on_delete: false: a delete is one message.
	srv.Exec("DELETE FROM bank.transactions WHERE transaction_id = 2")
	del := readMsgs(t, in, 1)
	if e := decode(t, del[0].msgs[0]); e["op"] != "d" {
		t.Errorf("expected a lone delete, got %v", e["op"])
	}
	ackAll(t, del)
}

// TestDroppedTableRowsAreErrored: rows of a table dropped before the input reads them have
// no column information left; they arrive as errored messages and the stream goes on
// (instead of failing and replaying the event forever).
func TestDroppedTableRowsAreErrored(t *testing.T) {
	srv := mariadbtest.Start(t)
	m := srv.Query("SHOW MASTER STATUS")[0]
	srv.Exec("CREATE TABLE bank.scratch (id INT PRIMARY KEY)", "INSERT INTO bank.scratch VALUES (1)", "DROP TABLE bank.scratch", insertTxn(7))
	ckpt := checkpointPath(t)
	var pos uint32
	fmt.Sscan(m[1], &pos)
	if err := saveCheckpoint(ckpt, position{File: m[0], Pos: pos}, "mariadb"); err != nil {
		t.Fatal(err)
	}
	in := newTestInput(t, srv, "checkpoint_file: "+ckpt)
	defer closeInput(t, in)
	gs := readMsgs(t, in, 2)
	if err := gs[0].msgs[0].GetError(); err == nil || meta(gs[0].msgs[0], "mysql_table") != "scratch" {
		t.Fatalf("row of the dropped table: error %v, table %q", err, meta(gs[0].msgs[0], "mysql_table"))
	}
	if ids := txnIDs(t, gs[1:]); !reflect.DeepEqual(ids, []string{"7"}) {
		t.Fatalf("after the dropped table's row got %v", ids)
	}
	ackAll(t, gs)
}

// TestRenamedColumnWithFullRowMetadata: with binlog_row_metadata=FULL the binlog names the
// columns, so a row written before a column rename is not labelled with the new name: it
// becomes an errored message. Rows written after the rename carry the new name.
func TestRenamedColumnWithFullRowMetadata(t *testing.T) {
	srv := mariadbtest.StartWith(t, mariadbtest.Options{ExtraArgs: []string{"--binlog-row-metadata=FULL"}})
	m := srv.Query("SHOW MASTER STATUS")[0]
	srv.Exec(insertTxn(1), "ALTER TABLE bank.transactions CHANGE COLUMN device_id device VARCHAR(64) NULL", insertTxn(2))
	ckpt := checkpointPath(t)
	var pos uint32
	fmt.Sscan(m[1], &pos)
	if err := saveCheckpoint(ckpt, position{File: m[0], Pos: pos}, "mariadb"); err != nil {
		t.Fatal(err)
	}
	in := newTestInput(t, srv, "tables: [ bank.transactions ]\ncheckpoint_file: "+ckpt)
	defer closeInput(t, in)
	gs := readMsgs(t, in, 2)
	if gs[0].msgs[0].GetError() == nil {
		t.Fatalf("row from before the rename not flagged: %s", body(t, gs[0].msgs[0]))
	}
	after := decode(t, gs[1].msgs[0]).obj("after")
	if _, ok := after["device"]; !ok || fmt.Sprint(after["transaction_id"]) != "2" {
		t.Fatalf("row after the rename: %v", after)
	}
	ackAll(t, gs)
}
