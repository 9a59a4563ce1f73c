package fraud

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
)

const testRules = `
rules:
  - id: BIG
    version: 3
    description: A large amount.
    severity: medium
    weight: 40
    when: tx.amount >= 1000
    reason: "{{ tx.amount }} {{ tx.currency }} on account {{ tx.account_id }}"
  - id: VEL
    version: 1
    description: Velocity.
    severity: high
    weight: 30
    when: acct.count_1m >= 5
    reason: "{{ acct.count_1m + 1 }} in a minute"
  - id: DRAIN
    version: 1
    description: Most of the balance, without a nil guard on purpose.
    severity: critical
    weight: 50
    when: tx.amount >= 0.9 * acct.balance
    reason: "balance {{ acct.balance }}"
`

// row is a transactions row as debezium_unwrap writes it.
const row = `{"transaction_id":1001,"account_id":20,"customer_id":7,"merchant_id":555,"amount":"1500.00","currency":"EUR","status":"pending","transaction_type":"purchase","channel":"online","merchant_category":"5411","device_id":null,"country":"DE","ip_address":null,"event_ts":"2024-05-01T13:14:15.123000Z","created_at":"2024-05-01T13:14:15.123000Z","updated_at":null,"_op":"c","_source_ts":"2024-05-01T13:14:16.000Z","_source_pos":"0000000003:00000000000000001541:000000","_deleted":false}`

func testConfig(rulesGlob string, extra string) string {
	return `
rules: [ "` + rulesGlob + `" ]
environment:
  schema_file: ` + repoRoot + `/schemas/transactions.yaml
  objects:
    acct: { balance: "DECIMAL(18,2)", count_1m: BIGINT }
` + extra
}

func TestScoresARowWithUpstreamValues(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "r.yaml", testRules)
	h := newHarness(t, testConfig(dir+"/*.yaml", "reload_interval: 0s"))
	env := map[string]map[string]any{"acct": {"count_1m": 5, "balance": money.MustParse("1600.00"), "not_declared": "ignored"}}
	o := h.send(row, map[string]any{MetaEnv: env})
	require.NoError(t, o.err)
	r := o.row(t)
	// The row is kept as it was, with the result appended.
	assert.Equal(t, 1001.0, r["transaction_id"])
	assert.Equal(t, "1500.00", r["amount"])
	assert.True(t, strings.HasPrefix(o.body, row[:len(row)-1]+`,"fraud_score":100,`), "the result is appended to the row's bytes: %s", o.body)
	assert.Equal(t, 100.0, r["fraud_score"], "40+30+50 is capped at 100")
	assert.Equal(t, "block", r["fraud_band"])
	assert.Regexp(t, `^[0-9a-f]{16}$`, r["fraud_rules_version"])
	hits := r["fraud_rules_hit"].([]any)
	require.Len(t, hits, 3)
	assert.Equal(t, map[string]any{"id": "BIG", "version": 3.0, "severity": "medium", "weight": 40.0, "reason": "1500.00 EUR on account 20"}, hits[0])
	assert.Equal(t, "VEL", hits[1].(map[string]any)["id"])
	assert.Equal(t, "6 in a minute", hits[1].(map[string]any)["reason"])
	assert.Equal(t, "balance 1600.00", hits[2].(map[string]any)["reason"])
	assert.Equal(t, "block", o.meta[MetaBand])
	assert.Equal(t, int64(100), o.meta[MetaScore])
	assert.NotContains(t, o.meta, MetaRuleErrors)
	for _, id := range []string{"BIG", "VEL", "DRAIN"} {
		n, _ := h.metrics.get("fraud_rules_hits_total", id)
		assert.Equal(t, int64(1), n, id)
	}
}

func TestARuleFailingAtRunTimeIsCountedAndTheOthersScore(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "r.yaml", testRules)
	h := newHarness(t, testConfig(dir+"/*.yaml", "reload_interval: 0s"))
	// No balance: DRAIN compares with nil and fails; BIG still fires, VEL does not.
	o := h.send(row, map[string]any{MetaEnv: map[string]map[string]any{"acct": {"count_1m": 1}}})
	require.NoError(t, o.err, "a failing rule does not fail the message")
	r := o.row(t)
	assert.Equal(t, 40.0, r["fraud_score"])
	assert.Equal(t, "review", r["fraud_band"])
	require.Len(t, r["fraud_rules_hit"], 1)
	assert.Equal(t, "BIG", r["fraud_rules_hit"].([]any)[0].(map[string]any)["id"])
	assert.Equal(t, "DRAIN", o.meta[MetaRuleErrors])
	n, _ := h.metrics.get("fraud_rules_errors_total", "DRAIN")
	assert.Equal(t, int64(1), n)
	n, found := h.metrics.get("fraud_rules_hits_total", "DRAIN")
	assert.True(t, found, "counters exist from the start")
	assert.Equal(t, int64(0), n)
	n, found = h.metrics.get("fraud_rules_errors_total", "VEL")
	assert.True(t, found)
	assert.Equal(t, int64(0), n)
}

func TestUpstreamValuesAsAnyMapAndBadValues(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "r.yaml", testRules)
	h := newHarness(t, testConfig(dir+"/*.yaml", "reload_interval: 0s"))
	// map[string]any of map[string]any works too; a float for money is refused (not
	// exact), leaving the field nil and counting the value.
	o := h.send(row, map[string]any{MetaEnv: map[string]any{"acct": map[string]any{"count_1m": int64(7), "balance": 1600.0}}})
	require.NoError(t, o.err)
	r := o.row(t)
	assert.Equal(t, 70.0, r["fraud_score"], "BIG and VEL")
	assert.Equal(t, "DRAIN", o.meta[MetaRuleErrors], "balance stayed nil")
	n, _ := h.metrics.get("fraud_rules_input_errors_total", "invalid_value")
	assert.Equal(t, int64(1), n)

	// A row column that does not fit its type is counted too; its rules see nil.
	bad := strings.Replace(row, `"amount":"1500.00"`, `"amount":"lots"`, 1)
	o = h.send(bad, nil)
	require.NoError(t, o.err)
	assert.Equal(t, 0.0, o.row(t)["fraud_score"])
	assert.Equal(t, "BIG,VEL,DRAIN", o.meta[MetaRuleErrors], "no upstream values: count_1m is nil too")
	n, _ = h.metrics.get("fraud_rules_input_errors_total", "invalid_value")
	assert.Equal(t, int64(2), n)
}

func TestNonRowsAndErroredMessagesPassThrough(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "r.yaml", testRules)
	h := newHarness(t, testConfig(dir+"/*.yaml", "reload_interval: 0s"))
	o := h.send("", map[string]any{"debezium_kind": "tombstone"})
	assert.Equal(t, "", o.body)
	assert.NotContains(t, o.meta, MetaBand)

	// An invalid row is flagged, keeps its body, and is counted.
	o = h.send(`not json`, nil)
	require.Error(t, o.err)
	assert.Equal(t, "not json", o.body)
	assert.Equal(t, "invalid_row", o.meta[MetaErrorReason])
	n, _ := h.metrics.get("fraud_rules_input_errors_total", "invalid_row")
	assert.Equal(t, int64(1), n)
}

func TestOnlyTheConfiguredOperationsAreScored(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "r.yaml", testRules)
	h := newHarness(t, testConfig(dir+"/*.yaml", "reload_interval: 0s"))
	del := strings.Replace(row, `"_op":"c"`, `"_op":"d"`, 1)
	o := h.send(del, nil)
	require.NoError(t, o.err)
	assert.Equal(t, del, o.body, "a delete passes through unscored")
	assert.NotContains(t, o.meta, MetaBand)
	noOp := strings.Replace(row, `"_op":"c",`, "", 1)
	assert.Equal(t, noOp, h.send(noOp, nil).body, "a row without _op is not a change event")
	for _, op := range []string{"u", "r"} {
		o := h.send(strings.Replace(row, `"_op":"c"`, `"_op":"`+op+`"`, 1), nil)
		assert.Contains(t, o.body, `"fraud_score":`, op)
	}

	h2 := newHarness(t, testConfig(dir+"/*.yaml", "reload_interval: 0s\nops: [ d ]"))
	assert.Contains(t, h2.send(del, nil).body, `"fraud_score":40`)
	assert.NotContains(t, h2.send(row, nil).body, `"fraud_score"`)
	require.ErrorContains(t, startError(t, testConfig(dir+"/*.yaml", "ops: [ x ]")), `ops: "x" is not an operation`)
}

func TestARowScoredBeforeIsRescoredWithOneResult(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "r.yaml", testRules)
	h := newHarness(t, testConfig(dir+"/*.yaml", "reload_interval: 0s"))
	first := h.send(row, map[string]any{MetaEnv: map[string]map[string]any{"acct": {"count_1m": 9, "balance": money.MustParse("99999.00")}}})
	require.Equal(t, 70.0, first.row(t)["fraud_score"])
	again := h.send(first.body, map[string]any{MetaEnv: map[string]map[string]any{"acct": {"count_1m": 0, "balance": money.MustParse("99999.00")}}})
	for _, k := range []string{`"fraud_score"`, `"fraud_band"`, `"fraud_rules_hit"`, `"fraud_rules_version"`} {
		assert.Equal(t, 1, strings.Count(again.body, k), "%s once in %s", k, again.body)
	}
	assert.Equal(t, 40.0, again.row(t)["fraud_score"])
	assert.Equal(t, "1500.00", again.row(t)["amount"])
}

// waitVersion sends the row until its fraud_rules_version differs from old; the deadline
// only guards against a reload that never happens.
func waitVersion(t *testing.T, h *harness, old string) outMsg {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		o := h.send(row, map[string]any{MetaEnv: map[string]map[string]any{"acct": {"count_1m": 0, "balance": money.MustParse("99999.00")}}})
		if o.row(t)["fraud_rules_version"] != old {
			return o
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the rules were not reloaded within a minute")
	return outMsg{}
}

func TestRulesAreReloadedWhenTheFileChangesAndABrokenFileIsRefused(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "r.yaml", testRules)
	h := newHarness(t, testConfig(dir+"/*.yaml", "reload_interval: 10ms"))
	o := h.send(row, map[string]any{MetaEnv: map[string]map[string]any{"acct": {"count_1m": 0, "balance": money.MustParse("99999.00")}}})
	v1 := o.row(t)["fraud_rules_version"].(string)
	assert.Equal(t, 40.0, o.row(t)["fraud_score"])

	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(testRules, "weight: 40", "weight: 45", 1)), 0o644))
	o = waitVersion(t, h, v1)
	v2 := o.row(t)["fraud_rules_version"].(string)
	assert.Equal(t, 45.0, o.row(t)["fraud_score"], "the new weight scores")

	// A broken file is refused: the previous rules keep scoring.
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(testRules, "tx.amount >= 1000", "tx.amout >= 1000", 1)), 0o644))
	deadline := time.Now().Add(time.Minute)
	for n, _ := h.metrics.get("fraud_rules_reloads_total", "error"); n == 0; n, _ = h.metrics.get("fraud_rules_reloads_total", "error") {
		require.True(t, time.Now().Before(deadline), "the broken file was never read")
		time.Sleep(5 * time.Millisecond)
	}
	o = h.send(row, map[string]any{MetaEnv: map[string]map[string]any{"acct": {"count_1m": 0, "balance": money.MustParse("99999.00")}}})
	assert.Equal(t, v2, o.row(t)["fraud_rules_version"])
	assert.Equal(t, 45.0, o.row(t)["fraud_score"])
	n, _ := h.metrics.get("fraud_rules_reloads_total", "error")
	assert.Equal(t, int64(1), n, "a broken file is reported once, not at every poll")
}

func TestRulesAreReloadedOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "r.yaml", testRules)
	h := newHarness(t, testConfig(dir+"/*.yaml", "reload_interval: 0s"))
	o := h.send(row, map[string]any{MetaEnv: map[string]map[string]any{"acct": {"count_1m": 0, "balance": money.MustParse("99999.00")}}})
	v1 := o.row(t)["fraud_rules_version"].(string)
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(testRules, "weight: 40", "weight: 41", 1)), 0o644))
	// The processor exists (it scored a message), so its SIGHUP handler is installed.
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	o = waitVersion(t, h, v1)
	assert.Equal(t, 41.0, o.row(t)["fraud_score"])
}

func TestAPipelineWithABrokenRuleDoesNotStart(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "r.yaml", strings.Replace(testRules, "acct.count_1m >= 5", "acct.count_1mm >= 5", 1))
	err := startError(t, testConfig(dir+"/*.yaml", "reload_interval: 0s"))
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, filepath.Join(dir, "r.yaml")+":15:11:", "line and column of the field")
	assert.Contains(t, msg, "rule VEL")
	assert.Contains(t, msg, "unknown field acct.count_1mm (did you mean acct.count_1m?)")
	assert.Contains(t, msg, `acct.count_1mm >= 5`)
}

func TestInvalidBandsAreAConfigError(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "r.yaml", testRules)
	err := startError(t, testConfig(dir+"/*.yaml", "bands: [ { name: low, below: 50 }, { name: high, below: 40 }, { name: top } ]"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bands[1] (high): below 40 must be greater than 50")
}

// startError returns why a stream with the processor configured by conf fails to build or
// to start (Benthos builds processors when the stream runs).
func startError(t *testing.T, conf string) error {
	t.Helper()
	h, err := tryHarness(t, conf)
	if err != nil {
		return err
	}
	select {
	case err = <-h.done:
		h.stream = nil
		return err
	case <-time.After(time.Minute): // deadlock guard only
		return nil
	}
}
