package mysql

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

var goldenTypes = []string{"BIGINT", "TINYINT", "TINYINT UNSIGNED", "SMALLINT UNSIGNED", "MEDIUMINT UNSIGNED", "INT UNSIGNED",
	"BIGINT UNSIGNED", "DECIMAL(18,2)", "FLOAT", "DOUBLE", "CHAR(3)", "VARCHAR(64)", "TEXT", "JSON", "ENUM('a','b c','d\"q')",
	"SET('x','y','z')", "BINARY(4)", "VARBINARY(8)", "BLOB", "BOOLEAN", "BIT(10)", "DATE", "DATETIME", "DATETIME(6)",
	"TIMESTAMP(3)", "TIME(6)", "YEAR", "TINYINT(1)", "SMALLINT", "INT", "MEDIUMINT", "DECIMAL(5,0)", "BIT(8)"}

var goldenRows = map[string][]any{
	"binlog": {int64(1), int8(-1), int8(-1), int16(-1), int32(-1), int32(-1), int64(-1), decimal.RequireFromString("-12345.6"),
		float32(1.5), float64(1e-7), "EUR", "h\u00e9llo \"q\"\n\t\\ \u2028", []byte("text\x01\x1f"), []byte(`{"a": [1, "\u00e9"]}`), int64(3),
		int64(5), []byte{1, 2}, []byte{0, 1, 0xff}, []byte("blob"), int64(1), int64(0x3ff), "2024-02-29", "2024-05-01 12:00:00",
		"2024-05-01 12:00:00.123456", "2024-05-01 12:00:00.120", "-838:59:59.000000", int64(2024), int8(1), int16(-300),
		int32(-70000), int32(-5), decimal.RequireFromString("99999"), int64(0x80)},
	"text": {[]byte("1"), []byte("-1"), []byte("255"), []byte("65535"), []byte("16777215"), []byte("4294967295"),
		[]byte("18446744073709551615"), []byte("-12345.60"), []byte("1.5"), []byte("1e-07"), []byte("EUR"), []byte("h\u00e9llo"),
		[]byte("text"), []byte(`{"a":1}`), []byte("b c"), []byte("x,z"), []byte{1, 2, 0, 0}, []byte{0, 1}, []byte(""),
		[]byte{1}, []byte{0x03, 0xff}, []byte("1000-01-01"), []byte("9999-12-31 23:59:59"), []byte("1970-01-01 00:00:00.000001"),
		[]byte("2038-01-19 03:14:07.999"), []byte("12:34:56.5"), []byte("1901"), []byte("0"), []byte("-32768"), []byte("2147483647"),
		[]byte("-8388608"), []byte("-99999"), []byte{0x80}},
	"zero": {int64(2), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, int64(0), int64(0), nil, nil, nil, nil,
		nil, "0000-00-00", "0000-00-00 00:00:00", "2024-00-10 00:00:00", "0000-00-00 00:00:00", "00:00:00", int64(0), nil, nil, nil, nil, nil, nil},
	"float-extremes": {int64(3), nil, nil, nil, nil, nil, nil, nil, float32(3.4e38), float64(-1e21), nil, nil, nil, nil, nil, nil,
		nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
}

var goldenBad = map[string][2]any{ // column index, value
	"bad-decimal":   {7, "12.3.4"},
	"bad-enum":      {14, int64(9)},
	"bad-set":       {15, int64(0xff)},
	"bad-utf8":      {11, "\xff"},
	"nan":           {9, float64Nan()},
	"bad-int":       {1, "x"},
	"bad-date":      {21, "2024-13-01"},
	"bad-datetime":  {22, "2024-01-01T00:00:00"},
	"bad-time":      {25, "1:2:3"},
	"bad-fraction":  {23, "2024-01-01 00:00:00.1234567"},
	"bad-bits":      {20, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9}},
	"bad-bytes":     {16, int64(1)},
	"bad-float":     {8, []byte("x")},
	"bad-timestamp": {24, int64(5)},
}

func float64Nan() float64 { var z float64; return z / z }

func goldenTable(t testing.TB, pk bool, nullable bool) *table {
	tbl := &table{db: "shop", name: "every\"type"}
	for i, ty := range goldenTypes {
		c := *col(t, ty, nullable && i > 0)
		c.name = fmt.Sprintf("c%d_%s", i, strings.ToLower(strings.Fields(strings.Split(ty, "(")[0])[0]))
		c.keyJSON = append(appendJSONString(nil, c.name), ':')
		tbl.cols = append(tbl.cols, c)
	}
	if pk {
		tbl.pk = []int{0, 10}
	}
	return tbl
}

func TestZZGoldenGenerate(t *testing.T) {
	out := os.Getenv("GOLDEN_OUT")
	if out == "" {
		t.Skip()
	}
	var sb strings.Builder
	now := time.Unix(1714564801, 234567891)
	for _, flavor := range []string{"mysql", "mariadb"} {
		for _, sch := range []bool{false, true} {
			for _, pk := range []bool{true, false} {
				for _, nullable := range []bool{true, false} {
					enc := newEncoder("bank\"server", flavor, sch)
					enc.now = func() time.Time { return now }
					tbl := goldenTable(t, pk, nullable)
					enc.prepare(tbl)
					fmt.Fprintf(&sb, "== %s schemas=%v pk=%v nullable=%v topic=%s\n", flavor, sch, pk, nullable, tbl.topic)
					srcs := []sourceInfo{
						{tsMs: 1714564800000, snapshot: snapFalse, serverID: 1, gtid: "0-1-42", file: "mysql-bin.000001", pos: 1234, row: 2, thread: 7},
						{tsMs: 1714564800001, snapshot: snapshotMarker(true, false, true, false), serverID: 4294967295, file: "bin.000009", pos: 4294967295, row: 0, thread: -1},
						{tsMs: 0, snapshot: snapshotMarker(false, true, false, true), serverID: 0, gtid: "3E11FA47-71CA-11E1-9E33-C80AA9429562:23", file: "f", pos: 4},
					}
					for _, name := range []string{"binlog", "text", "zero", "float-extremes"} {
						row := goldenRows[name]
						for si, src := range srcs {
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
								v, err := enc.appendEnvelope(nil, tbl, op, before, after, &src)
								if err != nil {
									v = nil
								}
								fmt.Fprintf(&sb, "value %s src%d %c: %s err=%v\n", name, si, op, v, err)
							}
						}
						k, ok, err := enc.appendKey(nil, tbl, row)
						fmt.Fprintf(&sb, "key %s: %s ok=%v err=%v\n", name, k, ok, err)
					}
					for _, name := range []string{"bad-bits", "bad-bytes", "bad-date", "bad-datetime", "bad-decimal", "bad-enum", "bad-float", "bad-fraction", "bad-int", "bad-set", "bad-time", "bad-timestamp", "bad-utf8", "nan"} {
						bad := goldenBad[name]
						row := append([]any(nil), goldenRows["binlog"]...)
						row[bad[0].(int)] = bad[1]
						v, err := enc.appendEnvelope(nil, tbl, 'c', nil, row, &srcs[0])
						if err != nil {
							v = nil
						}
						fmt.Fprintf(&sb, "value %s: %s err=%v\n", name, v, err)
					}
				}
			}
		}
	}
	if err := os.WriteFile(out, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
