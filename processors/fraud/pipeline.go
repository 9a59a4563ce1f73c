package fraud

import (
	"fmt"
	"io"
	"os"
	"regexp"

	"gopkg.in/yaml.v3"

	engine "github.com/ledgerflow/ledgerflow/engine/fraud"
)

// Setup is one fraud_rules processor of a pipeline config: what `ledgerflow lint` and
// `ledgerflow test` need to compile and test its rules without starting the pipeline.
type Setup struct {
	Config      string // the pipeline file
	Line        int    // where its fraud_rules key is
	Rules       []string
	Environment engine.EnvironmentConfig
}

// FindInPipeline returns every fraud_rules processor of a pipeline config file, anywhere
// in it (pipeline, branches, resources). ${VAR} and ${VAR:default} are replaced as Benthos
// does before parsing. Paths stay as written: like the processor, they are relative to the
// working directory. A file with no fraud_rules returns none.
func FindInPipeline(path string) ([]Setup, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(interpolate(data), &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []Setup
	var walkErr error
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil || walkErr != nil {
			return
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Value == "fraud_rules" && v.Kind == yaml.MappingNode {
					s, err := decodeSetup(path, k.Line, v)
					if err != nil {
						walkErr = err
						return
					}
					out = append(out, s)
					continue
				}
				walk(v)
			}
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	return out, walkErr
}

func decodeSetup(path string, line int, n *yaml.Node) (Setup, error) {
	var raw struct {
		Rules       []string                 `yaml:"rules"`
		Environment engine.EnvironmentConfig `yaml:"environment"`
	}
	if err := n.Decode(&raw); err != nil {
		return Setup{}, fmt.Errorf("%s:%d: fraud_rules: %w", path, line, err)
	}
	if raw.Environment.SchemaFile == "" {
		raw.Environment.SchemaFile = "schemas/transactions.yaml" // the field's default
	}
	return Setup{Config: path, Line: line, Rules: raw.Rules, Environment: raw.Environment}, nil
}

var envVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:([^}]*))?\}`)

func interpolate(b []byte) []byte {
	return envVar.ReplaceAllFunc(b, func(m []byte) []byte {
		sub := envVar.FindSubmatch(m)
		if v, ok := os.LookupEnv(string(sub[1])); ok && v != "" {
			return []byte(v)
		}
		return sub[3]
	})
}

// Description builds the setup's rule environment.
func (s Setup) Description() (*engine.Description, error) {
	d, err := engine.LoadDescription(s.Environment)
	if err != nil {
		return nil, fmt.Errorf("%s:%d: fraud_rules: %w", s.Config, s.Line, err)
	}
	return d, nil
}

// Lint compiles the setup's rules and returns every problem, each naming its file, line,
// rule id and expression: the hook of `ledgerflow lint`.
func (s Setup) Lint() engine.Diagnostics {
	d, err := engine.LoadDescription(s.Environment)
	if err != nil {
		return engine.Diagnostics{{File: s.Config, Line: s.Line, Message: "fraud_rules: " + err.Error()}}
	}
	return engine.Lint(s.Rules, d)
}

// RunTests runs the tests of the setup's rules: the hook of `ledgerflow test`.
func (s Setup) RunTests() ([]engine.TestResult, error) {
	d, err := s.Description()
	if err != nil {
		return nil, err
	}
	return engine.RunTests(s.Rules, d)
}

// Report writes test results as `ledgerflow test` prints them, one line per test, and
// returns whether all passed.
func Report(results []engine.TestResult, w io.Writer) bool {
	pass := 0
	for _, r := range results {
		fmt.Fprintln(w, r.String())
		if r.Pass {
			pass++
		}
	}
	fmt.Fprintf(w, "%d of %d rule tests passed\n", pass, len(results))
	return pass == len(results)
}

// RunPipelineTests is the hook of `ledgerflow test`: it finds the fraud_rules processors
// of the pipeline configs among files (other YAML files, such as the rule files
// themselves, are skipped), runs the tests of their rules once per distinct setup, and
// prints one line per test and a summary to w. ran reports whether any setup was found;
// ok whether every test passed and every rule file compiled.
func RunPipelineTests(files []string, w io.Writer) (ran, ok bool) {
	ok = true
	seen := map[string]bool{}
	for _, f := range files {
		setups, err := FindInPipeline(f)
		if err != nil {
			continue // not a YAML pipeline config; Benthos' own runner reports broken configs
		}
		for _, s := range setups {
			key := fmt.Sprintf("%q %+v", s.Rules, s.Environment)
			if seen[key] {
				continue
			}
			seen[key] = true
			ran = true
			fmt.Fprintf(w, "Rule tests of %s:%d (fraud_rules)\n", s.Config, s.Line)
			results, err := s.RunTests()
			if err != nil {
				fmt.Fprintln(w, err)
				ok = false
				continue
			}
			if !Report(results, w) {
				ok = false
			}
		}
	}
	return ran, ok
}

// LintPipelines is the hook of `ledgerflow lint`: every problem of the rule files and
// environments of the fraud_rules processors of the pipeline configs among files.
func LintPipelines(files []string) engine.Diagnostics {
	var out engine.Diagnostics
	seen := map[string]bool{}
	for _, f := range files {
		setups, err := FindInPipeline(f)
		if err != nil {
			continue
		}
		for _, s := range setups {
			key := fmt.Sprintf("%q %+v", s.Rules, s.Environment)
			if !seen[key] {
				seen[key] = true
				out = append(out, s.Lint()...)
			}
		}
	}
	return out
}

// FileKind tells a rule file ("rules": a mapping whose only key is rules) and a features
// declaration ("features": it has features and keys) from other YAML, so that `ledgerflow
// lint` can keep them away from the Benthos config linter, which would report their keys
// as unknown fields. Anything else, unreadable files included, is "".
func FileKind(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var top map[string]yaml.Node
	if yaml.Unmarshal(data, &top) != nil {
		return ""
	}
	_, rules := top["rules"]
	_, features := top["features"]
	_, keys := top["keys"]
	switch {
	case rules && len(top) == 1:
		return "rules"
	case features && keys:
		return "features"
	}
	return ""
}
