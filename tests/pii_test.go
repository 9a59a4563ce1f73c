package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ledgerflow/ledgerflow/processors/pii"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// piiPolicies reads the pii processor's columns from a shipped pipeline, so that tests
// comparing tables with a source follow the pipeline's policies as written; nil when the
// pipeline has no pii processor.
func piiPolicies(table string) (map[string]string, error) {
	src, err := os.ReadFile(filepath.Join(repoRoot, "pipelines", table+".yaml"))
	if err != nil {
		return nil, err
	}
	var conf struct {
		Pipeline struct {
			Processors []map[string]yaml.Node `yaml:"processors"`
		} `yaml:"pipeline"`
	}
	if err := yaml.Unmarshal(src, &conf); err != nil {
		return nil, err
	}
	for _, p := range conf.Pipeline.Processors {
		if n, ok := p["pii"]; ok {
			var c struct {
				Columns map[string]string `yaml:"columns"`
			}
			if err := n.Decode(&c); err != nil {
				return nil, err
			}
			return c.Columns, nil
		}
	}
	return nil, nil // no pii processor: nothing is protected
}

// piiProtector applies a pipeline's pii policies to source values with the processors/pii
// engine itself, under a given key: what the tables must hold for a source row. A nil
// *piiProtector (a pipeline without pii) protects nothing.
type piiProtector struct {
	e        *pii.Engine
	policies map[string]string
}

func loadPIIProtector(table, key string) (*piiProtector, error) {
	contract, err := schemas.Load(table)
	if err != nil {
		return nil, err
	}
	pols, err := piiPolicies(table)
	if err != nil || pols == nil {
		return nil, err
	}
	plan, err := pii.NewPlan(contract, pols)
	if err != nil {
		return nil, err
	}
	e, err := pii.NewEngine(plan, []byte(key), nil)
	if err != nil {
		return nil, err
	}
	return &piiProtector{e: e, policies: pols}, nil
}

func newPIIProtector(t testing.TB, table, key string) *piiProtector {
	t.Helper()
	p, err := loadPIIProtector(table, key)
	if err != nil {
		t.Fatalf("pii policies of pipelines/%s.yaml: %v", table, err)
	}
	return p
}

var testPII = struct {
	sync.Mutex
	m map[string]*piiProtector
}{m: map[string]*piiProtector{}}

// packagePII is the protector of a table under piiKey, the key of every ledgerflow these
// tests start; it panics when the pipeline's policies do not load (a broken shipped file).
func packagePII(table string) *piiProtector {
	testPII.Lock()
	defer testPII.Unlock()
	if p, ok := testPII.m[table]; ok {
		return p
	}
	p, err := loadPIIProtector(table, piiKey)
	if err != nil {
		panic(fmt.Sprintf("pii policies of pipelines/%s.yaml: %v", table, err))
	}
	testPII.m[table] = p
	return p
}

// protects reports whether col's value changes in the tables.
func (p *piiProtector) protects(col string) bool {
	if p == nil {
		return false
	}
	pol, ok := p.policies[col]
	return ok && pol != "keep"
}

// apply returns what the tables hold for a column's source value, in the unwrap's text form
// (a DATE as "1990-05-17"); nil stays nil.
func (p *piiProtector) apply(col string, v any) (any, error) {
	if v == nil || !p.protects(col) {
		return v, nil
	}
	in, err := json.Marshal(map[string]any{col: v})
	if err != nil {
		return nil, err
	}
	out, err := p.e.Apply(in)
	if err != nil {
		return nil, fmt.Errorf("pii %s: %w", col, err)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, err
	}
	return m[col], nil
}

func (p *piiProtector) value(t testing.TB, col string, v any) any {
	t.Helper()
	out, err := p.apply(col, v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// days applies a policy to a DATE given as days since 1970-01-01 (through its text form, as
// the unwrap hands it to the processor) and returns days again.
func (p *piiProtector) days(col string, d int64) (int64, error) {
	out, err := p.apply(col, time.Unix(d*86400, 0).UTC().Format(time.DateOnly))
	if err != nil {
		return 0, err
	}
	s, _ := out.(string)
	ts, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("pii %s: %q is not a date", col, s)
	}
	return ts.Unix() / 86400, nil
}
