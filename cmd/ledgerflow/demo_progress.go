package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/inputs/simulator"
)

// rateWindow is how far back the progress line's rate looks: a rate since the start would
// still show the burst of the first seconds long after producing stopped.
const rateWindow = 5 * time.Second

// rateSample is the count of produced events at one moment.
type rateSample struct {
	at time.Time
	n  int64
}

// slidingRate keeps the samples of the last window and returns the rate over them: events
// per second between the oldest sample still in the window and the newest (0 with fewer
// than two samples or no time between them).
type slidingRate struct {
	window  time.Duration
	samples []rateSample
}

func (r *slidingRate) add(at time.Time, n int64) float64 {
	r.samples = append(r.samples, rateSample{at, n})
	// Keep one sample at or before the window's start, so the rate spans the whole window.
	drop := 0
	for drop+1 < len(r.samples) && !r.samples[drop+1].at.After(at.Add(-r.window)) {
		drop++
	}
	r.samples = r.samples[drop:]
	first, last := r.samples[0], r.samples[len(r.samples)-1]
	dt := last.at.Sub(first.at).Seconds()
	if dt <= 0 {
		return 0
	}
	return float64(last.n-first.n) / dt
}

// partRange is what this run produced to one partition: offsets base .. base+count-1.
type partRange struct {
	base, count int64
}

// committedEvents counts the produced records that every layer has committed: per
// partition, a layer's txn version v (the last offset it committed) covers the offsets up
// to v, and a record is committed when the layer that is furthest behind covers it. A
// partition a layer has no version for has nothing committed there.
func committedEvents(produced map[string]partRange, layers []map[string]int64) int64 {
	var total int64
	for tp, pr := range produced {
		done := pr.count
		for _, l := range layers {
			v, ok := l[tp]
			n := int64(0)
			if ok {
				n = min(max(v-pr.base+1, 0), pr.count)
			}
			done = min(done, n)
		}
		total += done
	}
	return total
}

// eventLag is the events produced and not yet committed everywhere.
func eventLag(produced map[string]partRange, layers []map[string]int64) int64 {
	var n int64
	for _, pr := range produced {
		n += pr.count
	}
	return n - committedEvents(produced, layers)
}

// layerVersions reads, for bronze and silver, the last committed offset per topic/partition
// over each layer's tables and their dead-letter tables.
func layerVersions(ctx context.Context, out string) ([]map[string]int64, error) {
	var layers []map[string]int64
	for _, layer := range []string{"bronze", "silver"} {
		have := map[string]int64{}
		for _, t := range simulator.Tables {
			for _, p := range []string{filepath.Join(out, layer, t), filepath.Join(out, layer, t+"_dead_letters")} {
				tbl := delta.OpenLocal(p)
				if ok, _ := tbl.Exists(ctx); !ok {
					continue
				}
				snap, err := tbl.Snapshot(ctx)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", p, err)
				}
				for k, v := range partitionVersions(snap.Txns()) {
					if old, ok := have[k]; !ok || v > old {
						have[k] = v
					}
				}
			}
		}
		layers = append(layers, have)
	}
	return layers, nil
}

// resumeMessage says what a run into an existing lakehouse does: the tables keep their rows
// and this run's events are appended, so the counts grow on purpose. "" for a first run.
func resumeMessage(out string, run int, before map[string]tableInfo) string {
	if run <= 1 {
		return ""
	}
	var total int64
	var parts []string
	for _, t := range simulator.Tables {
		total += before[t].rows
		parts = append(parts, fmt.Sprintf("%s %d", t, before[t].rows))
	}
	return fmt.Sprintf("resuming (run %d): the bronze tables in %s already hold %d rows (%s); this run appends its events to them. --fresh starts over.",
		run, out, total, strings.Join(parts, ", "))
}

// demoMemoryEnv bounds the pipelines' memory in the demo, where the whole run's events are
// in Kafka within a second and the consumers catch up on all of it at once. Left alone, the
// outputs' batching (64 batches of 10000 in flight) admits the whole backlog, and the
// binary's GOGC=400 lets the heap grow to five times what is live: 50,000 events took
// 830–940 MB. Each pipeline now holds at most 8192 unacknowledged records, commits batches
// of 4096, and collects garbage at half the live heap (about 395 MB); a soft memory limit of
// 300 MiB makes the collector work harder only near it (about 340 MB, at the same rate).
// A value the user set wins.
func demoMemoryEnv(lookup func(string) (string, bool)) []string {
	var env []string
	for _, kv := range [][2]string{{"KAFKA_MAX_UNACKED_RECORDS", "8192"}, {"BATCH_COUNT", "4096"}, {"GOGC", "50"}, {"GOMEMLIMIT", "300MiB"}} {
		if _, set := lookup(kv[0]); !set {
			env = append(env, kv[0]+"="+kv[1])
		}
	}
	return env
}
