package main

import (
	"os"
	"strings"

	"github.com/ledgerflow/ledgerflow/internal/scenario"
	"github.com/ledgerflow/ledgerflow/processors/fraud"
)

// rewriteTestArgs turns `ledgerflow test DIR` into `ledgerflow test DIR/...`. The Benthos core
// only recurses into a directory given with the `/...` suffix; a plain directory argument would
// otherwise find no config at all and pass vacuously, which is the wrong answer for a test
// command. The scenario runner (testCommand) reads the same arguments.
//
// It also keeps the YAML files beside the pipelines that are not Benthos configs (scenario
// files `*_scenarios.yaml`, fraud rule files and features declarations) out of `ledgerflow
// lint`, which would report their keys as unknown fields. `ledgerflow test` runs the
// scenarios and the rules' tests; `ledgerflow lint` compiles the rules (preflightLint).
func rewriteTestArgs(args []string) []string {
	out := append([]string(nil), args...)
	testAt := -1
	for i, a := range out[1:] {
		if a == "test" || a == "unit" {
			testAt = i + 1
			break
		}
		if a == "lint" {
			return rewriteLintArgs(out, i+1)
		}
		if !strings.HasPrefix(a, "-") {
			return out // another subcommand
		}
	}
	if testAt < 0 {
		return out
	}
	for i := testAt + 1; i < len(out); i++ {
		a := out[i]
		if strings.HasPrefix(a, "-") || strings.HasSuffix(a, "/...") {
			continue
		}
		if st, err := os.Stat(a); err == nil && st.IsDir() {
			out[i] = strings.TrimSuffix(a, "/") + "/..."
		}
	}
	return out
}

// rewriteLintArgs replaces the path arguments of `lint` (at args[at+1:]) by the config files
// they select, without the files that are not configs (notConfig), when they select any such
// file; otherwise it leaves the arguments alone. Flags are kept in place; a flag's value (`-r file`) that is not
// a path selects nothing and is kept too.
func rewriteLintArgs(args []string, at int) []string {
	var keep, paths []string
	selectsOther := false
	for i := at + 1; i < len(args); i++ {
		a := args[i]
		if lintValueFlags[a] && i+1 < len(args) {
			keep = append(keep, a, args[i+1])
			i++
			continue
		}
		files, err := scenario.Expand([]string{a})
		if strings.HasPrefix(a, "-") || err != nil || len(files) == 0 {
			keep = append(keep, a)
			continue
		}
		for _, f := range files {
			if notConfig(f) {
				selectsOther = true
				continue
			}
			paths = append(paths, f)
		}
	}
	if !selectsOther || len(paths) == 0 {
		return args
	}
	out := append([]string(nil), args[:at+1]...)
	out = append(out, keep...)
	return append(out, paths...)
}

// notConfig reports whether a YAML file among the pipelines is one of ours that is not a
// Benthos config: a table-state scenario file, a fraud rule file or a features declaration.
func notConfig(path string) bool {
	return scenario.IsScenarioFile(path) || fraud.FileKind(path) != ""
}

// lintValueFlags are the flags of `ledgerflow lint` that take a value.
var lintValueFlags = map[string]bool{"-r": true, "--resources": true, "-e": true, "--env-file": true, "-t": true, "--templates": true, "-s": true, "--set": true}

// tableValueFlags are the flags of `ledgerflow table` subcommands that take a value.
var tableValueFlags = map[string]bool{
	"--limit": true, "-limit": true, "--version": true, "-version": true, "--format": true, "-format": true,
	"--columns": true, "-columns": true, "--where": true, "-where": true, "--max-width": true, "-max-width": true,
}

// rewriteTableArgs moves the flags of `ledgerflow table <sub> ...` before the table path, so
// that `table show PATH --limit 10` works as users type it: the CLI library stops reading
// flags at the first positional argument.
func rewriteTableArgs(args []string) []string {
	if len(args) < 3 || args[1] != "table" {
		return args
	}
	out := append([]string(nil), args[:3]...)
	var positional []string
	rest := args[3:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			positional = append(positional, rest[i+1:]...)
			i = len(rest)
		case strings.HasPrefix(a, "-"):
			out = append(out, a)
			if tableValueFlags[a] && i+1 < len(rest) {
				out = append(out, rest[i+1])
				i++
			}
		default:
			positional = append(positional, a)
		}
	}
	return append(out, positional...)
}
