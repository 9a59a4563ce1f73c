package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ledgerflow/ledgerflow/processors/pii"
)

// The demo's key is generated once, only its owner can read it, and later runs reuse it, over
// whatever LEDGERFLOW_PII_KEY the environment holds.
func TestDemoPIIKeyIsGeneratedOnceAndReused(t *testing.T) {
	t.Setenv(pii.KeyEnv, "a-key-from-the-environment-that-the-demo-must-not-use")
	dir := t.TempDir()
	if err := demoPIIKey(dir); err != nil {
		t.Fatal(err)
	}
	first := os.Getenv(pii.KeyEnv)
	fi, err := os.Stat(filepath.Join(dir, "pii.key"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("pii.key has mode %v, want 0600", fi.Mode().Perm())
	}
	if len(first) != 64 || strings.Contains(first, "environment") {
		t.Fatalf("the key in the environment is %d bytes, want the 64 hex characters of the generated key", len(first))
	}
	os.Setenv(pii.KeyEnv, "something else")
	if err := demoPIIKey(dir); err != nil {
		t.Fatal(err)
	}
	if got := os.Getenv(pii.KeyEnv); got != first {
		t.Error("a second run did not reuse the key of the first")
	}
	other := t.TempDir()
	if err := demoPIIKey(other); err != nil {
		t.Fatal(err)
	}
	if os.Getenv(pii.KeyEnv) == first {
		t.Error("two lakehouses got the same key: it is not random")
	}

	// A damaged key file is an error, not silently replaced (the tables were hashed with it).
	if err := os.WriteFile(filepath.Join(other, "pii.key"), []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := demoPIIKey(other); err == nil || !strings.Contains(err.Error(), "shorter than 32 bytes") {
		t.Fatalf("a short key file: got %v", err)
	}
}
