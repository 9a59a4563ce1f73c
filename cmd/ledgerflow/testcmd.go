package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

	"github.com/ledgerflow/ledgerflow/internal/scenario"
	"github.com/ledgerflow/ledgerflow/processors/fraud"
)

// testCommand replaces Benthos' `test` command: it first runs the table-state scenarios
// (`*_scenarios.yaml`) that the arguments select, then Benthos' own unit tests of the
// configs' processors, and fails when either fails. Benthos' runner skips scenario files
// (they have no `tests:` section), so both read the same arguments.
func testCommand() *cli.Command {
	return &cli.Command{
		Name:  "test",
		Usage: "Run table-state scenarios (*_scenarios.yaml) and the unit tests of configs",
		Description: (`
Runs every table-state scenario file (NAME_scenarios.yaml, beside the pipeline NAME.yaml) the
arguments select: Debezium events go through the pipeline's real processors and delta_lake
output into a temporary table, whose rows are compared with the scenario's expectations. Then
runs the tests of the fraud rules that the selected pipelines' fraud_rules processors load
(the tests: of each rule in pipelines/rules/*.yaml), then the unit tests of the configs'
processors (the tests: section of each config). Exits 1 if any fails.

When LEDGERFLOW_PII_KEY is unset, the pii processors hash with a fixed, published test key
(pii.TestKey), so that expected hashes can be written in the tests. Only this command does
that: a pipeline run refuses that key.

  ledgerflow test ./pipelines
  ledgerflow test ./pipelines/transactions_scenarios.yaml
  ledgerflow test ./pipelines/transactions.yaml

Scenario format: docs/scenarios.md
Unit test format: ` + upstreamDocs + `/configuration/unit_testing`)[1:],
		// Benthos' test flags (--log, -r, -e, ...) are passed on untouched.
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			args := c.Args().Slice()
			ok := true
			if wantsHelp(args) {
				fmt.Fprintf(os.Stdout, "%s\n\nThe options below are those of the unit test runner, passed on to it.\n\n", c.Command.Description)
			} else {
				useTestPIIKey(os.Stderr)
				files, err := scenario.Find(args)
				if err != nil {
					return err
				}
				ranOther := len(files) > 0
				if ranOther {
					var r scenario.Runner
					ok = r.RunAll(c.Context, files, os.Stdout)
					fmt.Fprintln(os.Stdout)
				}
				// The tests of the rules each fraud_rules processor of the selected
				// pipelines loads (tests: in pipelines/rules/*.yaml).
				if configs, err := scenario.Expand(args); err == nil {
					if ran, rulesOK := fraud.RunPipelineTests(configs, os.Stdout); ran {
						ok, ranOther = ok && rulesOK, true
						fmt.Fprintln(os.Stdout)
					}
				}
				if !runBenthosTests(args, ranOther) {
					return exitStatus(ok)
				}
			}
			code, err := service.RunCLIToCode(c.Context, append(coreOptions(readStamp()),
				service.CLIOptSetArgs(append([]string{"ledgerflow", "test"}, args...)...))...)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
			return exitStatus(ok && code == 0 && err == nil)
		},
	}
}

func exitStatus(ok bool) error {
	if ok {
		return nil
	}
	return cli.Exit("", 1)
}

func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			return true
		}
	}
	return false
}

// runBenthosTests decides whether Benthos' runner has anything to do. When scenarios or rule
// tests ran and the arguments select no config with a tests: section (only scenario files,
// say), running it would fail with "No tests were found"; otherwise it runs, and reports as
// it always does.
func runBenthosTests(args []string, ranOther bool) bool {
	if !ranOther {
		return true
	}
	files, err := scenario.Expand(args)
	if err != nil {
		return true
	}
	for _, f := range files {
		if scenario.IsScenarioFile(f) {
			continue
		}
		if strings.HasSuffix(strings.TrimSuffix(f, ".yaml"), "_benthos_test") || hasTests(f) {
			return true
		}
	}
	return false
}

// hasTests reports whether a YAML file has a top-level tests: key.
func hasTests(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil || !bytes.Contains(data, []byte("tests:")) {
		return false
	}
	var top map[string]yaml.Node
	if yaml.Unmarshal(data, &top) != nil {
		return true // let Benthos report the broken file
	}
	_, ok := top["tests"]
	return ok
}
