package kafka

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestBinaryRestartsEveryPartitionProgresses SIGKILLs and restarts the binary 50 times
// while every partition receives records, and checks after each restart that every
// partition is consumed again, starting exactly at the group's committed offset.
//
// A restarted process once left one partition assigned at its committed offset with
// nothing consumed from it for minutes, in about one kill round in five. Takeover after
// a SIGKILL needs about a session timeout plus one rebalance (3s + 3s here); the deadline
// below is a deadlock guard well above that, not a speed requirement.
func TestBinaryRestartsEveryPartitionProgresses(t *testing.T) {
	const restarts = 50
	const progressGuard = 90 * time.Second
	bin := ledgerflowBinary(t)
	const topic, group, partitions = "restarts", "ledgerflow-restarts", 4
	c := killCluster(t, partitions, topic)
	cl := newClient(t, c, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	adm := kadm.NewClient(cl)

	dir := t.TempDir()
	outPath := filepath.Join(dir, "out.txt")
	cfgPath := binaryConfig(t, dir, topic, group, outPath)
	var logs lockedBuffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ledgerflow logs:\n%s", logs.String())
		}
	})
	out := newOutputReader(outPath)

	// Every partition gets records all the time, so a partition that gets none consumed
	// after a restart is stuck, not idle.
	prodCtx, stopProducing := context.WithCancel(context.Background())
	prodDone := make(chan error, 1)
	go func() {
		id := 0
		for prodCtx.Err() == nil {
			var recs []*kgo.Record
			for p := range int32(partitions) {
				for range 5 {
					recs = append(recs, &kgo.Record{Topic: topic, Partition: p, Key: fmt.Appendf(nil, `{"id":%d}`, id), Value: debeziumLike(id, 200)})
					id++
				}
			}
			if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
				prodDone <- err
				return
			}
			time.Sleep(30 * time.Millisecond)
		}
		prodDone <- nil
	}()
	t.Cleanup(stopProducing)

	var took []time.Duration
	for run := range restarts {
		// The group's commits may still move: a commit the killed process had sent may reach
		// the broker after the kill. So the first offset consumed after the restart must lie
		// between the commit seen now and one past the highest offset written so far.
		resumeAtLeast := committed(t, adm, group, topic)
		out.read(t, true)
		out.mark()
		writtenBefore := maps.Clone(out.max)
		start := time.Now()
		p := startLedgerflow(t, bin, cfgPath, seedsOf(c), fmt.Sprintf("ledgerflow-restart-%d", run), &logs)
		deadline := start.Add(progressGuard)
		for {
			out.read(t, false)
			if len(out.minSince) == partitions {
				break
			}
			if time.Now().After(deadline) {
				var stuck []int32
				for part := range int32(partitions) {
					if _, ok := out.minSince[part]; !ok {
						stuck = append(stuck, part)
					}
				}
				t.Fatalf("restart %d: partitions %v got nothing consumed within %v (committed offsets %v, end offsets %v)", run, stuck, progressGuard, committed(t, adm, group, topic), endOffsets(t, adm, topic))
			}
			time.Sleep(20 * time.Millisecond)
		}
		took = append(took, time.Since(start))
		waitOwned(t, adm, group, topic, partitions, p, progressGuard)
		time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
		p.kill()
		out.read(t, true) // all the killed process wrote
		for part := range int32(partitions) {
			first := out.minSince[part] // the lowest: pipeline threads write batches out of order
			require.GreaterOrEqual(t, first, resumeAtLeast[part], "restart %d, partition %d: first offset consumed is below the committed offset", run, part)
			if last, ok := writtenBefore[part]; ok {
				require.LessOrEqual(t, first, last+1, "restart %d, partition %d: first offset consumed leaves a gap after the last offset written", run, part)
			} else {
				require.Zero(t, first, "restart %d, partition %d: first offset consumed of a partition never consumed before", run, part)
			}
		}
	}
	stopProducing()
	require.NoError(t, <-prodDone)

	p := startLedgerflow(t, bin, cfgPath, seedsOf(c), "ledgerflow-restart-final", &logs)
	// The killed runs may already have written and committed every record; then the
	// checks below pass at once and a SIGTERM sent before Benthos installs its signal
	// handler kills the process by default action ("signal: terminated", CI once). Stop
	// only a process that has joined the group.
	waitOwned(t, adm, group, topic, partitions, p, progressGuard)
	end := endOffsets(t, adm, topic)
	eventually(t, 120*time.Second, "every offset in the output file", func() bool {
		out.read(t, false)
		return len(out.missing(end)) == 0
	})
	eventually(t, 20*time.Second, "commits to reach the end offsets", func() bool { return sum(committed(t, adm, group, topic)) == sum(end) })
	p.stop(t, 30*time.Second, &logs)
	out.read(t, true)
	assert.Equal(t, end, committed(t, adm, group, topic))
	slices.Sort(took)
	t.Logf("%d SIGKILL restarts, %d records, %d lines (%d duplicates); time from start until every partition was consumed: median %v, max %v",
		restarts, sum(end), out.lines, out.duplicates(), took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
}
