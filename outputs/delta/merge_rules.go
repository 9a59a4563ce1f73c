package delta

import (
	"fmt"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// rowRule is a boolean expr-lang condition over one row (apply_as_deletes,
// apply_as_truncates). The defaults only look at _op, so they skip the expression engine.
type rowRule struct {
	src   string
	op    string // non-empty: the rule is `_op == op`
	never bool
	prog  *vm.Program
	names []string
}

func compileRule(field, src string, names []string) (*rowRule, error) {
	r := &rowRule{src: src, names: names}
	norm := strings.Join(strings.Fields(src), "")
	switch {
	case norm == "false" || norm == "":
		r.never = true
		return r, nil
	case len(norm) == 9 && strings.HasPrefix(norm, `_op=="`) && norm[8] == '"':
		r.op = norm[6:7]
		return r, nil
	}
	env := map[string]any{}
	for _, n := range names {
		env[n] = nil
	}
	prog, err := expr.Compile(src, expr.Env(env), expr.AsBool(), expr.AllowUndefinedVariables())
	if err != nil {
		return nil, fmt.Errorf("%s: %q is not a valid expression: %v", field, src, err)
	}
	r.prog = prog
	return r, nil
}

// match evaluates the rule on a row of the layout (names[i] is column i). Decimals are seen
// as their exact text and dates as "YYYY-MM-DD", so no money value passes through a float.
func (r *rowRule) match(row []any, op string) (bool, error) {
	switch {
	case r.never:
		return false, nil
	case r.op != "":
		return op == r.op, nil
	}
	env := make(map[string]any, len(r.names))
	for i, n := range r.names {
		if i >= len(row) {
			break
		}
		switch v := row[i].(type) {
		case schema.Decimal:
			env[n] = v.String()
		case schema.Date:
			env[n] = v.String()
		case time.Time:
			env[n] = v
		default:
			env[n] = v
		}
	}
	if _, ok := env[colOp]; !ok || env[colOp] == nil {
		env[colOp] = op
	}
	out, err := expr.Run(r.prog, env)
	if err != nil {
		return false, fmt.Errorf("expression %q: %v", r.src, err)
	}
	b, _ := out.(bool)
	return b, nil
}
