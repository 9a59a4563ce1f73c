package delta

import (
	"reflect"
	"testing"
)

func tpos(offset, prev int64) position {
	return position{tp: topicPartition{"t", 0}, offset: offset, prev: prev, known: true}
}

func TestPlanSkipsCommittedAndDuplicates(t *testing.T) {
	msgs := []position{tpos(5, 4), tpos(6, 5), tpos(7, 6), tpos(7, 6), tpos(8, 7)}
	v, next := plan(msgs, map[topicPartition]int64{{"t", 0}: 6})
	want := []verdict{skip, skip, write, skip, write}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("verdicts %v want %v", v, want)
	}
	if next[topicPartition{"t", 0}] != 8 {
		t.Fatalf("next version %v", next)
	}
}

func TestPlanHoldsRecordsWhosePredecessorIsInFlight(t *testing.T) {
	// Offsets 10..19 were nacked and await retry; 20..22 overtook them.
	msgs := []position{tpos(20, 19), tpos(21, 20), tpos(22, 21)}
	v, next := plan(msgs, map[topicPartition]int64{{"t", 0}: 9})
	for i, x := range v {
		if x != wait {
			t.Fatalf("message %d: got %v, want wait", i, x)
		}
	}
	if len(next) != 0 {
		t.Fatalf("no version may advance, got %v", next)
	}
	// Once 10..19 are committed, the same records go through.
	v, next = plan(msgs, map[topicPartition]int64{{"t", 0}: 19})
	if !reflect.DeepEqual(v, []verdict{write, write, write}) || next[topicPartition{"t", 0}] != 22 {
		t.Fatalf("after the gap closed: %v %v", v, next)
	}
}

func TestPlanGapInsideBatchHoldsTheRest(t *testing.T) {
	// 3 is missing: 4 and 5 wait, 1 and 2 are written. Offsets may jump (transaction
	// markers) as long as the predecessor chain is intact: 7 follows 5 directly.
	msgs := []position{tpos(2, 1), tpos(1, -1), tpos(4, 3), tpos(5, 4)}
	v, next := plan(msgs, nil)
	if !reflect.DeepEqual(v, []verdict{write, write, wait, wait}) || next[topicPartition{"t", 0}] != 2 {
		t.Fatalf("got %v %v", v, next)
	}
	v, next = plan([]position{tpos(7, 5)}, map[topicPartition]int64{{"t", 0}: 5})
	if v[0] != write || next[topicPartition{"t", 0}] != 7 {
		t.Fatalf("offset jump over markers: %v %v", v, next)
	}
}

func TestPlanPartitionsAreIndependentAndUnknownAlwaysWritten(t *testing.T) {
	a := position{tp: topicPartition{"t", 0}, offset: 3, prev: 2, known: true}
	b := position{tp: topicPartition{"t", 1}, offset: 3, prev: 2, known: true}
	u := position{}
	v, next := plan([]position{a, b, u}, map[topicPartition]int64{{"t", 0}: 2})
	if !reflect.DeepEqual(v, []verdict{write, wait, write}) {
		t.Fatalf("got %v", v)
	}
	if len(next) != 1 || next[topicPartition{"t", 0}] != 3 {
		t.Fatalf("next %v", next)
	}
}
