package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/ledgerflow/ledgerflow/processors/pii"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// piiPolicies reads the pii processor's columns from a shipped pipeline, so that tests
// comparing tables with a source follow the pipeline's policies as written.
func piiPolicies(t testing.TB, table string) map[string]string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot, "pipelines", table+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var conf struct {
		Pipeline struct {
			Processors []map[string]yaml.Node `yaml:"processors"`
		} `yaml:"pipeline"`
	}
	if err := yaml.Unmarshal(src, &conf); err != nil {
		t.Fatal(err)
	}
	for _, p := range conf.Pipeline.Processors {
		if n, ok := p["pii"]; ok {
			var c struct {
				Columns map[string]string `yaml:"columns"`
			}
			if err := n.Decode(&c); err != nil {
				t.Fatal(err)
			}
			return c.Columns
		}
	}
	t.Fatalf("pipelines/%s.yaml has no pii processor", table)
	return nil
}

// piiProtector applies a pipeline's pii policies to source values with the processors/pii
// engine itself, under a given key: what the tables must hold for a source row.
type piiProtector struct {
	e        *pii.Engine
	policies map[string]string
}

func newPIIProtector(t testing.TB, table, key string) *piiProtector {
	t.Helper()
	contract, err := schemas.Load(table)
	if err != nil {
		t.Fatal(err)
	}
	pols := piiPolicies(t, table)
	plan, err := pii.NewPlan(contract, pols)
	if err != nil {
		t.Fatal(err)
	}
	e, err := pii.NewEngine(plan, []byte(key), nil)
	if err != nil {
		t.Fatal(err)
	}
	return &piiProtector{e: e, policies: pols}
}

// protects reports whether col's value changes in the tables.
func (p *piiProtector) protects(col string) bool {
	pol, ok := p.policies[col]
	return ok && pol != "keep"
}

// value returns what the tables hold for a column's source value, in the unwrap's text form
// (a DATE as "1990-05-17"); nil stays nil.
func (p *piiProtector) value(t testing.TB, col string, v any) any {
	t.Helper()
	if v == nil || !p.protects(col) {
		return v
	}
	in, err := json.Marshal(map[string]any{col: v})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.e.Apply(in)
	if err != nil {
		t.Fatalf("pii %s: %v", col, err)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	return m[col]
}
