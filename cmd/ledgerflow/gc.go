package main

import (
	"os"
	"runtime/debug"
)

// tuneGC trades memory for CPU unless the user set GOGC or GOMEMLIMIT. The bronze path
// allocates per cell (boxed values, decimals), and at Go's default GOGC=100 garbage
// collection is a large share of its CPU: on the shared 2-core build machine, alternating
// runs of BenchmarkBronzeFromKafka gave 25-35k events/s at GOGC=100 and 29-49k at GOGC=400.
// The soft memory limit makes the collector work harder before the heap outgrows it, so
// RSS stays bounded.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(1 << 30)
	}
}

// batchHeadroom is what a rebuild needs beyond its sort budget: the merge output's batches,
// the files a merge rewrites and the diff's readers.
const batchHeadroom = 192 << 20

// tuneBatchGC sets the collector for a one-off batch job (rebuild), unless the user set GOGC
// or GOMEMLIMIT: the default GOGC=100 instead of the pipelines' 400, which let the heap grow
// to five times what is live, and a soft limit of the memory budget plus headroom, so that
// the collector works harder rather than let RSS grow past what the user allowed. It is soft:
// when more is live (a merge rewriting large files), the heap grows past it, with the
// collector's CPU capped by the runtime.
func tuneBatchGC(budget int64) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(100)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		if budget <= 0 {
			budget = defaultMemoryBudget
		}
		debug.SetMemoryLimit(budget + batchHeadroom)
	}
}
