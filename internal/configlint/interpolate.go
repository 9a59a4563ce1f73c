package configlint

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
)

// The core's patterns (internal/config/env_vars.go, v4.60.0): ${NAME}, ${NAME:default},
// ${NAME|func}, ${NAME:default|func}; ${{NAME}} escapes to a literal ${NAME}.
var (
	envRegex        = regexp.MustCompile(`\${[0-9A-Za-z_.]+(:((\${[^}]+})|[^}])*)?(?:\|[0-9A-Za-z]+)?}`)
	escapedEnvRegex = regexp.MustCompile(`\${({[0-9A-Za-z_.]+(:((\${[^}]+})|[^}])*)?})}`)
)

// interpolation is a config after environment interpolation, with the way back to the raw
// text: src[i] is the raw offset that byte i of text came from (for a substituted value, the
// offset of its `${`); src[len(text)] is len(raw).
type interpolation struct {
	raw, text []byte
	src       []int
	refs      []envRef
	errs      []error
}

// envRef is one ${...} of the raw text.
type envRef struct {
	start, end int // raw offsets of the whole ${...}
	name       string
	expr       string // the ${...} as written
	missing    bool   // unset, without a default
	fromEnv    bool   // the value came from the environment (not the default)
}

// interpolate replaces ${...} as the core does (same patterns, same rules: an unset or empty
// variable takes the default, an unset one without a default is missing and becomes "",
// newlines in values become `\n`), recording where each output byte came from.
func interpolate(raw []byte, lookup func(string) (string, bool)) *interpolation {
	in := &interpolation{raw: raw}
	var text []byte
	var src []int
	last := 0
	for _, m := range envRegex.FindAllIndex(raw, -1) {
		s, e := m[0], m[1]
		for i := last; i < s; i++ {
			src = append(src, i)
		}
		text = append(text, raw[last:s]...)
		value, ref, err := resolve(raw[s:e], lookup)
		ref.start, ref.end = s, e
		in.refs = append(in.refs, ref)
		if err != nil {
			in.errs = append(in.errs, err)
		}
		for i := 0; i < len(value); i++ { // bytes, not runes: src is indexed by byte
			src = append(src, s)
		}
		text = append(text, value...)
		last = e
	}
	for i := last; i < len(raw); i++ {
		src = append(src, i)
	}
	text = append(text, raw[last:]...)

	// The core unescapes ${{NAME}} after substituting, over the substituted text.
	var out []byte
	var outSrc []int
	last = 0
	for _, m := range escapedEnvRegex.FindAllSubmatchIndex(text, -1) {
		s, e, gs, ge := m[0], m[1], m[2], m[3]
		out = append(out, text[last:s]...)
		outSrc = append(outSrc, src[last:s]...)
		out = append(out, '$')
		outSrc = append(outSrc, src[s])
		out = append(out, text[gs:ge]...)
		outSrc = append(outSrc, src[gs:ge]...)
		last = e
	}
	out = append(out, text[last:]...)
	outSrc = append(outSrc, src[last:]...)
	in.text, in.src = out, append(outSrc, len(raw))
	return in
}

func resolve(content []byte, lookup func(string) (string, bool)) (string, envRef, error) {
	ref := envRef{expr: string(content)}
	if len(content) <= 3 {
		return "", ref, nil
	}
	var value, funcName string
	if colon := bytes.IndexByte(content, ':'); colon == -1 {
		spec := content[2 : len(content)-1]
		name := spec
		if pipe := bytes.LastIndexByte(spec, '|'); pipe != -1 {
			name, funcName = spec[:pipe], string(spec[pipe+1:])
		}
		ref.name = string(name)
		var ok bool
		value, ok = lookup(ref.name)
		ref.missing, ref.fromEnv = !ok, ok
	} else {
		ref.name = string(content[2:colon])
		rest := content[colon+1 : len(content)-1]
		def := rest
		if pipe := bytes.LastIndexByte(rest, '|'); pipe != -1 {
			def, funcName = rest[:pipe], string(rest[pipe+1:])
		}
		value, _ = lookup(ref.name)
		ref.fromEnv = value != ""
		if value == "" {
			value = string(def)
		}
	}
	var err error
	switch funcName {
	case "":
	case "base64decode":
		d, derr := base64.StdEncoding.DecodeString(value)
		if derr != nil {
			err = fmt.Errorf("%s: failed to decode base64-encoded env var: %v", ref.expr, derr)
		} else {
			value = string(d)
		}
	default:
		err = fmt.Errorf("%s: unknown env var decode function: %s", ref.expr, funcName)
	}
	return strings.ReplaceAll(value, "\n", `\n`), ref, err
}

// rawOffset is the raw offset of text offset o.
func (in *interpolation) rawOffset(o int) int {
	if o < 0 {
		return 0
	}
	if o >= len(in.src) {
		return len(in.raw)
	}
	return in.src[o]
}

// refAt returns the ${...} that raw offset o lies in, if any.
func (in *interpolation) refAt(o int) (envRef, bool) {
	for _, r := range in.refs {
		if o >= r.start && o < r.end {
			return r, true
		}
	}
	return envRef{}, false
}

// snapToRef moves raw offset o onto a ${...} that starts after blanks at o: an empty value
// (a variable that is not set) is placed by the parser before it.
func (in *interpolation) snapToRef(o int) int {
	i := o
	for i < len(in.raw) && (in.raw[i] == ' ' || in.raw[i] == '\t') {
		i++
	}
	if i > o {
		for _, r := range in.refs {
			if r.start == i {
				return i
			}
		}
	}
	return o
}
