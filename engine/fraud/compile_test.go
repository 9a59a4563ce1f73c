package fraud

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func oneDiagnostic(t *testing.T, text string) *Diagnostic {
	t.Helper()
	_, ds := compileText(t, testDescription(t), text)
	require.Len(t, ds, 1, "%v", ds)
	return ds[0]
}

const head = "rules:\n  - id: X1\n    version: 1\n    description: d\n    severity: low\n    weight: 1\n"

func TestUnknownFieldsAreLocatedWithASuggestion(t *testing.T) {
	// Plain scalar: line of the when, column of the field.
	d := oneDiagnostic(t, head+"    when: tx.amount > 1 && acct.count_1mm >= 5\n    reason: r\n")
	assert.Equal(t, "rules.yaml", d.File)
	assert.Equal(t, 7, d.Line)
	assert.Equal(t, 28, d.Column, "the column of acct.count_1mm in the file")
	assert.Equal(t, "X1", d.Rule)
	assert.Equal(t, "when", d.Part)
	assert.Equal(t, "unknown field acct.count_1mm (did you mean acct.count_1m?)", d.Message)
	assert.Equal(t, `rules.yaml:7:28: rule X1: when: unknown field acct.count_1mm (did you mean acct.count_1m?) (in "tx.amount > 1 && acct.count_1mm >= 5")`, d.Error())

	// Double-quoted scalar: one more column for the quote.
	d = oneDiagnostic(t, head+"    when: \"tx.amout > 1\"\n    reason: r\n")
	assert.Equal(t, 7, d.Line)
	assert.Equal(t, 12, d.Column)
	assert.Contains(t, d.Message, "unknown field tx.amout (did you mean tx.amount?)")

	// Literal block: the expression's own line and column in the file.
	d = oneDiagnostic(t, head+"    when: |\n      tx.amount > 1 &&\n        merch.lat > 0\n    reason: r\n")
	assert.Equal(t, 9, d.Line)
	assert.Equal(t, 9, d.Column)
	assert.Contains(t, d.Message, "unknown field merch.lat (the environment declares no merch fields)")

	// An unknown object.
	d = oneDiagnostic(t, head+"    when: acount.balance > 1\n    reason: r\n")
	assert.Contains(t, d.Message, "unknown name acount")
}

func TestTypeErrorsAreCompileErrors(t *testing.T) {
	for when, msg := range map[string]string{
		// (each must be a compile error)
		`tx.amount > tx.currency`:          "mismatched types money.Money and string",
		`tx.amount > "100"`:                "mismatched types money.Money and string",
		`acct.balance > nil`:               "mismatched types money.Money and",
		`tx.currency == 3 || true`:         "mismatched types string and int",
		`tx.amount + 1`:                    "expected bool, but got money.Money",
		`tx.account_id`:                    "expected bool, but got int",
		`tx.event_time > 5`:                "mismatched types time.Time and int",
		`now() > tx.event_time`:            "unknown name now",
		`geo_km(1, 2, 3) > 1`:              "geo_km",
		`geo_km(tx.currency, 1, 2, 3) > 1`: "geo_km",
		`tx.amount >`:                      "unexpected token EOF",
		`len(tx.amount) > 0`:               "invalid argument for len",
	} {
		_, ds := compileText(t, testDescription(t), head+"    when: '"+when+"'\n    reason: r\n")
		if !assert.Len(t, ds, 1, when) {
			continue
		}
		d := ds[0]
		assert.Contains(t, d.Message, msg, when)
		assert.Equal(t, 7, d.Line, when)
		assert.Equal(t, when, d.Expr)
	}
}

func TestReasonTemplatesAreCompiled(t *testing.T) {
	d := oneDiagnostic(t, head+"    when: tx.amount > 1\n    reason: \"amount {{ tx.amount }} on {{ tx.acount_id }}\"\n")
	assert.Equal(t, "reason", d.Part)
	assert.Equal(t, 8, d.Line)
	assert.Equal(t, 43, d.Column, "inside the second segment")
	assert.Contains(t, d.Message, "unknown field tx.acount_id (did you mean tx.account_id?)")
	assert.Equal(t, "tx.acount_id", d.Expr)

	d = oneDiagnostic(t, head+"    when: tx.amount > 1\n    reason: \"amount {{ tx.amount \"\n")
	assert.Contains(t, d.Message, "is not closed with }}")
	d = oneDiagnostic(t, head+"    when: tx.amount > 1\n    reason: \"amount {{ }}\"\n")
	assert.Contains(t, d.Message, "empty {{ }}")
}

func TestAYAMLCommentCuttingAnExpressionIsExplained(t *testing.T) {
	d := oneDiagnostic(t, head+"    when: any(acct.last_amounts, # == tx.amount)\n    reason: r\n")
	assert.Contains(t, d.Message, `YAML took the text from " #" on as a comment`)
}

func TestEveryProblemOfASetIsReported(t *testing.T) {
	text := "rules:\n" + rule("A", "tx.amout > 1", 1) + rule("B", "tx.amount > 1", 1) + rule("C", "acct.nope", 1) + rule("B", "tx.amount > 2", 1)
	_, ds := compileText(t, testDescription(t), text)
	msgs := ds.Error()
	assert.Contains(t, msgs, "rule A: when: unknown field tx.amout")
	assert.Contains(t, msgs, "rule C: when: unknown field acct.nope")
	assert.Contains(t, msgs, "rule B: id: declared twice in this file")
}

func TestRuleIDsAreUniqueAcrossFiles(t *testing.T) {
	d := testDescription(t)
	a, _ := ParseRules("a.yaml", []byte("rules:\n"+rule("R1", "tx.amount > 1", 1)))
	b, _ := ParseRules("b.yaml", []byte("rules:\n"+rule("R1", "tx.amount > 2", 1)))
	_, ds := Compile(append(a, b...), d)
	require.Len(t, ds, 1)
	assert.Equal(t, "b.yaml:2: rule R1: id: rule id declared twice (also a.yaml:2)", ds[0].Error())
}

func TestReadsListsTheFieldsAWhenUses(t *testing.T) {
	rs := mustCompile(t, testDescription(t), "rules:\n"+rule("A", `acct.balance != nil && tx.amount >= 0.9 * acct.balance && tx["currency"] == "EUR"`, 1))
	assert.Equal(t, []string{"acct.balance", "tx.amount", "tx.currency"}, rs.Rules()[0].Reads)
}

func TestVersionDependsOnlyOnWhatScores(t *testing.T) {
	d := testDescription(t)
	v := func(text string) string { return mustCompile(t, d, text).Version() }
	base := v("rules:\n" + rule("A", "tx.amount > 1", 10) + rule("B", "tx.amount > 2", 20))
	assert.Regexp(t, `^[0-9a-f]{16}$`, base)
	assert.Equal(t, base, v("rules:\n"+rule("B", "tx.amount > 2", 20)+rule("A", "tx.amount > 1", 10)), "order does not matter")
	withTest := strings.Replace(rule("A", "tx.amount > 1", 10), "    description: test rule\n", "    description: other words\n", 1) +
		"    tests:\n      - { name: t, expect: no_hit }\n"
	assert.Equal(t, base, v("rules:\n"+withTest+rule("B", "tx.amount > 2", 20)), "descriptions and tests do not count")
	assert.NotEqual(t, base, v("rules:\n"+rule("A", "tx.amount > 1", 11)+rule("B", "tx.amount > 2", 20)), "a weight does")
	assert.NotEqual(t, base, v("rules:\n"+rule("A", "tx.amount >= 1", 10)+rule("B", "tx.amount > 2", 20)), "a when does")
	assert.NotEqual(t, base, v("rules:\n"+rule("A", "tx.amount > 1", 10)), "a removed rule does")
}
