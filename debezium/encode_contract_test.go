package debezium

// These tests moved here from inputs/dbzjson with the contract-value encoder.

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/schemas"
)

func accountsEncoder(t *testing.T) *Table {
	t.Helper()
	c, err := schemas.Load("accounts")
	if err != nil {
		t.Fatal(err)
	}
	return Connector{Prefix: "bank_server", Name: "mysql", Checked: true}.ContractTable(c)
}

func dec2(s string) schema.Decimal {
	d, err := schema.ParseDecimal(s, 2)
	if err != nil {
		panic(err)
	}
	return d
}

func TestEnvelopeAndKey(t *testing.T) {
	tb := accountsEncoder(t)
	if tb.Topic != "bank_server.bank.accounts" {
		t.Fatalf("topic %q", tb.Topic)
	}
	ts := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	row := []any{int64(20), int64(7), "checking", "EUR", dec2("1234567890123456.31"), nil, "active", true, ts, nil}
	src := Source{TsMs: 1714521601000, Snapshot: "false", ServerID: 1, File: "mysql-bin.000012", Pos: 77, Row: 3, Thread: 7}
	v, err := tb.AppendEnvelope(nil, 'c', nil, row, &src, 1714521601234*1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	// The balance bytes and the event shape are those of the pipeline's own test fixture,
	// which came from Debezium.
	for _, want := range []string{`"before":null`, `"balance":"AbabS6Yw8x8="`, `"credit_limit":null`, `"overdraft_allowed":1`,
		`"created_at":1714521600000`, `"file":"mysql-bin.000012","pos":77,"row":3`, `"op":"c","ts_ms":1714521601234`, `"snapshot":"false"`} {
		if !strings.Contains(string(v), want) {
			t.Errorf("envelope lacks %s:\n%s", want, v)
		}
	}
	var any map[string]any
	if err := json.Unmarshal(v, &any); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, v)
	}
	k, _, err := tb.AppendKey(nil, row)
	if err != nil || string(k) != `{"account_id":20}` {
		t.Fatalf("key %s, %v", k, err)
	}
}

func TestValuesThatDoNotFitAreRefused(t *testing.T) {
	tb := accountsEncoder(t)
	ts := time.Unix(0, 0).UTC()
	base := func() []any {
		return []any{int64(1), int64(1), "checking", "EUR", dec2("1.00"), nil, "active", false, ts, nil}
	}
	cases := []struct {
		want string // the column the error must name
		mut  func([]any)
	}{
		{"column balance", func(r []any) { r[4] = schema.Decimal{Unscaled: big.NewInt(1005), Scale: 3} }}, // 1.005 would round
		{"column balance", func(r []any) {
			r[4] = schema.Decimal{Unscaled: new(big.Int).Exp(big.NewInt(10), big.NewInt(19), nil), Scale: 2}
		}},
		{"column status", func(r []any) { r[6] = "open" }},
		{"column currency", func(r []any) { r[3] = nil }},
		{"column created_at", func(r []any) { r[8] = "2024-01-01" }},
	}
	for i, c := range cases {
		r := base()
		c.mut(r)
		_, err := tb.AppendEnvelope(nil, 'c', nil, r, &Source{}, 0)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d: got %v, want an error naming %s", i, err, c.want)
		}
	}
}
