package debezium

import (
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// FuzzEncodeDecodeRoundTrip: what the encoder writes, the decoder reads back as the same
// value — the two halves of the codec share one meaning of Connect Decimal (two's complement
// bytes at the column scale), Date (days), Timestamp/MicroTimestamp (epoch ms/µs of the wall
// clock) and ZonedTimestamp.
func FuzzEncodeDecodeRoundTrip(f *testing.F) {
	f.Add(int64(-152), uint8(2), int64(0), int64(1714521600123456))
	f.Add(int64(0), uint8(0), int64(-354285), int64(-1))
	f.Add(int64(1)<<62, uint8(18), int64(2932896), int64(253402300799999999))
	f.Fuzz(func(t *testing.T, unscaled int64, scale uint8, days int64, micros int64) {
		sc := int(scale % 19)
		days = days % 3_000_000
		micros = micros % 253402300800000000
		d := schema.Decimal{Unscaled: big.NewInt(unscaled), Scale: sc}
		conn := Connector{Prefix: "p", Name: "mysql"}
		typ := func(s string) schemas.SQLType {
			st, err := schemas.ParseSQLType(s)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		cols := []Column{
			{Name: "d", Type: typ("DECIMAL(65," + itoa(sc) + ")"), TypeText: "decimal"},
			{Name: "day", Type: typ("DATE"), TypeText: "date"},
			{Name: "ts", Type: typ("DATETIME(6)"), TypeText: "datetime"},
		}
		tbl := conn.Table("db", "t", cols, []int{0})
		wall := time.UnixMicro(micros).UTC()
		dt := wall.Format("2006-01-02 15:04:05.000000")
		day := time.Unix(days*86400, 0).UTC().Format("2006-01-02")
		if wall.Year() < 1000 || wall.Year() > 9999 || days < -354285 || days > 2932896 {
			return // outside MySQL's DATE/DATETIME range, which the decoder enforces (contract_range)
		}
		ev, err := tbl.AppendEnvelope(nil, 'c', nil, []any{d.String(), day, dt}, &Source{File: "b.000001", Pos: 4, Snapshot: "false"}, 0)
		if err != nil {
			t.Fatal(err)
		}
		contract, err := schemas.Parse([]byte("table: t\ndatabase: db\nprimary_key: [d]\ncolumns:\n" +
			"  - { name: d, type: 'DECIMAL(65," + itoa(sc) + ")', nullable: false }\n" +
			"  - { name: day, type: DATE }\n  - { name: ts, type: 'DATETIME(6)' }\n"))
		if err != nil {
			t.Fatal(err)
		}
		o := DefaultOptions()
		o.Contracts = []*schemas.Table{contract}
		u, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		r, err := u.Unwrap(ev, Meta{})
		if err != nil {
			t.Fatalf("%s: %v", ev, err)
		}
		row := string(r.Body)
		wantTS := wall.Format("2006-01-02T15:04:05.000000Z")
		for _, want := range []string{`"d":"` + d.String() + `"`, `"day":"` + day + `"`, `"ts":"` + wantTS + `"`} {
			if !strings.Contains(row, want) {
				t.Fatalf("row %s lacks %s (event %s)", row, want, ev)
			}
		}
	})
}
