package kafka

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
)

// The harness of the tests that run the real binary (kafka input → file output) and
// SIGKILL it.
//
// Each record becomes one line "partition:offset\n". The newline is part of the message
// (codec append), so the file output writes a record in one write call: with codec lines
// it writes the message and then "\n" in two calls, and a SIGKILL between them glued the
// next process's first line to the half-written one.

// binaryConfig is the pipeline the SIGKILL tests run. client_id comes from LF_CLIENT_ID so
// that each process can be told apart in the group's description.
func binaryConfig(t *testing.T, dir, topic, group, outPath string) string {
	t.Helper()
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
    client_id: ${LF_CLIENT_ID:ledgerflow}
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
    - mapping: 'root = "%%s:%%s\n".format(meta("kafka_partition"), meta("kafka_offset"))'
output:
  file:
    path: %s
    codec: append
`, topic, group, outPath), 0o644))
	return cfgPath
}

// killCluster is the kfake cluster of the SIGKILL tests. A SIGKILLed member never leaves
// the group, so the session must be short for the next process to take over in seconds.
func killCluster(t *testing.T, partitions int32, topic string) *kfake.Cluster {
	return newCluster(t, partitions, []string{topic}, kfake.GroupMinSessionTimeout(time.Second))
}

// ledgerflowProc is one run of the binary. It is SIGKILLed in t.Cleanup if the test ends
// (or fails) while it runs, so no child outlives its test.
type ledgerflowProc struct {
	cmd      *exec.Cmd
	clientID string
	done     chan struct{} // closed when the process has exited and been reaped
	waitErr  error
}

// startLedgerflow starts the binary on cfgPath with the given client id; logs go to logs.
func startLedgerflow(t *testing.T, bin, cfgPath, seeds, clientID string, logs *lockedBuffer) *ledgerflowProc {
	t.Helper()
	cmd := exec.Command(bin, "-c", cfgPath)
	cmd.Env = append(os.Environ(), "KAFKA_BROKERS="+seeds, "LF_CLIENT_ID="+clientID)
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	p := &ledgerflowProc{cmd: cmd, clientID: clientID, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

// kill SIGKILLs the process (if it still runs) and waits until it is reaped.
func (p *ledgerflowProc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM and waits up to timeout (a deadlock guard) for a clean exit.
func (p *ledgerflowProc) stop(t *testing.T, timeout time.Duration, logs *lockedBuffer) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-p.done:
		require.NoError(t, p.waitErr, "graceful exit after SIGTERM; logs:\n%s", logs.String())
	case <-time.After(timeout):
		p.kill()
		t.Fatalf("binary did not exit %v after SIGTERM; logs:\n%s", timeout, logs.String())
	}
}

// waitOwned waits until the group is stable with every partition of topic assigned to
// the process, so that each kill hits a process that owns partitions and commits: one
// killed before (or while) it joined tests no takeover.
func waitOwned(t *testing.T, adm *kadm.Client, group, topic string, partitions int32, p *ledgerflowProc, timeout time.Duration) {
	t.Helper()
	var last string
	owned := func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		gs, err := adm.DescribeGroups(ctx, group)
		if err != nil {
			last = err.Error()
			return false
		}
		g := gs[group]
		mine := map[int32]bool{}
		for _, m := range g.Members {
			if a, ok := m.Assigned.AsConsumer(); ok && m.ClientID == p.clientID {
				for _, tp := range a.Topics {
					if tp.Topic == topic {
						for _, part := range tp.Partitions {
							mine[part] = true
						}
					}
				}
			}
		}
		last = fmt.Sprintf("state %s, %d members, %d of the partitions owned", g.State, len(g.Members), len(mine))
		return g.State == "Stable" && len(mine) == int(partitions)
	}
	deadline := time.Now().Add(timeout)
	for !owned() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for group %s to be stable with all %d partitions owned by %s; last seen: %s", timeout, group, partitions, p.clientID, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// outputReader reads the binary's output file incrementally. Every complete line must be
// "partition:offset"; anything else fails the test at once with the line, because a
// malformed line means the one-write-per-record assumption broke and every count after it
// would be wrong.
type outputReader struct {
	path  string
	pos   int64 // bytes consumed: up to the end of the last complete line
	lines int
	count map[string]int  // "p:o" → lines holding it
	max   map[int32]int64 // highest offset seen per partition
	// minSince is the lowest offset seen per partition since the last mark. Not the first:
	// pipeline threads write batches out of order.
	minSince map[int32]int64
}

func newOutputReader(path string) *outputReader {
	return &outputReader{path: path, count: map[string]int{}, max: map[int32]int64{}, minSince: map[int32]int64{}}
}

// mark forgets minSince: what comes next was written by the process started next.
func (r *outputReader) mark() { r.minSince = map[int32]int64{} }

// read consumes the complete lines appended since the last read. A tail without "\n" is
// a write in progress while a process runs; with complete set (no process is writing)
// it is a defect.
func (r *outputReader) read(t *testing.T, complete bool) {
	t.Helper()
	f, err := os.Open(r.path)
	if os.IsNotExist(err) {
		return
	}
	require.NoError(t, err)
	defer f.Close()
	st, err := f.Stat()
	require.NoError(t, err)
	if st.Size() <= r.pos {
		return
	}
	buf := make([]byte, st.Size()-r.pos)
	_, err = f.ReadAt(buf, r.pos)
	require.NoError(t, err)
	end := bytes.LastIndexByte(buf, '\n') + 1
	if complete && end != len(buf) {
		t.Fatalf("output %s ends in an unterminated line %q after its process exited: a record was written in more than one write call", r.path, buf[end:])
	}
	for _, l := range strings.Split(string(buf[:end]), "\n") {
		if l == "" {
			continue // the split after the final newline
		}
		r.lines++
		ps, offs, ok := strings.Cut(l, ":")
		p, perr := strconv.ParseInt(ps, 10, 32)
		o, oerr := strconv.ParseInt(offs, 10, 64)
		if !ok || perr != nil || oerr != nil || p < 0 || o < 0 {
			t.Fatalf("output %s line %d is %q, want partition:offset (two records glued or a record split: the harness's one write per record broke)", r.path, r.lines, l)
		}
		r.count[l]++
		if cur, seen := r.max[int32(p)]; !seen || o > cur {
			r.max[int32(p)] = o
		}
		if cur, seen := r.minSince[int32(p)]; !seen || o < cur {
			r.minSince[int32(p)] = o
		}
	}
	r.pos += int64(end)
}

// missing lists the offsets below end (per partition) never written.
func (r *outputReader) missing(end map[int32]int64) []string {
	s := newSeen()
	s.m = r.count
	return s.missing(end)
}

func (r *outputReader) duplicates() int {
	d := 0
	for _, k := range r.count {
		d += k - 1
	}
	return d
}
