package mysql

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/inputs/mysql/mariadbtest"
)

const typesTable = `CREATE TABLE lf_test.types (
  id INT NOT NULL PRIMARY KEY,
  d DECIMAL(18,2), dneg DECIMAL(4,3), dbig DECIMAL(65,18), d7 NUMERIC(7,5),
  dt0 DATETIME, dt3 DATETIME(3), dt6 DATETIME(6), dd DATE, ts TIMESTAMP(3) NULL, tm TIME(6),
  b1 TINYINT(1), ti TINYINT, tu TINYINT UNSIGNED, su SMALLINT UNSIGNED, mu MEDIUMINT UNSIGNED,
  iu INT UNSIGNED, bu BIGINT UNSIGNED,
  e ENUM('x','y','z'), s SET('a','b','c'), j JSON, bin BINARY(4), vb VARBINARY(10), bl BLOB,
  tx TEXT, y YEAR, f FLOAT, db DOUBLE, bit1 BIT(1), bit10 BIT(10), vc VARCHAR(20)
)`

// The values are inserted from a session at UTC-7, so that the TIMESTAMP column is
// converted like Debezium's documented example (06:37:03 at -07:00 = 13:37:03Z).
const typesValues = `(%d, -1.52, -2.111, 0, 3.444,
  '2018-06-20 06:37:03', '2018-06-20 06:37:03.123', '2018-06-20 06:37:03.123456', '2016-01-16',
  '2018-06-20 06:37:03.500', '12:34:56.000123',
  1, -5, 200, 65000, 16777000, 4294967000, 18446744073709551615,
  'y', 'a,c', '{"k": [1, "x"]}', 0x0102, 0x00ff, 'hello', 'line\n"q"\\', 2024, 1.5, 2.25, b'1', b'1000000001', 'héllo €')`

// expectedTypes are Debezium's encodings, from the reference notes' vectors and worked by
// hand, not by the code under test.
var expectedTypes = map[string]string{
	"d":     `"/2g="`,                   // -152, two's complement FF 68
	"dneg":  `"98E="`,                   // -2111 = F7 C1 (README vector)
	"dbig":  `"AA=="`,                   // 0 at scale 18 = 00
	"d7":    `"BUFQ"`,                   // 3.44400 = 344400 = 05 41 50 (README vector)
	"dt0":   `1529476623000`,            // DATETIME doc example
	"dt3":   `1529476623123`,            // ms
	"dt6":   `1529476623123456`,         // MicroTimestamp (README vector)
	"dd":    `16816`,                    // 2016-01-16
	"ts":    `"2018-06-20T13:37:03.5Z"`, // ZonedTimestamp, UTC, trailing zeros dropped
	"tm":    `45296000123`,              // MicroTime (README vector)
	"b1":    `1`,                        // TINYINT(1) stays an integer
	"ti":    `-5`,                       //
	"tu":    `200`,                      // unsigned widening
	"su":    `65000`,                    //
	"mu":    `16777000`,                 //
	"iu":    `4294967000`,               //
	"bu":    `-1`,                       // bigint.unsigned.handling.mode=long wraps
	"e":     `"y"`,                      //
	"s":     `"a,c"`,                    //
	"j":     `"{\"k\": [1, \"x\"]}"`,    // JSON as text (MariaDB keeps the text)
	"bin":   `"AQIAAA=="`,               // BINARY(4) keeps its zero padding
	"vb":    `"AP8="`,                   //
	"bl":    `"aGVsbG8="`,               //
	"tx":    `"line\n\"q\"\\"`,          //
	"y":     `2024`,                     //
	"f":     `1.5`,                      //
	"db":    `2.25`,                     //
	"bit1":  `true`,                     // BIT(1) is boolean
	"bit10": `"AQI="`,                   // 513 little-endian: 01 02
	"vc":    `"héllo €"`,                //
	"id":    ``,                         // checked separately
}

// TestLogicalTypes inserts the same values before the snapshot and while streaming and
// checks both events against the expected encodings (so snapshot and binlog agree).
func TestLogicalTypes(t *testing.T) {
	srv := mariadbtest.Start(t)
	srv.Exec("CREATE DATABASE lf_test", typesTable, "SET time_zone = '-07:00'",
		"INSERT INTO lf_test.types VALUES "+strings.Replace(typesValues, "%d", "1", 1))
	for _, schemasOn := range []bool{false, true} {
		t.Run(map[bool]string{false: "payload", true: "schemas_enabled"}[schemasOn], func(t *testing.T) {
			conf := "tables: [ lf_test.types ]\n"
			if schemasOn {
				conf += "schemas_enabled: true\n"
			}
			in := newTestInput(t, srv, conf)
			defer closeInput(t, in)
			// Each subtest snapshots anew: rows inserted by earlier subtests are read too.
			gs := readMsgs(t, in, map[bool]int{false: 1, true: 2}[schemasOn])
			ackAll(t, gs)
			id := map[bool]string{false: "2", true: "3"}[schemasOn]
			srv.Exec("SET time_zone = '-07:00'", "INSERT INTO lf_test.types VALUES "+strings.Replace(typesValues, "%d", id, 1))
			gs2 := readMsgs(t, in, 1)
			ackAll(t, gs2)
			for i, m := range []*service.Message{gs[0].msgs[0], gs2[0].msgs[0]} {
				b := body(t, m)
				var env map[string]json.RawMessage
				if err := json.Unmarshal(b, &env); err != nil {
					t.Fatal(err)
				}
				payload := b
				if schemasOn {
					payload = env["payload"]
					checkTypesSchema(t, env["schema"])
				}
				var p map[string]json.RawMessage
				_ = json.Unmarshal(payload, &p)
				var after map[string]json.RawMessage
				if err := json.Unmarshal(p["after"], &after); err != nil {
					t.Fatalf("after: %v in %s", err, payload)
				}
				for col, want := range expectedTypes {
					if col == "id" {
						continue
					}
					if got := string(after[col]); got != want {
						t.Errorf("event %d (%s) column %s = %s, expected %s", i, map[int]string{0: "snapshot", 1: "binlog"}[i], col, got, want)
					}
				}
				if len(after) != len(expectedTypes) {
					t.Errorf("after has %d columns, expected %d", len(after), len(expectedTypes))
				}
			}
		})
	}
}

// checkTypesSchema checks the Connect schema of a few columns against Debezium's types.
func checkTypesSchema(t *testing.T, raw json.RawMessage) {
	t.Helper()
	var s struct {
		Name    string `json:"name"`
		Version int    `json:"version"`
		Fields  []struct {
			Field  string `json:"field"`
			Name   string `json:"name"`
			Fields []map[string]any
		} `json:"fields"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if s.Name != "bank_server.lf_test.types.Envelope" || s.Version != 2 {
		t.Errorf("envelope schema name %q version %d", s.Name, s.Version)
	}
	var names []string
	for _, f := range s.Fields {
		names = append(names, f.Field)
	}
	if !reflect.DeepEqual(names, []string{"before", "after", "source", "transaction", "op", "ts_ms", "ts_us", "ts_ns"}) {
		t.Errorf("envelope fields %v", names)
	}
	want := map[string]map[string]any{
		"id":   {"type": "int32", "optional": false},
		"d":    {"type": "bytes", "optional": true, "name": "org.apache.kafka.connect.data.Decimal", "version": float64(1), "parameters": map[string]any{"scale": "2", "connect.decimal.precision": "18"}},
		"dt3":  {"type": "int64", "optional": true, "name": "io.debezium.time.Timestamp", "version": float64(1)},
		"dt6":  {"type": "int64", "optional": true, "name": "io.debezium.time.MicroTimestamp", "version": float64(1)},
		"dd":   {"type": "int32", "optional": true, "name": "io.debezium.time.Date", "version": float64(1)},
		"ts":   {"type": "string", "optional": true, "name": "io.debezium.time.ZonedTimestamp", "version": float64(1)},
		"tm":   {"type": "int64", "optional": true, "name": "io.debezium.time.MicroTime", "version": float64(1)},
		"b1":   {"type": "int16", "optional": true},
		"tu":   {"type": "int16", "optional": true},
		"su":   {"type": "int32", "optional": true},
		"iu":   {"type": "int64", "optional": true},
		"e":    {"type": "string", "optional": true, "name": "io.debezium.data.Enum", "version": float64(1), "parameters": map[string]any{"allowed": "x,y,z"}},
		"s":    {"type": "string", "optional": true, "name": "io.debezium.data.EnumSet", "version": float64(1), "parameters": map[string]any{"allowed": "a,b,c"}},
		"bl":   {"type": "bytes", "optional": true},
		"y":    {"type": "int32", "optional": true, "name": "io.debezium.time.Year", "version": float64(1)},
		"f":    {"type": "float", "optional": true},
		"db":   {"type": "double", "optional": true},
		"bit1": {"type": "boolean", "optional": true},
	}
	after := s.Fields[1].Fields
	for _, f := range after {
		w, ok := want[f["field"].(string)]
		if !ok {
			continue
		}
		got := map[string]any{}
		for k, v := range f {
			if k != "field" {
				got[k] = v
			}
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("schema of %s: %v, expected %v", f["field"], got, w)
		}
	}
}
