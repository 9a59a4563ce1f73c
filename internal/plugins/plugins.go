// Package plugins imports every component the ledgerflow binary ships, so that the binary and
// tests that build streams get the same set. Importing it registers them in the global
// Benthos environment.
package plugins

import (
	// The Benthos core components (no Kafka, no Parquet: those are ours).
	_ "github.com/redpanda-data/benthos/v4/public/components/io"
	_ "github.com/redpanda-data/benthos/v4/public/components/pure"

	// LedgerFlow components.
	_ "github.com/ledgerflow/ledgerflow/inputs/kafka"
	_ "github.com/ledgerflow/ledgerflow/inputs/mysql"
	_ "github.com/ledgerflow/ledgerflow/metrics"
	_ "github.com/ledgerflow/ledgerflow/outputs/delta"
	_ "github.com/ledgerflow/ledgerflow/outputs/kafka"
	_ "github.com/ledgerflow/ledgerflow/processors/debezium"
	_ "github.com/ledgerflow/ledgerflow/processors/enrich"
	_ "github.com/ledgerflow/ledgerflow/processors/features"
	_ "github.com/ledgerflow/ledgerflow/processors/fraud"
	_ "github.com/ledgerflow/ledgerflow/processors/pii"
)
