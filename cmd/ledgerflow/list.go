package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/redpanda-data/benthos/v4/public/bloblang"
	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/urfave/cli/v2"

	"github.com/ledgerflow/ledgerflow/internal/plugins"
	"github.com/ledgerflow/ledgerflow/internal/plugins/core"
)

// listKinds maps the kinds of core.Kinds to the section names `list` takes as arguments and
// prints as titles (the core's names, so `ledgerflow list inputs` works as it always did).
var listKinds = map[string][2]string{
	"input": {"inputs", "Inputs"}, "processor": {"processors", "Processors"}, "output": {"outputs", "Outputs"},
	"cache": {"caches", "Caches"}, "rate_limit": {"rate-limits", "Rate Limits"}, "buffer": {"buffers", "Buffers"},
	"metrics": {"metrics", "Metrics"}, "tracer": {"tracers", "Tracers"}, "scanner": {"scanners", "Scanners"},
	"bloblang-function": {"bloblang-functions", "Bloblang Functions"}, "bloblang-method": {"bloblang-methods", "Bloblang Methods"},
}

// listCommand replaces the core's `list`: the text listing shows LedgerFlow's components apart
// from the core's; the machine formats (json, jsonschema, cue) are the core's, unchanged.
func listCommand() *cli.Command {
	return &cli.Command{
		Name:      "list",
		Usage:     "List the components of this binary: LedgerFlow's own, then the Benthos core's",
		ArgsUsage: "[SECTION...]",
		Description: (`
Lists every component this binary has, LedgerFlow's own first. Name sections to list
only those:

  ledgerflow list
  ledgerflow list inputs outputs
  ledgerflow list --format json processors
  ledgerflow list --format jsonschema > ledgerflow.schema.json

LedgerFlow's components are documented in docs/components, the core's at
` + upstreamDocs + `/components/about.`)[1:],
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text, json, jsonschema or cue"},
			&cli.StringFlag{Name: "status", Usage: "only components of this status: stable, beta or experimental"},
			&cli.StringSliceFlag{Name: "templates", Aliases: []string{"t"}, Usage: "EXPERIMENTAL: import LedgerFlow templates first (glob patterns, in quotes); lists with the core's format"},
		},
		Action: func(c *cli.Context) error {
			if c.String("format") != "text" || len(c.StringSlice("templates")) > 0 {
				return runCore(c, "list", []string{"format", "status", "templates"})
			}
			sections := map[string]bool{}
			for _, a := range c.Args().Slice() {
				sections[a] = true
			}
			for _, a := range c.Args().Slice() {
				if !knownSection(a) {
					return fmt.Errorf("list %s: no such section; expected one of %s", a, strings.Join(sectionNames(), ", "))
				}
			}
			printList(c.App.Writer, sections, c.String("status"))
			return nil
		},
	}
}

func printList(w io.Writer, sections map[string]bool, status string) {
	ours := plugins.Ours()
	all := core.Registered(service.GlobalEnvironment(), bloblang.GlobalEnvironment())
	theirs := map[string][]string{}
	for kind, names := range all {
		for _, n := range names {
			if core.Has(kind, n) {
				theirs[kind] = append(theirs[kind], n)
			}
		}
	}
	fmt.Fprintln(w, "LedgerFlow components (docs/components):")
	printKinds(w, ours, sections, status)
	fmt.Fprintf(w, "\nBenthos core components (%s, %s/components/about):\n", readStamp().Engine, upstreamDocs)
	printKinds(w, theirs, sections, status)
}

func printKinds(w io.Writer, names map[string][]string, sections map[string]bool, status string) {
	for _, kind := range core.Kinds {
		k := listKinds[kind]
		if len(sections) > 0 && !sections[k[0]] {
			continue
		}
		var shown []string
		for _, n := range names[kind] {
			// As the core's listing: deprecated components only when asked for.
			if st := componentStatus(kind, n, status != ""); status == "" && st != "deprecated" || status != "" && st == status {
				shown = append(shown, n)
			}
		}
		if len(shown) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", k[1])
		for _, n := range shown {
			fmt.Fprintf(w, "  - %s\n", n)
		}
	}
}

// componentStatus is the documented status (stable, beta, experimental, deprecated). Without
// full, a component's status is only told apart as deprecated or not ("" for the others),
// which is cheap.
func componentStatus(kind, name string, full bool) string {
	env := service.GlobalEnvironment()
	var view *service.ConfigView
	var ok bool
	switch kind {
	case "input":
		view, ok = env.GetInputConfig(name)
	case "processor":
		view, ok = env.GetProcessorConfig(name)
	case "output":
		view, ok = env.GetOutputConfig(name)
	case "cache":
		view, ok = env.GetCacheConfig(name)
	case "rate_limit":
		view, ok = env.GetRateLimitConfig(name)
	case "buffer":
		view, ok = env.GetBufferConfig(name)
	case "metrics":
		view, ok = env.GetMetricsConfig(name)
	case "tracer":
		view, ok = env.GetTracerConfig(name)
	case "scanner":
		view, ok = env.GetScannerConfig(name)
	case "bloblang-function":
		st := ""
		bloblang.GlobalEnvironment().WalkFunctions(func(n string, v *bloblang.FunctionView) {
			if n == name {
				st = v.TemplateData().Status
			}
		})
		return st
	case "bloblang-method":
		st := ""
		bloblang.GlobalEnvironment().WalkMethods(func(n string, v *bloblang.MethodView) {
			if n == name {
				st = v.TemplateData().Status
			}
		})
		return st
	}
	if !ok {
		return ""
	}
	if !full {
		if view.IsDeprecated() {
			return "deprecated"
		}
		return ""
	}
	d, err := view.TemplateData()
	if err != nil {
		return ""
	}
	return d.Status
}

func knownSection(s string) bool {
	for _, k := range listKinds {
		if k[0] == s {
			return true
		}
	}
	return false
}

func sectionNames() []string {
	var out []string
	for _, kind := range core.Kinds {
		out = append(out, listKinds[kind][0])
	}
	return out
}

// runCore hands the command over to the core's command of the same name, passing on the
// given flags as they were set and the positional arguments.
func runCore(c *cli.Context, name string, flags []string) error {
	args := []string{"ledgerflow", name}
	for _, f := range flags {
		if !c.IsSet(f) {
			continue
		}
		if vals := c.StringSlice(f); len(vals) > 0 {
			for _, v := range vals {
				args = append(args, "--"+f, v)
			}
			continue
		}
		switch v := c.Value(f).(type) {
		case bool:
			args = append(args, fmt.Sprintf("--%s=%t", f, v))
		default:
			args = append(args, "--"+f, c.String(f))
		}
	}
	args = append(args, c.Args().Slice()...)
	code, err := service.RunCLIToCode(c.Context, append(coreOptions(readStamp()), service.CLIOptSetArgs(args...))...)
	if err != nil {
		return err
	}
	if code != 0 {
		return cli.Exit("", code)
	}
	return nil
}
