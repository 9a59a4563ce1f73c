package kafka

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type topicPartition struct {
	topic     string
	partition int32
}

func (tp topicPartition) String() string { return fmt.Sprintf("%s/%d", tp.topic, tp.partition) }

// partition is this member's state for one assigned partition. A new one is made at each
// assignment, so that a batch fetched under an earlier assignment can be told apart (its
// checkpoint is closed) and never moves the watermark of a later one.
type partition struct {
	tp        topicPartition
	cp        *checkpoint
	committed int64 // highest offset this member committed for the assignment; -1 none
	// lastEmitted is the offset of the last record handed to the pipeline under this
	// assignment (-1 before the first). Only the poll goroutine touches it.
	lastEmitted int64
	lag         *partitionLag
}

// assignment holds the partitions this member owns and commits their watermarks. The
// group's committed offset of a partition must only move forward and only be written by
// its current owner, so every commit, periodic or at revocation, runs under commitMu and
// reads the owned partitions under that lock: once a revoke has dropped a partition no
// later commit can name it.
type assignment struct {
	log        *service.Logger
	group      string
	revokeWait time.Duration
	commitTO   time.Duration
	lagGauge   *service.MetricGauge

	mu      sync.Mutex
	parts   map[topicPartition]*partition
	closing bool // shutting down: acks were already awaited, do not wait again on revoke

	commitMu sync.Mutex
}

func newAssignment(log *service.Logger, metrics *service.Metrics, group string, revokeWait time.Duration) *assignment {
	return &assignment{
		log:        log,
		group:      group,
		revokeWait: revokeWait,
		commitTO:   10 * time.Second,
		lagGauge:   newLagGauge(metrics),
		parts:      map[topicPartition]*partition{},
	}
}

func eachTP(m map[string][]int32, fn func(topicPartition)) {
	for t, ps := range m {
		for _, p := range ps {
			fn(topicPartition{t, p})
		}
	}
}

func describe(m map[string][]int32) string {
	var s []string
	eachTP(m, func(tp topicPartition) { s = append(s, tp.String()) })
	sort.Strings(s)
	return strings.Join(s, ",")
}

// get returns the live state of tp, nil when this member does not own it.
func (a *assignment) get(tp topicPartition) *partition {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.parts[tp]
}

// onAssigned runs before fetching of the new partitions starts (kgo guarantees it), and
// with BlockRebalanceOnPoll never while a poll's records are being tracked.
func (a *assignment) onAssigned(_ context.Context, _ *kgo.Client, assigned map[string][]int32) {
	a.mu.Lock()
	eachTP(assigned, func(tp topicPartition) {
		if old := a.parts[tp]; old != nil {
			old.cp.close()
			old.lag.close()
		}
		a.parts[tp] = &partition{tp: tp, cp: newCheckpoint(), committed: -1, lastEmitted: -1, lag: newPartitionLag(a.lagGauge, a.group, tp)}
	})
	a.mu.Unlock()
	a.log.Infof("kafka: group %s assigned partitions %s", a.group, describe(assigned))
}

// onRevoked stops handing out records of the revoked partitions, waits up to
// revoke_ack_timeout for the batches already handed out to be acknowledged, commits the
// acknowledged prefix synchronously and forgets the partitions. Batches not acknowledged
// in time are redelivered by the next owner: at-least-once, never a gap.
func (a *assignment) onRevoked(ctx context.Context, cl *kgo.Client, revoked map[string][]int32) {
	if len(revoked) == 0 {
		return
	}
	parts := a.closeParts(revoked)
	a.mu.Lock()
	closing := a.closing
	a.mu.Unlock()
	if !closing {
		deadline := time.Now().Add(a.revokeWait)
		for waiting(parts) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		if n := waiting(parts); n > 0 {
			a.log.Warnf("kafka: group %s: %d batches of revoked partitions %s were not acknowledged within %v; their records will be redelivered to the next owner", a.group, n, describe(revoked), a.revokeWait)
		}
	}
	a.commitMu.Lock()
	defer a.commitMu.Unlock()
	if err := a.commitLocked(ctx, cl, parts); err != nil {
		a.log.Errorf("kafka: group %s: final commit of revoked partitions %s failed, the next owner re-reads from the previous commit: %v", a.group, describe(revoked), err)
	}
	a.drop(parts)
	a.log.Infof("kafka: group %s revoked partitions %s", a.group, describe(revoked))
}

// onLost forgets the partitions without committing: the member is no longer in the
// group, so a commit would fail or, worse, overwrite the new owner's progress.
func (a *assignment) onLost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	if len(lost) == 0 {
		return
	}
	parts := a.closeParts(lost)
	a.commitMu.Lock()
	a.drop(parts)
	a.commitMu.Unlock()
	a.log.Warnf("kafka: group %s lost partitions %s (session expired or fatal group error); unacknowledged records will be redelivered", a.group, describe(lost))
}

func waiting(parts []*partition) int {
	n := 0
	for _, p := range parts {
		n += p.cp.outstanding()
	}
	return n
}

func (a *assignment) closeParts(m map[string][]int32) []*partition {
	a.mu.Lock()
	defer a.mu.Unlock()
	var parts []*partition
	eachTP(m, func(tp topicPartition) {
		if p := a.parts[tp]; p != nil {
			p.cp.close()
			parts = append(parts, p)
		}
	})
	return parts
}

func (a *assignment) drop(parts []*partition) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range parts {
		if a.parts[p.tp] == p {
			delete(a.parts, p.tp)
		}
		p.lag.close()
	}
}

// reset forgets every partition, after the client that owned them was closed: a client
// that died without a revoke must not leave partitions for the next client to commit.
func (a *assignment) reset() {
	a.commitMu.Lock()
	defer a.commitMu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	for tp, p := range a.parts {
		p.cp.close()
		p.lag.close()
		delete(a.parts, tp)
	}
}

func (a *assignment) all() []*partition {
	a.mu.Lock()
	defer a.mu.Unlock()
	parts := make([]*partition, 0, len(a.parts))
	for _, p := range a.parts {
		parts = append(parts, p)
	}
	return parts
}

// commit commits the acknowledged watermark of every owned partition that moved since
// its last commit.
func (a *assignment) commit(ctx context.Context, cl *kgo.Client) error {
	a.commitMu.Lock()
	defer a.commitMu.Unlock()
	return a.commitLocked(ctx, cl, a.all())
}

// commitLocked commits the parts' watermarks that are above what was committed; the
// caller holds commitMu. A partition whose commit fails keeps its old committed mark and
// is retried at the next commit with whatever the watermark is then.
func (a *assignment) commitLocked(ctx context.Context, cl *kgo.Client, parts []*partition) error {
	offsets := map[string]map[int32]kgo.EpochOffset{}
	byTP := map[topicPartition]*partition{}
	for _, p := range parts {
		off, epoch, ok := p.cp.committable()
		if !ok || off <= p.committed {
			continue
		}
		if offsets[p.tp.topic] == nil {
			offsets[p.tp.topic] = map[int32]kgo.EpochOffset{}
		}
		offsets[p.tp.topic][p.tp.partition] = kgo.EpochOffset{Epoch: epoch, Offset: off}
		byTP[p.tp] = p
	}
	if len(offsets) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, a.commitTO)
	defer cancel()
	var firstErr error
	cl.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			firstErr = err
			return
		}
		for _, t := range resp.Topics {
			for _, rp := range t.Partitions {
				tp := topicPartition{t.Topic, rp.Partition}
				if perr := kerr.ErrorForCode(rp.ErrorCode); perr != nil {
					if firstErr == nil {
						firstErr = fmt.Errorf("partition %s: %w", tp, perr)
					}
					continue
				}
				if p := byTP[tp]; p != nil {
					p.committed = offsets[tp.topic][tp.partition].Offset
					p.lag.committedAt(p.committed)
				}
			}
		}
	})
	if firstErr != nil {
		return fmt.Errorf("committing offsets %v of group %s: %w", offsets, a.group, firstErr)
	}
	return nil
}
