package features

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

// where is a compiled `where` predicate. It reads the transaction row's columns by their bare
// names, typed from the contract (DECIMAL columns as Dec, so comparisons are exact).
type where struct {
	src     string
	program *vm.Program
	idents  []int // column slots the predicate reads, in the env order
	names   []string
}

// compileWhere compiles src once against the contract's columns. cols gives each column's
// kind; slot returns (allocating) the value slot of a column.
func compileWhere(src string, cols map[string]colType, slot func(name string) int) (*where, error) {
	env := make(map[string]any, len(cols))
	for name, ct := range cols {
		env[name] = ct.zero()
	}
	opts := append([]expr.Option{expr.Env(env), expr.AsBool(), expr.DisableBuiltin("now")}, decOperators()...)
	prog, err := expr.Compile(src, opts...)
	if err != nil {
		return nil, errors.New(oneLine(err.Error()))
	}
	w := &where{src: src, program: prog}
	seen := map[string]bool{}
	ast.Find(prog.Node(), func(n ast.Node) bool {
		if id, ok := n.(*ast.IdentifierNode); ok {
			if _, isCol := cols[id.Value]; isCol && !seen[id.Value] {
				seen[id.Value] = true
				w.names = append(w.names, id.Value)
				w.idents = append(w.idents, slot(id.Value))
			}
		}
		return false
	})
	return w, nil
}

// colType is the kind of a stored value, with the decimal scale.
type colType struct {
	kind  kind
	scale int32
}

type kind uint8

const (
	kInt kind = iota + 1
	kDec
	kFloat
	kString
	kBool
	kTime
)

func (k kind) String() string {
	return [...]string{"?", "integer", "decimal", "float", "string", "bool", "time"}[k]
}

func (c colType) zero() any {
	switch c.kind {
	case kInt:
		return 0
	case kDec:
		return Dec{}
	case kFloat:
		return 0.0
	case kBool:
		return false
	case kTime:
		return time.Time{}
	}
	return ""
}

// eval runs the predicate on a version's values. A run-time error (a null operand of a
// decimal operator, an overflow) makes it false; the error is returned for counting.
func (w *where) eval(m *vm.VM, env map[string]any, vals []Value, types []colType) (bool, error) {
	for i, s := range w.idents {
		env[w.names[i]] = vals[s].any(types[s])
	}
	out, err := m.Run(w.program, env)
	if err != nil {
		return false, fmt.Errorf("where %q: %s", w.src, oneLine(err.Error()))
	}
	b, _ := out.(bool)
	return b, nil
}

// decOperators overloads + - * % < <= > >= == != for Dec against Dec, int and float64.
func decOperators() []expr.Option {
	d := reflect.TypeOf(Dec{})
	i := reflect.TypeOf(0)
	f := reflect.TypeOf(0.0)
	b := reflect.TypeOf(true)
	sig := func(out reflect.Type) []any {
		var ts []any
		for _, p := range [][2]reflect.Type{{d, d}, {d, i}, {i, d}, {d, f}, {f, d}} {
			ts = append(ts, reflect.New(reflect.FuncOf([]reflect.Type{p[0], p[1]}, []reflect.Type{out}, false)).Interface())
		}
		return ts
	}
	var opts []expr.Option
	add := func(op, name string, out reflect.Type, fn func(a, b Dec) (any, error)) {
		opts = append(opts, expr.Function(name, func(args ...any) (any, error) {
			a, err := decOperand(op, args[0])
			if err != nil {
				return nil, err
			}
			c, err := decOperand(op, args[1])
			if err != nil {
				return nil, err
			}
			return fn(a, c)
		}, sig(out)...), expr.Operator(op, name))
	}
	add("+", "_dec_add", d, func(a, b Dec) (any, error) { return a.Add(b) })
	add("-", "_dec_sub", d, func(a, b Dec) (any, error) { return a.Sub(b) })
	add("*", "_dec_mul", d, func(a, b Dec) (any, error) { return a.Mul(b) })
	add("%", "_dec_rem", d, func(a, b Dec) (any, error) { return a.Rem(b) })
	add("<", "_dec_lt", b, func(a, b Dec) (any, error) { return a.Cmp(b) < 0, nil })
	add("<=", "_dec_le", b, func(a, b Dec) (any, error) { return a.Cmp(b) <= 0, nil })
	add(">", "_dec_gt", b, func(a, b Dec) (any, error) { return a.Cmp(b) > 0, nil })
	add(">=", "_dec_ge", b, func(a, b Dec) (any, error) { return a.Cmp(b) >= 0, nil })
	add("==", "_dec_eq", b, func(a, b Dec) (any, error) { return a.Cmp(b) == 0, nil })
	add("!=", "_dec_ne", b, func(a, b Dec) (any, error) { return a.Cmp(b) != 0, nil })
	return opts
}

func decOperand(op string, v any) (Dec, error) {
	switch x := v.(type) {
	case Dec:
		return x, nil
	case int:
		return Dec{U: int64(x)}, nil
	case float64:
		return decFromFloat(x)
	case nil:
		return Dec{}, fmt.Errorf("operator %s: null decimal operand", op)
	}
	return Dec{}, fmt.Errorf("operator %s: %T is not a number", op, v)
}

// oneLine folds expr's multi-line error (message, snippet, caret) into one line.
func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}
