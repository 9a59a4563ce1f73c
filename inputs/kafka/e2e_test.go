package kafka

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
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
	if os.Getenv("CI") != "" && os.Getenv("LEDGERFLOW_RUN_QUARANTINED") == "" {
		// Open defect, not a slow machine: in about 1 run in 4 one partition of the restarted
		// process stays at its committed offset for minutes (debug logs show it assigned at
		// that offset and nothing consumed; fetch sessions off does not change it). The
		// SIGKILL tests in ./tests (bronze and silver, 20 kills each) pass every run.
		// Quarantined from CI until it is found; run it with LEDGERFLOW_RUN_QUARANTINED=1.
		t.Skip("quarantined in CI: intermittent stuck partition after restart, under investigation (set LEDGERFLOW_RUN_QUARANTINED=1 to run)")
	}
	bin := ledgerflowBinary(t)
	const topic, group = "bank_server.bank.transactions", "ledgerflow-e2e"
	// A SIGKILLed member never leaves the group: a short session lets the restarted
	// process take its partitions over in about a second instead of 45.
	c := newCluster(t, 3, []string{topic}, kfake.GroupMinSessionTimeout(time.Second))
	cl := newClient(t, c)
	adm := kadm.NewClient(cl)

	dir := t.TempDir()
	outPath := filepath.Join(dir, "out.txt")
	cfgPath := filepath.Join(dir, "pipeline.yaml")
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, `
http:
  enabled: false
logger:
  level: ${LF_LOG_LEVEL:warn}
input:
  kafka:
    seed_brokers: [ "${KAFKA_BROKERS}" ]
    topics: [ %s ]
    consumer_group: %s
    commit_period: 100ms
    batch_max_records: 25
    # 3s, not 1s: on a loaded 2-core machine a 1s session expires between heartbeats and the
    # group churns (UNKNOWN_MEMBER_ID), which once made this test time out in CI.
    session_timeout: 3s
    # A member killed mid-rebalance is waited for up to the rebalance timeout; keep it short
    # so takeover after a SIGKILL takes seconds, not the 60s default.
    rebalance_timeout: 3s
    revoke_ack_timeout: 1s
pipeline:
  processors:
    - mapping: 'root = "%%s:%%s".format(meta("kafka_partition"), meta("kafka_offset"))'
output:
  file:
    path: %s
    codec: lines
`, topic, group, outPath), 0o644))

	var logs lockedBuffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ledgerflow logs:\n%s", logs.String())
		}
	})
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "-c", cfgPath)
		cmd.Env = append(os.Environ(), "KAFKA_BROKERS="+seedsOf(c))
		cmd.Stdout, cmd.Stderr = &logs, &logs
		require.NoError(t, cmd.Start())
		return cmd
	}
	lines := func() int {
		b, _ := os.ReadFile(outPath)
		return strings.Count(string(b), "\n")
	}

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

	kills := 0
	for range 4 {
		cmd := start()
		before := lines()
		eventually(t, 30*time.Second, "the binary to write records", func() bool { return lines() > before+100 })
		time.Sleep(time.Duration(rand.IntN(400)) * time.Millisecond) // kill at varied points, between and during commits
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		kills++
	}
	stopProducing()
	require.NoError(t, <-prodDone)

	cmd := start()
	end := endOffsets(t, adm, topic)
	require.Equal(t, produced.Load(), sum(end))
	s := newSeen()
	eventually(t, 120*time.Second, "every offset in the output file", func() bool {
		f, err := os.Open(outPath)
		if err != nil {
			return false
		}
		defer f.Close()
		s = newSeen()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if l := sc.Text(); l != "" {
				s.m[l]++
			}
		}
		return len(s.missing(end)) == 0
	})
	eventually(t, 20*time.Second, "commits to reach the end offsets", func() bool { return sum(committed(t, adm, group, topic)) == sum(end) })
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		assert.NoError(t, err, "graceful exit after SIGTERM; logs:\n%s", logs.String())
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Errorf("binary did not exit 30s after SIGTERM; logs:\n%s", logs.String())
	}
	assert.Equal(t, end, committed(t, adm, group, topic))
	dups := 0
	for _, k := range s.m {
		dups += k - 1
	}
	t.Logf("%d records, %d SIGKILLs, %d lines in the file (%d duplicates)", sum(end), kills, lines(), dups)
}
