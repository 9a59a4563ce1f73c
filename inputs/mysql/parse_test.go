package mysql

import (
	"encoding/json"
	"strings"
	"testing"

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
