package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ledgerflow/ledgerflow/processors/pii"
)

// demoPIIKey gives the demo's pipelines their hash key. The shipped pipelines hash personal
// data with the key in LEDGERFLOW_PII_KEY and do not start without one; the demo must run with
// no setup, so it generates a random key into <out>/.demo/pii.key (mode 0600) on its first run
// and reuses it on later runs: a resumed lakehouse must hash the same e-mail to the same value
// in every run, or silver's hashed columns would change under unchanged source rows. The key
// file wins over a LEDGERFLOW_PII_KEY already in the environment for the same reason. --fresh
// removes .demo, and with it the key, together with the tables it protected.
//
// The key reaches the child `ledgerflow streams` through its environment (the demo passes its
// own on), never through a config file or a command line.
func demoPIIKey(stateDir string) error {
	path := filepath.Join(stateDir, "pii.key")
	key, err := pii.OSKeySource(pii.KeySource{File: path})
	if err != nil {
		if _, statErr := os.Stat(path); !errors.Is(statErr, fs.ErrNotExist) {
			return fmt.Errorf("demo: %w (delete it, or run with --fresh)", err)
		}
		if key, err = newDemoKey(path); err != nil {
			return err
		}
	}
	return os.Setenv(pii.KeyEnv, string(key))
}

// newDemoKey writes 32 random bytes, hex-encoded, to a new file only its owner can read.
func newDemoKey(path string) ([]byte, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	key := []byte(hex.EncodeToString(raw))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("demo: writing the hash key: %w", err)
	}
	if _, err := f.Write(append(key, '\n')); err != nil {
		f.Close()
		return nil, fmt.Errorf("demo: writing the hash key: %w", err)
	}
	return key, f.Close()
}
