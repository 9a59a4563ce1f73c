package fraud

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testResults(t *testing.T, text string) []TestResult {
	t.Helper()
	return mustCompile(t, testDescription(t), text).RunTests()
}

func TestRuleTestsPassAndFailForTheRightReasons(t *testing.T) {
	results := testResults(t, `rules:
  - id: T
    version: 1
    description: d
    severity: low
    weight: 1
    when: tx.amount >= 100 && tx.currency == "EUR"
    reason: "{{ tx.amount }} {{ tx.currency }}"
    tests:
      - { name: fires, given: { tx: { amount: "100.00", currency: EUR } }, expect: hit, reason_contains: "100.00 EUR" }
      - { name: below, given: { tx: { amount: 99.99, currency: EUR } }, expect: no_hit }
      - { name: wrong expectation, given: { tx: { amount: "100", currency: EUR } }, expect: no_hit }
      - { name: wrong reason, given: { tx: { amount: "100", currency: EUR } }, expect: hit, reason_contains: "USD" }
      - { name: missed, given: { tx: { amount: "1" } }, expect: hit }
      - { name: unknown field, given: { tx: { amout: "1" } }, expect: hit }
      - { name: unknown object, given: { account: { x: 1 } }, expect: hit }
      - { name: bad money, given: { tx: { amount: "1,5" } }, expect: hit }
      - { name: bad int, given: { tx: { account_id: "7" } }, expect: hit }
      - { name: defaults, expect: no_hit }
`)
	require.Len(t, results, 10)
	byName := map[string]TestResult{}
	for _, r := range results {
		byName[r.Name] = r
		assert.Equal(t, "rules.yaml", r.File)
		assert.Equal(t, "T", r.Rule)
	}
	assert.True(t, byName["fires"].Pass)
	assert.True(t, byName["fires"].Hit)
	assert.Equal(t, "100.00 EUR", byName["fires"].Reason)
	assert.Equal(t, 10, byName["fires"].Line)
	assert.True(t, byName["below"].Pass, "a YAML number is money read exactly")
	assert.True(t, byName["defaults"].Pass)
	for name, msg := range map[string]string{
		"wrong expectation": "expected no_hit, got hit (reason: 100 EUR)",
		"wrong reason":      `reason "100 EUR" does not contain "USD"`,
		"missed":            "expected hit, got no_hit",
		"unknown field":     "line 15: given: unknown field tx.amout (did you mean tx.amount?)",
		"unknown object":    `given: unknown object "account"`,
		"bad money":         `given tx.amount: money: invalid decimal "1,5"`,
		"bad int":           `given tx.account_id: expected an integer, got str "7"`,
	} {
		assert.False(t, byName[name].Pass, name)
		assert.Contains(t, byName[name].Message, msg, name)
	}
	assert.Equal(t, `FAIL rules.yaml:14 rule T: missed: expected hit, got no_hit`, byName["missed"].String())
}

func TestUnlistedGivenValuesAreNilWhenNullableElseZero(t *testing.T) {
	results := testResults(t, `rules:
  - id: D
    version: 1
    description: d
    severity: low
    weight: 1
    when: tx.amount == 0 && tx.currency == "" && tx.merchant_id == nil && acct.balance == nil && tx.local_hour == 0 && tx.event_time == tx.event_ts
    reason: r
    tests:
      - { name: defaults, expect: hit }
      - { name: an explicit null on a NOT NULL field stays null, given: { tx: { amount: null } }, expect: no_hit }
  - id: N
    version: 1
    description: d
    severity: low
    weight: 1
    when: tx.amount > 0
    reason: r
    tests:
      - { name: a null amount fails the comparison at run time, given: { tx: { amount: ~ } }, expect: no_hit }
`)
	require.Len(t, results, 3)
	assert.True(t, results[0].Pass, results[0].Message)
	assert.True(t, results[1].Pass, "a null amount is not 0: %s", results[1].Message)
	assert.False(t, results[2].Pass, "a run-time error is never a pass")
	assert.Contains(t, results[2].Message, "run-time error in when: operand of > is nil")
}

func TestEventTimeAndLocalHourFollowTheGivenEventTS(t *testing.T) {
	results := testResults(t, `rules:
  - id: H
    version: 1
    description: d
    severity: low
    weight: 1
    when: tx.local_hour == 23 && acct.last_tx_time != nil && tx.event_time - acct.last_tx_time == duration("1h")
    reason: r
    tests:
      - { name: derived, given: { tx: { event_ts: "2024-05-01T23:10:00Z" }, acct: { last_tx_time: "2024-05-01 22:10:00" } }, expect: hit }
      - { name: given local hour wins, given: { tx: { event_ts: "2024-05-01T23:10:00Z", local_hour: 1 }, acct: { last_tx_time: "2024-05-01T22:10:00Z" } }, expect: no_hit }
`)
	for _, r := range results {
		assert.True(t, r.Pass, "%s", r)
	}
}

func TestARuleWithoutTestsFails(t *testing.T) {
	results := testResults(t, "rules:\n"+rule("U", "tx.amount > 1", 1))
	require.Len(t, results, 1)
	assert.False(t, results[0].Pass)
	assert.Equal(t, "(no tests)", results[0].Name)
}

func TestRunTestsOnFiles(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", "rules:\n"+rule("A", "tx.amount > 1", 1)+"    tests:\n      - { name: n, given: { tx: { amount: 2 } }, expect: hit }\n")
	results, err := RunTests([]string{dir}, testDescription(t))
	require.NoError(t, err)
	require.Len(t, results, 1)
	assert.True(t, results[0].Pass)
	write(t, dir, "b.yml", "rules:\n"+rule("B", "tx.amout > 1", 1))
	_, err = RunTests([]string{dir}, testDescription(t))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "b.yml:7")
	ds := Lint([]string{dir + "/*.yaml", dir + "/*.yml"}, testDescription(t))
	require.Len(t, ds, 1)
	assert.Equal(t, "B", ds[0].Rule)
	ds = Lint([]string{dir + "/*.json"}, testDescription(t))
	require.Len(t, ds, 1)
	assert.Contains(t, ds[0].Message, "matches no file")
}
