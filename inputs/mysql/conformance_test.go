package mysql

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/inputs/mysql/mariadbtest"
)

const conformanceDir = "../../../shared/conformance/debezium"

// realDebezium loads a Debezium-written event from the shared conformance folder,
// skipping the test when the folder is absent.
func realDebezium(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(conformanceDir, name))
	if os.IsNotExist(err) {
		t.Skipf("conformance sample %s not found (../shared is absent); skipping the comparison with real Debezium events", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(b)
}

// shape is an object's keys in order with the JSON kind of each value.
type shape struct {
	keys  []string
	kinds map[string]string
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "bool"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

// objectShape reads the object at path (keys) of raw, keeping key order.
func objectShape(t *testing.T, raw []byte, path ...string) shape {
	t.Helper()
	for _, p := range path {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		raw = m[p]
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("path %v: not an object: %s", path, raw)
	}
	s := shape{kinds: map[string]string{}}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		k := tok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		s.keys = append(s.keys, k)
		s.kinds[k] = jsonKind(v)
	}
	return s
}

// sameShape compares key order and kinds; nullable lists keys where one side may be null
// and the other a value (gtid: null without GTIDs, thread: null in snapshots).
func sameShape(t *testing.T, what string, ours, theirs shape, nullable ...string) {
	t.Helper()
	if !reflect.DeepEqual(ours.keys, theirs.keys) {
		t.Errorf("%s: keys\n ours   %v\n Debezium %v", what, ours.keys, theirs.keys)
	}
	for _, k := range theirs.keys {
		a, b := ours.kinds[k], theirs.kinds[k]
		if a == b {
			continue
		}
		ok := false
		for _, n := range nullable {
			if n == k && (a == "null" || b == "null") {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s.%s: ours is %s, Debezium's is %s", what, k, a, b)
		}
	}
}

func body(t *testing.T, m *service.Message) []byte {
	t.Helper()
	b, err := m.AsBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// unscaledBase64 is the expected precise-decimal encoding, computed without the code under
// test: the decimal string's digits at the column scale as a big.Int, two's complement.
func unscaledBase64(t *testing.T, s string, scale int) string {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	ip, fp, _ := strings.Cut(s, ".")
	fp += strings.Repeat("0", scale-len(fp))
	n, ok := new(big.Int).SetString(ip+fp, 10)
	if !ok {
		t.Fatalf("bad decimal %q", s)
	}
	if neg {
		n.Neg(n)
	}
	// Java BigInteger.toByteArray: minimal two's complement, big-endian.
	nbytes := n.BitLen()/8 + 1
	m := new(big.Int).Set(n)
	if n.Sign() < 0 {
		m.Add(m, new(big.Int).Lsh(big.NewInt(1), uint(nbytes*8)))
	}
	b := m.FillBytes(make([]byte, nbytes))
	return base64.StdEncoding.EncodeToString(b)
}

func num(t *testing.T, v any) string {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("expected a number, got %T %v", v, v)
	}
	return n.String()
}

func epochMilli(s string) string {
	tm, err := time.Parse("2006-01-02 15:04:05.999999", s)
	if err != nil {
		panic(err)
	}
	return fmt.Sprint(tm.UnixMilli())
}

// TestDebeziumConformance runs a snapshot and then every kind of streamed change against a
// real MariaDB and checks the events field by field against real Debezium 3.0.1 output and
// independently computed values.
func TestDebeziumConformance(t *testing.T) {
	snapshotSample := realDebezium(t, "mysql-3.0.1-snapshot-read-schemas-disabled.json")
	updateSample := realDebezium(t, "mysql-3.0.1-update-schemas-disabled.json")
	srv := mariadbtest.Start(t)
	srv.Exec(
		"INSERT INTO bank.customers VALUES (1, 'Anne', 'Kretchmar', 'annek@noanswer.org', NULL, '2016-01-16', 'GB', 'verified', 200, '2018-06-20 06:37:03.123', NULL)",
		"INSERT INTO bank.accounts VALUES (10, 1, 'checking', 'EUR', -1.52, 1000.00, 'active', 1, '2024-01-02 03:04:05.678', NULL)",
		"INSERT INTO bank.accounts VALUES (11, 1, 'savings', 'EUR', 1.33, NULL, 'frozen', 0, '2024-01-02 03:04:05.000', '2024-02-03 00:00:00.001')",
	)
	ckpt := checkpointPath(t)
	in := newTestInput(t, srv, "checkpoint_file: "+ckpt+"\ncheckpoint_interval: 0s")
	defer closeInput(t, in)
	master := srv.Query("SHOW MASTER STATUS")[0]

	// --- snapshot: 3 rows, accounts (2) then customers (1); transactions is empty.
	gs := readMsgs(t, in, 3)
	snap := flat(gs)
	// Debezium's setSnapshotMarker: customers is neither the first nor the last table, and
	// its only row is the last of its table.
	wantMarkers := []string{"first", "last_in_data_collection", "last_in_data_collection"}
	for i, m := range snap {
		e := decode(t, m)
		if e["op"] != "r" || e["before"] != nil {
			t.Errorf("snapshot event %d: op %v before %v, expected r and null", i, e["op"], e["before"])
		}
		src := e.obj("source")
		if src["snapshot"] != wantMarkers[i] {
			t.Errorf("snapshot event %d: source.snapshot %v, expected %s (Debezium's SnapshotRecord markers)", i, src["snapshot"], wantMarkers[i])
		}
		if src["file"] != master[0] || num(t, src["pos"]) != master[1] || num(t, src["row"]) != "0" ||
			num(t, src["server_id"]) != "0" || src["thread"] != nil || src["gtid"] != nil {
			t.Errorf("snapshot event %d: source %v, expected file %s pos %s row 0 server_id 0, null thread and gtid", i, src, master[0], master[1])
		}
		sameShape(t, "snapshot event", objectShape(t, body(t, m)), objectShape(t, snapshotSample))
		sameShape(t, "snapshot source", objectShape(t, body(t, m), "source"), objectShape(t, snapshotSample, "source"))
	}
	acc := decode(t, snap[0]).obj("after")
	if acc["balance"] != unscaledBase64(t, "-1.52", 2) || acc["balance"] != "/2g=" {
		t.Errorf("balance -1.52: got %v, expected /2g=", acc["balance"])
	}
	if acc["credit_limit"] != unscaledBase64(t, "1000.00", 2) {
		t.Errorf("credit_limit 1000.00: got %v, expected %s", acc["credit_limit"], unscaledBase64(t, "1000.00", 2))
	}
	if num(t, acc["created_at"]) != epochMilli("2024-01-02 03:04:05.678") || num(t, acc["overdraft_allowed"]) != "1" ||
		acc["account_type"] != "checking" || acc["updated_at"] != nil {
		t.Errorf("account 10 after: %v", acc)
	}
	acc11 := decode(t, snap[1]).obj("after")
	if acc11["balance"] != "AIU=" || num(t, acc11["updated_at"]) != epochMilli("2024-02-03 00:00:00.001") || num(t, acc11["overdraft_allowed"]) != "0" {
		t.Errorf("account 11 after: %v (1.33 must be AIU=)", acc11)
	}
	cus := decode(t, snap[2]).obj("after")
	if num(t, cus["date_of_birth"]) != "16816" || num(t, cus["created_at"]) != "1529476623123" || num(t, cus["risk_rating"]) != "200" {
		t.Errorf("customer after: %v (DATE 2016-01-16 = 16816 days, DATETIME(3) 2018-06-20 06:37:03.123 = 1529476623123 ms, TINYINT UNSIGNED 200)", cus)
	}
	for _, m := range snap {
		if meta(m, "debezium_topic") != "bank_server.bank."+meta(m, "mysql_table") || meta(m, "mysql_db") != "bank" {
			t.Errorf("snapshot metadata: topic %q table %q db %q", meta(m, "debezium_topic"), meta(m, "mysql_table"), meta(m, "mysql_db"))
		}
	}
	if k := meta(snap[2], "kafka_key"); k != `{"customer_id":1}` {
		t.Errorf("customer key %s, expected {\"customer_id\":1}", k)
	}
	ackAll(t, gs)
	if p := waitCheckpoint(t, ckpt, func(p position) bool { return true }); p.File != master[0] || fmt.Sprint(p.Pos) != master[1] {
		t.Errorf("checkpoint after the snapshot %v, expected the snapshot position %s:%s", p, master[0], master[1])
	}

	// --- streaming: insert, update, delete (+ tombstone), PK change, a multi-row transaction.
	srv.Exec(
		"INSERT INTO bank.transactions VALUES (100, 10, 1, 7, 12345.67, 'EUR', 'pending', 'purchase', 'online', '5411', 'dev-1', 'DE', '10.0.0.1', '2024-05-01 12:00:00.250', '2024-05-01 12:00:00.251', NULL)",
		"UPDATE bank.transactions SET status = 'completed', updated_at = '2024-05-01 12:01:00.000' WHERE transaction_id = 100",
		"DELETE FROM bank.accounts WHERE account_id = 11",
		"UPDATE bank.transactions SET transaction_id = 101 WHERE transaction_id = 100",
		"BEGIN",
		"INSERT INTO bank.transactions VALUES (200, 10, 1, NULL, -0.01, 'EUR', 'failed', 'refund', NULL, NULL, NULL, NULL, NULL, '1999-12-31 23:59:59.999', '2000-01-01 00:00:00.000', NULL), (201, 10, 1, NULL, 0.00, 'EUR', 'reversed', 'transfer', 'atm', NULL, NULL, NULL, NULL, '1969-12-31 23:59:59.500', '1970-01-01 00:00:00.000', NULL)",
		"UPDATE bank.accounts SET balance = balance + 100 WHERE account_id = 10",
		"COMMIT",
	)
	// c, u, d + tombstone, d + tombstone + c (PK change), c, c, u
	gs = readMsgs(t, in, 10)
	msgs := flat(gs)
	ops := ""
	for _, m := range msgs {
		if meta(m, "kafka_tombstone") == "true" {
			ops += "T"
			continue
		}
		ops += decode(t, m)["op"].(string)
	}
	if ops != "cudTdTcccu" {
		t.Fatalf("ops %q, expected cudTdTcccu", ops)
	}
	ins := decode(t, msgs[0])
	sameShape(t, "insert event", objectShape(t, body(t, msgs[0])), objectShape(t, updateSample), "before")
	sameShape(t, "insert source", objectShape(t, body(t, msgs[0]), "source"), objectShape(t, updateSample, "source"), "gtid", "thread")
	upd := decode(t, msgs[1])
	sameShape(t, "update event", objectShape(t, body(t, msgs[1])), objectShape(t, updateSample))
	sameShape(t, "update before", objectShape(t, body(t, msgs[1]), "before"), objectShape(t, body(t, msgs[1]), "after"), "updated_at")
	after := ins.obj("after")
	if after["amount"] != unscaledBase64(t, "12345.67", 2) || num(t, after["event_ts"]) != epochMilli("2024-05-01 12:00:00.250") ||
		after["channel"] != "online" || after["updated_at"] != nil || num(t, after["merchant_id"]) != "7" {
		t.Errorf("insert after: %v", after)
	}
	if upd.obj("before")["status"] != "pending" || upd.obj("after")["status"] != "completed" ||
		num(t, upd.obj("after")["updated_at"]) != epochMilli("2024-05-01 12:01:00.000") {
		t.Errorf("update: before %v after %v", upd.obj("before"), upd.obj("after"))
	}
	for i, m := range msgs {
		if meta(m, "kafka_tombstone") == "true" {
			continue
		}
		src := decode(t, m).obj("source")
		if src["snapshot"] != "false" || src["connector"] != "mariadb" || src["name"] != "bank_server" ||
			num(t, src["server_id"]) != "1" || src["file"] != master[0] || src["query"] != nil {
			t.Errorf("event %d source %v", i, src)
		}
		ts := num(t, src["ts_ms"])
		if !strings.HasSuffix(ts, "000") || num(t, src["ts_us"]) != ts+"000" || num(t, src["ts_ns"]) != ts+"000000" {
			t.Errorf("event %d: source ts_ms %s must be whole seconds and ts_us/ts_ns its multiples (%v, %v)", i, ts, src["ts_us"], src["ts_ns"])
		}
		if g, _ := src["gtid"].(string); !strings.HasPrefix(g, "0-1-") {
			t.Errorf("event %d: gtid %v, expected MariaDB domain-server-seq 0-1-n", i, src["gtid"])
		}
	}
	// delete + tombstone
	del := decode(t, msgs[2])
	if del.obj("before")["balance"] != "AIU=" || del["after"] != nil || meta(msgs[2], "kafka_key") != `{"account_id":11}` {
		t.Errorf("delete: %v key %s", del, meta(msgs[2], "kafka_key"))
	}
	if b := body(t, msgs[3]); len(b) != 0 || meta(msgs[3], "kafka_key") != `{"account_id":11}` || meta(msgs[3], "debezium_topic") != "bank_server.bank.accounts" {
		t.Errorf("tombstone: body %q key %s", b, meta(msgs[3], "kafka_key"))
	}
	// PK change: d(100) + tombstone(100) + c(101), one source position.
	pd, pc := decode(t, msgs[4]), decode(t, msgs[6])
	if meta(msgs[4], "kafka_key") != `{"transaction_id":100}` || meta(msgs[5], "kafka_key") != `{"transaction_id":100}` ||
		meta(msgs[6], "kafka_key") != `{"transaction_id":101}` {
		t.Errorf("PK change keys: %s %s %s", meta(msgs[4], "kafka_key"), meta(msgs[5], "kafka_key"), meta(msgs[6], "kafka_key"))
	}
	if !reflect.DeepEqual(pd.obj("source"), pc.obj("source")) {
		t.Errorf("PK change: delete and create must share the source block\n %v\n %v", pd.obj("source"), pc.obj("source"))
	}
	if meta(msgs[4], "debezium_newkey") != `{"transaction_id":101}` || meta(msgs[6], "debezium_oldkey") != `{"transaction_id":100}` {
		t.Errorf("PK change headers: newkey %q oldkey %q", meta(msgs[4], "debezium_newkey"), meta(msgs[6], "debezium_oldkey"))
	}
	// Multi-row transaction: one GTID, rows 0 and 1 of one event, then the account update.
	m0, m1, m2 := decode(t, msgs[7]), decode(t, msgs[8]), decode(t, msgs[9])
	s0, s1, s2 := m0.obj("source"), m1.obj("source"), m2.obj("source")
	if s0["gtid"] != s1["gtid"] || s1["gtid"] != s2["gtid"] || num(t, s0["pos"]) != num(t, s1["pos"]) ||
		num(t, s0["row"]) != "0" || num(t, s1["row"]) != "1" || num(t, s2["row"]) != "0" || num(t, s2["pos"]) == num(t, s0["pos"]) {
		t.Errorf("multi-row transaction sources:\n %v\n %v\n %v", s0, s1, s2)
	}
	if m0.obj("after")["amount"] != "/w==" || num(t, m0.obj("after")["event_ts"]) != "946684799999" ||
		m1.obj("after")["amount"] != "AA==" || num(t, m1.obj("after")["event_ts"]) != "-500" || m1.obj("after")["channel"] != "atm" {
		t.Errorf("multi-row values: %v / %v (-0.01 = /w==, 0.00 = AA==, 1969-12-31 23:59:59.500 = -500 ms)", m0.obj("after"), m1.obj("after"))
	}
	if m2.obj("after")["balance"] != unscaledBase64(t, "98.48", 2) {
		t.Errorf("balance -1.52 + 100: %v, expected %s", m2.obj("after")["balance"], unscaledBase64(t, "98.48", 2))
	}
	ackAll(t, gs)
}
