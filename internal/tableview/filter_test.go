package tableview

import (
	"math/big"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

func dec(t testing.TB, s string, scale int) schema.Decimal {
	t.Helper()
	d, err := schema.ParseDecimal(s, scale)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// fields declares columns: name, type, name, type, ...
func fields(nt ...any) []schema.StructField {
	var out []schema.StructField
	for i := 0; i < len(nt); i += 2 {
		out = append(out, schema.StructField{Name: nt[i].(string), Type: nt[i+1].(schema.Type), Nullable: true})
	}
	return out
}

func TestCompileRejectsUnknownColumns(t *testing.T) {
	for _, src := range []string{"amout > 1", "amout", `amout == "x"`, "amount > 1 && amout", "amount >", "let x = 1; x > y"} {
		if _, err := Compile(src, fields("amount", schema.DecimalType{Precision: 10, Scale: 2})); err == nil {
			t.Errorf("%q compiles", src)
		} else if strings.Contains(src, "amout") && !strings.Contains(err.Error(), "columns: amount") {
			t.Errorf("%q: the error does not list the columns: %v", src, err)
		}
	}
}

// TestFilterComparesDecimalsExactly: a float would get these wrong (0.1 + 0.2 style, and
// values beyond 2^53).
func TestFilterComparesDecimalsExactly(t *testing.T) {
	cols := fields("amount", schema.DecimalType{Precision: 10, Scale: 2}, "big", schema.DecimalType{Precision: 38, Scale: 2}, "note", schema.String)
	row := []any{dec(t, "0.10", 2), dec(t, "12345678901234567890.12", 2), nil}
	for src, want := range map[string]bool{
		"amount == 0.1":                  true,
		"amount == 0.10":                 true,
		"amount > 0.1":                   false,
		"amount >= 0.1":                  true,
		"amount < 0.100000000000000001":  true, // as a float64 this literal is 0.1
		"amount != 0.1":                  false,
		"amount == 10":                   false,
		`amount == "0.1"`:                true,
		"0.05 < amount":                  true,
		"big < 12345678901234567890.13":  true,
		"big == 12345678901234567890.12": true,
		"amount > 0 && big > amount":     true,
		"note == nil":                    true,
		"note != nil":                    false,
		"amount > 0 && note == nil":      true,
		"note > 1":                       false, // an order with NULL is unknown
		`note < "a"`:                     false,
		"not (note > 1)":                 true,
	} {
		f, err := Compile(src, cols)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		got, err := f.Match(row)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if got != want {
			t.Errorf("%q = %v, want %v", src, got, want)
		}
	}
}

func TestFilterTimesDatesAndPlainValues(t *testing.T) {
	cols := fields("ts", schema.Timestamp, "d", schema.DateType, "n", schema.Long, "s", schema.String, "ok", schema.Boolean)
	row := []any{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), schema.Date(20513), int64(7), "pending", true}
	for src, want := range map[string]bool{
		`ts > "2026-03-01"`:                          true,
		`ts < "2026-03-01T12:00:00.000001Z"`:         true,
		`ts == "2026-03-01T13:00:00+01:00"`:          true,
		`"2026-03-02" > ts`:                          true,
		`d == "` + schema.Date(20513).String() + `"`: true,
		`n > 6 && n <= 7`:                            true,
		`n == 7.0`:                                   true,
		`s in ["pending", "done"]`:                   true,
		`s startsWith "pend" && ok`:                  true,
		`s matches "^p"`:                             true,
	} {
		f, err := Compile(src, cols)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		got, err := f.Match(row)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if got != want {
			t.Errorf("%q = %v, want %v", src, got, want)
		}
	}
	for _, src := range []string{`ts > 5`, `ts > "yesterday"`, `n > "x"`} {
		f, err := Compile(src, cols)
		if err != nil {
			continue
		}
		if _, err := f.Match(row); err == nil || !strings.Contains(err.Error(), "--where") {
			t.Errorf("%q: want an error naming the expression, got %v", src, err)
		}
	}
}

func TestTruncate(t *testing.T) {
	for _, c := range []struct {
		in    string
		width int
		want  string
	}{{"abcdef", 4, "abc…"}, {"abcd", 4, "abcd"}, {"äöüßé", 3, "äö…"}, {"abc", 1, "…"}, {"abc", 0, "abc"}, {"", 3, ""}} {
		if got := Truncate(c.in, c.width); got != c.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", c.in, c.width, got, c.want)
		}
	}
}

func TestColumns(t *testing.T) {
	idx, err := Columns([]string{"a", "b", "c"}, "c, a")
	if err != nil || len(idx) != 2 || idx[0] != 2 || idx[1] != 0 {
		t.Fatalf("%v %v", idx, err)
	}
	if _, err := Columns([]string{"a", "b"}, "a,x"); err == nil || !strings.Contains(err.Error(), `no column "x"`) || !strings.Contains(err.Error(), "a, b") {
		t.Fatalf("unknown column: %v", err)
	}
}

func TestText(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.FixedZone("x", 3600))
	for v, want := range map[any]string{"a\tb\nc": `a\tb\nc`, int64(5): "5", true: "true"} {
		if got := Text(v); got != want {
			t.Errorf("Text(%v) = %q, want %q", v, got, want)
		}
	}
	if got := Text(ts); got != "2026-01-02T02:04:05.000006Z" {
		t.Errorf("Text(time) = %q", got)
	}
	if got := Text(dec(t, "-1.50", 2)); got != "-1.50" {
		t.Errorf("Text(decimal) = %q", got)
	}
	if Text(nil) != "NULL" {
		t.Error("Text(nil)")
	}
}

// FuzzFilter: any expression either fails to compile or evaluates to a result or an error,
// never a panic; a comparison with a decimal agrees with exact rational arithmetic.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{"amount > 1.5", `s == "x"`, "n < amount", "amount == nil", "len(s) > 2 || n in [1,2]", "ts > '2026-01-01'", "amount * 2 > 1", "-amount < 0"} {
		f.Add(s, "12.34", int64(3))
		f.Add(s, "-0.0001", int64(0))
	}
	f.Fuzz(func(t *testing.T, src, amount string, n int64) {
		d, err := schema.ParseDecimal(amount, 4)
		var dv any = d
		if err != nil {
			dv = nil
		}
		cols := fields("amount", schema.DecimalType{Precision: 20, Scale: 4}, "s", schema.String, "n", schema.Long, "ts", schema.Timestamp)
		flt, err := Compile(src, cols)
		if err != nil {
			return
		}
		_, _ = flt.Match([]any{dv, "text", n, time.Unix(0, 0).UTC()})
		if dv != nil {
			cmp, err := Compile("amount > n", cols)
			if err != nil {
				t.Fatal(err)
			}
			got, err := cmp.Match([]any{dv, "text", n, nil})
			if err != nil {
				t.Fatal(err)
			}
			r, _ := new(big.Rat).SetString(d.String())
			if want := r.Cmp(new(big.Rat).SetInt64(n)) > 0; got != want {
				t.Fatalf("%s > %d = %v", d, n, got)
			}
		}
	})
}

func FuzzTruncate(f *testing.F) {
	f.Add("héllo wörld", 4)
	f.Fuzz(func(t *testing.T, s string, w int) {
		if !utf8.ValidString(s) || w > 1000 || w < -5 {
			return
		}
		got := Truncate(s, w)
		if w <= 0 || utf8.RuneCountInString(s) <= w {
			if got != s {
				t.Fatalf("cut %q to %q", s, got)
			}
			return
		}
		if utf8.RuneCountInString(got) != w || !strings.HasSuffix(got, Ellipsis) || !strings.HasPrefix(s, strings.TrimSuffix(got, Ellipsis)) {
			t.Fatalf("Truncate(%q, %d) = %q", s, w, got)
		}
	})
}
