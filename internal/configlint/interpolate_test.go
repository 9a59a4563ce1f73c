package configlint

import (
	"bytes"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestInterpolateMapsEveryByteBack(t *testing.T) {
	raw := []byte("a: ${A:1}\nb: \"${B}\" # c\nc: ${{ESC}}\nd: ${D:x:y|base64decode}\ne: ${E}\n")
	in := interpolate(raw, env(map[string]string{"B": "longer value\nwith a newline", "D": base64.StdEncoding.EncodeToString([]byte("dd"))}))
	want := "a: 1\nb: \"longer value\\nwith a newline\" # c\nc: ${ESC}\nd: dd\ne: \n"
	if string(in.text) != want {
		t.Fatalf("text = %q, want %q", in.text, want)
	}
	if len(in.src) != len(in.text)+1 {
		t.Fatalf("src has %d entries for %d bytes", len(in.src), len(in.text))
	}
	// Every substituted byte maps to its ${, every copied byte to itself.
	for _, c := range []struct {
		text string
		raw  string
	}{{"1\n", "${A:1}"}, {"longer", "${B}"}, {" # c", " # c"}, {"${ESC}", "${{ESC}}"}, {"dd", "${D:"}} {
		o := bytes.Index(in.text, []byte(c.text))
		r := bytes.Index(raw, []byte(c.raw))
		if got := in.rawOffset(o); got != r {
			t.Errorf("%q at text offset %d maps to raw %d, want %d", c.text, o, got, r)
		}
	}
	var missing []string
	for _, r := range in.refs {
		if r.missing {
			missing = append(missing, r.name)
		}
	}
	if strings.Join(missing, ",") != "E" {
		t.Errorf("missing = %v, want [E]", missing)
	}
	if a := in.refs[0]; a.fromEnv || a.name != "A" || a.expr != "${A:1}" {
		t.Errorf("ref A = %+v", a)
	}
	if b := in.refs[1]; !b.fromEnv {
		t.Errorf("ref B = %+v, want from the environment", b)
	}
}

func TestInterpolateErrors(t *testing.T) {
	in := interpolate([]byte("a: ${A|rot13}\nb: ${B|base64decode}\n"), env(map[string]string{"B": "%%%"}))
	if len(in.errs) != 2 || !strings.Contains(in.errs[0].Error(), "unknown env var decode function: rot13") ||
		!strings.Contains(in.errs[1].Error(), "failed to decode base64") {
		t.Fatalf("errs = %v", in.errs)
	}
}

// reference is the core's ReplaceEnvVariables (internal/config/env_vars.go, v4.60.0) reduced
// to its text result, kept verbatim in its logic as the oracle of the fuzz test.
var (
	refEnv = regexp.MustCompile(`\${[0-9A-Za-z_.]+(:((\${[^}]+})|[^}])*)?(?:\|[0-9A-Za-z]+)?}`)
	refEsc = regexp.MustCompile(`\${({[0-9A-Za-z_.]+(:((\${[^}]+})|[^}])*)?})}`)
)

func reference(in []byte, lookup func(string) (string, bool)) []byte {
	out := refEnv.ReplaceAllFunc(in, func(content []byte) []byte {
		var value, funcName string
		if len(content) > 3 {
			if colon := bytes.IndexByte(content, ':'); colon == -1 {
				spec := content[2 : len(content)-1]
				name := spec
				if p := bytes.LastIndex(spec, []byte{'|'}); p != -1 {
					name, funcName = spec[:p], string(spec[p+1:])
				}
				value, _ = lookup(string(name))
			} else {
				name := content[2:colon]
				rest := content[colon+1 : len(content)-1]
				def := rest
				if p := bytes.LastIndex(rest, []byte{'|'}); p != -1 {
					def, funcName = rest[:p], string(rest[p+1:])
				}
				value, _ = lookup(string(name))
				if value == "" {
					value = string(def)
				}
			}
			if funcName == "base64decode" {
				if d, err := base64.StdEncoding.DecodeString(value); err == nil {
					value = string(d)
				}
			}
			value = strings.ReplaceAll(value, "\n", "\\n")
		}
		return []byte(value)
	})
	return refEsc.ReplaceAll(out, []byte("$$$1"))
}

func FuzzInterpolate(f *testing.F) {
	for _, s := range []string{
		"a: ${A:1}\n", "x: ${{A}} ${B:${C}}", "${A:b:c|base64decode}", "${}", "${A|}", "${A:}}", "$${A}", "${A.B_c:def}\n${{X:y}}",
		"k: \"${A}\" # ${B:2}\n", "é: ${A:ü}\t${B}",
	} {
		f.Add([]byte(s), "v", "multi\nline")
	}
	f.Fuzz(func(t *testing.T, raw []byte, a, b string) {
		lookup := env(map[string]string{"A": a, "B": b, "C": "${A}", "X": "{x}"})
		in := interpolate(raw, lookup)
		if in.errs == nil {
			if want := reference(raw, lookup); !bytes.Equal(in.text, want) {
				t.Fatalf("text %q, the core gives %q", in.text, want)
			}
		}
		if len(in.src) != len(in.text)+1 || in.src[len(in.text)] != len(raw) {
			t.Fatalf("src has %d entries for %d bytes", len(in.src), len(in.text))
		}
		for i := 1; i < len(in.src); i++ {
			if in.src[i] < in.src[i-1] || in.src[i] > len(raw) {
				t.Fatalf("src not monotonic within the raw text at %d: %v", i, in.src)
			}
		}
		rx, tx := newLineIndex(raw), newLineIndex(in.text)
		for o := 0; o <= len(in.text); o++ {
			l, c := tx.position(o)
			if back := tx.offset(l, c); back != o && utf8Start(in.text, o) {
				t.Fatalf("text offset %d → (%d,%d) → %d", o, l, c, back)
			}
			rl, rc := rx.position(in.rawOffset(o))
			if rl < 1 || rc < 1 {
				t.Fatalf("raw position (%d,%d)", rl, rc)
			}
		}
	})
}

func utf8Start(b []byte, o int) bool { return o >= len(b) || b[o]&0xC0 != 0x80 }
