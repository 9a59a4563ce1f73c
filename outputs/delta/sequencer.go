package delta

import (
	"fmt"
	"sort"
)

// topicPartition names one Kafka partition; each has its own Delta txn appId.
type topicPartition struct {
	Topic     string
	Partition int32
}

// position is what the output knows of where a message came from.
type position struct {
	tp     topicPartition
	offset int64
	// prev is the offset of the record the input emitted before this one on the same
	// partition, or -1 when unknown (the first record after an assignment).
	prev  int64
	known bool // false for messages without Kafka coordinates: always written, no txn
}

// verdict is what to do with one message of a batch.
type verdict uint8

const (
	write verdict = iota // new: write it
	skip                 // at or below the committed txn version: already in the table
	wait                 // its predecessor has not been committed yet: nack, retry later
)

// plan decides, for every message of a batch, whether to write, skip or hold it, and the
// txn version each partition reaches if the written ones commit.
//
// Exactly once rests on two rules. A record at or below its partition's committed version is
// already in the table (a redelivery after a crash or rebalance) and is skipped. A record is
// written only once every record before it on its partition is committed or in this batch:
// otherwise committing it would move the version past a record that is still in flight (a
// nacked batch awaiting retry, or a batch overtaken by another pipeline thread), and that
// record would later be skipped as a duplicate and lost. The input says which record came
// before (kafka_prev_offset), so gaps in offsets (transaction markers, compaction) are no
// obstacle.
func plan(msgs []position, committed map[topicPartition]int64) ([]verdict, map[topicPartition]int64) {
	verdicts := make([]verdict, len(msgs))
	byTP := map[topicPartition][]int{}
	for i, m := range msgs {
		if m.known {
			byTP[m.tp] = append(byTP[m.tp], i)
		}
	}
	next := map[topicPartition]int64{}
	for tp, idx := range byTP {
		sort.SliceStable(idx, func(a, b int) bool { return msgs[idx[a]].offset < msgs[idx[b]].offset })
		base, ok := committed[tp]
		if !ok {
			base = -1
		}
		frontier := base
		blocked := false
		for _, i := range idx {
			m := msgs[i]
			switch {
			case m.offset <= frontier:
				verdicts[i] = skip // committed before, or a duplicate within this batch
			case blocked || (m.prev >= 0 && m.prev > frontier):
				verdicts[i] = wait
				blocked = true
			default:
				frontier = m.offset
			}
		}
		if frontier > base {
			next[tp] = frontier
		}
	}
	return verdicts, next
}

// appID is the Delta txn application id of one output's writes from one partition. It is
// stable across restarts and processes so that any replica skips what another committed.
func appID(prefix string, tp topicPartition) string {
	return fmt.Sprintf("%s/%s/%d", prefix, tp.Topic, tp.Partition)
}
