package plugins

import (
	"github.com/redpanda-data/benthos/v4/public/bloblang"
	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/internal/plugins/core"
)

// Ours returns LedgerFlow's own components, by kind (core.Kinds): every component registered
// in the global environment that the Benthos core does not register. It is derived from the
// registrations, so it names exactly what this binary has; `ledgerflow list` and `ledgerflow
// docs` use it.
func Ours() map[string][]string {
	out := map[string][]string{}
	for kind, names := range core.Registered(service.GlobalEnvironment(), bloblang.GlobalEnvironment()) {
		for _, n := range names {
			if !core.Has(kind, n) {
				out[kind] = append(out[kind], n)
			}
		}
	}
	return out
}

// IsOurs reports whether the registered component of that kind and name is LedgerFlow's own
// rather than the core's.
func IsOurs(kind, name string) bool {
	for _, n := range Ours()[kind] {
		if n == name {
			return true
		}
	}
	return false
}
