package main

import (
	"fmt"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/urfave/cli/v2"

	"github.com/ledgerflow/ledgerflow/internal/componentdocs"
	"github.com/ledgerflow/ledgerflow/internal/plugins"
)

// docsCommand writes the Markdown pages of LedgerFlow's own components from their
// ConfigSpecs, so that the field descriptions in code are the user documentation.
func docsCommand() *cli.Command {
	return &cli.Command{
		Name:  "docs",
		Usage: "Write Markdown documentation for LedgerFlow's components (from their config specs)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Value: "docs/components", Usage: "directory to write <kind>/<name>.md into"},
		},
		Action: func(c *cli.Context) error {
			pages, err := componentdocs.Pages(service.GlobalEnvironment(), plugins.Ours())
			if err != nil {
				return err
			}
			n, err := componentdocs.Write(pages, c.String("out"))
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "wrote %d component pages under %s\n", n, c.String("out"))
			return nil
		},
	}
}
