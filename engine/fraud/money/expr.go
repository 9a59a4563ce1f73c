package money

import (
	"fmt"
	"reflect"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
)

// An overload is one operator on Money: its expr-lang function name and implementation.
type overload struct {
	op, name string
	cmp      bool // returns bool (else Money)
	fn       func(a, b Money) (any, error)
}

// equality reports, for == (eq) and != (!eq), the result when an operand is nil: a missing
// value equals only another missing value, as expr-lang's own == treats nil, so
// `tx.amount == 0` is false, not an error, when the amount is missing.
func equality(op string, x, y any) (any, bool) {
	if x != nil && y != nil {
		return nil, false
	}
	eq := x == nil && y == nil
	if op == "!=" {
		return !eq, true
	}
	return eq, true
}

var overloads = []overload{
	{"+", "_money_add", false, func(a, b Money) (any, error) { return a.Add(b), nil }},
	{"-", "_money_sub", false, func(a, b Money) (any, error) { return a.Sub(b), nil }},
	{"*", "_money_mul", false, func(a, b Money) (any, error) { return a.Mul(b), nil }},
	{"/", "_money_div", false, func(a, b Money) (any, error) { return a.Div(b) }},
	{"%", "_money_mod", false, func(a, b Money) (any, error) { return a.Rem(b) }},
	{"<", "_money_lt", true, func(a, b Money) (any, error) { return a.Cmp(b) < 0, nil }},
	{"<=", "_money_le", true, func(a, b Money) (any, error) { return a.Cmp(b) <= 0, nil }},
	{">", "_money_gt", true, func(a, b Money) (any, error) { return a.Cmp(b) > 0, nil }},
	{">=", "_money_ge", true, func(a, b Money) (any, error) { return a.Cmp(b) >= 0, nil }},
	{"==", "_money_eq", true, func(a, b Money) (any, error) { return a.Cmp(b) == 0, nil }},
	{"!=", "_money_ne", true, func(a, b Money) (any, error) { return a.Cmp(b) != 0, nil }},
}

// ExprOptions returns the expr-lang options that overload + - * / % < <= > >= == != and
// `in` for Money against Money, int and float64 operands. Expressions compiled with them
// keep Money exact: a float operand is converted through its shortest decimal text, / is
// Div (MySQL's DECIMAL division), % is Rem, and comparisons are numeric (1.5 == 1.50). -x on a Money is 0 - x. A nil
// operand at run time (except for == and != and the left of in, where a missing value
// equals only nil), a division by zero or a NaN fails the evaluation with an error; it
// never yields a result. expr-lang reads a float literal as a float64 before any
// conversion, so a literal keeps at most float64's ~15 significant digits (write money
// thresholds as 10000 or 0.9, not 130.0499999999999999999). Programs compiled this way
// call the operators through expr's generic function path; FastCalls makes them cheaper.
func ExprOptions() []expr.Option {
	m := reflect.TypeOf(Money{})
	i := reflect.TypeOf(0)
	f := reflect.TypeOf(0.0)
	b := reflect.TypeOf(true)
	list := reflect.TypeOf([]any{})
	sig := func(out reflect.Type) []any {
		var ts []any
		for _, p := range [][2]reflect.Type{{m, m}, {m, i}, {i, m}, {m, f}, {f, m}} {
			ft := reflect.FuncOf([]reflect.Type{p[0], p[1]}, []reflect.Type{out}, false)
			ts = append(ts, reflect.New(ft).Interface())
		}
		return ts
	}
	// Negation first: -x on a Money becomes 0 - x, which the - overload then takes.
	opts := []expr.Option{expr.Patch(&negation{})}
	for _, o := range overloads {
		out := m
		if o.cmp {
			out = b
		}
		fn := o.fn
		op := o.op
		opts = append(opts,
			expr.Function(o.name, func(args ...any) (any, error) { return apply(op, fn, args[0], args[1]) }, sig(out)...),
			expr.Operator(o.op, o.name))
	}
	inSig := reflect.New(reflect.FuncOf([]reflect.Type{m, list}, []reflect.Type{b}, false)).Interface()
	opts = append(opts,
		expr.Function("_money_in", func(args ...any) (any, error) { return in(args[0], args[1]) }, inSig),
		expr.Operator("in", "_money_in"))
	return opts
}

func apply(op string, fn func(a, b Money) (any, error), x, y any) (any, error) {
	if op == "==" || op == "!=" {
		if v, ok := equality(op, x, y); ok {
			return v, nil
		}
	}
	a, err := operand(op, x)
	if err != nil {
		return nil, err
	}
	b, err := operand(op, y)
	if err != nil {
		return nil, err
	}
	return fn(a, b)
}

func in(x, list any) (any, error) {
	if x == nil {
		return false, nil
	}
	a, err := operand("in", x)
	if err != nil {
		return nil, err
	}
	l, ok := list.([]any)
	if !ok && list != nil {
		return nil, fmt.Errorf("in: expected a list, got %T", list)
	}
	for _, e := range l {
		if e == nil {
			continue
		}
		v, err := operand("in", e)
		if err != nil {
			return nil, err
		}
		if a.Cmp(v) == 0 {
			return true, nil
		}
	}
	return false, nil
}

// fastFuncs maps each operator function name to the same operation typed
// func(any, any) bool / func(any, any) any: expr-lang calls functions of those exact types
// directly from its stack (OpCallTyped), without the per-run argument buffer its generic
// function calls allocate and size by scanning the program. Failures panic with the error,
// which the VM turns into the evaluation's error.
var fastFuncs = func() map[string]any {
	out := map[string]any{}
	for _, o := range overloads {
		fn, op := o.fn, o.op
		if o.cmp {
			out[o.name] = func(x, y any) bool {
				v, err := apply(op, fn, x, y)
				if err != nil {
					panic(err)
				}
				return v.(bool)
			}
		} else {
			out[o.name] = func(x, y any) any {
				v, err := apply(op, fn, x, y)
				if err != nil {
					panic(err)
				}
				return v
			}
		}
	}
	out["_money_in"] = func(x, y any) bool {
		v, err := in(x, y)
		if err != nil {
			panic(err)
		}
		return v.(bool)
	}
	return out
}()

// FastCalls returns a visitor that, run over a checked (and optimized) tree just before
// compiling it, replaces the calls ExprOptions' overloads produced with direct calls of
// fixed-signature functions. The tree must not be type-checked again afterwards: the
// replaced calls no longer carry Money result types.
func FastCalls() ast.Visitor { return fastCalls{} }

type fastCalls struct{}

func (fastCalls) Visit(node *ast.Node) {
	c, ok := (*node).(*ast.CallNode)
	if !ok {
		return
	}
	id, ok := c.Callee.(*ast.IdentifierNode)
	if !ok {
		return
	}
	fn, ok := fastFuncs[id.Value]
	if !ok || len(c.Arguments) != 2 {
		return
	}
	callee := &ast.ConstantNode{Value: fn}
	callee.SetType(reflect.TypeOf(fn))
	callee.SetLocation(id.Location())
	c.Callee = callee
}

// operand converts a run-time operand of a Money operator. The checker has already
// accepted the static types; this also serves values whose static type it could not see
// (a builtin such as max returning an int where a float was declared).
func operand(op string, v any) (Money, error) {
	switch x := v.(type) {
	case Money:
		return x, nil
	case int:
		return FromInt(int64(x)), nil
	case int64:
		return FromInt(x), nil
	case int32:
		return FromInt(int64(x)), nil
	case int16:
		return FromInt(int64(x)), nil
	case int8:
		return FromInt(int64(x)), nil
	case uint8:
		return FromInt(int64(x)), nil
	case uint16:
		return FromInt(int64(x)), nil
	case uint32:
		return FromInt(int64(x)), nil
	case float64:
		m, err := FromFloat(x)
		if err != nil {
			return Money{}, fmt.Errorf("operand of %s: %w", op, err)
		}
		return m, nil
	case float32:
		return operand(op, float64(x))
	case nil:
		return Money{}, fmt.Errorf("operand of %s is nil (a missing value: test it with != nil first)", op)
	}
	return Money{}, fmt.Errorf("operand of %s: %T is not a number", op, v)
}

// negation rewrites unary minus on a Money (which expr-lang cannot overload) into 0 - x.
// It runs with the operator patchers, after types are known, and repeats while it changes
// the tree.
type negation struct{ applied bool }

func (n *negation) Visit(node *ast.Node) {
	u, ok := (*node).(*ast.UnaryNode)
	if !ok || u.Operator != "-" || u.Node.Type() != reflect.TypeOf(Money{}) {
		return
	}
	ast.Patch(node, &ast.BinaryNode{Operator: "-", Left: &ast.IntegerNode{Value: 0}, Right: u.Node})
	n.applied = true
}

func (n *negation) Reset()             { n.applied = false }
func (n *negation) ShouldRepeat() bool { return n.applied }
