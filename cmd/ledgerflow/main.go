// Command ledgerflow is LedgerFlow's distribution of the Benthos stream processor: the core
// pure and io components plus our Kafka input, Debezium unwrap, fraud rules and Delta Lake
// output. Run a pipeline with `ledgerflow -c pipelines/transactions.yaml`, test the pipelines
// with `ledgerflow test ./pipelines`.
package main

import (
	"context"
	"os"

	"github.com/redpanda-data/benthos/v4/public/service"

	_ "github.com/ledgerflow/ledgerflow/internal/plugins"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "0.1.0-dev"

func main() {
	tuneGC()
	args := rewriteTableArgs(rewriteTestArgs(os.Args))
	service.RunCLI(context.Background(),
		service.CLIOptSetBinaryName("ledgerflow"),
		service.CLIOptSetProductName("LedgerFlow"),
		service.CLIOptSetVersion(Version, ""),
		service.CLIOptSetDocumentationURL("https://github.com/ledgerflow/ledgerflow/tree/main/docs"),
		service.CLIOptSetArgs(args...),
		service.CLIOptAddCommand(docsCommand()),
		service.CLIOptAddCommand(tableCommand()),
		service.CLIOptAddCommand(demoCommand()),
		service.CLIOptAddCommand(testCommand()),
		service.CLIOptAddCommand(replayCommand()),
		service.CLIOptAddCommand(rebuildCommand()),
	)
}
