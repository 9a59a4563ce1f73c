package delta

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Failpoints are crash points for tests that must kill the process at an exact place of a
// commit sequence (between a side table's commit and the table's own), which a SIGKILL from
// outside hits only by chance. LEDGERFLOW_FAILPOINT=<name>[:<n>] makes the n-th (default
// first) pass through the failpoint SIGKILL its own process: no deferred code, no flush, the
// same as a kill from outside. Unset (production), a failpoint costs one atomic load.
const failpointEnv = "LEDGERFLOW_FAILPOINT"

// The failpoints of this output.
const (
	// fpAfterTombstones: the tombstone table has committed a merge's deletes, the silver
	// table has not committed the merge.
	fpAfterTombstones = "after-tombstones-commit"
	// fpAfterDeadLetters: the dead-letter table has committed a batch's dead letters, the
	// table has not committed the batch.
	fpAfterDeadLetters = "after-deadletters-commit"
)

var failpoints struct {
	once sync.Once
	mu   sync.Mutex
	name string
	left int
}

func failpoint(name string) {
	failpoints.once.Do(func() {
		spec := os.Getenv(failpointEnv)
		if spec == "" {
			return
		}
		failpoints.name, failpoints.left = spec, 1
		if n, count, ok := strings.Cut(spec, ":"); ok {
			c, err := strconv.Atoi(count)
			if err != nil || c < 1 {
				panic(fmt.Sprintf("%s=%q: expected <name> or <name>:<n> with n >= 1", failpointEnv, spec))
			}
			failpoints.name, failpoints.left = n, c
		}
	})
	if failpoints.name != name {
		return
	}
	failpoints.mu.Lock()
	failpoints.left--
	hit := failpoints.left == 0
	failpoints.mu.Unlock()
	if hit {
		fmt.Fprintf(os.Stderr, "ledgerflow: failpoint %s reached: killing process %d\n", name, os.Getpid())
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is delivered asynchronously: never run past the failpoint
	}
}
