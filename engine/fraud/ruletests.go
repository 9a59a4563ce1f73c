package fraud

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
)

// TestResult is the outcome of one rule test.
type TestResult struct {
	File string
	Line int
	Rule string
	Name string
	Pass bool
	Hit  bool // the rule fired
	// Message says why the test failed ("expected hit, got no_hit", a run-time error, a
	// given value that does not fit its field, …); empty when it passed.
	Message string
	// Reason is the rule's reason text when it fired.
	Reason string
}

func (t TestResult) String() string {
	status := "PASS"
	if !t.Pass {
		status = "FAIL"
	}
	s := fmt.Sprintf("%s %s:%d rule %s: %s", status, t.File, t.Line, t.Rule, t.Name)
	if t.Message != "" {
		s += ": " + t.Message
	}
	return s
}

// RunTests runs the tests of every rule, in rule order, each against that rule alone.
// A test builds an environment from its given values: a field it does not list is nil when
// the field is nullable and its type's zero value otherwise (0, "", false, money 0, the
// zero time, an empty list); tx.event_time follows the event-time column and tx.local_hour
// follows event_time unless given. Money is read exactly from the YAML text ("12.00" or
// 12.00). The test passes when the rule fires (expect: hit; with reason_contains, its
// reason contains that text) or does not (expect: no_hit) without a run-time error. A
// rule without tests yields one failed result.
func (rs *RuleSet) RunTests() []TestResult {
	var out []TestResult
	env := rs.d.NewEnv()
	for _, r := range rs.rules {
		if len(r.tests) == 0 {
			out = append(out, TestResult{File: r.File, Line: r.Line, Rule: r.ID, Name: "(no tests)",
				Message: "the rule has no tests: add at least one hit and one no_hit case"})
			continue
		}
		for _, t := range r.tests {
			out = append(out, r.runTest(env, t))
		}
	}
	return out
}

func (r *Rule) runTest(env *Env, t TestSpec) TestResult {
	res := TestResult{File: r.File, Line: t.Line, Rule: r.ID, Name: t.Name}
	env.Reset()
	if err := env.setGiven(t.Given); err != nil {
		res.Message = err.Error()
		return res
	}
	hit, err := r.match(env)
	if err != nil {
		res.Message = "run-time error in when: " + err.Error()
		return res
	}
	res.Hit = hit
	if hit {
		reason, err := r.render(env)
		res.Reason = reason
		if err != nil {
			res.Message = "run-time error in reason: " + err.Error()
			return res
		}
	}
	switch {
	case t.ExpectHit && !hit:
		res.Message = "expected hit, got no_hit"
	case !t.ExpectHit && hit:
		res.Message = fmt.Sprintf("expected no_hit, got hit (reason: %s)", res.Reason)
	case t.ReasonContains != "" && !strings.Contains(res.Reason, t.ReasonContains):
		res.Message = fmt.Sprintf("reason %q does not contain %q", res.Reason, t.ReasonContains)
	default:
		res.Pass = true
	}
	return res
}

// setGiven fills env from a test's given mapping and the defaults.
func (e *Env) setGiven(given *yaml.Node) error {
	listed := make([]bool, len(e.slots)) // given, possibly as null
	if given != nil {
		objs, err := members(given, "given")
		if err != nil {
			return err
		}
		for _, o := range objs {
			if !knownObject(o.key) {
				return fmt.Errorf("line %d: given: unknown object %q (expected one of %s)", o.line, o.key, strings.Join(Objects, ", "))
			}
			if o.value.Kind == yaml.ScalarNode && o.value.Tag == "!!null" {
				continue
			}
			fields, err := members(o.value, "given."+o.key)
			if err != nil {
				return err
			}
			for _, f := range fields {
				fi, ok := e.d.objects[o.key][f.key]
				if !ok {
					msg := fmt.Sprintf("line %d: given: unknown field %s.%s", f.line, o.key, f.key)
					if s := suggest(f.key, e.d.Fields(o.key)); s != "" {
						msg += fmt.Sprintf(" (did you mean %s.%s?)", o.key, s)
					}
					return fmt.Errorf("%s", msg)
				}
				v, err := givenValue(f.value, fi.Type)
				if err != nil {
					return fmt.Errorf("line %d: given %s: %v", f.line, fi.key, err)
				}
				e.slots[fi.idx] = v
				listed[fi.idx] = true // an explicit null stays nil, not the default
			}
		}
	}
	derivedLater := func(i int) bool { return i == e.d.eventTime || i == e.d.localHour }
	for i, fi := range e.d.list {
		if !listed[i] && !fi.Nullable && !derivedLater(i) {
			e.slots[i] = fi.Type.zero()
		}
	}
	givenNull := func(i int) bool { return i >= 0 && listed[i] && e.slots[i] == nil }
	e.deriveExcept(givenNull(e.d.eventTime), givenNull(e.d.localHour))
	for i, fi := range e.d.list {
		if !listed[i] && e.slots[i] == nil && !fi.Nullable {
			e.slots[i] = fi.Type.zero()
		}
	}
	return nil
}

// givenValue reads a YAML value of a test's given for type t.
func givenValue(n *yaml.Node, t Type) (any, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if t.List {
		if n.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("expected a list of %s, got %s", t.Kind, kindName(n))
		}
		out := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			v, err := givenValue(resolve(c), Type{Kind: t.Kind})
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			if v == nil {
				return nil, fmt.Errorf("element %d is null; list elements cannot be", i)
			}
			out = append(out, v)
		}
		return out, nil
	}
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("expected %s, got %s", t, kindName(n))
	}
	s, tag := n.Value, n.Tag
	switch t.Kind {
	case KindInt:
		if tag != "!!int" {
			return nil, fmt.Errorf("expected an integer, got %s", kindName(n))
		}
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("expected a decimal integer in the int64 range, got %q", s)
		}
		return int(i), nil
	case KindMoney:
		if tag != "!!int" && tag != "!!float" && tag != "!!str" {
			return nil, fmt.Errorf("expected a decimal (\"12.00\" or 12.00), got %s", kindName(n))
		}
		m, err := money.Parse(s)
		if err != nil {
			return nil, err
		}
		return m, nil
	case KindFloat:
		if tag != "!!int" && tag != "!!float" {
			return nil, fmt.Errorf("expected a number, got %s", kindName(n))
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("expected a number, got %q", s)
		}
		return f, nil
	case KindString:
		return s, nil
	case KindBool:
		if tag != "!!bool" {
			return nil, fmt.Errorf("expected true or false, got %s", kindName(n))
		}
		return s == "true" || s == "True" || s == "TRUE", nil
	case KindTime:
		tm, ok := parseTime([]byte(s))
		if !ok {
			return nil, fmt.Errorf("expected a time such as 2024-05-01T13:00:00Z, got %q", s)
		}
		return tm, nil
	case KindDuration:
		return ParseDuration(s)
	}
	return nil, fmt.Errorf("unsupported type %s", t)
}

// RunTests loads the rule files patterns select, compiled against d, and runs their
// tests: the hook for `ledgerflow test`. A load or compile problem is returned as the
// error (a Diagnostics) with no results.
func RunTests(patterns []string, d *Description) ([]TestResult, error) {
	rs, err := Load(patterns, d)
	if err != nil {
		return nil, err
	}
	return rs.RunTests(), nil
}
