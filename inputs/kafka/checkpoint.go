package kafka

import "sync"

// span is one batch of records of a partition, from the moment it is fetched until the
// output acknowledges it. Offsets are not stored per record: a span only needs to know
// where the partition resumes once it and every earlier span are acknowledged.
type span struct {
	next   int64 // offset after the span's last record: the offset to commit
	epoch  int32 // leader epoch of the span's last record, for the commit's fencing
	handed bool  // given to the pipeline by ReadBatch
	acked  bool
}

// checkpoint is the acknowledged watermark of one partition. Acknowledgements arrive out
// of order (pipeline threads, output retries, max_in_flight), but Kafka stores one offset
// per partition, so only the contiguous acknowledged prefix of the spans may be committed:
// committing a later span first would lose the earlier one if the process died.
//
// Spans must be tracked in offset order, which holds because one goroutine polls and
// tracks them. A checkpoint is safe for concurrent use.
type checkpoint struct {
	mu       sync.Mutex
	pending  []*span // tracked and not yet part of the acknowledged prefix, oldest first
	done     int64   // next offset after the acknowledged prefix; -1 while none
	epoch    int32
	inFlight int  // spans handed out and not yet acknowledged
	closed   bool // the partition was revoked or lost: hand nothing more out
}

func newCheckpoint() *checkpoint { return &checkpoint{done: -1, epoch: -1} }

// track registers the next batch of the partition, ending at offset last. It returns false
// (and tracks nothing) when the checkpoint is closed or last does not come after the
// previous span, which would break the prefix arithmetic.
func (c *checkpoint) track(last int64, epoch int32) (*span, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, false
	}
	prev := c.done
	if n := len(c.pending); n > 0 {
		prev = c.pending[n-1].next
	}
	if last < prev {
		return nil, false
	}
	s := &span{next: last + 1, epoch: epoch}
	c.pending = append(c.pending, s)
	return s, true
}

// handOut marks s as given to the pipeline. It returns false when the partition was
// closed meanwhile: the caller must then drop the batch, whose records the partition's
// next owner reads again from the committed offset.
func (c *checkpoint) handOut(s *span) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	s.handed = true
	c.inFlight++
	return true
}

// ack records that s was delivered and moves the watermark over every leading span that
// is acknowledged. Acknowledging a span twice, or one that was never handed out, is a
// no-op so that a stray second ack cannot move the watermark over an unacknowledged span.
func (c *checkpoint) ack(s *span) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.acked || !s.handed {
		return
	}
	s.acked = true
	c.inFlight--
	i := 0
	for ; i < len(c.pending) && c.pending[i].acked; i++ {
		c.done, c.epoch = c.pending[i].next, c.pending[i].epoch
		c.pending[i] = nil
	}
	c.pending = c.pending[i:]
	if len(c.pending) == 0 {
		c.pending = nil // let the backing array go once the partition is idle
	}
}

// committable returns the offset to commit (the next offset after the acknowledged
// prefix) and its leader epoch; ok is false while nothing was acknowledged.
func (c *checkpoint) committable() (offset int64, epoch int32, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done, c.epoch, c.done >= 0
}

// outstanding returns the number of spans handed out and not yet acknowledged.
func (c *checkpoint) outstanding() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inFlight
}

// close stops further hand-outs; acknowledgements still move the watermark, so that a
// revoked partition can commit what was delivered before it goes.
func (c *checkpoint) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
}
