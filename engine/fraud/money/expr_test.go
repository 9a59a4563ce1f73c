package money

import (
	"testing"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var exprEnv = types.Map{
	"amount":  types.TypeOf(Money{}),
	"balance": types.TypeOf(Money{}),
	"missing": types.TypeOf(Money{}),
	"zero":    types.TypeOf(Money{}),
	"mean":    types.Float64,
	"n":       types.Int,
	"name":    types.String,
	"list":    types.Array(types.TypeOf(Money{})),
}

func exprVals() map[string]any {
	return map[string]any{"amount": MustParse("130.05"), "balance": MustParse("144.50"), "zero": MustParse("0.00"),
		"mean": 100.0, "n": 5, "name": "x", "list": []any{MustParse("1.00"), MustParse("130.050")}}
}

func eval(t *testing.T, src string) (any, error) {
	t.Helper()
	p, err := expr.Compile(src, append([]expr.Option{expr.Env(exprEnv)}, ExprOptions()...)...)
	require.NoError(t, err, src)
	return expr.Run(p, exprVals())
}

func TestExprOperatorsKeepMoneyExact(t *testing.T) {
	for src, want := range map[string]any{
		`amount >= 0.9 * balance`:       true, // 0.9 × 144.50 is exactly 130.050
		`amount > 0.9 * balance`:        false,
		`amount == 130.05`:              true,
		`amount == 130.050`:             true,
		`amount != 130`:                 true,
		`130.05 <= amount`:              true,
		`amount < 131`:                  true,
		`1 < amount`:                    true,
		`amount > mean + 3 * 10`:        true, // float 130 < 130.05
		`amount > mean + 30.05`:         false,
		`amount + 0.95 == 131`:          true,
		`amount - 130 == 0.05`:          true,
		`-amount < 0`:                   true,
		`-amount + amount == 0`:         true,
		`amount * 2 == 260.1`:           true,
		`amount % 1 == 0.05`:            true,
		`amount / 2 == 65.025`:          true,
		`amount in list`:                true,
		`balance in list`:               false,
		`any(list, # == amount)`:        true,
		`all(list, # <= amount)`:        true,
		`amount in [130.05, 7]`:         true,
		`missing == nil`:                true,
		`missing != nil && missing > 1`: false,
		`n >= 5 && amount > 100`:        true,
		`(amount - 100) * 2 > 60`:       true,
		// Not Money: plain floats stay floats.
		`0.1 + 0.2 == 0.3`: false,
		// expr-lang reads a float literal as a float64 first, so digits beyond its
		// precision are gone before the conversion: this literal is 130.05.
		`amount > 130.0499999999999999999`: false,
	} {
		got, err := eval(t, src)
		require.NoError(t, err, src)
		assert.Equal(t, want, got, src)
	}
	got, err := eval(t, `amount + balance`)
	require.NoError(t, err)
	assert.Equal(t, "274.55", got.(Money).String())
	got, err = eval(t, `amount / 3`)
	require.NoError(t, err)
	assert.Equal(t, "43.350000", got.(Money).String(), "scale of the dividend + 4")
	got, err = eval(t, `balance / 7`)
	require.NoError(t, err)
	assert.Equal(t, "20.642857", got.(Money).String(), "20.6428571…: rounded at the dividend's scale + 4")
}

func TestExprOperatorsFailOnNilZeroAndNaN(t *testing.T) {
	for src, msg := range map[string]string{
		`missing > 1`:               "operand of > is nil",
		`amount + missing > 0`:      "operand of + is nil",
		`amount / zero > 0`:         "division by zero",
		`amount % zero > 0`:         "division by zero",
		`amount > mean * (0 / 0.0)`: "NaN",
	} {
		_, err := eval(t, src)
		require.Error(t, err, src)
		assert.Contains(t, err.Error(), msg, src)
	}
}

func TestExprTypeErrorsAreCompileErrors(t *testing.T) {
	for src, msg := range map[string]string{
		`amount > name`:    "mismatched types money.Money and string",
		`amount + "x" > 1`: "mismatched types money.Money and string",
		`amount > nil`:     "mismatched types money.Money and",
		`amount && true`:   "mismatched types money.Money and bool",
		`name > 1`:         "mismatched types string and int",
	} {
		_, err := expr.Compile(src, append([]expr.Option{expr.Env(exprEnv)}, ExprOptions()...)...)
		require.Error(t, err, src)
		assert.Contains(t, err.Error(), msg, src)
	}
}

func TestFastCallsComputeTheSame(t *testing.T) {
	// FastCalls replaces the generic calls with direct ones; results must not change.
	for _, src := range []string{`amount >= 0.9 * balance`, `amount + balance`, `amount in list`, `amount / 3`, `-amount`} {
		slow, err := eval(t, src)
		require.NoError(t, err)
		fast, err := evalFast(t, src)
		require.NoError(t, err)
		if m, ok := slow.(Money); ok {
			assert.True(t, m.Equal(fast.(Money)), src)
			continue
		}
		assert.Equal(t, slow, fast, src)
	}
	_, err := evalFast(t, `missing > 1`)
	assert.ErrorContains(t, err, "operand of > is nil")
}

// evalFast compiles as engine/fraud does: check, optimize, FastCalls, generate.
func evalFast(t *testing.T, src string) (any, error) {
	t.Helper()
	config := conf.CreateNew()
	for _, op := range append([]expr.Option{expr.Env(exprEnv)}, ExprOptions()...) {
		op(config)
	}
	config.Check()
	tree, err := checker.ParseCheck(src, config)
	require.NoError(t, err)
	require.NoError(t, optimizer.Optimize(&tree.Node, config))
	ast.Walk(&tree.Node, FastCalls())
	p, err := compiler.Compile(tree, config)
	require.NoError(t, err)
	if src != `-amount` {
		assert.Contains(t, p.Disassemble(), "OpCallTyped", "%s calls the operators directly", src)
		assert.NotContains(t, p.Disassemble(), "OpCall2", src)
	}
	return vm.Run(p, exprVals())
}
