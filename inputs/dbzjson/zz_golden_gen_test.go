package dbzjson

import (
	"fmt"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// goldenValue is variant v of a value for column c (v 0..2), in the Go types the encoder takes.
func goldenValue(c *schemas.Column, v int) any {
	switch c.SQL.Kind {
	case schemas.KindTinyInt, schemas.KindSmallInt, schemas.KindMediumInt, schemas.KindInt, schemas.KindBigInt:
		if c.SQL.Kind == schemas.KindTinyInt && c.SQL.Length == 1 {
			return []any{true, false, int64(1)}[v]
		}
		return []any{int64(7), int(-3), int64(9_007_199_254_740_993)}[v]
	case schemas.KindDecimal:
		u := []int64{123456, -1, 0}[v]
		return schema.Decimal{Unscaled: big.NewInt(u), Scale: []int{c.SQL.Scale, 0, c.SQL.Scale + 1}[v]}
	case schemas.KindChar, schemas.KindVarchar, schemas.KindText:
		return []string{"EUR", "a\"b\\c\n\t\x01\u00e9\u2028", ""}[v]
	case schemas.KindEnum:
		return c.SQL.Values[v%len(c.SQL.Values)]
	case schemas.KindDateTime:
		return []time.Time{time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC), time.Unix(0, 0).UTC(), time.Date(1969, 12, 31, 23, 59, 59, 999_000_000, time.FixedZone("x", 3600))}[v]
	case schemas.KindDate:
		return []schema.Date{19844, 0, -1}[v]
	}
	return nil
}

func TestZZGoldenGenerate(t *testing.T) {
	out := os.Getenv("GOLDEN_OUT")
	if out == "" {
		t.Skip()
	}
	var sb strings.Builder
	for _, name := range []string{"accounts", "customers", "merchants", "transactions"} {
		c, err := schemas.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, prefix := range []string{"bank_server", "we\"ird\\prefix"} {
			tb := NewTable(prefix, c)
			fmt.Fprintf(&sb, "== %s %s topic=%s\n", name, prefix, tb.Topic)
			srcs := []Source{
				{TsMs: 1714521601000, Snapshot: "false", ServerID: 1, File: "mysql-bin.000012", Pos: 77, Row: 3, Thread: 7},
				{TsMs: 0, Snapshot: "last", ServerID: 4294967295, File: "f\"ile", Pos: 4294967295, Row: 0, Thread: -1},
			}
			for v := 0; v < 3; v++ {
				row := make([]any, len(c.Columns))
				for i := range c.Columns {
					row[i] = goldenValue(&c.Columns[i], v)
				}
				for si := range srcs {
					for _, op := range []byte{'c', 'u', 'd', 'r'} {
						var before, after []any
						switch op {
						case 'c', 'r':
							after = row
						case 'u':
							before, after = row, row
						case 'd':
							before = row
						}
						b, err := tb.AppendEnvelope(nil, op, before, after, &srcs[si], 1714521601234+int64(v))
						if err != nil {
							b = nil
						}
						fmt.Fprintf(&sb, "value v%d src%d %c: %s err=%v\n", v, si, op, b, err)
					}
				}
				k, err := tb.AppendKey(nil, row)
				if err != nil {
					k = nil
				}
				fmt.Fprintf(&sb, "key v%d: %s err=%v\n", v, k, err)
			}
			// One wrong value per column: nil, a value of another Go type, an out-of-contract value.
			for i := range c.Columns {
				for w, bad := range []any{nil, struct{}{}, "not-a-member", schema.Decimal{Unscaled: new(big.Int).Exp(big.NewInt(10), big.NewInt(40), nil), Scale: 2}, schema.Decimal{Unscaled: big.NewInt(1), Scale: 9}, schema.Decimal{}} {
					row := make([]any, len(c.Columns))
					for j := range c.Columns {
						row[j] = goldenValue(&c.Columns[j], 0)
					}
					row[i] = bad
					b, err := tb.AppendEnvelope(nil, 'c', nil, row, &srcs[0], 1)
					if err != nil {
						b = nil
					}
					k, kerr := tb.AppendKey(nil, row)
					if kerr != nil {
						k = nil
					}
					fmt.Fprintf(&sb, "bad col%d w%d: %s err=%v key=%s kerr=%v\n", i, w, b, err, k, kerr)
				}
			}
			_, err := tb.AppendEnvelope(nil, 'c', nil, []any{int64(1)}, &srcs[0], 1)
			fmt.Fprintf(&sb, "short row: err=%v\n", err)
		}
	}
	for _, s := range []string{"", "plain", "q\"b\\s/\b\f\n\r\t\x00\x1f\x7f", "\u00e9\u2028\U0001F600"} {
		fmt.Fprintf(&sb, "string %q: %s\n", s, AppendString(nil, s))
	}
	if err := os.WriteFile(out, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
