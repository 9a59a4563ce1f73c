package main

import "github.com/urfave/cli/v2"

// createCommand is the core's `create` with examples of components this binary has (the
// core's help names processors and outputs that are not in it).
func createCommand() *cli.Command {
	return &cli.Command{
		Name:      "create",
		Usage:     "Print a new config with the given components and all their fields",
		ArgsUsage: "[INPUTS/PROCESSORS/OUTPUTS]",
		Description: `
Prints a config to stdout with every field of the named components at its default. The
argument is three comma-separated lists of inputs, processors and outputs, divided by
slashes; any of them may be empty. Without an argument: stdin to stdout.

  ledgerflow create kafka/debezium_unwrap/delta_lake > my_pipeline.yaml
  ledgerflow create --small kafka/debezium_unwrap/delta_lake,delta_lake
  ledgerflow create mysql_cdc//kafka

Components: ledgerflow list. The shipped pipelines (pipelines/*.yaml) are a better start
for a table.`[1:],
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "small", Aliases: []string{"s"}, Usage: "only input, pipeline and output, without the fields marked advanced"},
			&cli.StringSliceFlag{Name: "env-file", Aliases: []string{"e"}, Usage: "import environment variables from a dotenv file"},
			&cli.StringSliceFlag{Name: "templates", Aliases: []string{"t"}, Usage: "EXPERIMENTAL: import LedgerFlow templates (glob patterns, in quotes)"},
		},
		Action: func(c *cli.Context) error {
			return runCore(c, "create", []string{"small", "env-file", "templates"})
		},
	}
}
