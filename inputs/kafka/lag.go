package kafka

import (
	"strconv"
	"sync"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// newLagGauge is the consumer lag gauge, named and labelled as kafka_exporter names it
// so that its dashboards and alerts work unchanged.
func newLagGauge(m *service.Metrics) *service.MetricGauge {
	return m.NewGauge("kafka_consumergroup_lag", "consumergroup", "topic", "partition")
}

// partitionLag is one partition's kafka_consumergroup_lag series: its high watermark
// minus the group's committed offset. The high watermark comes from fetch responses,
// the committed offset from the group when the partition is assigned and from every
// commit of ours. The series exists from assignment, at 0 until both are known, and is
// set to 0 on revocation: the Benthos metrics API cannot delete a series, and a member
// that no longer owns a partition has none of its lag (its new owner reports it), so
// sum or max by partition across members stays right.
type partitionLag struct {
	gauge  *service.MetricGauge
	labels []string // consumergroup, topic, partition

	mu        sync.Mutex
	hwm       int64 // -1 until a fetch response reported it
	committed int64 // -1 until known
	lookedUp  bool  // the group's commit at assignment was looked for
	closed    bool  // revoked or lost: stays at 0
}

func newPartitionLag(g *service.MetricGauge, group string, tp topicPartition) *partitionLag {
	l := &partitionLag{gauge: g, labels: []string{group, tp.topic, strconv.Itoa(int(tp.partition))}, hwm: -1, committed: -1}
	l.gauge.Set(0, l.labels...)
	return l
}

// fetched records a fetch response of the partition: its high watermark and, while the
// committed offset is unknown, where the group stands. commit looks the group's commit
// up (ok false when the group has none), and is called at most once per assignment. A
// partition the group never committed counts from the first record this member
// fetched, the start position start_from chose (firstOffset -1: no record fetched).
func (l *partitionLag) fetched(hwm, firstOffset int64, commit func() (int64, bool)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	if l.committed < 0 && !l.lookedUp {
		l.lookedUp = true
		if off, ok := commit(); ok {
			l.committed = off
		}
	}
	if l.committed < 0 && firstOffset >= 0 {
		l.committed = firstOffset
	}
	l.hwm = max(l.hwm, hwm)
	l.publishLocked()
}

// committedAt records a commit of ours.
func (l *partitionLag) committedAt(off int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.committed = max(l.committed, off)
	l.publishLocked()
}

// close zeroes the series; later updates (a fetch or commit that was in flight) are
// ignored.
func (l *partitionLag) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return // a second close must not zero the series of the partition's next assignment
	}
	l.closed = true
	l.gauge.Set(0, l.labels...)
}

func (l *partitionLag) publishLocked() {
	if l.hwm < 0 || l.committed < 0 {
		return
	}
	// A commit can pass a high watermark read from an older fetch; the lag is then 0.
	l.gauge.Set(max(l.hwm-l.committed, 0), l.labels...)
}
