package kafka

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// binDir holds the ledgerflow binary, built once by the first test that needs it (not
// for every run: fuzz workers and benchmarks would pay a link of the whole binary).
var (
	binDir  string
	binOnce sync.Once
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	var err error
	if binDir, err = os.MkdirTemp("", "ledgerflow-kafka-e2e-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(binDir)
	os.Exit(code)
}

// ledgerflowBinary builds ./cmd/ledgerflow with `go build -o`.
func ledgerflowBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binPath = filepath.Join(binDir, "ledgerflow")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/ledgerflow/ledgerflow/cmd/ledgerflow").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build ./cmd/ledgerflow: %v\n%s", err, out)
		}
	})
	require.NoError(t, binErr)
	return binPath
}

// TestBinaryKillRestart runs the real binary (kafka input → file output) against a kfake
// cluster while records are produced, SIGKILLs it mid-stream several times and restarts
// it. Every offset must reach the file at least once and the group's commits must end at
// the end offsets.
func TestBinaryKillRestart(t *testing.T) {
	bin := ledgerflowBinary(t)
	const topic, group, partitions = "bank_server.bank.transactions", "ledgerflow-e2e", 3
	c := killCluster(t, partitions, topic)
	cl := newClient(t, c)
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

	// Produce in the background until the last kill, so each run has new records to write.
	var produced atomic.Int64
	prodCtx, stopProducing := context.WithCancel(context.Background())
	prodDone := make(chan error, 1)
	go func() {
		for prodCtx.Err() == nil {
			recs := make([]*kgo.Record, 100)
			for i := range recs {
				id := int(produced.Load()) + i
				recs[i] = &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, `{"id":%d}`, id), Value: debeziumLike(id, 200)}
			}
			if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
				prodDone <- err
				return
			}
			produced.Add(100)
			time.Sleep(20 * time.Millisecond)
		}
		prodDone <- nil
	}()
	t.Cleanup(stopProducing)

	kills := 0
	for run := range 4 {
		p := startLedgerflow(t, bin, cfgPath, seedsOf(c), fmt.Sprintf("ledgerflow-run-%d", run), &logs)
		before := out.lines
		eventually(t, 60*time.Second, "the binary to write records", func() bool {
			out.read(t, false)
			return out.lines > before+100
		})
		waitOwned(t, adm, group, topic, partitions, p, 60*time.Second)
		time.Sleep(time.Duration(rand.IntN(400)) * time.Millisecond) // kill at varied points, between and during commits
		p.kill()
		kills++
		out.read(t, true)
	}
	stopProducing()
	require.NoError(t, <-prodDone)

	p := startLedgerflow(t, bin, cfgPath, seedsOf(c), "ledgerflow-final", &logs)
	// The killed runs may already have written and committed every record; then the
	// checks below pass at once and a SIGTERM sent before Benthos installs its signal
	// handler kills the process by default action ("signal: terminated", CI once). Stop
	// only a process that has joined the group.
	waitOwned(t, adm, group, topic, partitions, p, 60*time.Second)
	end := endOffsets(t, adm, topic)
	require.Equal(t, produced.Load(), sum(end))
	eventually(t, 120*time.Second, "every offset in the output file", func() bool {
		out.read(t, false)
		return len(out.missing(end)) == 0
	})
	eventually(t, 20*time.Second, "commits to reach the end offsets", func() bool { return sum(committed(t, adm, group, topic)) == sum(end) })
	p.stop(t, 30*time.Second, &logs)
	out.read(t, true)
	assert.Equal(t, end, committed(t, adm, group, topic))
	assert.Empty(t, out.missing(end))
	t.Logf("%d records, %d SIGKILLs, %d lines in the file (%d duplicates)", sum(end), kills, out.lines, out.duplicates())
}
