package fraud

import (
	"context"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	engine "github.com/ledgerflow/ledgerflow/engine/fraud"
	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
	_ "github.com/ledgerflow/ledgerflow/processors/debezium"
)

// exampleSetup is the fraud_rules processor of ExampleConfig, with paths resolving from
// the repository root (the test changes into it).
func exampleSetup(t *testing.T) Setup {
	t.Helper()
	t.Chdir(repoRoot)
	p := writeFile(t, t.TempDir(), "pipeline.yaml", ExampleConfig)
	setups, err := FindInPipeline(p)
	require.NoError(t, err)
	require.Len(t, setups, 1)
	return setups[0]
}

// TestShippedRulesPassTheirTests loads every rule file of pipelines/rules with the
// environment of the documented example (the transactions contract, the shipped features
// declaration, the example's enrichment objects) and runs all their tests, so that a
// broken or untested shipped rule fails CI.
func TestShippedRulesPassTheirTests(t *testing.T) {
	s := exampleSetup(t)
	require.Nil(t, s.Lint(), "the shipped rules compile")
	results, err := s.RunTests()
	require.NoError(t, err)
	var out strings.Builder
	ok := Report(results, &out)
	t.Log("\n" + out.String())
	require.True(t, ok, "every shipped rule test passes")

	d, err := s.Description()
	require.NoError(t, err)
	rs, err := engine.Load(s.Rules, d)
	require.NoError(t, err)
	files, err := filepath.Glob("pipelines/rules/*.yaml")
	require.NoError(t, err)
	assert.ElementsMatch(t, files, rs.Files(), "the example loads every shipped rule file")
	var ids []string
	for _, r := range rs.Rules() {
		ids = append(ids, r.ID)
		var hit, noHit int
		for _, res := range results {
			switch {
			case res.Rule != r.ID || !res.Pass:
			case res.Hit:
				hit++
			default:
				noHit++
			}
		}
		assert.GreaterOrEqual(t, hit, 1, "rule %s has a test that fires", r.ID)
		assert.GreaterOrEqual(t, noHit, 2, "rule %s has tests that do not fire (below the threshold, no history)", r.ID)
		assert.Regexp(t, `fraud\.md|https?://|\.ipynb|\.md|\.py|CFR`, r.Description, "rule %s cites its source", r.ID)
	}
	sort.Strings(ids)
	assert.GreaterOrEqual(t, len(ids), 15)
	for _, want := range []string{"R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15", "R16", "R17", "R19", "R21"} {
		assert.Contains(t, ids, want)
	}
}

var comparison = regexp.MustCompile(`>=|<=|>|<`)

// TestShippedRuleBoundariesAreTested flips every comparison of every shipped rule between
// strict and inclusive (>= to >, < to <=, …) and requires one of the rule's own tests to
// fail: each threshold has a test exactly at its boundary.
func TestShippedRuleBoundariesAreTested(t *testing.T) {
	s := exampleSetup(t)
	d, err := s.Description()
	require.NoError(t, err)
	files, err := engine.Expand(s.Rules)
	require.NoError(t, err)
	specs, ds := engine.ParseFiles(files)
	require.Empty(t, ds)
	flip := map[string]string{">=": ">", ">": ">=", "<=": "<", "<": "<="}
	mutants := 0
	for _, spec := range specs {
		for _, loc := range comparison.FindAllStringIndex(spec.When.Text, -1) {
			op := spec.When.Text[loc[0]:loc[1]]
			mutated := *spec
			mutated.When.Text = spec.When.Text[:loc[0]] + flip[op] + spec.When.Text[loc[1]:]
			rs, cds := engine.Compile([]*engine.RuleSpec{&mutated}, d)
			require.Empty(t, cds, "%s: %s", spec.ID, mutated.When.Text)
			failed := 0
			for _, r := range rs.RunTests() {
				if !r.Pass {
					failed++
				}
			}
			assert.NotZero(t, failed, "rule %s: no test fails when %q becomes %q in: %s", spec.ID, op, flip[op], strings.Join(strings.Fields(spec.When.Text), " "))
			mutants++
		}
	}
	assert.Greater(t, mutants, 30)
}

// TestExampleConfigScoresADebeziumEvent runs the documented example's processors
// (debezium_unwrap then fraud_rules with the shipped rules) on a Debezium event with the
// upstream values in ledgerflow_env.
func TestExampleConfigScoresADebeziumEvent(t *testing.T) {
	exampleSetup(t) // changes into the repository root
	var cfg struct {
		Pipeline struct {
			Processors []yaml.Node `yaml:"processors"`
		} `yaml:"pipeline"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(ExampleConfig), &cfg))
	sb := service.NewStreamBuilder()
	require.NoError(t, sb.SetLoggerYAML("level: none"))
	produce, err := sb.AddProducerFunc()
	require.NoError(t, err)
	for _, p := range cfg.Pipeline.Processors {
		b, err := yaml.Marshal(&p)
		require.NoError(t, err)
		require.NoError(t, sb.AddProcessorYAML(string(b)))
	}
	out := make(chan *service.Message, 1)
	require.NoError(t, sb.AddConsumerFunc(func(_ context.Context, m *service.Message) error { out <- m.Copy(); return nil }))
	stream, err := sb.Build()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // deadlock guard
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- stream.Run(ctx) }()
	defer func() { _ = stream.Stop(ctx); <-done }()

	// 9000.00 (base64 Connect Decimal 0x0DBBA0 = 900000 at scale 2) by a customer who made
	// two such payments in 24 hours: R8 structuring. A new merchant at 500+: R10.
	event := `{"before":null,"after":{"transaction_id":1001,"account_id":20,"customer_id":7,"merchant_id":555,"amount":"Dbug","currency":"EUR","status":"pending","transaction_type":"transfer","channel":"online","merchant_category":"5411","device_id":null,"country":"DE","ip_address":null,"event_ts":1714521600123,"created_at":1714521600123,"updated_at":null},"source":{"version":"3.0.1.Final","connector":"mysql","name":"bank_server","ts_ms":1714521601000,"snapshot":"false","db":"bank","table":"transactions","server_id":1,"file":"mysql-bin.000003","pos":1541,"row":0},"op":"c","ts_ms":1714521601234}`
	msg := service.NewMessage([]byte(event))
	msg.MetaSetMut(MetaEnv, map[string]map[string]any{
		"cust": {"near_ctr_count_24h": 2},
		"acct": {"currency": "EUR", "balance": money.MustParse("50000.00"), "seen_merchant": false, "seen_currency_90d": true},
	})
	require.NoError(t, produce(ctx, msg))
	var m *service.Message
	select {
	case m = <-out:
	case err := <-done:
		t.Fatalf("stream stopped: %v", err)
	}
	require.NoError(t, m.GetError())
	v, err := m.AsStructured()
	require.NoError(t, err)
	r := v.(map[string]any)
	assert.Equal(t, "9000.00", r["amount"])
	var ids []string
	for _, h := range r["fraud_rules_hit"].([]any) {
		ids = append(ids, h.(map[string]any)["id"].(string))
	}
	assert.ElementsMatch(t, []string{"R8", "R10"}, ids)
	assert.Equal(t, "review", r["fraud_band"], "40 + 20 = 60")
	band, _ := m.MetaGet(MetaBand)
	assert.Equal(t, "review", band)
}

func TestFindInPipelineReadsNestedProcessorsAndVariables(t *testing.T) {
	t.Setenv("RULES_DIR", "/etc/rules")
	p := writeFile(t, t.TempDir(), "p.yaml", `
pipeline:
  processors:
    - switch:
        - check: 'this.amount != null'
          processors:
            - fraud_rules:
                rules: [ "${RULES_DIR}/*.yaml", "${MORE_RULES:extra.yaml}" ]
                environment:
                  features_file: f.yaml
`)
	setups, err := FindInPipeline(p)
	require.NoError(t, err)
	require.Len(t, setups, 1)
	assert.Equal(t, []string{"/etc/rules/*.yaml", "extra.yaml"}, setups[0].Rules)
	assert.Equal(t, "schemas/transactions.yaml", setups[0].Environment.SchemaFile, "the field's default")
	assert.Equal(t, "f.yaml", setups[0].Environment.FeaturesFile)
	assert.Equal(t, 7, setups[0].Line)

	none := writeFile(t, t.TempDir(), "n.yaml", "input: { stdin: {} }\n")
	setups, err = FindInPipeline(none)
	require.NoError(t, err)
	assert.Empty(t, setups)
}

func TestCLIHooks(t *testing.T) {
	s := exampleSetup(t) // in the repository root
	pipeline := s.Config
	files, err := filepath.Glob("pipelines/*.yaml")
	require.NoError(t, err)
	rules, err := filepath.Glob("pipelines/rules/*.yaml")
	require.NoError(t, err)
	all := append(append(append([]string{pipeline}, files...), rules...), "pipelines/features/transactions.yaml")

	var out strings.Builder
	ran, ok := RunPipelineTests(append(all, pipeline), &out)
	assert.True(t, ran)
	assert.True(t, ok, out.String())
	assert.Equal(t, 1, strings.Count(out.String(), "Rule tests of "), "one run per distinct setup")
	assert.Contains(t, out.String(), "PASS pipelines/rules/velocity.yaml:")
	assert.Regexp(t, `\n\d+ of \d+ rule tests passed\n$`, out.String())
	assert.Empty(t, LintPipelines(all))

	for _, f := range rules {
		assert.Equal(t, "rules", FileKind(f), f)
	}
	assert.Equal(t, "features", FileKind("pipelines/features/transactions.yaml"))
	for _, f := range files {
		assert.Equal(t, "", FileKind(f), f)
	}

	// A typo in a rule: lint names it, the tests fail to load.
	dir := t.TempDir()
	broken := writeFile(t, dir, "r.yaml", strings.Replace(testRules, "acct.count_1m >= 5", "acct.count_1mm >= 5", 1))
	p := writeFile(t, dir, "p.yaml", "pipeline:\n  processors:\n    - fraud_rules:\n        rules: [ "+broken+" ]\n        environment:\n          objects: { acct: { count_1m: BIGINT, balance: \"DECIMAL(18,2)\" } }\n")
	ds := LintPipelines([]string{p})
	require.Len(t, ds, 1)
	assert.Contains(t, ds[0].Error(), broken+":15:11: rule VEL: when: unknown field acct.count_1mm (did you mean acct.count_1m?)")
	out.Reset()
	ran, ok = RunPipelineTests([]string{p}, &out)
	assert.True(t, ran)
	assert.False(t, ok)
	assert.Contains(t, out.String(), "unknown field acct.count_1mm")
}
