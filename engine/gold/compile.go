package gold

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	exprparser "github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"

	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
)

// envSpec is the set of names an expression may read, with their types. Expressions are
// type-checked against the names and run against a struct of `any` fields (one per name, in
// order), so that a read is a field load by index, not a map lookup.
type envSpec struct {
	names  []string
	types  []reflect.Type
	index  map[string]int
	enums  map[string][]string // ENUM members of a name, for checking string literals
	mu     sync.Mutex
	layout reflect.Type
}

func newEnvSpec() *envSpec { return &envSpec{index: map[string]int{}, enums: map[string][]string{}} }

func (e *envSpec) add(name string, t reflect.Type) int {
	e.index[name] = len(e.names)
	e.names = append(e.names, name)
	e.types = append(e.types, t)
	return len(e.names) - 1
}

func (e *envSpec) checkEnv() types.Map {
	m := types.Map{}
	for i, n := range e.names {
		m[n] = checkType(e.types[i])
	}
	return m
}

// structType is the struct the programs run against: field i is names[i], as an any. A
// struct of n interface fields is laid out as an [n]any (checked), so an env fills it as a
// slice. Names are only ever appended (a ratio compiles against the aggregates before it),
// so a program compiled against a shorter struct reads the same offsets in a longer one; the
// struct is rebuilt when names were added since it was last built.
func (e *envSpec) structType() reflect.Type {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.layout == nil || e.layout.NumField() != len(e.names) {
		anyT := reflect.TypeOf((*any)(nil)).Elem()
		fields := make([]reflect.StructField, len(e.names))
		for i, n := range e.names {
			fields[i] = reflect.StructField{Name: "F" + strconv.Itoa(i), Type: anyT, Tag: reflect.StructTag(`expr:"` + n + `"`)}
		}
		t := reflect.StructOf(fields)
		for i := range fields {
			if t.Field(i).Offset != uintptr(i)*unsafe.Sizeof(any(nil)) {
				panic("gold: unexpected layout of the expression environment")
			}
		}
		e.layout = t
	}
	return e.layout
}

// env is one evaluation environment of a spec: its slots and a reusable VM. Not safe for
// concurrent use.
type env struct {
	ptr   any
	slots []any
	vm    vm.VM
}

func (e *envSpec) newEnv() *env {
	v := reflect.New(e.structType())
	var slots []any
	if n := len(e.names); n > 0 {
		slots = unsafe.Slice((*any)(v.UnsafePointer()), n)
	}
	return &env{ptr: v.Interface(), slots: slots}
}

// program is one compiled expression.
type program struct {
	src   string
	spec  *envSpec
	prog  *vm.Program
	out   reflect.Type // the checked result type
	ident int          // the env index when the expression is a bare name, else -1
	reads []int        // env indexes the expression reads
}

func (p *program) run(e *env) (any, error) {
	out, err := e.vm.Run(p.prog, e.ptr)
	if err != nil {
		return nil, fmt.Errorf("expression %q: %v", truncate(p.src, 120), err)
	}
	return out, nil
}

// exprError is a compile error of one expression, with its place in the expression text
// (1-based line, 0-based column).
type exprError struct {
	line, column int
	msg          string
}

func (e *exprError) Error() string { return e.msg }

// compileExpr compiles src against spec. asBool requires a bool result.
func compileExpr(spec *envSpec, src string, asBool bool) (p *program, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, &exprError{line: 1, msg: fmt.Sprintf("the expression compiler failed: %v", r)}
		}
	}()
	if strings.TrimSpace(src) == "" {
		return nil, &exprError{line: 1, msg: "empty expression"}
	}
	opts := []expr.Option{
		expr.Env(spec.checkEnv()),
		expr.DisableBuiltin("now"), // gold is a function of the data, not of the clock
		expr.Timezone("UTC"),
	}
	opts = append(opts, sharedOptions()...)
	if asBool {
		opts = append(opts, expr.AsBool())
	}
	config := conf.CreateNew()
	for _, op := range opts {
		op(config)
	}
	for name := range config.Disabled {
		delete(config.Builtins, name)
	}
	config.Check()
	tree, err := exprparser.ParseWithConfig(src, config)
	if err != nil {
		return nil, asExprError(err)
	}
	out, err := new(checker.Checker).PatchAndCheck(tree, config)
	if err != nil {
		return nil, asExprError(err)
	}
	lits := &literalCheck{spec: spec}
	ast.Walk(&tree.Node, lits)
	if lits.err != nil {
		return nil, lits.err
	}
	if config.Optimize {
		if err := optimizer.Optimize(&tree.Node, config); err != nil {
			var fe *file.Error
			if errors.As(err, &fe) {
				return nil, asExprError(fe.Bind(tree.Source))
			}
			return nil, asExprError(err)
		}
	}
	ast.Walk(&tree.Node, money.FastCalls())
	p = &program{src: src, spec: spec, out: out, ident: -1}
	reads := &readCollector{spec: spec, seen: map[int]bool{}}
	ast.Walk(&tree.Node, reads)
	p.reads = reads.list
	slices.Sort(p.reads)
	if id, ok := tree.Node.(*ast.IdentifierNode); ok {
		if i, ok := spec.index[id.Value]; ok {
			p.ident = i
		}
	}
	config.Env = conf.EnvWithCache(&config.NtCache, reflect.New(spec.structType()).Elem().Interface())
	if p.prog, err = compiler.Compile(tree, config); err != nil {
		return nil, asExprError(err)
	}
	return p, nil
}

func asExprError(err error) error {
	var fe *file.Error
	if errors.As(err, &fe) {
		return &exprError{line: max(fe.Line, 1), column: fe.Column, msg: fe.Message}
	}
	return &exprError{line: 1, msg: err.Error()}
}

// readCollector records the env names an expression reads.
type readCollector struct {
	spec *envSpec
	seen map[int]bool
	list []int
}

func (r *readCollector) Visit(node *ast.Node) {
	if id, ok := (*node).(*ast.IdentifierNode); ok {
		if i, ok := r.spec.index[id.Value]; ok && !r.seen[i] {
			r.seen[i] = true
			r.list = append(r.list, i)
		}
	}
}

// literalCheck refuses a string literal compared with an ENUM column (==, !=, in) that is
// not one of its members: `status == "complete"` would silently match nothing.
type literalCheck struct {
	spec *envSpec
	err  error
}

func (l *literalCheck) Visit(node *ast.Node) {
	b, ok := (*node).(*ast.BinaryNode)
	if !ok || l.err != nil {
		return
	}
	switch b.Operator {
	case "==", "!=":
		l.check(b.Left, b.Right)
		l.check(b.Right, b.Left)
	case "in", "not in":
		if arr, ok := b.Right.(*ast.ArrayNode); ok {
			for _, n := range arr.Nodes {
				l.check(b.Left, n)
			}
		}
	}
}

func (l *literalCheck) check(col, lit ast.Node) {
	id, ok := col.(*ast.IdentifierNode)
	if !ok {
		return
	}
	members, ok := l.spec.enums[id.Value]
	if !ok {
		return
	}
	s, ok := lit.(*ast.StringNode)
	if !ok || slices.Contains(members, s.Value) {
		return
	}
	line, col0 := 1, 0
	if loc := s.Location(); loc.From >= 0 {
		col0 = loc.From
	}
	l.err = &exprError{line: line, column: col0, msg: fmt.Sprintf("%q is not a value of %s (ENUM: %s)", truncate(s.Value, 40), id.Value, strings.Join(members, ", "))}
}

// sharedOptions are the options every expression compiles with; building the Money
// overloads takes reflection work worth doing once.
var sharedOptions = sync.OnceValue(func() []expr.Option {
	return append(money.ExprOptions(), functions()...)
})

// functions are the helpers expressions may call besides expr-lang's builtins.
func functions() []expr.Option {
	return []expr.Option{
		expr.Function("date", func(args ...any) (any, error) {
			if args[0] == nil {
				return nil, nil
			}
			t, ok := args[0].(time.Time)
			if !ok {
				return nil, fmt.Errorf("date(): expected a timestamp, got %T", args[0])
			}
			return schema.DateOf(t), nil
		}, new(func(time.Time) schema.Date)),
		expr.Function("month", func(args ...any) (any, error) {
			switch v := args[0].(type) {
			case nil:
				return nil, nil
			case time.Time:
				return v.UTC().Format("2006-01"), nil
			case schema.Date:
				return v.Time().Format("2006-01"), nil
			}
			return nil, fmt.Errorf("month(): expected a timestamp or date, got %T", args[0])
		}, new(func(time.Time) string), new(func(schema.Date) string)),
	}
}
