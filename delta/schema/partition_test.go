package schema

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sp(s string) *string { return &s }

func mustDec(t testing.TB, s string, scale int) Decimal {
	d, err := ParseDecimal(s, scale)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPartitionValueRoundTrip(t *testing.T) {
	ts := time.Date(1970, 1, 2, 8, 45, 0, 0, time.UTC)
	cases := []struct {
		t    Type
		v    any
		want string
	}{
		{String, "a/b=c", "a/b=c"},
		{Long, int64(-9223372036854775808), "-9223372036854775808"},
		{Integer, int32(7), "7"},
		{Short, int16(-3), "-3"},
		{Byte, int8(127), "127"},
		{Double, 1.0, "1.0"},
		{Double, 1e10, "1.0E10"},
		{Float, float32(0.5), "0.5"},
		{Boolean, true, "true"},
		{Boolean, false, "false"},
		{DateType, Date(0), "1970-01-01"},
		{DateType, Date(-1), "1969-12-31"},
		{Timestamp, ts, "1970-01-02 08:45:00"},
		{Timestamp, time.Date(1969, 12, 31, 23, 59, 59, 120000000, time.UTC), "1969-12-31 23:59:59.12"},
		{TimestampNTZ, time.Date(2021, 11, 18, 2, 30, 0, 123456000, time.UTC), "2021-11-18 02:30:00.123456"},
		{DecimalType{38, 18}, mustDec(t, "12", 18), "12.000000000000000000"},
		{DecimalType{5, 2}, mustDec(t, "-0.5", 2), "-0.50"},
		{Binary, []byte("😈"), "😈"},
	}
	for _, c := range cases {
		got := FormatPartitionValue(c.v, c.t)
		if got == nil || *got != c.want {
			t.Errorf("FormatPartitionValue(%#v, %s) = %v, want %q", c.v, c.t, got, c.want)
			continue
		}
		back, err := ParsePartitionValue(got, c.t)
		if err != nil {
			t.Errorf("ParsePartitionValue(%q, %s): %v", *got, c.t, err)
			continue
		}
		if d, ok := c.v.(Decimal); ok {
			if !d.Equal(back.(Decimal)) || back.(Decimal).Scale != c.t.(DecimalType).Scale {
				t.Errorf("decimal %s read back as %v", d, back)
			}
			continue
		}
		if !reflect.DeepEqual(back, c.v) {
			t.Errorf("%s %q read back as %#v, want %#v", c.t, *got, back, c.v)
		}
	}
}

func TestPartitionNulls(t *testing.T) {
	if FormatPartitionValue(nil, Long) != nil || FormatPartitionValue("", String) != nil {
		t.Error("nil and empty string must format as null")
	}
	if FormatPartitionValue(int32(1), Long) != nil {
		t.Error("a value of the wrong Go type must not be formatted")
	}
	for _, s := range []*string{nil, sp("")} {
		v, err := ParsePartitionValue(s, Integer)
		if v != nil || err != nil {
			t.Errorf("null partition value: %v, %v", v, err)
		}
	}
}

func TestParsePartitionTimestampForms(t *testing.T) {
	want := time.Date(1971, 7, 22, 3, 6, 40, 0, time.UTC)
	for _, s := range []string{"1971-07-22T03:06:40.000000Z", "1971-07-22 03:06:40", "1971-07-22T03:06:40Z",
		"1971-07-22T05:06:40+02:00", "1971-07-22 03:06:40.000"} {
		v, err := ParsePartitionValue(sp(s), Timestamp)
		if err != nil || !v.(time.Time).Equal(want) || v.(time.Time).Location() != time.UTC {
			t.Errorf("%q: %v, %v", s, v, err)
		}
	}
	v, err := ParsePartitionValue(sp("2021-11-18 02:30:00.123456789"), TimestampNTZ)
	if err != nil || !v.(time.Time).Equal(time.Date(2021, 11, 18, 2, 30, 0, 123456000, time.UTC)) {
		t.Errorf("ntz fraction: %v %v", v, err)
	}
	if _, err := ParsePartitionValue(sp("2021-11-18T02:30:00Z"), TimestampNTZ); err == nil {
		t.Error("timestamp_ntz must refuse a zoned value")
	}
}

func TestParsePartitionErrors(t *testing.T) {
	for _, c := range []struct {
		s string
		t Type
	}{
		{"abc", Long}, {"128", Byte}, {"1.5", Integer}, {"yes", Boolean}, {"2021-13-01", DateType},
		{"1.234", DecimalType{5, 2}}, {"1000", DecimalType{5, 2}}, {"x", Double}, {"2021", Timestamp},
	} {
		_, err := ParsePartitionValue(sp(c.s), c.t)
		if err == nil || !strings.Contains(err.Error(), c.s) {
			t.Errorf("%q as %s: want an error naming the value, got %v", c.s, c.t, err)
		}
	}
}

func TestPartitionPath(t *testing.T) {
	cases := []struct {
		cols []string
		vals []*string
		want string
	}{
		// Directory names seen in the conformance tables (Spark and delta-rs).
		{[]string{"letter"}, []*string{sp("/%20%f")}, "letter=%2F%2520%25f"},
		{[]string{"letter"}, []*string{nil}, "letter=__HIVE_DEFAULT_PARTITION__"},
		{[]string{"bool", "time"}, []*string{sp("false"), sp("1970-01-02 08:45:00")}, "bool=false/time=1970-01-02 08%3A45%3A00"},
		{[]string{"x"}, []*string{sp("A/A")}, "x=A%2FA"},
		{[]string{"data"}, []*string{sp("😈")}, "data=😈"},
		{[]string{"a=b"}, []*string{sp("q?#\"'*:\\{[]^\x01\n\x7f")}, "a%3Db=q%3F%23%22%27%2A%3A%5C%7B%5B%5D%5E%01%0A%7F"},
		{[]string{"e"}, []*string{sp("")}, "e=__HIVE_DEFAULT_PARTITION__"},
	}
	for _, c := range cases {
		if got := PartitionPath(c.cols, c.vals); got != c.want {
			t.Errorf("PartitionPath(%v) = %q, want %q", c.cols, got, c.want)
		}
	}
}

// FuzzParsePartitionValue: parsing never panics, and whatever parses formats back to a
// string that parses to the same value.
func FuzzParsePartitionValue(f *testing.F) {
	for _, s := range []string{"1", "-0.50", "2021-01-01", "1970-01-02 08:45:00", "1971-07-22T03:06:40.000000Z",
		"true", "NaN", "1.0E10", "12.000000000000000000", "😈", "", "2021-11-18 02:30:00.123456789"} {
		f.Add(s)
	}
	types := []Type{String, Long, Integer, Short, Byte, Double, Float, Boolean, DateType, Timestamp,
		TimestampNTZ, Binary, DecimalType{38, 18}, DecimalType{5, 2}, DecimalType{18, 0}}
	f.Fuzz(func(t *testing.T, s string) {
		for _, typ := range types {
			v, err := ParsePartitionValue(&s, typ)
			if err != nil || v == nil {
				continue
			}
			out := FormatPartitionValue(v, typ)
			if out == nil {
				t.Fatalf("%s %q parsed to %#v which does not format", typ, s, v)
			}
			back, err := ParsePartitionValue(out, typ)
			if err != nil {
				t.Fatalf("%s %q -> %q does not parse back: %v", typ, s, *out, err)
			}
			switch x := v.(type) {
			case Decimal:
				if !x.Equal(back.(Decimal)) {
					t.Fatalf("%s %q -> %q -> %v", typ, s, *out, back)
				}
			case float64:
				if !(math.IsNaN(x) && math.IsNaN(back.(float64))) && x != back.(float64) {
					t.Fatalf("%s %q -> %q -> %v", typ, s, *out, back)
				}
			case float32:
				if !(x != x && back.(float32) != back.(float32)) && x != back.(float32) {
					t.Fatalf("%s %q -> %q -> %v", typ, s, *out, back)
				}
			case time.Time:
				if !x.Equal(back.(time.Time)) {
					t.Fatalf("%s %q -> %q -> %v", typ, s, *out, back)
				}
			default:
				if !reflect.DeepEqual(v, back) {
					t.Fatalf("%s %q -> %q -> %#v, want %#v", typ, s, *out, back, v)
				}
			}
		}
	})
}
