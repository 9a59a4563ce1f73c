package delta

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Reasons of delta_lake_blocked_total: a batch refused because the output cannot go on
// until an operator acts. Each is retried after a growing pause, not in a hot loop.
const (
	blockedFileUnreadable   = "table_file_unreadable" // see TableFileError
	blockedSchemaException  = "schema_exception"      // see SchemaChangeError
	maxBlockedPause         = 30 * time.Second
	firstBlockedPause       = time.Second
	blockedPauseGrowthLimit = 5 // 1s << 5 = 32s, capped at maxBlockedPause
)

// SchemaChangeError is a schema change the output was configured not to take: a new column
// under schema_evolution exception, a column name Delta cannot store (the unwrap's
// invalid_column_name) under exception, or a column evolve cannot add. The batch is not
// written and is retried after a pause, so the pipeline stops at that event until the
// source or the configuration is changed.
type SchemaChangeError struct {
	Msg string
}

func (e *SchemaChangeError) Error() string { return e.Msg }

func schemaChangeErr(format string, args ...any) error {
	return &SchemaChangeError{Msg: fmt.Sprintf(format, args...)}
}

// blockage paces the retries of batches that fail for a reason only an operator can remove.
type blockage struct {
	mu       sync.Mutex
	failures int
	lastLog  time.Time
}

// blockedReason is the delta_lake_blocked_total reason of err, or "" for other errors.
func blockedReason(err error) string {
	var fe *TableFileError
	var se *SchemaChangeError
	switch {
	case errors.As(err, &fe):
		return blockedFileUnreadable
	case errors.As(err, &se):
		return blockedSchemaException
	}
	return ""
}

// pause counts a blocked batch, logs its error at most once per pause, and waits the pause
// (1 s, doubling to 30 s while the blockage lasts) before the error is returned and the
// batch retried.
func (o *output) pause(ctx context.Context, reason string, err error) {
	o.mBlocked.Incr(1, reason)
	b := &o.blocked
	b.mu.Lock()
	b.failures++
	d := min(firstBlockedPause<<min(b.failures-1, blockedPauseGrowthLimit), maxBlockedPause)
	now := time.Now()
	logIt := now.Sub(b.lastLog) >= d
	if logIt {
		b.lastLog = now
	}
	n := b.failures
	b.mu.Unlock()
	if logIt {
		o.log.Errorf("%v (blocked: %s, attempt %d, retrying in %s)", err, reason, n, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// unblocked resets the pause after a batch went through.
func (o *output) unblocked() {
	b := &o.blocked
	b.mu.Lock()
	if b.failures > 0 {
		o.log.Infof("delta_lake %s: unblocked after %d attempts", o.path, b.failures)
		b.failures = 0
	}
	b.mu.Unlock()
}
