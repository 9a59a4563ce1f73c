package fraud

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// RuleSet is a compiled, immutable set of rules with its version. It is safe for
// concurrent use; evaluations need their own Env and Result.
type RuleSet struct {
	version string
	rules   []*Rule
	d       *Description
	bands   Bands
	files   []string
	batches []batch
}

// Version is a hash of what decides the set's outcomes (each rule's id, version,
// severity, weight, when and reason, in id order): 16 hex digits. Rules that score the
// same have the same version, whichever files hold them; tests and descriptions do not
// count. Alerts record it.
func (rs *RuleSet) Version() string { return rs.version }

// Rules returns the rules in file order (files sorted by path).
func (rs *RuleSet) Rules() []*Rule { return rs.rules }

// Files returns the files the set was loaded from.
func (rs *RuleSet) Files() []string { return rs.files }

// Description returns the environment the rules were compiled for.
func (rs *RuleSet) Description() *Description { return rs.d }

// Bands returns the bands Evaluate assigns.
func (rs *RuleSet) Bands() Bands { return rs.bands }

// WithBands returns a copy of the set that assigns bands (already validated).
func (rs *RuleSet) WithBands(b Bands) *RuleSet {
	c := *rs
	c.bands = b
	return &c
}

// Rule returns the rule with that id, or nil.
func (rs *RuleSet) Rule(id string) *Rule {
	for _, r := range rs.rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// Compile compiles parsed rules against d. Every when and every {{ }} segment of every
// reason is compiled once, here; an unknown field, a type error (comparing money with a
// string, nil with >, …) or a syntax error becomes a Diagnostic naming the file, line,
// rule id and expression. A rule id used twice (in any files) is an error too. The set is
// returned only when there are no diagnostics.
func Compile(specs []*RuleSpec, d *Description) (*RuleSet, Diagnostics) {
	var ds Diagnostics
	rs := &RuleSet{d: d}
	where := map[string]*RuleSpec{}
	files := map[string]bool{}
	for _, s := range specs {
		files[s.File] = true
		if prev, dup := where[s.ID]; dup {
			ds = append(ds, &Diagnostic{File: s.File, Line: s.Line, Rule: s.ID, Part: "id",
				Message: fmt.Sprintf("rule id declared twice (also %s:%d)", prev.File, prev.Line)})
			continue
		}
		where[s.ID] = s
		r, rds := compileRule(s, d)
		ds = append(ds, rds...)
		if r != nil {
			rs.rules = append(rs.rules, r)
		}
	}
	if len(ds) > 0 {
		return nil, ds
	}
	for f := range files {
		rs.files = append(rs.files, f)
	}
	sort.Strings(rs.files)
	rs.version = versionOf(rs.rules)
	rs.batches = batchRules(rs.rules, d)
	return rs, nil
}

func versionOf(rules []*Rule) string {
	sorted := append([]*Rule(nil), rules...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	h := sha256.New()
	var n [8]byte
	field := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	for _, r := range sorted {
		field(r.ID)
		field(fmt.Sprint(r.Version))
		field(r.Severity)
		field(fmt.Sprint(r.Weight))
		field(r.When)
		field(r.Reason)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Expand resolves rule file arguments: a glob (pipelines/rules/*.yaml) to its matches, a
// directory to the *.yaml and *.yml files in it, a path to itself. A glob or directory
// matching nothing, or a missing file, fails: a typo must not load an empty rule set.
// The result is sorted and without duplicates.
func Expand(patterns []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		p = filepath.Clean(p)
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, p := range patterns {
		if strings.ContainsAny(p, "*?[") {
			m, err := filepath.Glob(p)
			if err != nil {
				return nil, fmt.Errorf("rules: pattern %q: %w", p, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("rules: pattern %q matches no file", p)
			}
			for _, f := range m {
				add(f)
			}
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		if !st.IsDir() {
			add(p)
			continue
		}
		n := 0
		for _, ext := range []string{"*.yaml", "*.yml"} {
			m, _ := filepath.Glob(filepath.Join(p, ext))
			for _, f := range m {
				add(f)
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("rules: directory %q has no .yaml or .yml file", p)
		}
	}
	sort.Strings(out)
	return out, nil
}

// ParseFiles reads and parses rule files, returning every rule and every diagnostic.
func ParseFiles(files []string) ([]*RuleSpec, Diagnostics) {
	var specs []*RuleSpec
	var ds Diagnostics
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			ds = append(ds, &Diagnostic{File: f, Message: err.Error()})
			continue
		}
		s, fds := ParseRules(f, data)
		specs = append(specs, s...)
		ds = append(ds, fds...)
	}
	return specs, ds
}

// Load expands patterns, parses and compiles the files against d. Its error is a
// Diagnostics (every problem, each located) or an Expand error.
func Load(patterns []string, d *Description) (*RuleSet, error) {
	files, err := Expand(patterns)
	if err != nil {
		return nil, err
	}
	return LoadFiles(files, d)
}

// LoadFiles is Load for already expanded files.
func LoadFiles(files []string, d *Description) (*RuleSet, error) {
	specs, ds := ParseFiles(files)
	if len(ds) > 0 {
		// Compile anyway for more diagnostics in one run (lint shows them all).
		_, cds := Compile(specs, d)
		return nil, append(ds, cds...)
	}
	rs, cds := Compile(specs, d)
	if len(cds) > 0 {
		return nil, cds
	}
	if len(rs.files) < len(files) {
		rs.files = append([]string(nil), files...) // keep files that declare no rules
	}
	return rs, nil
}

// Lint is LoadFiles reporting only the problems: every parse and compile diagnostic of
// the files against d, nil when they are clean. It is the hook for `ledgerflow lint`.
func Lint(patterns []string, d *Description) Diagnostics {
	files, err := Expand(patterns)
	if err != nil {
		return Diagnostics{{File: strings.Join(patterns, " "), Message: err.Error()}}
	}
	_, err = LoadFiles(files, d)
	if err == nil {
		return nil
	}
	if ds, ok := err.(Diagnostics); ok {
		return ds
	}
	return Diagnostics{{Message: err.Error()}}
}
