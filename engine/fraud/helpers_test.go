package fraud

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
)

// testDescription is a small environment: the transactions contract plus a few features
// and enrichment fields, as the processor would build it.
func testDescription(t testing.TB) *Description {
	t.Helper()
	d, err := LoadDescription(EnvironmentConfig{
		SchemaFile: "../../schemas/transactions.yaml",
		Objects: map[string]map[string]string{
			"acct": {"balance": "DECIMAL(18,2)", "count_1m": "BIGINT", "currency": "CHAR(3)", "last_tx_time": "DATETIME(3)", "mean": "DOUBLE"},
			"cust": {"timezone": "VARCHAR(64)"},
		},
	})
	require.NoError(t, err)
	return d
}

// compileText parses and compiles one rule file's text.
func compileText(t testing.TB, d *Description, text string) (*RuleSet, Diagnostics) {
	t.Helper()
	specs, ds := ParseRules("rules.yaml", []byte(text))
	rs, cds := Compile(specs, d)
	if ds = append(ds, cds...); len(ds) > 0 {
		return nil, ds
	}
	return rs, nil
}

func mustCompile(t testing.TB, d *Description, text string) *RuleSet {
	t.Helper()
	rs, ds := compileText(t, d, text)
	require.Empty(t, ds)
	return rs
}

func write(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// rule renders a minimal valid rule.
func rule(id, when string, weight int) string {
	return "  - id: " + id + "\n    version: 1\n    description: test rule\n    severity: medium\n    weight: " +
		itoa(weight) + "\n    when: '" + when + "'\n    reason: \"" + id + " fired\"\n"
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed+1)) }

// randomEnv fills env with random values of each declared field's type, leaving about a
// third of them missing, with values near the shipped rules' thresholds.
func randomEnv(rng *rand.Rand, d *Description, env *Env) {
	base := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, fi := range d.list {
		if rng.IntN(3) == 0 {
			continue
		}
		env.slots[fi.idx] = randomValue(rng, fi.Type, base)
	}
}

func randomValue(rng *rand.Rand, t Type, base time.Time) any {
	if t.List {
		n := rng.IntN(4)
		out := make([]any, n)
		for i := range out {
			out[i] = randomValue(rng, Type{Kind: t.Kind}, base)
		}
		return out
	}
	switch t.Kind {
	case KindInt:
		return []int{0, 1, 2, 3, 4, 5, 6, 9, 10, 11, 19, 20, 21, 100, 1000}[rng.IntN(15)]
	case KindMoney:
		return money.New([]int64{0, 1, 99, 100, 199, 200, 50000, 50001, 800000, 999999, 1000000, 2500000, -100}[rng.IntN(13)], 2)
	case KindFloat:
		return []float64{0, 0.5, 1, 10, 40.7, 52.52, 100, -3.7, 13.4, 48.85, 89.9}[rng.IntN(11)]
	case KindString:
		return []string{"", "EUR", "USD", "transfer", "withdrawal", "purchase", "failed", "dev-1", "c"}[rng.IntN(9)]
	case KindBool:
		return rng.IntN(2) == 0
	case KindTime:
		return base.Add(-time.Duration(rng.IntN(400*24)) * time.Hour / time.Duration(1+rng.IntN(3)))
	case KindDuration:
		return time.Duration(rng.IntN(3600)) * time.Second
	}
	return nil
}
