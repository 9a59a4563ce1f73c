package features

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// change is one row change of a generated history, with its Kafka placement.
type change struct {
	row       map[string]any
	txID      int64
	op        string
	at        time.Time // change time
	partition int
	offset    int64
}

type histOpts struct {
	txns       int
	partitions int
	snapshots  bool // op r rows, placed first in each partition (out of change-time order)
	span       time.Duration
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// genHistory makes random transactions (inserts, status and amount updates, key and
// event-time changes, deletes, ties on event time and on change time), orders them as a
// binlog (by change time), numbers positions, and places them in partitions by
// transaction id as Debezium does.
func genHistory(r *rand.Rand, o histOpts) []change {
	var all []change
	ids := r.Perm(o.txns * 3)
	amounts := []string{"0.50", "0.99", "1.00", "2.00", "2.01", "12.34", "99.90", "1000.00", "3000.00", "8500.00", "9999.99", "-5.00"}
	seconds := int(o.span / time.Second)
	for i := 0; i < o.txns; i++ {
		id := int64(ids[i] + 1)
		ev := t0.Add(time.Duration(r.IntN(seconds)) * time.Second)
		if r.IntN(4) == 0 {
			ev = ev.Add(time.Duration(r.IntN(1000)) * time.Millisecond)
		}
		row := map[string]any{
			"transaction_id": id, "account_id": int64(1 + r.IntN(4)), "customer_id": int64(1 + r.IntN(3)),
			"merchant_id": any(int64(10 + r.IntN(5))), "amount": amounts[r.IntN(len(amounts))], "currency": []string{"EUR", "USD"}[r.IntN(2)],
			"status": []string{"pending", "completed", "failed"}[r.IntN(3)], "transaction_type": "purchase",
			"channel": nil, "merchant_category": nil, "device_id": any([]string{"d1", "d2", "d3"}[r.IntN(3)]),
			"country": nil, "ip_address": any([]string{"10.0.0.1", "10.0.0.2"}[r.IntN(2)]),
			"event_ts": ts(ev), "created_at": ts(ev), "updated_at": nil,
		}
		if r.IntN(10) == 0 {
			row["merchant_id"] = nil
		}
		if r.IntN(8) == 0 {
			row["device_id"] = nil
		}
		if r.IntN(3) == 0 {
			row["amount"] = fmt.Sprintf("%d.%02d", r.IntN(3000), r.IntN(100))
		}
		op := "c"
		if o.snapshots && r.IntN(10) == 0 {
			op = "r"
		}
		all = append(all, change{row: row, txID: id, op: op, at: ev})
		at := ev
		for u := r.IntN(3); u > 0; u-- {
			at = at.Add(time.Duration(r.IntN(300)) * time.Second) // 0: committed at the event time (a tie)
			nr := clone(row)
			nr["status"] = []string{"pending", "completed", "failed", "reversed"}[r.IntN(4)]
			switch r.IntN(20) {
			case 0:
				nr["amount"] = amounts[r.IntN(len(amounts))]
			case 1:
				nr["merchant_id"] = int64(10 + r.IntN(5)) // a key change
			case 2:
				nr["event_ts"] = ts(ev.Add(time.Duration(r.IntN(120)-60) * time.Second)) // an anchor change
			}
			nr["updated_at"] = ts(at)
			all = append(all, change{row: nr, txID: id, op: "u", at: at})
			row = nr
		}
		if r.IntN(10) == 0 {
			at = at.Add(time.Duration(r.IntN(600)) * time.Second)
			all = append(all, change{row: clone(row), txID: id, op: "d", at: at})
		}
	}
	// Binlog order: snapshot reads first (they carry the snapshot position), then by change
	// time, equal times in random order; then each transaction's own changes are put back in
	// their order into the slots the transaction occupies (same multiset of times, so the
	// slots stay sorted by time).
	keys := make([]int, len(all))
	for i := range keys {
		keys[i] = r.IntN(1 << 30)
	}
	idx := make([]int, len(all))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool {
		ca, cb := all[idx[a]], all[idx[b]]
		ra, rb := ca.op == "r", cb.op == "r"
		if ra != rb {
			return ra
		}
		if !ca.at.Equal(cb.at) {
			return ca.at.Before(cb.at)
		}
		return keys[idx[a]] < keys[idx[b]]
	})
	sorted := make([]change, len(all))
	for i, j := range idx {
		sorted[i] = all[j]
	}
	all = sorted
	// Restore each transaction's own order (the stable sort may not, for equal times).
	byTx := map[int64][]int{}
	for i, c := range all {
		byTx[c.txID] = append(byTx[c.txID], i)
	}
	fixed := make([]change, len(all))
	copy(fixed, all)
	for _, idxs := range byTx {
		cs := make([]change, len(idxs))
		for k, i := range idxs {
			cs[k] = all[i]
		}
		sort.SliceStable(cs, func(a, b int) bool {
			return opRank(cs[a].op) < opRank(cs[b].op) || (opRank(cs[a].op) == opRank(cs[b].op) && cs[a].at.Before(cs[b].at))
		})
		for k, i := range idxs {
			fixed[i] = cs[k]
		}
	}
	all = fixed
	offsets := make([]int64, o.partitions)
	for i := range all {
		c := &all[i]

		pos := fmt.Sprintf("%010d:%020d:%06d", 1, 1000+i*10, 0)
		if c.op == "r" {
			pos = fmt.Sprintf("%010d:%020d:%06d", 1, 4, 0)
		}
		c.partition = int(c.txID % int64(o.partitions))
		c.offset = offsets[c.partition]
		offsets[c.partition]++
		c.row = clone(c.row)
		c.row["_op"] = c.op
		c.row["_source_ts"] = ts(c.at)
		c.row["_source_pos"] = pos
		c.row["_kafka_topic"] = "tx"
		c.row["_kafka_partition"] = c.partition
		c.row["_kafka_offset"] = c.offset
		c.row["_deleted"] = c.op == "d"
	}
	return all
}

func opRank(op string) int {
	if op == "c" || op == "r" {
		return 0
	}
	if op == "d" {
		return 2
	}
	return 1
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// arrivals interleaves the partitions' streams at random, in chunks, with redeliveries
// (a partition rewound by a few records), and cuts them into batches.
func arrivals(r *rand.Rand, hist []change, partitions int, redeliver bool) [][]change {
	streams := make([][]change, partitions)
	for _, c := range hist {
		streams[c.partition] = append(streams[c.partition], c)
	}
	next := make([]int, partitions)
	var out [][]change
	var batch []change
	for {
		var open []int
		for p := range streams {
			if next[p] < len(streams[p]) {
				open = append(open, p)
			}
		}
		if len(open) == 0 {
			break
		}
		// Skewed choice: some partitions run far ahead of others.
		p := open[r.IntN(len(open))]
		if r.IntN(3) == 0 {
			p = open[0]
		}
		n := 1 + r.IntN(8)
		for k := 0; k < n && next[p] < len(streams[p]); k++ {
			batch = append(batch, streams[p][next[p]])
			next[p]++
		}
		if redeliver && r.IntN(15) == 0 {
			next[p] = max(0, next[p]-1-r.IntN(5))
		}
		if r.IntN(3) == 0 {
			out = append(out, batch)
			batch = nil
		}
	}
	if len(batch) > 0 {
		out = append(out, batch)
	}
	return out
}

func toVersion(t testing.TB, d *Decl, c change) Version {
	t.Helper()
	b, err := json.Marshal(c.row)
	require.NoError(t, err)
	env := map[string]map[string]any{}
	if mid, ok := c.row["merchant_id"].(int64); ok {
		env["merch"] = map[string]any{"lat": fmt.Sprintf("%d.%06d", 40+mid%3, mid*1111%1000000), "lon": 13.5}
	}
	v, err := d.Version(b, env)
	require.NoError(t, err, string(b))
	return v
}
