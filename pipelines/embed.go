// Package pipelines embeds the shipped pipeline configs, so that a packaged ledgerflow binary
// can run them (`ledgerflow demo`) outside a checkout of the repository.
package pipelines

import "embed"

// FS holds customers.yaml, accounts.yaml, merchants.yaml and transactions.yaml.
//
//go:embed *.yaml
var FS embed.FS
