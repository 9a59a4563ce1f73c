package debezium

import (
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// These tests moved here from inputs/mysql with the value encoder.

func dbCol(t testing.TB, typ string, nullable bool) *encColumn {
	t.Helper()
	st, err := schemas.ParseSQLType(typ)
	if err != nil {
		t.Fatal(err)
	}
	return &encColumn{Column: Column{Name: "c", Type: st, TypeText: typ, Nullable: nullable}}
}

func TestValueEncodings(t *testing.T) {
	cases := []struct {
		typ      string
		nullable bool
		in       any
		want     string
	}{
		{"DECIMAL(3,2)", true, decimal.RequireFromString("1.33"), `"AIU="`},
		{"DECIMAL(4,3)", true, []byte("-2.111"), `"98E="`},
		{"DECIMAL(7,5)", true, decimal.RequireFromString("3.444"), `"BUFQ"`},
		{"DECIMAL(65,18)", true, decimal.RequireFromString("0"), `"AA=="`},
		{"DECIMAL(18,2)", true, decimal.RequireFromString("1.525"), ``}, // more digits than the scale: error
		{"DATETIME(3)", false, "0000-00-00 00:00:00.000", `0`},
		{"DATETIME(3)", true, "0000-00-00 00:00:00.000", `null`},
		{"DATE", true, "2020-00-10", `null`},
		{"DATE", false, "1969-12-31", `-1`},
		{"DATE", false, "0001-01-01", `-719162`},
		{"TIMESTAMP(6)", true, "2018-06-20 13:37:03.000010", `"2018-06-20T13:37:03.00001Z"`},
		{"TIMESTAMP", false, "0000-00-00 00:00:00", `"1970-01-01T00:00:00Z"`},
		{"TIME(6)", true, "-838:59:59.000000", `-3020399000000`},
		{"ENUM('a','b')", true, int64(0), `""`},
		{"ENUM('a','b')", true, int64(3), ``},
		{"SET('a','b')", true, int64(0), `""`},
		{"SET('a','b')", true, int64(4), ``},
		{"MEDIUMINT UNSIGNED", true, int32(-1), `16777215`},
		{"INT UNSIGNED", true, int32(-1), `4294967295`},
		{"SMALLINT UNSIGNED", true, int16(-1), `65535`},
		{"BIGINT UNSIGNED", true, uint64(1 << 63), `-9223372036854775808`},
		{"VARCHAR(5)", true, "a\"\\\x01\n", `"a\"\\\u0001\n"`},
		{"VARCHAR(5)", true, "\xff", ``}, // not UTF-8: error, not silently replaced
		{"DOUBLE", true, 1e21, `1e+21`},
		{"FLOAT", true, float32(0.1), `0.1`},
	}
	for _, c := range cases {
		got, err := appendDBValue(nil, dbCol(t, c.typ, c.nullable), c.in)
		if c.want == "" {
			if err == nil {
				t.Errorf("%s %v: got %s, expected an error", c.typ, c.in, got)
			}
			continue
		}
		if err != nil || string(got) != c.want {
			t.Errorf("%s %v: got %s (%v), expected %s", c.typ, c.in, got, err, c.want)
		}
	}
}

// FuzzDecimal: any decimal at the column scale encodes to bytes that decode to it.
func FuzzDecimal(f *testing.F) {
	f.Add(int64(-152), uint8(2))
	f.Add(int64(0), uint8(18))
	f.Add(int64(1<<62), uint8(30))
	f.Fuzz(func(t *testing.T, unscaled int64, scale uint8) {
		sc := int(scale % 31)
		d := decimal.New(unscaled, -int32(sc))
		c := &encColumn{Column: Column{Name: "c", Type: schemas.SQLType{Kind: schemas.KindDecimal, Precision: 65, Scale: sc}, TypeText: "decimal"}}
		got, err := appendDBValue(nil, c, d)
		if err != nil {
			t.Fatalf("%s at scale %d: %v", d, sc, err)
		}
		b, err := base64.StdEncoding.DecodeString(strings.Trim(string(got), `"`))
		if err != nil {
			t.Fatal(err)
		}
		back := schema.DecimalFromBytes(b, sc)
		if back.Unscaled.Cmp(big.NewInt(unscaled)) != 0 {
			t.Fatalf("%s: encoded %s decodes to %s", d, got, back)
		}
	})
}

// FuzzTemporal compares the hand-written temporal parsers with the time package.
func FuzzTemporal(f *testing.F) {
	f.Add("2018-06-20 06:37:03.123456")
	f.Add("1969-12-31 23:59:59.5")
	f.Add("0000-00-00 00:00:00")
	f.Add("9999-12-31 23:59:59")
	f.Fuzz(func(t *testing.T, s string) {
		sec, micro, zero, err := parseDateTime(s)
		ref, rerr := time.Parse("2006-01-02 15:04:05.999999", s)
		if err != nil || zero {
			if err == nil && zero && !strings.HasPrefix(s, "0000") && !strings.Contains(s[:10], "-00") {
				t.Fatalf("%q reported as a zero date", s)
			}
			return
		}
		if rerr != nil {
			// time.Parse is stricter about calendar days (Feb 30); we accept what MySQL stores.
			return
		}
		if ref.Unix() != sec || int64(ref.Nanosecond()/1000) != micro {
			t.Fatalf("%q: %d s %d µs, time.Parse says %d s %d µs", s, sec, micro, ref.Unix(), ref.Nanosecond()/1000)
		}
		iso, _, err := zonedTimestamp(s)
		if err != nil {
			t.Fatal(err)
		}
		back, err := time.Parse(time.RFC3339Nano, iso)
		if err != nil || !back.Equal(ref) {
			t.Fatalf("%q: ZonedTimestamp %q does not read back (%v)", s, iso, err)
		}
	})
}

func FuzzParseTime(f *testing.F) {
	f.Add("12:34:56.000123")
	f.Add("-838:59:59")
	f.Fuzz(func(t *testing.T, s string) {
		us, err := parseTime(s)
		if err != nil {
			return
		}
		neg := strings.HasPrefix(s, "-")
		if (us < 0) != neg && us != 0 {
			t.Fatalf("%q: sign of %d", s, us)
		}
		if us > 1000*3600*1_000_000 || us < -1000*3600*1_000_000 {
			t.Fatalf("%q: %d µs out of TIME's range", s, us)
		}
	})
}

// FuzzJSONString: quoting round-trips through encoding/json for any valid UTF-8 string.
func FuzzJSONString(f *testing.F) {
	f.Add("héllo \"q\" \\ \x00\x1f\u2028")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		var back string
		b := AppendString(nil, s)
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Fatalf("%q -> %s -> %q (%v)", s, b, back, err)
		}
	})
}
