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
