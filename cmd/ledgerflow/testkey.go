package main

import (
	"fmt"
	"io"
	"os"

	"github.com/ledgerflow/ledgerflow/processors/pii"
)

// useTestPIIKey is called by `ledgerflow test` only. The shipped pipelines hash personal data
// with the key in LEDGERFLOW_PII_KEY and refuse to start without one; their unit tests and
// scenarios must run without a secret, with expected hashes fixed in the files. So in test
// mode alone an unset or empty variable is set to the published pii.TestKey, and the processor is
// told to accept that key. A normal run (`ledgerflow -c ...`, streams, demo) never reaches
// this, and its pii processor refuses the published key.
func useTestPIIKey(w io.Writer) {
	pii.EnableTestMode()
	if v, ok := os.LookupEnv(pii.KeyEnv); ok && v != "" {
		return
	}
	os.Setenv(pii.KeyEnv, pii.TestKey)
	fmt.Fprintf(w, "%s is not set: using the published test key pii.TestKey (test mode only)\n", pii.KeyEnv)
}
