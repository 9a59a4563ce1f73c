package configlint

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/redpanda-data/benthos/v4/public/service"
	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a config, placed in the file as written.
type Problem struct {
	File   string
	Line   int
	Column int
	Path   string // the field's dot path (as --set takes it); empty when not about one field
	What   string
}

// String is "file:line:column: path: what", the form editors and CI logs link to a position.
func (p Problem) String() string {
	s := fmt.Sprintf("%s:%d:%d: ", p.File, p.Line, p.Column)
	if p.Path != "" {
		s += p.Path + ": "
	}
	return s + p.What
}

// Checker checks configs against one schema (the main config schema with every registered
// component).
type Checker struct {
	schema *schema
	all    *service.ConfigSchema
	lookup func(string) (string, bool)

	// The core linter's options (`ledgerflow lint --deprecated`, `--labels`,
	// `--skip-env-var-check`).
	RejectDeprecated bool
	RequireLabels    bool
	SkipEnvVarCheck  bool
	// Ignore holds dot paths whose values are replaced at run time (--set): problems at or
	// under them are not reported.
	Ignore []string
}

// New returns a Checker for configs of s, reading environment variables with lookup
// (os.LookupEnv, as the core does). It fails only if the schema cannot be serialised.
func New(s *service.ConfigSchema, lookup func(string) (string, bool)) (*Checker, error) {
	j, err := s.MarshalJSONV0()
	if err != nil {
		return nil, err
	}
	sch, err := parseSchema(j)
	if err != nil {
		return nil, err
	}
	return &Checker{schema: sch, all: s, lookup: lookup}, nil
}

// Check returns the problems of the config raw (the bytes of file), sorted by position: what
// the core's linter reports, and values that do not decode as their field's type (which the
// core reports only when the component starts).
func (c *Checker) Check(file string, raw []byte) []Problem {
	in := interpolate(raw, c.lookup)
	rx := newLineIndex(raw)
	var out []Problem
	add := func(rawOffset int, path []string, what string) {
		line, col := rx.position(rawOffset)
		p := Problem{File: file, Line: line, Column: col, Path: dotPath(path), What: what}
		if !c.ignored(p.Path) {
			out = append(out, p)
		}
	}
	for _, r := range in.refs {
		if r.missing && !c.SkipEnvVarCheck {
			add(r.start, nil, fmt.Sprintf("environment variable %s is not set and %s has no default", r.name, r.expr))
		}
	}
	for _, err := range in.errs {
		add(0, nil, err.Error())
	}

	linter := c.all.NewStreamConfigLinter().
		SetRejectDeprecated(c.RejectDeprecated).
		SetRequireLabels(c.RequireLabels).
		SetSkipEnvVarCheck(true). // reported above, at each ${...}
		SetEnvVarLookupFunc(func(_ context.Context, k string) (string, bool) { return c.lookup(k) })
	lints, err := linter.LintYAML(raw)
	if err != nil {
		add(c.yamlErrorOffset(in, err), nil, c.yamlErrorText(in, err))
		return sorted(out)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(in.text, &doc); err != nil {
		add(c.yamlErrorOffset(in, err), nil, c.yamlErrorText(in, err))
		return sorted(out)
	}
	tx := newLineIndex(in.text)
	entries := index(&doc)
	rawOffsetOf := func(n *yaml.Node) int { return in.snapToRef(in.rawOffset(tx.offset(n.Line, n.Column))) }

	reported := map[string]bool{}
	for _, l := range lints {
		kind := classify(l)
		if kind == lintEnv {
			continue
		}
		e, ok := locate(entries, l, kind)
		if !ok {
			add(in.rawOffset(tx.offset(l.Line, 1)), nil, l.What)
			continue
		}
		path, what := e.path, l.What
		switch kind {
		case lintUnknown, lintComponent:
			what = c.unknownField(e.path, e.node.Value)
		case lintOption:
			what = c.invalidOption(e.path, e.node.Value)
		case lintMissing:
			path = appendPath(e.path, lintMissingRe.FindStringSubmatch(l.What)[1])
		}
		what += c.origin(in, rawOffsetOf(e.node))
		reported[dotPath(path)] = true
		add(rawOffsetOf(e.node), path, what)
	}
	for _, e := range entries {
		if e.isKey || e.node.Kind != yaml.ScalarNode || reported[dotPath(e.path)] {
			continue
		}
		f, ok := c.schema.at(e.path)
		if !ok || f.Kind != "scalar" {
			continue
		}
		if what := typeMismatch(f, e.node); what != "" {
			add(rawOffsetOf(e.node), e.path, what+c.origin(in, rawOffsetOf(e.node)))
		}
	}
	return sorted(out)
}

func (c *Checker) ignored(path string) bool {
	for _, p := range c.Ignore {
		if path == p || strings.HasPrefix(path, p+".") {
			return true
		}
	}
	return false
}

func sorted(ps []Problem) []Problem {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Column < ps[j].Column
	})
	return ps
}

var (
	lintValueRe   = regexp.MustCompile(`^value (.*) is not a valid option for this field$`)
	lintUnknownRe = regexp.MustCompile(`^field (.*) not recognised$`)
	lintMissingRe = regexp.MustCompile(`^field (.*) is required$`)
	lintInferRe   = regexp.MustCompile(`^unable to infer component type: (\S+)$`)
)

type lintKind int

const (
	lintOther lintKind = iota
	lintEnv
	lintUnknown
	lintOption
	lintMissing
	lintComponent // a component name that is not registered
	lintShape     // expected an object, array or scalar: about the value node
)

// classify tells what a core lint is about by its text first: the core's enum check reports
// itself with the type of a missing environment variable (type 2 of its own bloblang
// linter), so the type alone misleads.
func classify(l service.Lint) lintKind {
	switch {
	case lintValueRe.MatchString(l.What):
		return lintOption
	case lintUnknownRe.MatchString(l.What):
		return lintUnknown
	case lintMissingRe.MatchString(l.What):
		return lintMissing
	case lintInferRe.MatchString(l.What):
		return lintComponent
	case l.Type == service.LintMissingEnvVar && strings.HasPrefix(l.What, "required environment variables"):
		return lintEnv
	case l.Type == service.LintExpectedObject || l.Type == service.LintExpectedArray || l.Type == service.LintExpectedScalar:
		return lintShape
	}
	return lintOther
}

// locate finds the node a core lint is about. The core gives the line of that node only;
// the kind of lint says which node of the line it is.
func locate(entries []entry, l service.Lint, kind lintKind) (entry, bool) {
	var onLine []entry
	for _, e := range entries {
		if e.node.Line == l.Line {
			onLine = append(onLine, e)
		}
	}
	if len(onLine) == 0 {
		return entry{}, false
	}
	pick := func(ok func(entry) bool) (entry, bool) {
		for _, e := range onLine {
			if ok(e) {
				return e, true
			}
		}
		return onLine[0], true
	}
	switch kind {
	case lintUnknown, lintComponent:
		re := lintUnknownRe
		if kind == lintComponent {
			re = lintInferRe
		}
		name := re.FindStringSubmatch(l.What)[1]
		return pick(func(e entry) bool { return e.isKey && e.node.Value == name })
	case lintOption:
		v := lintValueRe.FindStringSubmatch(l.What)[1]
		return pick(func(e entry) bool { return !e.isKey && e.node.Kind == yaml.ScalarNode && e.node.Value == v })
	case lintMissing, lintShape:
		// The value node, not its key: a missing field's line is its object's first line.
		return pick(func(e entry) bool { return !e.isKey })
	}
	return onLine[0], true
}

func (c *Checker) unknownField(path []string, name string) string {
	what := fmt.Sprintf("unknown field %q", name)
	parent := path[:len(path)-1]
	var names []string
	if f, ok := c.schema.at(parent); ok && componentTypes[f.Type] {
		for n := range c.schema.components[f.Type] {
			names = append(names, n)
		}
		what = fmt.Sprintf("unknown %s %q (ledgerflow list shows the ones there are)", strings.ReplaceAll(f.Type, "_", " "), name)
	} else {
		names = c.schema.childNames(parent)
	}
	if s := closest(name, names); s != "" {
		what += fmt.Sprintf("; did you mean %q?", s)
	}
	return what
}

func (c *Checker) invalidOption(path []string, value string) string {
	f, ok := c.schema.at(path)
	var opts []string
	if ok {
		opts = append(opts, f.Options...)
		for _, a := range f.AnnotatedOptions {
			opts = append(opts, a[0])
		}
	}
	if len(opts) == 0 {
		return fmt.Sprintf("value %q is not a valid option for this field", truncate(value))
	}
	return fmt.Sprintf("value %q is not one of the allowed values: %s", truncate(value), strings.Join(opts, ", "))
}

// typeMismatch decodes the node as the core will when the component starts (yaml.v3 into
// the field's Go type) and says what is wrong, or "".
func typeMismatch(f field, n *yaml.Node) string {
	if n.Tag == "!!null" {
		return ""
	}
	var err error
	var want string
	switch f.Type {
	case "int":
		var v int
		err, want = n.Decode(&v), "an integer"
	case "float":
		var v float64
		err, want = n.Decode(&v), "a number"
	case "bool":
		var v bool
		err, want = n.Decode(&v), "true or false"
	default:
		return ""
	}
	if err == nil {
		return ""
	}
	got := fmt.Sprintf("%q", truncate(n.Value))
	if f.IsSecret {
		got = "a secret value"
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 && !f.IsSecret {
		got += " (a quoted string)"
	}
	return fmt.Sprintf("expected %s, got %s", want, got)
}

// origin says where a value came from when it was interpolated, e.g.
// " (from ${COUNT:5}, its default)".
func (c *Checker) origin(in *interpolation, rawOffset int) string {
	r, ok := in.refAt(rawOffset)
	if !ok && rawOffset < len(in.raw) && (in.raw[rawOffset] == '"' || in.raw[rawOffset] == '\'') {
		r, ok = in.refAt(rawOffset + 1) // a quoted "${...}"
	}
	if !ok {
		return ""
	}
	if r.fromEnv {
		return fmt.Sprintf(" (from %s: the value of %s)", r.expr, r.name)
	}
	return fmt.Sprintf(" (from %s: %s is not set, its default)", r.expr, r.name)
}

var yamlErrLine = regexp.MustCompile(`line (\d+)`)

// yamlErrorOffset places a YAML syntax error (the parser gives a line of the interpolated
// text) in the raw file.
func (c *Checker) yamlErrorOffset(in *interpolation, err error) int {
	m := yamlErrLine.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	line, _ := strconv.Atoi(m[1])
	return in.rawOffset(newLineIndex(in.text).offset(line, 1))
}

// yamlErrorText is the parser's message, and, when the file as written parses, which ${...}
// broke it: a value with ": " or " #" in it changes the YAML structure unless it is quoted.
func (c *Checker) yamlErrorText(in *interpolation, err error) string {
	what := strings.TrimPrefix(err.Error(), "yaml: ")
	what = yamlErrLine.ReplaceAllString(what, "")
	what = strings.TrimLeft(what, ": ")
	var rawDoc yaml.Node
	if yaml.Unmarshal(in.raw, &rawDoc) != nil {
		return "invalid YAML: " + what
	}
	rx := newLineIndex(in.raw)
	line, _ := rx.position(c.yamlErrorOffset(in, err))
	var names []string
	for _, r := range in.refs {
		if l, _ := rx.position(r.start); l == line {
			names = append(names, r.expr)
		}
	}
	if len(names) == 0 {
		return "invalid YAML after environment interpolation: " + what
	}
	return fmt.Sprintf("invalid YAML after environment interpolation: %s; the value of %s is YAML syntax here: quote it (\"%s\")",
		what, strings.Join(names, ", "), names[0])
}

func truncate(s string) string {
	const max = 60
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}

// closest is the name within edit distance 2 of s (and less than half its length), if any.
func closest(s string, names []string) string {
	best, bestD := "", 3
	sort.Strings(names)
	for _, n := range names {
		if d := distance(s, n); d < bestD && d*2 < len(s) {
			best, bestD = n, d
		}
	}
	return best
}

func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
