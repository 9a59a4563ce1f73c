package fraud

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
)

func TestMoneyOperatorsInsideCallArgumentsAreResolved(t *testing.T) {
	// The arguments of a call are typed before the first check: balance * 1 is Money
	// arithmetic there too, not a run-time type error.
	d := testDescription(t)
	rs := mustCompile(t, d, "rules:\n"+rule("G", "geo_km(acct.balance * 1, 0, 0, 0) > 100", 1))
	env := d.NewEnv()
	require.NoError(t, env.Set("acct", "balance", money.MustParse("10.00")))
	var res Result
	rs.Evaluate(env, &res)
	require.Empty(t, res.Errors)
	require.Len(t, res.Hits, 1, "10 degrees of latitude are 1112 km")
}

const evalRules = `rules:
  - id: BIG
    version: 2
    description: d
    severity: high
    weight: 60
    when: tx.amount >= 1000
    reason: "{{ tx.amount }} {{ tx.currency }}"
  - id: VEL
    version: 1
    description: d
    severity: medium
    weight: 50
    when: acct.count_1m >= 5
    reason: "{{ acct.count_1m }} in a minute"
  - id: NILCMP
    version: 1
    description: compares a missing balance, which fails at run time
    severity: low
    weight: 5
    when: tx.amount >= 0.9 * acct.balance
    reason: r
  - id: DIV
    version: 1
    description: divides by a zero balance
    severity: low
    weight: 5
    when: acct.balance != nil && tx.amount / acct.balance > 2
    reason: r
  - id: BADREASON
    version: 1
    description: fires, but its reason divides by zero
    severity: low
    weight: 1
    when: tx.amount > 0
    reason: "ratio {{ tx.amount / acct.balance }} end"
`

func evalEnv(t *testing.T, d *Description, row string, set map[string]any) *Env {
	t.Helper()
	env := d.NewEnv()
	_, err := env.SetRow([]byte(row))
	require.NoError(t, err)
	for k, v := range set {
		o, f, _ := cut(k)
		require.NoError(t, env.Set(o, f, v))
	}
	return env
}

func cut(k string) (string, string, bool) {
	for i := range k {
		if k[i] == '.' {
			return k[:i], k[i+1:], true
		}
	}
	return k, "", false
}

func TestEvaluateScoresBandsAndReasons(t *testing.T) {
	d := testDescription(t)
	rs := mustCompile(t, d, evalRules).WithBands(DefaultBands())
	env := evalEnv(t, d, `{"amount":"1500.00","currency":"EUR","event_ts":"2024-05-01T03:00:00Z"}`,
		map[string]any{"acct.count_1m": 7, "acct.balance": money.MustParse("100.00")})
	var res Result
	rs.Evaluate(env, &res)
	require.Empty(t, res.Errors)
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.Rule.ID)
	}
	assert.Equal(t, []string{"BIG", "VEL", "NILCMP", "DIV", "BADREASON"}, ids)
	assert.Equal(t, 100, res.Score, "60+50+5+5+1 is capped at 100")
	assert.Equal(t, "block", res.Band)
	assert.Equal(t, rs.Version(), res.Version)
	assert.Equal(t, "1500.00 EUR", res.Hits[0].Reason)
	assert.Equal(t, 2, res.Hits[0].Rule.Version)
	assert.Equal(t, "7 in a minute", res.Hits[1].Reason)
	assert.Equal(t, "ratio 15.000000 end", res.Hits[4].Reason)
}

func TestRunTimeErrorsAreReportedPerRuleAndNeverAHit(t *testing.T) {
	d := testDescription(t)
	rs := mustCompile(t, d, evalRules).WithBands(DefaultBands())
	env := evalEnv(t, d, `{"amount":"1500.00","currency":"EUR"}`, map[string]any{"acct.count_1m": 1})
	var res Result
	rs.Evaluate(env, &res)
	// No balance: NILCMP fails (nil operand); DIV is guarded; BADREASON fires with a
	// failed reason segment.
	require.Len(t, res.Errors, 2)
	assert.Equal(t, "NILCMP", res.Errors[0].Rule.ID)
	assert.Equal(t, "when", res.Errors[0].Part)
	assert.Contains(t, res.Errors[0].Error(), "operand of * is nil")
	assert.Equal(t, "BADREASON", res.Errors[1].Rule.ID)
	assert.Equal(t, "reason", res.Errors[1].Part)
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.Rule.ID)
	}
	assert.Equal(t, []string{"BIG", "BADREASON"}, ids, "the failing when is no hit; the others still evaluate")
	assert.Equal(t, "ratio <error> end", res.Hits[1].Reason)
	assert.Equal(t, 61, res.Score)
	assert.Equal(t, "review", res.Band)

	// A zero balance: DIV divides by zero.
	require.NoError(t, env.Set("acct", "balance", money.MustParse("0.00")))
	rs.Evaluate(env, &res)
	var failed []string
	for _, e := range res.Errors {
		failed = append(failed, e.Rule.ID+"/"+e.Part)
	}
	assert.Equal(t, []string{"DIV/when", "BADREASON/reason"}, failed)
	assert.Contains(t, res.Errors[0].Err.Error(), "division by zero")
	assert.Equal(t, RuleStats{Hits: 1, WhenErrors: 1}, rs.Rule("NILCMP").Stats(), "failed, then fired on a zero balance")
	assert.Equal(t, RuleStats{WhenErrors: 1}, rs.Rule("DIV").Stats())
	assert.Equal(t, RuleStats{Hits: 2, ReasonErrors: 2}, rs.Rule("BADREASON").Stats())
	assert.Equal(t, RuleStats{Hits: 2}, rs.Rule("BIG").Stats())
}

func TestBandsSplitTheScore(t *testing.T) {
	b := DefaultBands()
	require.NoError(t, b.Validate())
	for score, want := range map[int]string{0: "low", 29: "low", 30: "review", 69: "review", 70: "block", 100: "block"} {
		assert.Equal(t, want, b.Of(score), "%d", score)
	}
	assert.Equal(t, "", Bands(nil).Of(50))
	ten, five := 10, 5
	for _, bad := range []Bands{
		{},
		{{Name: "a", Below: &ten}},
		{{Name: "a", Below: &ten}, {Name: "b", Below: &five}, {Name: "c"}},
		{{Name: "a"}, {Name: "b"}},
		{{Name: "a", Below: &ten}, {Name: "a"}},
		{{Name: "", Below: &ten}, {Name: "b"}},
	} {
		assert.Error(t, bad.Validate(), "%+v", bad)
	}
}

func TestFormatValue(t *testing.T) {
	for want, v := range map[string]any{
		"null": nil, "12.50": money.MustParse("12.50"), "7": 7, "4.233": 4.23312, "0.5": 0.5, "true": true,
		"2024-05-01T03:00:00Z": time.Date(2024, 5, 1, 3, 0, 0, 0, time.UTC), "1m30s": 90 * time.Second,
		"[1.00, 2]": []any{money.MustParse("1.00"), 2}, "NaN": math.NaN(), "abc": "abc",
	} {
		assert.Equal(t, want, FormatValue(v))
	}
}

// TestBatchedEvaluationEqualsRuleByRule checks the one-program evaluation of a rule set
// against each rule run alone, on random environments (missing values included, so
// batches fail and fall back): the same hits and the same failing rules.
func TestBatchedEvaluationEqualsRuleByRule(t *testing.T) {
	d := shippedDescription(t)
	rs, err := Load([]string{shippedRules}, d)
	require.NoError(t, err)
	require.NotNil(t, rs.batches[0].prog, "the shipped rules combine into one program")
	rng := newRand(3)
	env := d.NewEnv()
	var res Result
	for i := 0; i < 3000; i++ {
		env.Reset()
		randomEnv(rng, d, env)
		rs.Evaluate(env, &res)
		hits, errs := map[string]bool{}, map[string]bool{}
		for _, h := range res.Hits {
			hits[h.Rule.ID] = true
		}
		for _, e := range res.Errors {
			if e.Part == "when" {
				errs[e.Rule.ID] = true
			}
		}
		for _, r := range rs.Rules() {
			hit, err := r.match(env)
			require.Equal(t, err != nil, errs[r.ID], "rule %s error %v (iteration %d)", r.ID, err, i)
			require.Equal(t, hit, hits[r.ID], "rule %s (iteration %d)", r.ID, i)
		}
	}
}

func TestRulesThatDoNotCombineStillEvaluate(t *testing.T) {
	d := testDescription(t)
	// Each rule declares the same variable; whatever expr-lang makes of that in one
	// program, the rules must score as they do alone.
	rs := mustCompile(t, d, "rules:\n"+rule("L1", "let x = tx.amount; x > 10", 10)+rule("L2", "let x = acct.count_1m; x > 3", 20))
	env := evalEnv(t, d, `{"amount":"11.00"}`, map[string]any{"acct.count_1m": 2})
	var res Result
	rs.Evaluate(env, &res)
	require.Empty(t, res.Errors)
	require.Len(t, res.Hits, 1)
	assert.Equal(t, "L1", res.Hits[0].Rule.ID)
	require.NoError(t, env.Set("acct", "count_1m", 4))
	rs.Evaluate(env, &res)
	assert.Len(t, res.Hits, 2)
}

func TestLocalHourFollowsTheCustomersZone(t *testing.T) {
	d := testDescription(t)
	rs := mustCompile(t, d, "rules:\n"+rule("N", "tx.local_hour <= 6", 10))
	env := evalEnv(t, d, `{"event_ts":"2024-05-01T05:30:00.000000Z"}`, nil)
	var res Result
	rs.Evaluate(env, &res)
	assert.Len(t, res.Hits, 1, "05:30 UTC")
	env = evalEnv(t, d, `{"event_ts":"2024-05-01T05:30:00.000000Z"}`, map[string]any{"cust.timezone": "Europe/Berlin"})
	rs.Evaluate(env, &res)
	assert.Empty(t, res.Hits, "07:30 in Berlin")
	assert.Equal(t, 7, env.Get("tx", "local_hour"))
	env = evalEnv(t, d, `{"event_ts":"2024-05-01T05:30:00.000000Z"}`, map[string]any{"cust.timezone": "Not/AZone"})
	rs.Evaluate(env, &res)
	assert.Len(t, res.Hits, 1, "an unknown zone is UTC")
	assert.Equal(t, time.Date(2024, 5, 1, 5, 30, 0, 0, time.UTC), env.Get("tx", "event_time"))
}

func TestResultIsReusedWithoutStaleEntries(t *testing.T) {
	d := testDescription(t)
	rs := mustCompile(t, d, evalRules)
	var res Result
	rs.Evaluate(evalEnv(t, d, `{"amount":"1500.00"}`, map[string]any{"acct.count_1m": 9, "acct.balance": money.MustParse("1.00")}), &res)
	require.NotEmpty(t, res.Hits)
	rs.Evaluate(evalEnv(t, d, `{"amount":"-1.00"}`, map[string]any{"acct.count_1m": 0, "acct.balance": money.MustParse("1.00")}), &res)
	assert.Empty(t, res.Hits)
	assert.Empty(t, res.Errors)
	assert.Equal(t, 0, res.Score)
	assert.True(t, strings.HasPrefix(rs.Version(), res.Version))
}
