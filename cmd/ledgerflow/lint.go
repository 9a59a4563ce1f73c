package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/urfave/cli/v2"

	fraudengine "github.com/ledgerflow/ledgerflow/engine/fraud"
	"github.com/ledgerflow/ledgerflow/internal/configlint"
	"github.com/ledgerflow/ledgerflow/internal/scenario"
	"github.com/ledgerflow/ledgerflow/processors/fraud"
)

// preflight checks configs with configlint before the core reads them, so that a problem is
// reported at its line and column of the file, with the field's path and an enum's allowed
// values, instead of the core's "(12,1) value x is not a valid option for this field". The
// core calls it (as the hook of its run flags) at the start of `lint`, of `run` and of the
// root command (`ledgerflow -c FILE`) and of `streams`, after the env files (-e) are loaded. When it finds
// nothing the core goes on as before, its own checks included.
func preflight(c *cli.Context) error {
	switch c.Command.Name {
	case "lint":
		return preflightLint(c)
	case "run", c.App.Name:
		return preflightRun(c)
	case "streams":
		return preflightStreams(c)
	}
	return nil
}

func newChecker() (*configlint.Checker, error) {
	return configlint.New(mainSchema(), os.LookupEnv)
}

// preflightStreams checks the stream files of streams mode, which hold a stream only (input,
// buffer, pipeline, output, and tests), against that schema, as the core does.
func preflightStreams(c *cli.Context) error {
	files, err := scenario.Expand(c.Args().Slice())
	if err != nil || len(files) == 0 {
		return nil // the core reports what it cannot read
	}
	chk, err := configlint.New(service.GlobalEnvironment().CoreConfigSchema(readStamp().Version, readStamp().Date), os.LookupEnv)
	if err != nil {
		return err
	}
	chk.Ignore = []string{"tests"}
	var problems []configlint.Problem
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil
		}
		problems = append(problems, chk.Check(f, raw)...)
	}
	return refuse(c, problems)
}

// preflightLint is `ledgerflow lint`: it prints every problem of the selected files and
// fails, or, when there is none, lets the core's lint run (it prints --verbose's OK lines).
func preflightLint(c *cli.Context) error {
	files, err := scenario.Expand(c.Args().Slice())
	if err != nil {
		return err
	}
	files = append(files, c.StringSlice("resources")...)
	if p := c.String("config"); p != "" {
		files = append(files, p)
	}
	chk, err := newChecker()
	if err != nil {
		return err
	}
	chk.RejectDeprecated = c.Bool("deprecated")
	chk.RequireLabels = c.Bool("labels")
	chk.SkipEnvVarCheck = c.Bool("skip-env-var-check")
	failed := 0
	var problems []configlint.Problem
	var results []string
	for _, f := range files {
		if notConfig(f) || filepath.Ext(f) == ".md" {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			problems = append(problems, configlint.Problem{File: f, Line: 1, Column: 1, What: err.Error()})
			failed++
			continue
		}
		ps := chk.Check(f, raw)
		problems = append(problems, ps...)
		if len(ps) > 0 {
			failed++
			results = append(results, f+": FAILED")
		} else {
			results = append(results, f+": OK")
		}
	}
	// The rules of every fraud_rules processor, compiled against its typed environment: an
	// unknown field or a type error is reported at its rule file's line, with the rule id.
	for _, d := range fraud.LintPipelines(files) {
		problems = append(problems, ruleProblem(d))
	}
	if len(problems) == 0 {
		return nil
	}
	if c.Bool("verbose") {
		for _, r := range results {
			fmt.Fprintln(c.App.Writer, r)
		}
	}
	for _, p := range problems {
		fmt.Fprintln(c.App.ErrWriter, p)
	}
	return fmt.Errorf("lint: %s in %d of %d files", plural(len(problems), "problem"), failed, len(files))
}

// preflightRun checks the config a run starts from (and its -r resource files): with
// problems it prints them and refuses to start, as the core does for its own lints, unless
// --chilled.
func preflightRun(c *cli.Context) error {
	path := c.String("config")
	if c.Command.Name == "run" && c.Args().Len() == 1 {
		path = c.Args().First()
	}
	if path == "" {
		return nil
	}
	chk, err := newChecker()
	if err != nil {
		return err
	}
	chk.Ignore = setPaths(c.StringSlice("set"))
	var problems []configlint.Problem
	for _, f := range append([]string{path}, c.StringSlice("resources")...) {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil // the core says that the file cannot be read
		}
		problems = append(problems, chk.Check(f, raw)...)
	}
	return refuse(c, problems)
}

// ruleProblem is a rule-file diagnostic in lint's "file:line:col: what" form; what keeps the
// rule id, the part (when, reason, a test) and the expression.
func ruleProblem(d *fraudengine.Diagnostic) configlint.Problem {
	at := d.File
	if d.Line > 0 {
		at += fmt.Sprintf(":%d", d.Line)
		if d.Column > 0 {
			at += fmt.Sprintf(":%d", d.Column)
		}
	}
	return configlint.Problem{File: d.File, Line: max(d.Line, 1), Column: max(d.Column, 1),
		What: strings.TrimPrefix(d.Error(), at+": ")}
}

// refuse prints the problems and, unless --chilled, stops the command before it starts
// anything.
func refuse(c *cli.Context, problems []configlint.Problem) error {
	if len(problems) == 0 {
		return nil
	}
	for _, p := range problems {
		fmt.Fprintln(c.App.ErrWriter, p)
	}
	if c.Bool("chilled") {
		return nil
	}
	return errors.New("the config has problems (above); nothing was started. Run with --chilled to start anyway")
}

// setPaths are the dot paths of --set overrides ("a.b=c" sets a.b).
func setPaths(sets []string) []string {
	var out []string
	for _, s := range sets {
		for i := 0; i < len(s); i++ {
			if s[i] == '=' {
				out = append(out, s[:i])
				break
			}
		}
	}
	return out
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
