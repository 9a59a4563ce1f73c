package parquetio

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

func TestStatsEdgeCases(t *testing.T) {
	s, err := schema.Parse(`{"type":"struct","fields":[
	{"name":"s","type":"string","nullable":true,"metadata":{}},
	{"name":"f","type":"double","nullable":true,"metadata":{}},
	{"name":"g","type":"float","nullable":true,"metadata":{}},
	{"name":"ts","type":"timestamp","nullable":true,"metadata":{}},
	{"name":"b","type":"boolean","nullable":true,"metadata":{}},
	{"name":"n","type":"long","nullable":true,"metadata":{}},
	{"name":"d","type":"decimal(38,10)","nullable":true,"metadata":{}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", 40)
	rows := [][]any{
		{long, math.NaN(), float32(1e10), time.UnixMicro(-1).UTC(), true, nil, dec(t, "-0.00000001", 10)},
		{"a", 1.0, float32(1e-4), time.UnixMicro(1999).UTC(), false, nil, dec(t, "12345678901234567890.5", 10)},
	}
	_, st := writeFile(t, s, rows, WriterOptions{})
	want := `{"numRecords":2,` +
		`"minValues":{"s":"a","g":1.0E-4,"ts":"1969-12-31T23:59:59.999Z","d":-1.00E-8},` +
		`"maxValues":{"g":1.0E10,"ts":"1970-01-01T00:00:00.001Z","d":12345678901234567890.5000000000},` +
		`"nullCount":{"s":0,"f":0,"g":0,"ts":0,"b":0,"n":2,"d":0}}`
	if got := st.JSON(); got != want {
		t.Errorf("\n got  %s\n want %s", got, want)
	}
	// A long string's 32-character prefix is a valid lower bound; the max is left out.
	rows = [][]any{{long, 1.0, nil, nil, nil, nil, nil}}
	_, st = writeFile(t, s, rows, WriterOptions{})
	if got := st.MinValues["s"]; got != strings.Repeat("é", 32) {
		t.Errorf("min prefix %q", got)
	}
	if _, ok := st.MaxValues["s"]; ok {
		t.Errorf("max of a string longer than 32 characters must be omitted")
	}
}

func TestStatsIndexedColumns(t *testing.T) {
	s, _ := schema.Parse(`{"type":"struct","fields":[
	{"name":"a","type":"long","nullable":true,"metadata":{}},
	{"name":"st","type":{"type":"struct","fields":[{"name":"x","type":"long","nullable":true,"metadata":{}},{"name":"y","type":"long","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},
	{"name":"c","type":"long","nullable":true,"metadata":{}}]}`)
	rows := [][]any{{int64(1), []any{int64(2), int64(3)}, int64(4)}}
	_, st := writeFile(t, s, rows, WriterOptions{IndexedColumns: 2})
	want := `{"numRecords":1,"minValues":{"a":1,"st":{"x":2}},"maxValues":{"a":1,"st":{"x":2}},"nullCount":{"a":0,"st":{"x":0}}}`
	if got := st.JSON(); got != want {
		t.Errorf("IndexedColumns=2:\n got  %s\n want %s", got, want)
	}
	_, st = writeFile(t, s, rows, WriterOptions{StatsColumns: []string{"c", "st.y"}})
	want = `{"numRecords":1,"minValues":{"st":{"y":3},"c":4},"maxValues":{"st":{"y":3},"c":4},"nullCount":{"st":{"y":0},"c":0}}`
	if got := st.JSON(); got != want {
		t.Errorf("StatsColumns:\n got  %s\n want %s", got, want)
	}
	_, st = writeFile(t, s, rows, WriterOptions{StatsColumns: []string{}})
	if got := st.JSON(); got != `{"numRecords":1}` {
		t.Errorf("no stats columns: %s", got)
	}
}

func TestJavaNumberRendering(t *testing.T) {
	for _, c := range []struct {
		f    float64
		bits int
		want string
	}{
		{1, 64, "1.0"}, {0.1, 64, "0.1"}, {1.1, 32, "1.1"}, {1e7, 64, "1.0E7"}, {9999999, 64, "9999999.0"},
		{0.001, 64, "0.001"}, {0.0001, 64, "1.0E-4"}, {-1.5e-10, 64, "-1.5E-10"}, {math.Copysign(0, -1), 64, "-0.0"},
		{3.4000000953674316, 64, "3.4000000953674316"}, {1.234567890123, 64, "1.234567890123"},
	} {
		if got := schema.JavaFloatString(c.f, c.bits); got != c.want {
			t.Errorf("JavaFloatString(%v) = %s, want %s", c.f, got, c.want)
		}
	}
	for _, c := range []struct {
		s     string
		scale int
		want  string
	}{
		{"0", 10, "0E-10"}, {"0", 2, "0.00"}, {"-0.000098", 6, "-0.000098"}, {"-0.000000031661", 12, "-3.1661E-8"},
		{"0.000000000152896", 18, "1.52896000E-10"}, {"123.45", 2, "123.45"}, {"-17", 0, "-17"}, {"0.0000001", 7, "1E-7"},
	} {
		if got := javaDecimal(dec(t, c.s, c.scale)); got != c.want {
			t.Errorf("javaDecimal(%s@%d) = %s, want %s", c.s, c.scale, got, c.want)
		}
	}
}
