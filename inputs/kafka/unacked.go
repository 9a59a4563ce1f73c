package kafka

import (
	"context"
	"sync"
)

// unackedBudget bounds the records handed to the pipeline and not yet acknowledged. Without
// it, a consumer catching up on a backlog holds as many records as the outputs' batching and
// max_in_flight admit — for a delta_lake output, 64 batches of its count, i.e. the whole
// backlog of a demo or a restart — and its memory grows with the backlog.
type unackedBudget struct {
	limit int // 0: no limit
	mu    sync.Mutex
	used  int
	freed chan struct{} // closed and replaced whenever records are released
}

func newUnackedBudget(limit int) *unackedBudget {
	return &unackedBudget{limit: limit, freed: make(chan struct{})}
}

// acquire waits until n more records fit. A batch larger than the whole budget passes when
// nothing else is out, so that it cannot wait forever.
func (b *unackedBudget) acquire(ctx context.Context, n int) error {
	if b.limit <= 0 {
		return nil
	}
	for {
		b.mu.Lock()
		if b.used == 0 || b.used+n <= b.limit {
			b.used += n
			b.mu.Unlock()
			return nil
		}
		freed := b.freed
		b.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (b *unackedBudget) release(n int) {
	if b.limit <= 0 || n == 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	close(b.freed)
	b.freed = make(chan struct{})
	b.mu.Unlock()
}

// inUse is the records out now.
func (b *unackedBudget) inUse() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
