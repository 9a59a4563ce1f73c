package pii

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ledgerflow/ledgerflow/debezium/jsonscan"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// fuzzContract has one short-named column per policy and mask, so that the fuzzer finds them.
const fuzzContract = `
table: f
database: db
columns:
  - { name: h, type: VARCHAR(64), pii: contact }
  - { name: m, type: VARCHAR(64), pii: network }
  - { name: c, type: VARCHAR(64), pii: contact }
  - { name: n, type: VARCHAR(64), pii: name }
  - { name: d, type: DATE, pii: identity }
  - { name: t, type: DATETIME(6) }
  - { name: x, type: VARCHAR(10), pii: device }
  - { name: k, type: VARCHAR(10), pii: device }
`

var fuzzPolicies = map[string]string{"h": "hash", "m": "mask", "c": "mask", "n": "mask", "d": "year", "t": "year", "x": "drop", "k": "keep"}

// FuzzApply checks Apply against encoding/json, an independent reader: it never panics; it
// accepts only valid JSON objects; its output is valid JSON with every member in order,
// untouched members byte-identical, dropped members gone, hashes equal to HMAC-SHA256 of the
// text encoding/json decodes, IP masks equal to the netip prefix, years on January 1st.
//
//	go test -run '^$' -fuzz FuzzApply -fuzztime 60s ./processors/pii/
func FuzzApply(f *testing.F) {
	for _, s := range []string{
		customerRow,
		`{"h":"ada@example.org","m":"192.168.1.77","c":"+44 20 7946 0958","n":"Ada","d":"1990-05-17","t":"1990-05-17T10:11:12.345678Z","x":"dev","k":"keep"}`,
		`{"h":5551234,"m":"2001:db8::1","c":"a@b","n":"Ørsted","d":7441,"t":642938472345,"x":null,"k":null,"_before":{"h":"\u00e9","m":"::ffff:1.2.3.4","x":"1"}}`,
		`{"H":"\ud83d\ude00","M":"fe80::1%eth0","\u0063":"x@y.z","_before":null,"_source_table":"db.f"}`,
		`{"h":{"a":1}}`, `{"d":"1990-02-30"}`, `{"t":"1990-05-17T10:11:12,5Z"}`, `{"_source_table":"db.g"}`, `{"_before":"x"}`,
		`{"h":"a","h":"b","H":"c"}`, ` { "x" : [ 1 , { "h" : "y" } ] , "n" : "" } `, `{}`, `[]`, `{"h":"\ud800"}`, "{\"n\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	tb, err := schemas.Parse([]byte(fuzzContract))
	if err != nil {
		f.Fatal(err)
	}
	plan, err := NewPlan(tb, fuzzPolicies)
	if err != nil {
		f.Fatal(err)
	}
	e, err := NewEngine(plan, []byte(testKey), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := append([]byte(nil), data...)
		out, err := e.Apply(data)
		if !bytes.Equal(in, data) {
			t.Fatal("Apply modified its input")
		}
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *pii.Error", err)
			}
			if pe.Reason == ReasonMalformedJSON && json.Valid(data) && isObject(data) && pe.Column != "_before" && depth(data) <= jsonscan.MaxDepth {
				t.Fatalf("valid object refused as malformed: %v", err)
			}
			return
		}
		if !json.Valid(data) || !isObject(data) {
			t.Fatalf("accepted invalid input %q → %q", data, out)
		}
		if !json.Valid(out) {
			t.Fatalf("invalid output %q from %q", out, data)
		}
		checkObject(t, data, out, true)
	})
}

func isObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

func depth(b []byte) int { return bytes.Count(b, []byte("{")) + bytes.Count(b, []byte("[")) }

func checkObject(t *testing.T, in, out []byte, top bool) {
	t.Helper()
	im, err := decodeMembers(in)
	if err != nil {
		t.Fatalf("decode input %q: %v", in, err)
	}
	om, err := decodeMembers(out)
	if err != nil {
		t.Fatalf("decode output %q: %v", out, err)
	}
	j := 0
	for _, m := range im {
		pol := Policy(fuzzPolicies[strings.ToLower(m.key)])
		if pol == Drop {
			continue
		}
		if j >= len(om) || om[j].key != m.key {
			t.Fatalf("member %q missing or out of order in %q (from %q)", m.key, out, in)
		}
		o := om[j]
		j++
		switch {
		case pol == "" || pol == Keep:
			if top && strings.EqualFold(m.key, "_before") && string(m.val) != "null" {
				checkObject(t, m.val, o.val, false)
				continue
			}
			if !bytes.Equal(m.val, o.val) {
				t.Fatalf("untouched member %q changed: %q → %q", m.key, m.val, o.val)
			}
		case string(m.val) == "null":
			if string(o.val) != "null" {
				t.Fatalf("null %q became %q", m.key, o.val)
			}
		default:
			checkValue(t, strings.ToLower(m.key), m.val, o.val)
		}
	}
	if j != len(om) {
		t.Fatalf("output has extra members: %q from %q", out, in)
	}
}

func checkValue(t *testing.T, col string, in, out json.RawMessage) {
	t.Helper()
	var text string
	isString := in[0] == '"'
	if isString {
		if err := json.Unmarshal(in, &text); err != nil {
			t.Fatal(err)
		}
	} else {
		text = string(in)
	}
	var got any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	gs, _ := got.(string)
	switch col {
	case "h":
		if gs != refHash(testKey, text) {
			t.Fatalf("hash of %q: %q, want %q", text, gs, refHash(testKey, text))
		}
	case "m":
		want := "***"
		if a, err := netip.ParseAddr(text); err == nil {
			bits := 48
			if a.Is4() {
				bits = 24
			} else if a.Is4In6() {
				bits = 120
			}
			p, _ := a.WithZone("").Prefix(bits)
			want = p.Addr().String()
		} else if text == "" {
			want = ""
		}
		if gs != want {
			t.Fatalf("IP mask of %q: %q, want %q", text, gs, want)
		}
	case "c", "n":
		ok := gs == "" && text == "" || gs == "***"
		switch {
		case col == "c" && strings.HasPrefix(gs, "***@"):
			ok = strings.HasSuffix(text, gs[3:]) && len(gs) < len(text)+3
		case col == "c" && len(gs) == 5 && strings.HasPrefix(gs, "***"):
			ok = strings.HasSuffix(strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, text), gs[3:])
		case col == "n" && strings.HasSuffix(gs, "***") && utf8.RuneCountInString(gs) == 4:
			r, _ := utf8.DecodeRuneInString(gs)
			ok = strings.ContainsRune(text, r)
		}
		if !ok {
			t.Fatalf("mask %s of %q: %q keeps more than its shape", col, text, gs)
		}
	case "d", "t":
		if isString {
			if len(gs) != len(text) || gs[:4] != text[:4] || !strings.HasPrefix(gs[4:], "-01-01") {
				t.Fatalf("year of %q: %q", text, gs)
			}
			layout := time.DateOnly
			if col == "t" {
				layout = time.RFC3339Nano
			}
			if _, err := time.Parse(layout, gs); err != nil {
				t.Fatalf("year of %q: %q is not a valid value: %v", text, gs, err)
			}
			return
		}
		f, ok := got.(float64)
		if !ok {
			t.Fatalf("year of number %q: %q", text, out)
		}
		var tm time.Time
		if col == "d" {
			tm = time.Unix(int64(f)*86400, 0).UTC()
		} else {
			tm = time.UnixMilli(int64(f)).UTC()
		}
		if tm.YearDay() != 1 || tm.Hour() != 0 || tm.Minute() != 0 || tm.Second() != 0 || tm.Nanosecond() != 0 {
			t.Fatalf("year of %q: %q is not January 1st 00:00", text, out)
		}
	}
}
