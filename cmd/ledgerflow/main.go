// Command ledgerflow is LedgerFlow's distribution of the Benthos stream processor: the core's
// pure and io components plus LedgerFlow's own, which `ledgerflow list` shows apart from the
// core's: the `kafka` and `mysql_cdc` inputs, the `debezium_unwrap`, `pii`, `enrich`,
// `features` and `fraud_rules` processors, the `delta_lake` and `kafka` outputs and the
// `prometheus` metrics exporter. Run a pipeline with `ledgerflow -c
// pipelines/transactions.yaml`, test the pipelines with `ledgerflow test ./pipelines`.
package main

import (
	"context"
	"os"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/urfave/cli/v2"

	_ "github.com/ledgerflow/ledgerflow/internal/plugins"
)

// Version, Commit and Date are the build stamps that `ledgerflow --version` prints. Set them
// with -ldflags "-X main.Version=1.2.0 -X main.Commit=<sha> -X main.Date=<RFC3339>"; the ones
// left empty come from the Go build info (see readStamp).
var Version = ""

var (
	Commit = ""
	Date   = ""
)

func main() {
	tuneGC()
	stamp := readStamp()
	args := rewriteTableArgs(rewriteTestArgs(os.Args))
	if wantsVersion(args) {
		stamp.print(os.Stdout)
		return
	}
	cli.AppHelpTemplate = rootHelpTemplate
	service.RunCLI(context.Background(), append(coreOptions(stamp),
		service.CLIOptSetArgs(args...),
		service.CLIOptCustomRunFlags(nil, preflight),
		service.CLIOptAddCommand(docsCommand()),
		service.CLIOptAddCommand(tableCommand()),
		service.CLIOptAddCommand(demoCommand()),
		service.CLIOptAddCommand(testCommand()),
		service.CLIOptAddCommand(replayCommand()),
		service.CLIOptAddCommand(rebuildCommand()),
		service.CLIOptAddCommand(listCommand()),
		service.CLIOptAddCommand(createCommand()),
	)...)
}

// upstreamDocs is where the engine's own features (Bloblang, the unit-test format, streams
// mode, templates) are documented. The core's commands link to pages under the documentation
// URL, and those pages exist only there; LedgerFlow's own docs are linked from the root help.
const upstreamDocs = "https://docs.redpanda.com/redpanda-connect"

// coreOptions brand the Benthos CLI as LedgerFlow. The commands that hand over to a core
// command (test, list, create) run it with the same options, so that what they print agrees
// with the rest of the binary.
func coreOptions(stamp buildStamp) []service.CLIOptFunc {
	return []service.CLIOptFunc{
		service.CLIOptSetBinaryName("ledgerflow"),
		service.CLIOptSetProductName("LedgerFlow"),
		service.CLIOptSetVersion(stamp.Version, stamp.Date),
		service.CLIOptSetDocumentationURL(upstreamDocs),
		service.CLIOptSetDefaultConfigPaths("/ledgerflow.yaml", "/etc/ledgerflow/config.yaml", "/etc/ledgerflow.yaml"),
		service.CLIOptSetMainSchemaFrom(mainSchema),
	}
}

// mainSchema is the core's config schema with LedgerFlow's defaults where the core's name
// itself: logs say `@service: ledgerflow`, and the HTTP server's prefixed endpoints live under
// /ledgerflow (every endpoint is served at the root as well).
func mainSchema() *service.ConfigSchema {
	stamp := readStamp()
	s := service.GlobalEnvironment().FullConfigSchema(stamp.Version, stamp.Date)
	s.SetFieldDefault("/ledgerflow", "http", "root_path")
	s.SetFieldDefault(map[string]any{"@service": "ledgerflow"}, "logger", "static_fields")
	return s
}
