package debezium

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
)

// Realistic bank.transactions events, shaped as Debezium 3.x MySQL emits them.

func field(name, typ string, optional bool, extra ...any) map[string]any {
	f := map[string]any{"type": typ, "optional": optional, "field": name}
	for i := 0; i < len(extra); i += 2 {
		f[extra[i].(string)] = extra[i+1]
	}
	return f
}

func enumField(name string, optional bool, allowed string) map[string]any {
	return field(name, "string", optional, "name", "io.debezium.data.Enum", "version", 1, "parameters", map[string]string{"allowed": allowed})
}

func txValueFields() []any {
	ts := func(n string, opt bool) map[string]any {
		return field(n, "int64", opt, "name", "io.debezium.time.Timestamp", "version", 1)
	}
	return []any{
		field("transaction_id", "int64", false), field("account_id", "int64", false), field("customer_id", "int64", false),
		field("merchant_id", "int64", true),
		field("amount", "bytes", false, "name", "org.apache.kafka.connect.data.Decimal", "version", 1,
			"parameters", map[string]string{"scale": "2", "connect.decimal.precision": "18"}),
		field("currency", "string", false),
		enumField("status", false, "pending,completed,failed,reversed"),
		enumField("transaction_type", false, "purchase,withdrawal,transfer,deposit,refund"),
		enumField("channel", true, "card_present,online,atm,mobile,branch"),
		field("merchant_category", "string", true), field("device_id", "string", true), field("country", "string", true),
		field("ip_address", "string", true), ts("event_ts", false), ts("created_at", false), ts("updated_at", true),
	}
}

func txSchema() map[string]any {
	value := func(name string) map[string]any {
		return map[string]any{"type": "struct", "fields": txValueFields(), "optional": true,
			"name": "bank_server.bank.transactions.Value", "field": name}
	}
	source := map[string]any{"type": "struct", "name": "io.debezium.connector.mysql.Source", "optional": false, "field": "source",
		"fields": []any{
			field("version", "string", false), field("connector", "string", false), field("name", "string", false),
			field("ts_ms", "int64", false), field("ts_us", "int64", true), field("ts_ns", "int64", true),
			field("snapshot", "string", true, "name", "io.debezium.data.Enum", "version", 1, "default", "false",
				"parameters", map[string]string{"allowed": "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"}),
			field("db", "string", false), field("sequence", "string", true), field("table", "string", true),
			field("server_id", "int64", false), field("gtid", "string", true), field("file", "string", false),
			field("pos", "int64", false), field("row", "int32", false), field("thread", "int64", true), field("query", "string", true),
		}}
	txn := map[string]any{"type": "struct", "optional": true, "name": "event.block", "version": 1, "field": "transaction",
		"fields": []any{field("id", "string", false), field("total_order", "int64", false), field("data_collection_order", "int64", false)}}
	return map[string]any{"type": "struct", "optional": false, "name": "bank_server.bank.transactions.Envelope", "version": 2,
		"fields": []any{value("before"), value("after"), source, field("op", "string", false),
			field("ts_ms", "int64", true), field("ts_us", "int64", true), field("ts_ns", "int64", true), txn}}
}

// decimalB64 encodes an unscaled integer as Kafka Connect does (BigInteger.toByteArray).
func decimalB64(unscaled *big.Int) string {
	n := unscaled.BitLen()/8 + 1
	b := make([]byte, n)
	v := new(big.Int).Set(unscaled)
	if v.Sign() < 0 {
		v.Add(v, new(big.Int).Lsh(big.NewInt(1), uint(8*n)))
	}
	v.FillBytes(b)
	// minimal length: drop redundant sign bytes
	for len(b) > 1 && ((b[0] == 0 && b[1]&0x80 == 0) || (b[0] == 0xff && b[1]&0x80 != 0)) {
		b = b[1:]
	}
	return base64.StdEncoding.EncodeToString(b)
}

// txRow renders a row image in table column order, as Debezium does.
func txRow(i int, status string) rawJSON {
	evMs := int64(1731327659000 + i*137)
	return rawJSON(fmt.Sprintf(`{"transaction_id":%d,"account_id":%d,"customer_id":%d,"merchant_id":%d,"amount":%q,`+
		`"currency":"EUR","status":%q,"transaction_type":"purchase","channel":"online","merchant_category":"5411",`+
		`"device_id":"dev-%08x","country":"DE","ip_address":"203.0.113.42","event_ts":%d,"created_at":%d,"updated_at":%d}`,
		900000000+i, 10000+i%5000, 5000+i%2500, 77000+i%300, decimalB64(big.NewInt(int64(12345+i*7%999999))),
		status, uint32(i)*2654435761, evMs, evMs+12, evMs+12))
}

type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// txEvent builds one transactions change event; withSchema wraps it as JsonConverter does.
func txEvent(i int, op string, withSchema bool) []byte {
	var before, after any
	switch op {
	case "c", "r":
		after = txRow(i, "pending")
	case "u":
		before, after = txRow(i, "pending"), txRow(i, "completed")
	case "d":
		before = txRow(i, "completed")
	}
	ordered := []byte(`{"before":` + mustJSON(before) + `,"after":` + mustJSON(after) + `,"source":` + mustJSON(map[string]any{
		"version": "3.0.1.Final", "connector": "mysql", "name": "bank_server", "ts_ms": 1731327659000 + int64(i),
		"snapshot": "false", "db": "bank", "sequence": nil, "ts_us": (1731327659000 + int64(i)) * 1000,
		"ts_ns": (1731327659000 + int64(i)) * 1000000, "table": "transactions", "server_id": 223344,
		"gtid": fmt.Sprintf("3E11FA47-71CA-11E1-9E33-C80AA9429562:%d", 23+i), "file": "mysql-bin.000003",
		"pos": 1041 + i*311, "row": 0, "thread": 102, "query": nil,
	}) + `,"transaction":null,"op":"` + op + `","ts_ms":1731327659957,"ts_us":1731327659957757,"ts_ns":1731327659957757335}`)
	if !withSchema {
		return ordered
	}
	return []byte(`{"schema":` + mustJSON(txSchema()) + `,"payload":` + string(ordered) + `}`)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// upd301 is the update event of Debezium 3.0.1's MySQL tutorial (inventory.customers).
const upd301 = `{"before":{"id":1001,"first_name":"Sally","last_name":"Thomas","email":"sally.thomas@acme.com"},"after":{"id":1001,"first_name":"Sarah","last_name":"Thomas","email":"sally.thomas@acme.com"},"source":{"version":"3.0.1.Final","connector":"mysql","name":"wasm","ts_ms":1731327659000,"snapshot":"false","db":"inventory","sequence":null,"ts_us":1731327659000000,"ts_ns":1731327659000000000,"table":"customers","server_id":223344,"gtid":null,"file":"mysql-bin.000003","pos":1041,"row":0,"thread":102,"query":null},"transaction":null,"op":"u","ts_ms":1731327659957,"ts_us":1731327659957757,"ts_ns":1731327659957757335}`

func deleteEvent() string {
	return `{"before":{"id":7,"name":"x"},"after":null,"source":{"db":"d","table":"t","file":"b.000001","pos":9,"row":0,"ts_ms":0},"op":"d"}`
}
