package scenario

import (
	"os"
	"testing"

	"github.com/ledgerflow/ledgerflow/processors/pii"
)

// TestMain gives these tests what `ledgerflow test` gives the scenarios it runs: the shipped
// pipelines hash with LEDGERFLOW_PII_KEY, and their expected hashes are made with the
// published pii.TestKey (cmd/ledgerflow/testkey.go).
func TestMain(m *testing.M) {
	pii.EnableTestMode()
	os.Setenv(pii.KeyEnv, pii.TestKey)
	os.Exit(m.Run())
}
