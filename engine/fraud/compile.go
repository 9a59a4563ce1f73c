package fraud

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
)

// flattener rewrites object.field (and object["field"], object?.field) into one identifier
// "object.field" of the flat environment, so that a rule reads a value with a single map
// lookup, and records what the expression reads. A field the Description lacks is
// recorded for a precise error instead.
type flattener struct {
	d       *Description
	reads   map[string]bool
	unknown []unknownField
}

type unknownField struct {
	object, field string
	loc           file.Location
}

func (f *flattener) Visit(node *ast.Node) {
	m, ok := (*node).(*ast.MemberNode)
	if !ok {
		return
	}
	id, ok := m.Node.(*ast.IdentifierNode)
	if !ok || !knownObject(id.Value) {
		return
	}
	prop, ok := m.Property.(*ast.StringNode)
	if !ok {
		return
	}
	key := id.Value + "." + prop.Value
	if _, ok := f.d.flat[key]; !ok {
		f.unknown = append(f.unknown, unknownField{id.Value, prop.Value, id.Location()})
		return
	}
	f.reads[key] = true
	ast.Patch(node, &ast.IdentifierNode{Value: key})
}

// exprError is a compile or run-time error of one expression: the message and where in
// the expression's text (1-based line, 0-based column) it points.
type exprError struct {
	Line, Column int
	Message      string
}

func (e *exprError) Error() string { return e.Message }

// compileExpr compiles one expression against d. It returns the program, the fields the
// expression reads (sorted) or an *exprError.
func compileExpr(d *Description, src string, asBool bool) (*vm.Program, []string, error) {
	fl := &flattener{d: d, reads: map[string]bool{}}
	opts := []expr.Option{
		expr.Env(d.checkEnv()),
		expr.DisableBuiltin("now"), // rules must be deterministic functions of the event
		expr.Timezone("UTC"),
	}
	opts = append(opts, money.ExprOptions()...)
	opts = append(opts, functionOptions()...)
	if asBool {
		opts = append(opts, expr.AsBool())
	}
	prog, err := compileSafely(src, opts, fl)
	if len(fl.unknown) > 0 {
		u := fl.unknown[0]
		line, col := lineCol(src, u.loc.From)
		msg := fmt.Sprintf("unknown field %s.%s", u.object, u.field)
		if s := suggest(u.field, d.Fields(u.object)); s != "" {
			msg += fmt.Sprintf(" (did you mean %s.%s?)", u.object, s)
		} else if len(d.Fields(u.object)) == 0 {
			msg += fmt.Sprintf(" (the environment declares no %s fields)", u.object)
		}
		return nil, nil, &exprError{Line: line, Column: col, Message: msg}
	}
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			return nil, nil, &exprError{Line: fe.Line, Column: fe.Column, Message: fe.Message}
		}
		return nil, nil, &exprError{Line: 1, Message: err.Error()}
	}
	reads := make([]string, 0, len(fl.reads))
	for k := range fl.reads {
		reads = append(reads, k)
	}
	sort.Strings(reads)
	return prog, reads, nil
}

// compileSafely is expr.Compile with two steps added. The flattener runs on the parsed
// tree before the first type check: expr-lang's checker keeps the type it first gives a
// call, so a field still unknown at that point would hide a type error in a call's
// arguments from every later pass. And between optimizing and generating code, the Money
// operators, geo_km and some builtins become direct calls (money.FastCalls, fastGeo,
// fastBuiltins). A panic inside the expr compiler (a bug there, reachable from user text)
// becomes an error.
func compileSafely(src string, opts []expr.Option, fl *flattener) (p *vm.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("the expression compiler failed: %v", r)
		}
	}()
	config := conf.CreateNew()
	for _, op := range opts {
		op(config)
	}
	for name := range config.Disabled {
		delete(config.Builtins, name)
	}
	config.Check()
	tree, err := parser.ParseWithConfig(src, config)
	if err != nil {
		return nil, err
	}
	ast.Walk(&tree.Node, fl)
	if len(fl.unknown) > 0 {
		return nil, nil // reported by the caller, with a suggestion
	}
	if _, err := new(checker.Checker).PatchAndCheck(tree, config); err != nil {
		return nil, err
	}
	if config.Optimize {
		if err := optimizer.Optimize(&tree.Node, config); err != nil {
			var fe *file.Error
			if errors.As(err, &fe) {
				return nil, fe.Bind(tree.Source)
			}
			return nil, err
		}
	}
	ast.Walk(&tree.Node, money.FastCalls())
	ast.Walk(&tree.Node, fastGeo{})
	ast.Walk(&tree.Node, fastBuiltins{})
	// Checked against the flat map of types, generated against the struct an Env fills:
	// each read becomes a field load by index instead of a map lookup.
	config.Env = conf.EnvWithCache(&config.NtCache, reflect.New(fl.d.envLayout()).Elem().Interface())
	return compiler.Compile(tree, config)
}

// lineCol converts a rune offset of src into a 1-based line and 0-based column.
func lineCol(src string, from int) (int, int) {
	line, col, i := 1, 0, 0
	for _, r := range src {
		if i == from {
			break
		}
		if r == '\n' {
			line, col = line+1, 0
		} else {
			col++
		}
		i++
	}
	return line, col
}

// suggest returns the candidate closest to name by edit distance, when it is close enough
// to be a typo.
func suggest(name string, candidates []string) string {
	best, bestD := "", len(name)/2+2
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
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

// segment is a piece of a reason template: literal text, or a compiled {{ expression }}.
type segment struct {
	text string
	prog *vm.Program
}

// splitTemplate cuts a reason into literal text and {{ … }} expressions, returning each
// expression's rune offset in the template for error positions.
func splitTemplate(s string) (parts []string, isExpr []bool, offsets []int, err error) {
	rest, off := s, 0
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if rest != "" {
				parts, isExpr, offsets = append(parts, rest), append(isExpr, false), append(offsets, off)
			}
			return
		}
		if i > 0 {
			parts, isExpr, offsets = append(parts, rest[:i]), append(isExpr, false), append(offsets, off)
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			return nil, nil, nil, fmt.Errorf("{{ at offset %d is not closed with }}", off+i)
		}
		e := rest[i+2 : i+2+j]
		if strings.TrimSpace(e) == "" {
			return nil, nil, nil, fmt.Errorf("empty {{ }} at offset %d", off+i)
		}
		parts, isExpr, offsets = append(parts, e), append(isExpr, true), append(offsets, off+i+2)
		off += i + 2 + j + 2
		rest = rest[i+2+j+2:]
	}
}

// Rule is a compiled rule. Its fields are read-only; a Rule is shared by every evaluation
// of its RuleSet.
type Rule struct {
	ID          string
	Version     int
	Description string
	Severity    string
	Weight      int
	File        string
	Line        int
	When        string
	Reason      string
	// Reads lists the environment fields the when expression reads ("acct.count_1m"),
	// sorted: the values an alert records.
	Reads []string

	when   *vm.Program
	reason []segment
	tests  []TestSpec
	src    []byte
	spec   *RuleSpec

	hits, whenErrors, reasonErrors atomic.Int64
}

// RuleStats counts a rule's outcomes since its RuleSet was compiled (rule tests excluded).
type RuleStats struct {
	Hits         int64
	WhenErrors   int64 // evaluations whose when failed at run time (never a hit)
	ReasonErrors int64 // hits whose reason could not be fully rendered
}

// Stats returns the rule's counts so far. Safe for concurrent use.
func (r *Rule) Stats() RuleStats {
	return RuleStats{Hits: r.hits.Load(), WhenErrors: r.whenErrors.Load(), ReasonErrors: r.reasonErrors.Load()}
}

// compileRule compiles the when and every reason segment of r, returning a Diagnostic
// per problem located in the file.
func compileRule(r *RuleSpec, d *Description) (*Rule, Diagnostics) {
	src := r.src
	var ds Diagnostics
	out := &Rule{ID: r.ID, Version: r.Version, Description: r.Description, Severity: r.Severity, Weight: r.Weight,
		File: r.File, Line: r.Line, When: r.When.Text, Reason: r.Reason.Text, tests: r.Tests, src: src, spec: r}
	prog, reads, err := compileExpr(d, r.When.Text, true)
	if err != nil {
		ee := err.(*exprError)
		line, col := r.When.position(src, ee.Line, ee.Column)
		ds = append(ds, &Diagnostic{File: r.File, Line: line, Column: col, Rule: r.ID, Part: "when", Expr: r.When.Text, Message: ee.Message + r.When.commentHint()})
	} else {
		out.when, out.Reads = prog, reads
	}
	if r.Reason.Text != "" {
		parts, isExpr, offsets, err := splitTemplate(r.Reason.Text)
		if err != nil {
			ds = append(ds, &Diagnostic{File: r.File, Line: r.Reason.Line, Column: r.Reason.Column, Rule: r.ID, Part: "reason", Expr: r.Reason.Text, Message: err.Error()})
		}
		for i, p := range parts {
			if !isExpr[i] {
				out.reason = append(out.reason, segment{text: p})
				continue
			}
			prog, _, err := compileExpr(d, p, false)
			if err != nil {
				ee := err.(*exprError)
				// Position of the error inside the whole template.
				l0, c0 := lineCol(r.Reason.Text, offsets[i])
				line, col := ee.Line+l0-1, ee.Column
				if ee.Line == 1 {
					col += c0
				}
				fl, fc := r.Reason.position(src, line, col)
				ds = append(ds, &Diagnostic{File: r.File, Line: fl, Column: fc, Rule: r.ID, Part: "reason", Expr: strings.TrimSpace(p), Message: ee.Message + r.Reason.commentHint()})
				continue
			}
			out.reason = append(out.reason, segment{text: strings.TrimSpace(p), prog: prog})
		}
	}
	if len(ds) > 0 {
		return nil, ds
	}
	return out, nil
}
