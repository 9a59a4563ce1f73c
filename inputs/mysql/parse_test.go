package mysql

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

func col(t testing.TB, typ string, nullable bool) *column {
	t.Helper()
	st, err := schemas.ParseSQLType(typ)
	if err != nil {
		t.Fatal(err)
	}
	return &column{name: "c", typ: st, colType: typ, nullable: nullable}
}

func TestParseDSN(t *testing.T) {
	cases := []struct {
		in               string
		user, pass, host string
		port             uint16
		wantErr          bool
	}{
		{in: "debezium:dbz@tcp(mysql:3306)/", user: "debezium", pass: "dbz", host: "mysql", port: 3306},
		{in: "u:p@ss:w@rd@tcp(127.0.0.1:3307)/bank?parseTime=true", user: "u", pass: "p@ss:w@rd", host: "127.0.0.1", port: 3307},
		{in: "u:p@db.example.com", user: "u", pass: "p", host: "db.example.com", port: 3306},
		{in: "u@tcp([::1]:3306)/", user: "u", host: "::1", port: 3306},
		{in: "u:p@unix(/tmp/s.sock)/", wantErr: true},
		{in: "u:p@tcp(h:0)/", wantErr: true},
		{in: "u:p@tcp(h:99999)/", wantErr: true},
		{in: "nohost", wantErr: true},
		{in: ":p@tcp(h:1)/", wantErr: true},
		{in: "u:p@tcp(h:1/", wantErr: true},
	}
	for _, c := range cases {
		d, err := parseDSN(c.in)
		if (err != nil) != c.wantErr {
			t.Errorf("parseDSN(%q) error %v, want error %v", c.in, err, c.wantErr)
			continue
		}
		if err == nil && (d.user != c.user || d.password != c.pass || d.host != c.host || d.port != c.port) {
			t.Errorf("parseDSN(%q) = %+v", c.in, d)
		}
	}
}

func FuzzParseDSN(f *testing.F) {
	for _, s := range []string{"debezium:dbz@tcp(mysql:3306)/", "u:p@h", "u@tcp([::1]:1)/db?x=y", "@", "a@tcp()"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDSN(s)
		if err != nil {
			return
		}
		if d.user == "" || d.host == "" || d.port == 0 {
			t.Fatalf("parseDSN(%q) accepted %+v", s, d)
		}
	})
}

func TestParseCheckpoint(t *testing.T) {
	good := `{"version":1,"position":{"file":"mysql-bin.000003","pos":1041,"skip_rows":2,"gtid":"0-1-3","server_id":1}}`
	p, err := parseCheckpoint([]byte(good))
	if err != nil || p.File != "mysql-bin.000003" || p.Pos != 1041 || p.SkipRows != 2 || p.GTID != "0-1-3" {
		t.Fatalf("parseCheckpoint: %+v, %v", p, err)
	}
	for _, bad := range []string{
		``, `{}`, `{"version":2,"position":{"file":"a.1","pos":4}}`,
		`{"version":1,"position":{"file":"mysql-bin","pos":4}}`,
		`{"version":1,"position":{"file":"mysql-bin.000001","pos":3}}`,
		`{"version":1,"position":{"file":"mysql-bin.000001","pos":4,"skip_rows":-1}}`,
		`{"version":1,"position":{"file":"../x.1","pos":4}}`,
		`{"version":1,"position":{"file":"a.1","pos":4},"extra":1}`,
		`{"version":1,"position":{"file":"a.1","pos":4}} {}`,
	} {
		if _, err := parseCheckpoint([]byte(bad)); err == nil {
			t.Errorf("parseCheckpoint(%s) accepted", bad)
		}
	}
}

func TestSaveCheckpointRoundTrip(t *testing.T) {
	path := checkpointPath(t)
	want := position{File: "mysql-bin.000010", Pos: 4711, SkipRows: 3, GTID: "0-1-9", ServerID: 1}
	if err := saveCheckpoint(path, want, "mariadb"); err != nil {
		t.Fatal(err)
	}
	if got := readCheckpointFile(t, path); got != want {
		t.Fatalf("read back %+v, wrote %+v", got, want)
	}
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add([]byte(`{"version":1,"position":{"file":"mysql-bin.000003","pos":1041,"skip_rows":2}}`))
	f.Add([]byte(`{"version":1,"position":{"file":"x.9","pos":4,"gtid":"0-1-2"},"flavor":"mariadb","updated":"t"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parseCheckpoint(data)
		if err != nil {
			return
		}
		if validBinlogName(p.File) != nil || p.Pos < 4 || p.SkipRows < 0 {
			t.Fatalf("accepted an unusable position %+v from %q", p, data)
		}
		b, _ := json.Marshal(checkpointFile{Version: checkpointVersion, Position: p})
		q, err := parseCheckpoint(b)
		if err != nil || q != p {
			t.Fatalf("round trip: %+v -> %s -> %+v, %v", p, b, q, err)
		}
	})
}

// TestTrackerContiguousAcks: the watermark only covers the acknowledged prefix.
func TestTrackerContiguousAcks(t *testing.T) {
	tr := &tracker{}
	pos := func(n uint32) *position { return &position{File: "b.1", Pos: n} }
	e1, e2, e3 := &entry{pos: pos(10)}, &entry{pos: pos(20)}, &entry{pos: pos(30)}
	tr.add(e1)
	tr.add(e2)
	tr.add(&entry{pos: pos(25), acked: true}) // a commit marker after e2
	tr.add(e3)
	if _, ok := tr.watermark(); ok {
		t.Fatal("watermark before any ack")
	}
	_ = tr.ack(e2)
	if _, ok := tr.watermark(); ok {
		t.Fatal("watermark moved past unacknowledged e1")
	}
	_ = tr.ack(e1)
	if w, _ := tr.watermark(); w.Pos != 25 {
		t.Fatalf("watermark %v, expected 25 (e1, e2 and the marker)", w)
	}
	_ = tr.ack(e3)
	_ = tr.ack(e3) // a second ack is harmless
	if w, _ := tr.watermark(); w.Pos != 30 {
		t.Fatalf("watermark %v, expected 30", w)
	}
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
		got, err := appendValue(nil, col(t, c.typ, c.nullable), c.in)
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
		c := &column{name: "c", typ: schemas.SQLType{Kind: schemas.KindDecimal, Precision: 65, Scale: sc}, colType: "decimal"}
		got, err := appendValue(nil, c, d)
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
		b := appendJSONString(nil, s)
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Fatalf("%q -> %s -> %q (%v)", s, b, back, err)
		}
	})
}

func FuzzIsDDL(f *testing.F) {
	for _, s := range []string{"ALTER TABLE x ADD c INT", "/* c */ create table t (a int)", "BEGIN", "insert into t values (1)", "/*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := isDDL(s)
		if strings.HasPrefix(strings.ToUpper(s), "INSERT ") && got {
			t.Fatalf("%q taken for DDL", s)
		}
	})
}

func TestIsDDL(t *testing.T) {
	for q, want := range map[string]bool{
		"ALTER TABLE bank.customers ADD COLUMN x INT": true,
		"/*!40000 ALTER TABLE t DISABLE KEYS */":      false, // a conditional comment is not parsed
		"/* by app */ DROP TABLE t":                   true,
		"CREATE DATABASE x":                           true,
		"BEGIN":                                       false,
		"UPDATE t SET a = 1":                          false,
		"rename table a to b":                         true,
	} {
		if got := isDDL(q); got != want {
			t.Errorf("isDDL(%q) = %v, expected %v", q, got, want)
		}
	}
}

func TestTableFilter(t *testing.T) {
	f, err := parseTableFilter([]string{"bank.*", "other.t1, other.t2"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		db, t string
		want  bool
	}{{"bank", "x", true}, {"other", "t2", true}, {"other", "t3", false}, {"banks", "x", false}} {
		if f.match(c.db, c.t) != c.want {
			t.Errorf("match(%s.%s) != %v", c.db, c.t, c.want)
		}
	}
	for _, bad := range [][]string{{"bank"}, {".x"}, {"a.b.c"}, {}} {
		if _, err := parseTableFilter(bad); err == nil {
			t.Errorf("parseTableFilter(%v) accepted", bad)
		}
	}
}
