package tests

import (
	"cmp"
	"fmt"
	"math/big"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// txRow is one version of a bank.transactions row in the simulated source database. Versions
// are immutable once an event refers to them; a change makes a copy.
type txRow struct {
	id, account, customer int64
	merchant              int64 // 0: NULL
	cents                 int64 // amount in cents: DECIMAL(18,2)
	currency, status      string
	txType                string
	channel, mcc, device  string // "": NULL
	country, ip           string // "": NULL
	eventMs, createdMs    int64
	updatedMs             int64 // 0: NULL
}

// values is the row in contract column order, as the debezium encoder (debezium.NewContractTable) takes it.
func (r *txRow) values(c *schemas.Table) ([]any, error) {
	out := make([]any, len(c.Columns))
	str := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	for i, col := range c.Columns {
		switch col.Name {
		case "transaction_id":
			out[i] = r.id
		case "account_id":
			out[i] = r.account
		case "customer_id":
			out[i] = r.customer
		case "merchant_id":
			if r.merchant != 0 {
				out[i] = r.merchant
			}
		case "amount":
			out[i] = schema.Decimal{Unscaled: big.NewInt(r.cents), Scale: 2}
		case "currency":
			out[i] = r.currency
		case "status":
			out[i] = r.status
		case "transaction_type":
			out[i] = r.txType
		case "channel":
			out[i] = str(r.channel)
		case "merchant_category":
			out[i] = str(r.mcc)
		case "device_id":
			out[i] = str(r.device)
		case "country":
			out[i] = str(r.country)
		case "ip_address":
			out[i] = str(r.ip)
		case "event_ts":
			out[i] = time.UnixMilli(r.eventMs).UTC()
		case "created_at":
			out[i] = time.UnixMilli(r.createdMs).UTC()
		case "updated_at":
			if r.updatedMs != 0 {
				out[i] = time.UnixMilli(r.updatedMs).UTC()
			}
		default:
			return nil, fmt.Errorf("contract column %q is unknown to this test's model: extend txRow", col.Name)
		}
	}
	return out, nil
}

// srcPos is a place in the MySQL binlog: the file's number, the rows event's position, the
// row within the event.
type srcPos struct{ file, pos, row int64 }

func (p srcPos) String() string { return fmt.Sprintf("%010d:%020d:%06d", p.file, p.pos, p.row) }

// srcEvent is one change event as the Debezium MySQL connector emits it.
type srcEvent struct {
	op            byte // c u d r
	before, after *txRow
	pos           srcPos
	tsMs          int64  // source.ts_ms: when the change was committed
	snapshot      string // source.snapshot
}

func (e *srcEvent) id() int64 {
	if e.after != nil {
		return e.after.id
	}
	return e.before.id
}

// state is the row the event leaves behind: nil for a delete.
func (e *srcEvent) state() *txRow {
	if e.op == 'd' {
		return nil
	}
	return e.after
}

// cmpEvents orders two events of one key as the source's history does: by binlog position,
// and at the same position a snapshot read (the state before that position) before a
// streamed change. The silver contract applies only changes newer in this order.
func cmpEvents(a, b *srcEvent) int {
	if c := cmp.Compare(a.pos.file, b.pos.file); c != 0 {
		return c
	}
	if c := cmp.Compare(a.pos.pos, b.pos.pos); c != 0 {
		return c
	}
	if c := cmp.Compare(a.pos.row, b.pos.row); c != 0 {
		return c
	}
	rank := func(e *srcEvent) int {
		if e.op == 'r' {
			return 0
		}
		return 1
	}
	return cmp.Compare(rank(a), rank(b))
}

// silverSource is a simulated bank.transactions history: an initial snapshot, then streamed
// inserts, updates, deletes, re-inserts and primary-key changes at increasing binlog
// positions, with late snapshot reads emitted along the way.
type silverSource struct {
	events       []srcEvent       // in the order the connector emitted them
	snapshotRows int              // events[:snapshotRows] are the initial snapshot
	final        map[int64]*txRow // the source table at the end
	stats        map[string]int   // what the history holds, for the test log
	history      int              // events that are source changes (snapshot rows included)
}

var (
	txStatuses = []string{"pending", "completed", "failed", "reversed"}
	txTypes    = []string{"purchase", "withdrawal", "transfer", "deposit", "refund"}
	txChannels = []string{"", "card_present", "online", "atm", "mobile", "branch"}
	txDevices  = []string{"", "dev-1", `dev "quoted" \ back`, "gerät-ü-✓", "tab\there", "dev-" + string(rune(0x1F4B3))}
	txIPs      = []string{"", "10.0.0.1", "2001:db8::ff00:42:8329", "192.168.100.200"}
)

// newTxRow is a fresh transaction created at tsMs. Amounts include refunds (negative), zero
// and the DECIMAL(18,2) extremes.
func newTxRow(r *rand.Rand, id, tsMs int64) *txRow {
	row := &txRow{
		id: id, account: 1 + r.Int64N(5000), customer: 1 + r.Int64N(3000),
		currency: []string{"EUR", "USD", "GBP"}[r.IntN(3)], status: "pending",
		txType:  txTypes[r.IntN(len(txTypes))],
		channel: txChannels[r.IntN(len(txChannels))],
		device:  txDevices[r.IntN(len(txDevices))],
		ip:      txIPs[r.IntN(len(txIPs))],
		// Backdated up to ten days: silver is partitioned by event_date, so keys spread over
		// about eleven partitions and a merge touches several.
		eventMs:   tsMs - r.Int64N(10*24*3600*1000),
		createdMs: tsMs,
		cents:     txAmount(r),
	}
	if r.IntN(4) != 0 {
		row.merchant = 1 + r.Int64N(700)
		row.mcc = []string{"5411", "5812", "6011", "4829"}[r.IntN(4)]
	}
	if r.IntN(5) != 0 {
		row.country = []string{"DE", "FR", "US", "GB", "NL"}[r.IntN(5)]
	}
	return row
}

func txAmount(r *rand.Rand) int64 {
	const maxUnscaled = 999_999_999_999_999_999 // 9999999999999999.99, the largest DECIMAL(18,2)
	switch x := r.IntN(200); {
	case x == 0:
		return maxUnscaled
	case x == 1:
		return -maxUnscaled
	case x == 2:
		return 0
	case x < 20:
		return -1 - r.Int64N(50_000) // refunds
	default:
		return 1 + r.Int64N(2_000_000)
	}
}

// genSilverSource generates a history of `changes` source changes over `keys` primary keys.
func genSilverSource(r *rand.Rand, keys, changes int) *silverSource {
	s := &silverSource{final: map[int64]*txRow{}, stats: map[string]int{}}
	perKey := map[int64][]int{} // history events (not late reads) of each key, in source order
	everDeleted := map[int64]bool{}
	ts := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	emit := func(e srcEvent, history bool) {
		s.events = append(s.events, e)
		if history {
			perKey[e.id()] = append(perKey[e.id()], len(s.events)-1)
			s.history++
		}
	}

	// Initial snapshot: every row carries the snapshot's start position (Debezium's behaviour).
	n0 := keys / 5
	snapPos := srcPos{3, 154, 0}
	for id := int64(1); id <= int64(n0); id++ {
		row := newTxRow(r, id, ts-r.Int64N(3600_000))
		s.final[id] = row
		flag := "true"
		switch id {
		case 1:
			flag = "first"
		case int64(n0):
			flag = "last"
		}
		emit(srcEvent{op: 'r', after: row, pos: snapPos, tsMs: ts, snapshot: flag}, true)
	}
	s.snapshotRows = len(s.events)
	s.stats["snapshot rows"] = n0

	pos := srcPos{3, 1000, 0}
	for s.history < changes {
		ts += 1 + r.Int64N(40)
		pos.pos += 50 + r.Int64N(450)
		if r.IntN(25_000) == 0 { // binlog rotation: the position restarts in the next file
			pos.file++
			pos.pos = 4 + r.Int64N(200)
			s.stats["binlog rotations"]++
		}
		rows := 1
		if r.IntN(10) == 0 {
			rows = 2 + r.IntN(3) // a multi-row statement: one rows event, row 0..n-1
		}
		used := map[int64]bool{}
		for row := 0; row < rows; row++ {
			p := srcPos{pos.file, pos.pos, int64(row)}
			id := 1 + r.Int64N(int64(keys))
			if used[id] {
				continue
			}
			used[id] = true
			cur := s.final[id]
			if cur == nil {
				nr := newTxRow(r, id, ts)
				s.final[id] = nr
				emit(srcEvent{op: 'c', after: nr, pos: p, tsMs: ts, snapshot: "false"}, true)
				if everDeleted[id] {
					s.stats["re-inserts"]++
				} else {
					s.stats["inserts"]++
				}
				continue
			}
			switch x := r.IntN(100); {
			case x < 62: // the usual: status moves on, sometimes the amount is corrected
				nr := *cur
				nr.status = txStatuses[1+r.IntN(3)]
				if r.IntN(3) == 0 {
					nr.cents = txAmount(r)
				}
				nr.updatedMs = ts
				s.final[id] = &nr
				emit(srcEvent{op: 'u', before: cur, after: &nr, pos: p, tsMs: ts, snapshot: "false"}, true)
				s.stats["status/amount updates"]++
			case x < 73: // a correction of other columns, including the partition's source column
				nr := *cur
				nr.eventMs = cur.eventMs - 24*3600*1000 + r.Int64N(48*3600*1000)
				nr.channel = txChannels[r.IntN(len(txChannels))]
				nr.device = txDevices[r.IntN(len(txDevices))]
				nr.ip = txIPs[r.IntN(len(txIPs))]
				nr.merchant, nr.mcc = 0, ""
				if r.IntN(2) == 0 {
					nr.merchant, nr.mcc = 1+r.Int64N(700), "5999"
				}
				nr.updatedMs = ts
				s.final[id] = &nr
				emit(srcEvent{op: 'u', before: cur, after: &nr, pos: p, tsMs: ts, snapshot: "false"}, true)
				s.stats["other-column updates"]++
			case x < 98:
				delete(s.final, id)
				everDeleted[id] = true
				emit(srcEvent{op: 'd', before: cur, pos: p, tsMs: ts, snapshot: "false"}, true)
				s.stats["deletes"]++
			default: // UPDATE of the primary key: Debezium emits a delete of the old key and a create of the new one at one position
				var nid int64
				for try := 0; try < 20; try++ {
					if c := 1 + r.Int64N(int64(keys)); s.final[c] == nil && !used[c] {
						nid = c
						break
					}
				}
				if nid == 0 {
					continue
				}
				used[nid] = true
				nr := *cur
				nr.id, nr.updatedMs = nid, ts
				delete(s.final, id)
				everDeleted[id] = true
				s.final[nid] = &nr
				emit(srcEvent{op: 'd', before: cur, pos: p, tsMs: ts, snapshot: "false"}, true)
				emit(srcEvent{op: 'c', after: &nr, pos: p, tsMs: ts, snapshot: "false"}, true)
				s.stats["primary-key changes"]++
			}
		}
		if r.IntN(50) == 0 {
			s.lateRead(r, perKey, keys, pos, ts)
		}
	}
	return s
}

// lateRead emits a snapshot read (op r) of a key, as an incremental snapshot or a re-snapshot
// after a connector restart does: either the key's current state at the current position,
// or the state it had before one of its past changes, at that change's (old) position.
func (s *silverSource) lateRead(r *rand.Rand, perKey map[int64][]int, keys int, now srcPos, tsMs int64) {
	id := 1 + r.Int64N(int64(keys))
	evs := perKey[id]
	if len(evs) == 0 {
		return
	}
	if r.IntN(10) < 4 {
		cur := s.final[id]
		last := s.events[evs[len(evs)-1]].pos
		if cur == nil || (last.file == now.file && last.pos == now.pos) {
			return
		}
		s.events = append(s.events, srcEvent{op: 'r', after: cur, pos: srcPos{now.file, now.pos, 0}, tsMs: tsMs, snapshot: "incremental"})
		s.stats["late reads, current"]++
		return
	}
	j := 1 + r.IntN(len(evs))
	if j == len(evs) {
		j--
	}
	if j == 0 {
		return
	}
	prev := s.events[evs[j-1]].state()
	if prev == nil {
		return
	}
	s.events = append(s.events, srcEvent{op: 'r', after: prev, pos: s.events[evs[j]].pos, tsMs: s.events[evs[j]].tsMs, snapshot: "true"})
	s.stats["late reads, old position"]++
}

// delivered is one Kafka record: an event, or the tombstone Debezium writes after a delete.
type delivered struct {
	ev   int32
	tomb bool
}

// deliver is the order in which Kafka receives the events: each key's events in source order
// (all Debezium promises), keys interleaved differently from the source, connector restarts
// that replay a window of records, single redeliveries later on (producer retries), and a
// re-snapshot in the middle that sends the initial snapshot's old reads again.
func (s *silverSource) deliver(r *rand.Rand) ([]delivered, map[string]int) {
	stats := map[string]int{}
	var base []delivered
	for i := range s.events {
		base = append(base, delivered{ev: int32(i)})
		if s.events[i].op == 'd' {
			base = append(base, delivered{ev: int32(i), tomb: true})
		}
	}
	// Shuffle: every record takes a slot at its index plus a random delay, then each key's
	// slots are refilled with its records in source order.
	type slot struct{ at, idx int }
	slots := make([]slot, len(base))
	perKey := map[int64][]int{}
	for i, d := range base {
		slots[i] = slot{i + r.IntN(3000), i}
		k := s.events[d.ev].id()
		perKey[k] = append(perKey[k], i)
	}
	sort.SliceStable(slots, func(a, b int) bool { return slots[a].at < slots[b].at })
	shuffled := make([]delivered, len(base))
	next := map[int64]int{}
	for n, sl := range slots {
		k := s.events[base[sl.idx].ev].id()
		shuffled[n] = base[perKey[k][next[k]]]
		next[k]++
	}
	for n := range shuffled {
		if shuffled[n] != base[n] {
			stats["records moved by the shuffle"]++
		}
	}

	restarts := map[int]int{} // index -> window length
	for i := 0; i < 5; i++ {
		restarts[len(shuffled)/10+r.IntN(len(shuffled)*9/10)] = 200 + r.IntN(2800)
	}
	resnapshotAt := len(shuffled) / 2
	later := map[int][]delivered{}
	var out []delivered
	for i, d := range shuffled {
		out = append(out, d)
		if r.IntN(100) < 3 {
			due := i + 1 + r.IntN(5000)
			later[due] = append(later[due], d)
		}
		out = append(out, later[i]...)
		stats["single redeliveries"] += len(later[i])
		delete(later, i)
		if w, ok := restarts[i]; ok {
			from := max(0, i+1-w)
			out = append(out, shuffled[from:i+1]...)
			stats["connector-restart replays"]++
			stats["records replayed"] += i + 1 - from
		}
		if i == resnapshotAt {
			for ev := 0; ev < s.snapshotRows; ev++ {
				out = append(out, delivered{ev: int32(ev)})
			}
			stats["re-snapshot reads (old position)"] = s.snapshotRows
		}
	}
	dues := make([]int, 0, len(later))
	for due := range later {
		dues = append(dues, due)
	}
	sort.Ints(dues)
	for _, due := range dues {
		out = append(out, later[due]...)
		stats["single redeliveries"] += len(later[due])
	}
	return out, stats
}
