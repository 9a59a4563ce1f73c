package plugins

import (
	"reflect"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/bloblang"
	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/internal/plugins/core"
)

// TestOursIsWhatThePackagesRegister pins the components LedgerFlow ships. Ours is derived
// from the registrations, so this fails when a component is added, renamed or dropped
// without the docs, README and the package comment of cmd/ledgerflow following.
func TestOursIsWhatThePackagesRegister(t *testing.T) {
	want := map[string][]string{
		"input":     {"kafka", "mysql_cdc"},
		"processor": {"debezium_unwrap", "enrich", "features", "fraud_rules", "pii"},
		"output":    {"delta_lake", "kafka"},
		"metrics":   {"prometheus"},
	}
	if got := Ours(); !reflect.DeepEqual(got, want) {
		t.Fatalf("LedgerFlow's components = %v, want %v", got, want)
	}
	if !IsOurs("output", "delta_lake") || IsOurs("input", "delta_lake") || IsOurs("input", "generate") || IsOurs("processor", "mapping") || !IsOurs("processor", "fraud_rules") {
		t.Error("IsOurs disagrees with Ours")
	}
}

// TestCoreComponentsAreAllRegistered checks that the binary has every core component
// (plugins imports the core's pure and io packages), so `ledgerflow list` names each one.
func TestCoreComponentsAreAllRegistered(t *testing.T) {
	reg := core.Registered(service.GlobalEnvironment(), bloblang.GlobalEnvironment())
	for kind, names := range core.Components {
		have := map[string]bool{}
		for _, n := range reg[kind] {
			have[n] = true
		}
		for _, n := range names {
			if !have[n] {
				t.Errorf("core %s %q is not registered in the ledgerflow environment", kind, n)
			}
		}
	}
}
