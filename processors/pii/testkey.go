package pii

import (
	"errors"
	"sync/atomic"
)

// TestKey is the hash key `ledgerflow test` uses when LEDGERFLOW_PII_KEY is unset, so that
// pipeline unit tests and scenarios run on a laptop and in CI without a secret, and their
// expected hashes are fixed. It is published here, so a hash made with it protects nothing:
// outside test mode (EnableTestMode) the processor refuses it.
const TestKey = "ledgerflow-published-TEST-ONLY-pii-key-do-not-deploy"

// KeyEnv is the environment variable the shipped pipelines read the key from.
const KeyEnv = "LEDGERFLOW_PII_KEY"

var testMode atomic.Bool

// EnableTestMode lets processors accept TestKey. Only `ledgerflow test` and Go tests call
// it: a pipeline run with the published key would write hashes anyone can recompute.
func EnableTestMode() { testMode.Store(true) }

// checkNotTestKey fails when key is TestKey outside test mode.
func checkNotTestKey(key []byte) error {
	if !testMode.Load() && string(key) == TestKey {
		return errTestKey
	}
	return nil
}

var errTestKey = errors.New("hash key: it is the published test key of `ledgerflow test` (pii.TestKey), " +
	"so anyone could recompute the hashes; generate a key with `openssl rand -hex 32`")
