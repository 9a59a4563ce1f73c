package fraud

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Severities a rule may declare, lowest first.
var Severities = []string{"low", "medium", "high", "critical"}

// MaxWeight is the largest weight a rule may add to the score (the score is capped at 100).
const MaxWeight = 100

var ruleID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// RuleSpec is a rule as written in its file, before compilation.
type RuleSpec struct {
	File        string
	Line        int
	ID          string
	Version     int
	Description string
	Severity    string
	Weight      int
	When        Snippet
	Reason      Snippet
	Tests       []TestSpec

	src []byte // the file, for positions inside block scalars
}

// Snippet is an expression or template with where its text starts in the file.
type Snippet struct {
	Text   string
	Line   int
	Column int
	node   *yaml.Node
}

// TestSpec is one entry of a rule's tests:.
type TestSpec struct {
	Name           string
	Line           int
	Given          *yaml.Node // object -> field -> value, or nil
	ExpectHit      bool
	ReasonContains string
}

// ParseRules reads one rule file. It returns every rule it could read and a Diagnostic
// for each problem (unknown or missing keys, wrong types, duplicate ids within the file),
// located by line. Expressions are not compiled here (see Compile).
func ParseRules(path string, data []byte) ([]*RuleSpec, Diagnostics) {
	var ds Diagnostics
	diag := func(line, col int, rule, part, format string, args ...any) {
		ds = append(ds, &Diagnostic{File: path, Line: line, Column: col, Rule: rule, Part: part, Message: fmt.Sprintf(format, args...)})
	}
	root, err := decodeYAML(data)
	if err != nil {
		line := 0
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		diag(line, 0, "", "", "invalid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
		return nil, ds
	}
	if root == nil {
		diag(0, 0, "", "", "%s", errNoRules)
		return nil, ds
	}
	top, err := members(root, "a rule file")
	if err != nil {
		diag(root.Line, root.Column, "", "", "%s (expected a mapping with a rules: list)", stripLine(err))
		return nil, ds
	}
	var list *yaml.Node
	for _, m := range top {
		if m.key != "rules" {
			diag(m.line, m.col, "", "", "unknown key %q (a rule file has only rules:)", m.key)
			continue
		}
		list = m.value
	}
	if list == nil {
		if len(ds) == 0 {
			diag(root.Line, root.Column, "", "", "no rules: list")
		}
		return nil, ds
	}
	if list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
		if list.Tag == "!!null" || (list.Kind == yaml.SequenceNode && len(list.Content) == 0) {
			diag(list.Line, list.Column, "", "rules", "%s", errNoRules)
			return nil, ds
		}
		diag(list.Line, list.Column, "", "rules", "must be a list of rules, got %s", kindName(list))
		return nil, ds
	}
	var rules []*RuleSpec
	ids := map[string]int{}
	for _, item := range list.Content {
		item = resolve(item)
		r, rds := parseRule(path, data, item)
		ds = append(ds, rds...)
		if r == nil {
			continue
		}
		if prev, dup := ids[r.ID]; dup {
			diag(r.Line, 0, r.ID, "id", "declared twice in this file (first on line %d)", prev)
			continue
		}
		ids[r.ID] = r.Line
		rules = append(rules, r)
	}
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].Line != ds[j].Line {
			return ds[i].Line < ds[j].Line
		}
		return ds[i].Column < ds[j].Column
	})
	return rules, ds
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// errNoRules refuses a file without rules: more often a file caught while being written
// than a real rule set, and loading it would silently stop its rules.
const errNoRules = "the file declares no rules (a rule file must declare at least one; remove it from the rules setting instead)"

func stripLine(err error) string {
	s := err.Error()
	if strings.HasPrefix(s, "line ") {
		if i := strings.Index(s, ": "); i >= 0 {
			return s[i+2:]
		}
	}
	return s
}

// parseRule reads one rule mapping. It returns nil (with diagnostics) when the rule lacks
// what is needed to compile it.
func parseRule(path string, src []byte, n *yaml.Node) (*RuleSpec, Diagnostics) {
	var ds Diagnostics
	r := &RuleSpec{File: path, Line: n.Line, src: src}
	ms, err := members(n, "a rule")
	if err != nil {
		ds = append(ds, &Diagnostic{File: path, Line: n.Line, Column: n.Column, Message: stripLine(err)})
		return nil, ds
	}
	// The id first, so that every other diagnostic can name the rule.
	for _, m := range ms {
		if m.key == "id" {
			if m.value.Kind == yaml.ScalarNode && ruleID.MatchString(m.value.Value) {
				r.ID = m.value.Value
			} else {
				ds = append(ds, &Diagnostic{File: path, Line: m.line, Column: m.value.Column, Part: "id",
					Message: fmt.Sprintf("%s is not a rule id (letters, digits, _ . -, at most 64, starting with a letter or digit)", kindName(m.value))})
			}
		}
	}
	diag := func(line, col int, part, format string, args ...any) {
		ds = append(ds, &Diagnostic{File: path, Line: line, Column: col, Rule: r.ID, Part: part, Message: fmt.Sprintf(format, args...)})
	}
	have := map[string]bool{}
	for _, m := range ms {
		have[m.key] = true
		v := m.value
		switch m.key {
		case "id":
		case "version":
			i, err := strconv.Atoi(v.Value)
			if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || err != nil || i < 1 {
				diag(m.line, v.Column, "version", "must be a positive integer, got %s", kindName(v))
				break
			}
			r.Version = i
		case "description":
			if v.Kind != yaml.ScalarNode || v.Tag == "!!null" || strings.TrimSpace(v.Value) == "" {
				diag(m.line, v.Column, "description", "must be a non-empty text (what the rule detects and the source of its threshold)")
				break
			}
			r.Description = strings.TrimSpace(v.Value)
		case "severity":
			if v.Kind != yaml.ScalarNode || !contains(Severities, v.Value) {
				diag(m.line, v.Column, "severity", "%s is not one of %s", kindName(v), strings.Join(Severities, ", "))
				break
			}
			r.Severity = v.Value
		case "weight":
			i, err := strconv.Atoi(v.Value)
			if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || err != nil || i < 0 || i > MaxWeight {
				diag(m.line, v.Column, "weight", "must be an integer from 0 to %d, got %s", MaxWeight, kindName(v))
				break
			}
			r.Weight = i
		case "when", "reason":
			if v.Kind != yaml.ScalarNode || v.Tag == "!!null" || strings.TrimSpace(v.Value) == "" {
				diag(m.line, v.Column, m.key, "must be a non-empty string, got %s", kindName(v))
				break
			}
			s := Snippet{Text: v.Value, Line: v.Line, Column: v.Column, node: v}
			if m.key == "when" {
				r.When = s
			} else {
				r.Reason = s
			}
		case "tests":
			if v.Kind != yaml.SequenceNode {
				diag(m.line, v.Column, "tests", "must be a list, got %s", kindName(v))
				break
			}
			for _, t := range v.Content {
				ts, tds := parseTest(path, r.ID, resolve(t))
				ds = append(ds, tds...)
				if ts != nil {
					r.Tests = append(r.Tests, *ts)
				}
			}
		default:
			diag(m.line, m.col, "", "unknown key %q (expected id, version, description, severity, weight, when, reason, tests)", m.key)
		}
	}
	for _, k := range []string{"id", "version", "description", "severity", "weight", "when", "reason"} {
		if !have[k] {
			diag(n.Line, n.Column, "", "missing %s", k)
		}
	}
	if r.ID == "" || r.When.Text == "" {
		return nil, ds
	}
	return r, ds
}

func parseTest(path, rule string, n *yaml.Node) (*TestSpec, Diagnostics) {
	var ds Diagnostics
	t := &TestSpec{Line: n.Line}
	diag := func(line, col int, format string, args ...any) {
		part := "test"
		if t.Name != "" {
			part = fmt.Sprintf("test %q", t.Name)
		}
		ds = append(ds, &Diagnostic{File: path, Line: line, Column: col, Rule: rule, Part: part, Message: fmt.Sprintf(format, args...)})
	}
	ms, err := members(n, "a test")
	if err != nil {
		diag(n.Line, n.Column, "%s", stripLine(err))
		return nil, ds
	}
	for _, m := range ms {
		if m.key == "name" && m.value.Kind == yaml.ScalarNode {
			t.Name = m.value.Value
		}
	}
	expect := false
	for _, m := range ms {
		v := m.value
		switch m.key {
		case "name":
			if v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" {
				diag(m.line, v.Column, "name must be a non-empty string")
			}
		case "given":
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				break
			}
			if v.Kind != yaml.MappingNode {
				diag(m.line, v.Column, "given must be a mapping of objects (tx, acct, …) to fields, got %s", kindName(v))
				break
			}
			t.Given = v
		case "expect":
			switch v.Value {
			case "hit":
				t.ExpectHit, expect = true, true
			case "no_hit":
				expect = true
			default:
				diag(m.line, v.Column, "expect must be hit or no_hit, got %s", kindName(v))
				expect = true // reported already
			}
		case "reason_contains":
			if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
				diag(m.line, v.Column, "reason_contains must be a string, got %s", kindName(v))
				break
			}
			t.ReasonContains = v.Value
		default:
			diag(m.line, m.col, "unknown key %q (expected name, given, expect, reason_contains)", m.key)
		}
	}
	if t.Name == "" {
		diag(n.Line, n.Column, "missing name")
	}
	if !expect {
		diag(n.Line, n.Column, "missing expect (hit or no_hit)")
	}
	if t.ReasonContains != "" && !t.ExpectHit {
		diag(n.Line, n.Column, "reason_contains needs expect: hit")
	}
	if len(ds) > 0 {
		return nil, ds
	}
	return t, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// position maps a line and 0-based column inside a snippet's text to the file.
func (s Snippet) position(src []byte, line, col int) (int, int) {
	n := s.node
	if n == nil {
		return s.Line, 0
	}
	switch n.Style {
	case yaml.LiteralStyle:
		// The text starts on the line after the indicator; its first line sets the
		// block's indentation, which the text does not include.
		return n.Line + line, indentOf(src, n.Line+1) + col + 1
	case yaml.FoldedStyle:
		return n.Line + 1, indentOf(src, n.Line+1) + 1
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		if line > 1 {
			return n.Line + line - 1, 0
		}
		return n.Line, n.Column + 1 + col
	}
	if line > 1 {
		return n.Line + line - 1, 0
	}
	return n.Line, n.Column + col
}

// indentOf counts the leading spaces of a 1-based line of src.
func indentOf(src []byte, line int) int {
	l := 1
	i := 0
	for i < len(src) && l < line {
		if src[i] == '\n' {
			l++
		}
		i++
	}
	n := 0
	for i < len(src) && src[i] == ' ' {
		n++
		i++
	}
	return n
}

// commentHint explains the usual cause of a truncated expression: in an unquoted YAML
// value, " #" starts a comment, so `any(xs, # == 1)` loses everything from the #.
func (s Snippet) commentHint() string {
	if s.node != nil && s.node.Style == 0 && s.node.LineComment != "" {
		return "; note: YAML took the text from \" #\" on as a comment (" + quote(s.node.LineComment) + "): quote the expression or write it as a block (when: >-)"
	}
	return ""
}
