// Package core names the components that the Benthos core (its pure and io packages, at the
// version in go.mod) registers, so that LedgerFlow can tell its own components from the
// core's by what is registered rather than by a hand-kept list. It imports no component
// itself: its test does, and fails when Components no longer matches the core.
package core

import (
	"sort"

	"github.com/redpanda-data/benthos/v4/public/bloblang"
	"github.com/redpanda-data/benthos/v4/public/service"
)

// Kinds are the component kinds in the order `ledgerflow list` prints them, named as Benthos
// names component types (plus the two Bloblang registries).
var Kinds = []string{"input", "processor", "output", "cache", "rate_limit", "buffer", "metrics", "tracer", "scanner", "bloblang-function", "bloblang-method"}

// Registered returns the names of the components registered in env (and, for the Bloblang
// kinds, in blobl), by kind, sorted.
func Registered(env *service.Environment, blobl *bloblang.Environment) map[string][]string {
	out := map[string][]string{}
	add := func(kind string) func(string, *service.ConfigView) {
		return func(name string, _ *service.ConfigView) { out[kind] = append(out[kind], name) }
	}
	env.WalkInputs(add("input"))
	env.WalkProcessors(add("processor"))
	env.WalkOutputs(add("output"))
	env.WalkCaches(add("cache"))
	env.WalkRateLimits(add("rate_limit"))
	env.WalkBuffers(add("buffer"))
	env.WalkMetrics(add("metrics"))
	env.WalkTracers(add("tracer"))
	env.WalkScanners(add("scanner"))
	if blobl != nil {
		blobl.WalkFunctions(func(name string, _ *bloblang.FunctionView) {
			out["bloblang-function"] = append(out["bloblang-function"], name)
		})
		blobl.WalkMethods(func(name string, _ *bloblang.MethodView) {
			out["bloblang-method"] = append(out["bloblang-method"], name)
		})
	}
	for _, names := range out {
		sort.Strings(names)
	}
	return out
}

// Has reports whether the Benthos core registers a component of that kind and name.
func Has(kind, name string) bool {
	i := sort.SearchStrings(Components[kind], name)
	return i < len(Components[kind]) && Components[kind][i] == name
}
