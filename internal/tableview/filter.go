package tableview

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"github.com/expr-lang/expr/vm/runtime"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// Filter is a compiled --where condition: an expr-lang expression over a row's columns, by
// name, that must be true for the row to be shown.
//
// Comparisons (==, !=, <, <=, >, >=) are exact for decimals: `amount > 100.10` compares the
// column's decimal with the number as written, never through a float. A timestamp compares
// with an RFC 3339 or YYYY-MM-DD string (`_ingested_at >= "2026-03-01"`), a date column is its
// YYYY-MM-DD text. As in SQL, a NULL makes a comparison false (except `col == nil` and
// `col != nil`), and so does any other operation on a NULL (`phone startsWith "+49"` is false
// for a row without a phone). Everything else is plain expr-lang (and, or, not, in, matches,
// startsWith, len, ...); arithmetic on decimals is not supported.
type Filter struct {
	src     string
	names   []string
	used    []int // the columns the expression names
	prog    *vm.Program
	literal []rune
}

var cmpFuncs = map[string]string{"==": "_lf_eq", "!=": "_lf_ne", "<": "_lf_lt", "<=": "_lf_le", ">": "_lf_gt", ">=": "_lf_ge"}

// numLit is a number literal that is an operand of a comparison: its value as expr-lang
// parsed it, and its text, which a comparison with a decimal uses.
type numLit struct {
	text string
	v    any
}

// cmpPatcher routes every comparison through compare, which knows decimals, timestamps and
// NULL, and keeps the text of number literals compared.
type cmpPatcher struct{ src []rune }

func (p cmpPatcher) Visit(node *ast.Node) {
	b, ok := (*node).(*ast.BinaryNode)
	if !ok {
		return
	}
	fn, ok := cmpFuncs[b.Operator]
	if !ok {
		return
	}
	ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: fn}, Arguments: []ast.Node{p.literal(b.Left), p.literal(b.Right)}})
}

func (p cmpPatcher) literal(n ast.Node) ast.Node {
	var v any
	switch x := n.(type) {
	case *ast.FloatNode:
		v = x.Value
	case *ast.IntegerNode:
		v = x.Value
	default:
		return n
	}
	loc := n.Location()
	text := ""
	if loc.From >= 0 && loc.To <= len(p.src) && loc.From < loc.To {
		text = strings.ReplaceAll(string(p.src[loc.From:loc.To]), "_", "")
	}
	if _, ok := new(big.Rat).SetString(text); !ok {
		text = fmt.Sprint(v)
	}
	c := &ast.ConstantNode{Value: numLit{text: text, v: v}}
	c.SetLocation(loc)
	return c
}

// Compile compiles src for rows of the given columns. It fails on a syntax error or a name
// that is not a column, saying which columns there are.
func Compile(src string, columns []schema.StructField) (*Filter, error) {
	env := make(map[string]any, len(columns))
	names := make([]string, len(columns))
	for i, c := range columns {
		env[c.Name] = zeroOf(c.Type)
		names[i] = c.Name
	}
	f := &Filter{src: src, names: names, literal: []rune(src)}
	used, err := checkNames(src, env)
	if err == nil {
		for i, n := range names {
			if used[n] {
				f.used = append(f.used, i)
			}
		}
		opts := []expr.Option{expr.Env(env), expr.AsBool(), expr.Patch(cmpPatcher{src: f.literal})}
		for op, name := range cmpFuncs {
			op := op
			opts = append(opts, expr.Function(name, func(p ...any) (any, error) { return compare(op, p[0], p[1]) }, new(func(any, any) bool)))
		}
		f.prog, err = expr.Compile(src, opts...)
	}
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "unknown name") {
			msg += "\ncolumns: " + strings.Join(names, ", ")
		}
		return nil, fmt.Errorf("--where %q: %s", src, msg)
	}
	return f, nil
}

// zeroOf is a value of the Go type that the Delta reader returns for t, so that expr-lang
// checks the expression against the column types (a date is seen as its text).
func zeroOf(t schema.Type) any {
	switch t {
	case schema.String, schema.DateType:
		return ""
	case schema.Boolean:
		return false
	case schema.Byte:
		return int8(0)
	case schema.Short:
		return int16(0)
	case schema.Integer:
		return int32(0)
	case schema.Long:
		return int64(0)
	case schema.Float:
		return float32(0)
	case schema.Double:
		return float64(0)
	case schema.Binary:
		return []byte(nil)
	case schema.Timestamp, schema.TimestampNTZ:
		return time.Time{}
	}
	switch t.(type) {
	case schema.DecimalType:
		return schema.Decimal{}
	case *schema.MapType:
		return []schema.MapEntry(nil)
	case *schema.ArrayType, *schema.StructType:
		return []any(nil)
	}
	return nil
}

// checkNames fails on a variable that is neither a column nor declared with let (expr-lang
// does not look for unknown names inside the calls that comparisons become), and returns the
// names used.
func checkNames(src string, columns map[string]any) (map[string]bool, error) {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil, err
	}
	c := &nameCheck{columns: columns, declared: map[string]bool{}, callees: map[ast.Node]bool{}, used: map[string]bool{}}
	ast.Walk(&tree.Node, c) // let names and callees first: Walk visits children before parents
	c.checking = true
	ast.Walk(&tree.Node, c)
	return c.used, c.err
}

type nameCheck struct {
	columns  map[string]any
	declared map[string]bool
	callees  map[ast.Node]bool
	used     map[string]bool
	checking bool
	err      error
}

func (c *nameCheck) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.VariableDeclaratorNode:
		c.declared[n.Name] = true
	case *ast.CallNode:
		c.callees[n.Callee] = true
	case *ast.IdentifierNode:
		if !c.checking || c.callees[n] || c.declared[n.Value] || strings.HasPrefix(n.Value, "$") {
			return
		}
		if _, ok := c.columns[n.Value]; ok {
			c.used[n.Value] = true
		} else if c.err == nil {
			c.err = fmt.Errorf("unknown name %s", n.Value)
		}
	}
}

// Match evaluates the filter on a row (row[i] is column i). An error names the expression.
func (f *Filter) Match(row []any) (bool, error) {
	env := make(map[string]any, len(f.names))
	for i, n := range f.names {
		if i < len(row) {
			env[n] = exprValue(row[i])
		}
	}
	out, err := expr.Run(f.prog, env)
	if err != nil {
		for _, i := range f.used {
			if i < len(row) && row[i] == nil {
				return false, nil // an operation on NULL: unknown, as in SQL
			}
		}
		return false, fmt.Errorf("--where %q: %v", f.src, err)
	}
	b, _ := out.(bool)
	return b, nil
}

func exprValue(v any) any {
	if d, ok := v.(schema.Date); ok {
		return d.String()
	}
	return v
}

// compare applies a comparison operator with exact decimals and string-written times, and
// expr-lang's own semantics for everything else.
func compare(op string, a, b any) (bool, error) {
	if a == nil || b == nil {
		switch op {
		case "==":
			return a == nil && b == nil, nil
		case "!=":
			return (a == nil) != (b == nil), nil
		}
		return false, nil // an order with NULL is unknown: not shown
	}
	c, special, err := compareSpecial(a, b)
	if err != nil {
		return false, err
	}
	if special {
		switch op {
		case "==":
			return c == 0, nil
		case "!=":
			return c != 0, nil
		case "<":
			return c < 0, nil
		case "<=":
			return c <= 0, nil
		case ">":
			return c > 0, nil
		}
		return c >= 0, nil
	}
	if l, ok := a.(numLit); ok {
		a = l.v
	}
	if l, ok := b.(numLit); ok {
		b = l.v
	}
	switch op {
	case "==":
		return runtime.Equal(a, b), nil
	case "!=":
		return !runtime.Equal(a, b), nil
	case "<":
		return runtime.Less(a, b), nil
	case "<=":
		return runtime.LessOrEqual(a, b), nil
	case ">":
		return runtime.More(a, b), nil
	}
	return runtime.MoreOrEqual(a, b), nil
}

// compareSpecial compares when either side is a decimal or a timestamp; special is false
// when neither is.
func compareSpecial(a, b any) (c int, special bool, err error) {
	_, ad := a.(schema.Decimal)
	_, bd := b.(schema.Decimal)
	if ad || bd {
		x, err := toRat(a)
		if err != nil {
			return 0, true, err
		}
		y, err := toRat(b)
		if err != nil {
			return 0, true, err
		}
		return x.Cmp(y), true, nil
	}
	at, aok := a.(time.Time)
	bt, bok := b.(time.Time)
	switch {
	case aok && bok:
		return at.Compare(bt), true, nil
	case aok:
		t, err := toTime(b)
		return at.Compare(t), true, err
	case bok:
		t, err := toTime(a)
		return t.Compare(bt), true, err
	}
	return 0, false, nil
}

// toRat is a decimal comparison operand as an exact rational: a number literal as written, a
// string as decimal text.
func toRat(v any) (*big.Rat, error) {
	var s string
	switch x := v.(type) {
	case schema.Decimal:
		if x.Unscaled == nil {
			return nil, fmt.Errorf("invalid decimal")
		}
		r := new(big.Rat).SetInt(x.Unscaled)
		p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(x.Scale))), nil))
		if x.Scale > 0 {
			r.Quo(r, p)
		} else {
			r.Mul(r, p)
		}
		return r, nil
	case numLit:
		s = x.text
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		s = fmt.Sprint(x)
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		s = strconv.FormatFloat(float64(x), 'f', -1, 32)
	case string:
		s = strings.TrimSpace(x)
	default:
		return nil, fmt.Errorf("cannot compare a decimal with %T %v", v, v)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || strings.Contains(s, "/") {
		return nil, fmt.Errorf("cannot compare a decimal with %q: not a number", s)
	}
	return r, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func toTime(v any) (time.Time, error) {
	if l, ok := v.(numLit); ok {
		v = l.text
	}
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("cannot compare a timestamp with %v (write the time as a string, e.g. \"2026-03-01T12:00:00Z\")", v)
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot compare a timestamp with %q: expected RFC 3339 (2026-03-01T12:00:00Z) or a date (2026-03-01)", s)
}
