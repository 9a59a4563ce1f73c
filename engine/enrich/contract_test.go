package enrich

import (
	"testing"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// TestMerchantsContract: schemas/merchants.yaml parses with schemas.Load (embedded and by
// path) and declares what the enrichment and the fraud rules rely on.
func TestMerchantsContract(t *testing.T) {
	for _, src := range []string{"merchants", "../../schemas/merchants.yaml"} {
		m, err := schemas.Load(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if m.Name != "merchants" || m.Database != "bank" || len(m.PrimaryKey) != 1 || m.PrimaryKey[0] != "merchant_id" {
			t.Fatalf("%s: table %s.%s key %v", src, m.Database, m.Name, m.PrimaryKey)
		}
		want := []struct {
			name    string
			kind    schemas.Kind
			notNull bool
		}{
			{"merchant_id", schemas.KindBigInt, true}, {"name", schemas.KindVarchar, true},
			{"mcc", schemas.KindChar, true}, {"country", schemas.KindChar, true},
			{"city", schemas.KindVarchar, false}, {"lat", schemas.KindDecimal, false},
			{"lon", schemas.KindDecimal, false}, {"risk_tier", schemas.KindEnum, true},
			{"onboarded_at", schemas.KindDateTime, true}, {"updated_at", schemas.KindDateTime, false},
		}
		if len(m.Columns) != len(want) {
			t.Fatalf("%s: %d columns, want %d", src, len(m.Columns), len(want))
		}
		for i, w := range want {
			c := m.Columns[i]
			if c.Name != w.name || c.SQL.Kind != w.kind || c.IsNullable() == w.notNull {
				t.Errorf("%s column %d: %s %s nullable=%v, want %s kind %d not null=%v", src, i+1, c.Name, c.Type, c.IsNullable(), w.name, w.kind, w.notNull)
			}
			if c.Description == "" && c.Name != "merchant_id" && c.Name != "city" && c.Name != "updated_at" {
				t.Errorf("%s.%s has no description", src, c.Name)
			}
		}
		lat := m.Column("lat").SQL
		if lat.Precision != 9 || lat.Scale != 6 {
			t.Errorf("lat is DECIMAL(%d,%d), want DECIMAL(9,6)", lat.Precision, lat.Scale)
		}
		if v := m.Column("risk_tier").SQL.Values; len(v) != 3 || v[0] != "low" || v[1] != "medium" || v[2] != "high" {
			t.Errorf("risk_tier members %v", v)
		}
		if m.Column("onboarded_at").SQL.Scale != 3 {
			t.Error("onboarded_at must be DATETIME(3)")
		}
	}
}
