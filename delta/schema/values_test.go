package schema

import (
	"bytes"
	"encoding/base64"
	"testing"
)

// Vectors from ../shared/conformance/debezium/README.md (Debezium's decimal test values).
func TestDecimalBytesVectors(t *testing.T) {
	cases := []struct {
		b64   string
		scale int
		want  string
	}{
		{"AIU=", 2, "1.33"}, {"98E=", 3, "-2.111"}, {"BUFQ", 5, "3.44400"}, {"F1DA", 5, "15.28000"},
		{"AA==", 18, "0.000000000000000000"}, {"AJg=", 2, "1.52"}, {"/2g=", 2, "-1.52"},
		{"dzWUAA==", 4, "200000.0000"}, {"AYag", 4, "10.0000"}, {"AY/J", 4, "10.2345"},
	}
	for _, c := range cases {
		raw, err := base64.StdEncoding.DecodeString(c.b64)
		if err != nil {
			t.Fatal(err)
		}
		d := DecimalFromBytes(raw, c.scale)
		if d.String() != c.want {
			t.Errorf("%s scale %d: got %s want %s", c.b64, c.scale, d, c.want)
		}
		if !bytes.Equal(d.Bytes(), raw) {
			t.Errorf("%s: re-encoded as %x, want minimal %x", c.b64, d.Bytes(), raw)
		}
		p, err := ParseDecimal(c.want, c.scale)
		if err != nil || !p.Equal(d) || p.String() != c.want {
			t.Errorf("ParseDecimal(%s): %v %v", c.want, p, err)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	ok := map[string]string{"12.5": "12.50", "-0.01": "-0.01", "0": "0.00", "+7": "7.00", ".5": "0.50", "3.100": "3.10", "-0": "0.00"}
	for in, want := range ok {
		d, err := ParseDecimal(in, 2)
		if err != nil || d.String() != want {
			t.Errorf("ParseDecimal(%q,2) = %v, %v; want %s", in, d, err, want)
		}
	}
	for _, bad := range []string{"", "1.234", "1e5", "abc", "1.2.3", " 1", "-", "."} {
		if _, err := ParseDecimal(bad, 2); err == nil {
			t.Errorf("ParseDecimal(%q) should fail", bad)
		}
	}
}

func TestDecimalFixedBytes(t *testing.T) {
	d, _ := ParseDecimal("-1.52", 2)
	b, err := d.FixedBytes(4)
	if err != nil || !bytes.Equal(b, []byte{0xff, 0xff, 0xff, 0x68}) {
		t.Fatalf("got %x %v", b, err)
	}
	if DecimalFromBytes(b, 2).String() != "-1.52" {
		t.Fatal("round trip")
	}
	big, _ := ParseDecimal("99999999999999999999", 0)
	if _, err := big.FixedBytes(8); err == nil {
		t.Fatal("expected overflow error")
	}
	for _, s := range []string{"-128", "-129", "127", "128", "-32768", "-1", "255", "-256"} {
		v, _ := ParseDecimal(s, 0)
		if got := DecimalFromBytes(v.Bytes(), 0); !got.Equal(v) {
			t.Errorf("%s: round trip gave %s (bytes %x)", s, got, v.Bytes())
		}
	}
}

func TestSchemaRoundTrip(t *testing.T) {
	src := `{"type":"struct","fields":[{"name":"a","type":"long","nullable":false,"metadata":{}},{"name":"m","type":{"type":"map","keyType":"string","valueType":{"type":"array","elementType":"decimal(18,2)","containsNull":true},"valueContainsNull":true},"nullable":true,"metadata":{"comment":"x"}},{"name":"s","type":{"type":"struct","fields":[{"name":"t","type":"timestamp","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}}]}`
	st, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.JSON(); got != src {
		t.Fatalf("round trip:\n got %s\nwant %s", got, src)
	}
	if _, err := Parse(`{"type":"struct","fields":[{"name":"a","type":"decimal(40,2)","nullable":true,"metadata":{}}]}`); err == nil {
		t.Fatal("decimal(40,2) must be refused")
	}
	if _, err := Parse(`{"type":"struct","fields":[{"name":"a","type":"uuid","nullable":true,"metadata":{}}]}`); err == nil {
		t.Fatal("unknown types must be refused")
	}
}

// FuzzParseDecimal checks the int64 fast path against the big.Int path: both must agree on
// every input, value and error alike.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"0", "-0.5", "123456789012345.67", "999999999999999999", "1.5", "+.1", "00012.30", "-", ""} {
		f.Add(s, 2)
	}
	f.Fuzz(func(t *testing.T, s string, scale int) {
		if scale < 0 || scale > 40 {
			return
		}
		got, err := ParseDecimal(s, scale)
		// Reference: the same digits through big.Int only, by parsing at a scale one larger
		// (which never takes the fast path when it would overflow) and rescaling down.
		ref, rerr := ParseDecimal(s+"", scale+19)
		if (err == nil) != (rerr == nil) {
			if err == nil {
				// The wider scale cannot reject what the narrower accepted.
				t.Fatalf("%q scale %d: fast %v, reference error %v", s, scale, got, rerr)
			}
			return
		}
		if err != nil {
			return
		}
		back, err := ref.Rescale(scale)
		if err != nil || !back.Equal(got) || got.Scale != scale {
			t.Fatalf("%q scale %d: got %v, reference %v (%v)", s, scale, got, back, err)
		}
	})
}
