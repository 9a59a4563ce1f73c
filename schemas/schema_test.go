package schemas

import (
	"strings"
	"testing"
)

func TestEmbeddedContractsParse(t *testing.T) {
	for _, name := range []string{"customers", "accounts", "transactions"} {
		tbl, err := Load(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(tbl.PrimaryKey) == 0 {
			t.Errorf("%s: no primary key", name)
		}
	}
	tx, _ := Load("transactions")
	amt := tx.Column("amount")
	if amt == nil || amt.SQL.Kind != KindDecimal || amt.SQL.Precision != 18 || amt.SQL.Scale != 2 || amt.IsNullable() {
		t.Fatalf("transactions.amount must be NOT NULL DECIMAL(18,2), got %+v", amt)
	}
	if tx.Partition == nil || tx.Partition.Column != "event_date" {
		t.Fatalf("transactions must be partitioned by event_date, got %+v", tx.Partition)
	}
}

func TestParseSQLType(t *testing.T) {
	cases := map[string]SQLType{
		"DECIMAL(18,2)":     {Kind: KindDecimal, Precision: 18, Scale: 2},
		"decimal":           {Kind: KindDecimal, Precision: 10},
		"DATETIME(3)":       {Kind: KindDateTime, Scale: 3},
		"INT UNSIGNED":      {Kind: KindInt, Unsigned: true},
		"TINYINT(1)":        {Kind: KindTinyInt, Length: 1},
		"BIT(1)":            {Kind: KindBool, Length: 1},
		"BIT(12)":           {Kind: KindBit, Length: 12},
		"CHAR(3)":           {Kind: KindChar, Length: 3},
		"ENUM('a','it''s')": {Kind: KindEnum, Values: []string{"a", "it's"}},
	}
	for in, want := range cases {
		got, err := ParseSQLType(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got.Kind != want.Kind || got.Precision != want.Precision || got.Scale != want.Scale ||
			got.Length != want.Length || got.Unsigned != want.Unsigned || len(got.Values) != len(want.Values) {
			t.Errorf("%s: got %+v want %+v", in, got, want)
		}
		for i := range want.Values {
			if got.Values[i] != want.Values[i] {
				t.Errorf("%s: member %d = %q want %q", in, i, got.Values[i], want.Values[i])
			}
		}
	}
	for _, bad := range []string{"", "DECIMAL(70,2)", "DECIMAL(5,6)", "FOO", "DATETIME(7)", "ENUM()", "INT WIDE"} {
		if _, err := ParseSQLType(bad); err == nil {
			t.Errorf("%q: expected an error", bad)
		}
	}
}

func TestParseRejectsBadContracts(t *testing.T) {
	bad := []string{
		"table: x\ncolumns: []\n",
		"table: x\nprimary_key: [id]\ncolumns:\n  - {name: id, type: INT}\n",
		"table: x\ncolumns:\n  - {name: id, type: INT}\n  - {name: ID, type: INT}\n",
		"table: x\nunknown: 1\ncolumns:\n  - {name: id, type: INT}\n",
		"table: x\npartition: {column: d, source: id, transform: day}\ncolumns:\n  - {name: id, type: INT}\n",
	}
	for _, b := range bad {
		if _, err := Parse([]byte(b)); err == nil {
			t.Errorf("expected an error for:\n%s", b)
		}
	}
}

// Column names the outputs generate are reserved: a contract may not declare one (it would
// collide in every bronze and silver row), compared case-insensitively like MySQL names.
func TestReservedColumns(t *testing.T) {
	for _, name := range []string{"_op", "_INGESTED_AT", "__start_at", "__End_At", "_source_file", "_ingest_date", "_before"} {
		_, err := Parse([]byte("table: t\ncolumns:\n  - {name: id, type: INT}\n  - {name: " + name + ", type: INT}\n"))
		if err == nil || !strings.Contains(err.Error(), "reserved") {
			t.Errorf("column %s: got %v, want a reserved-name error", name, err)
		}
	}
	for _, name := range ReservedColumns {
		if !IsReservedColumn(name) || !IsReservedColumn(strings.ToUpper(name)) {
			t.Errorf("%s is listed but not reserved", name)
		}
	}
	for _, name := range []string{"op", "source_ts", "_opx", "event_date", "", "_"} {
		if IsReservedColumn(name) {
			t.Errorf("%q is reserved", name)
		}
	}
	tx, err := Load("transactions")
	if err != nil {
		t.Fatal(err)
	}
	cu, err := Load("customers")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		t    *Table
		name string
		want bool
	}{
		{tx, "event_date", true}, {tx, "EVENT_DATE", true}, {tx, "_kafka_offset", true}, {tx, "event_ts", false},
		{cu, "event_date", false}, {cu, "_Kafka_Offset", true},
	} {
		if got := c.t.IsReservedColumn(c.name); got != c.want {
			t.Errorf("%s.IsReservedColumn(%q) = %v, want %v", c.t.Name, c.name, got, c.want)
		}
	}
}
