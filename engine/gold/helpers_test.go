package gold

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// txn is one transactions row as the tests write it; toRow places it in a schema.
type txn struct {
	id, account, customer int64
	merchant              *int64
	cents                 int64 // amount × 100
	currency, status, typ string
	eventTS               time.Time
	alerts                *int32
	pos                   int
	op                    string
}

var (
	statuses = []string{"pending", "completed", "failed", "reversed"}
	txnTypes = []string{"purchase", "withdrawal", "transfer", "deposit", "refund"}
	day0     = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
)

func dec(cents int64) schema.Decimal { return schema.Decimal{Unscaled: big.NewInt(cents), Scale: 2} }

// toRow renders t in st's column order (DefaultSchema or a silver schema).
func (t txn) toRow(st *schema.StructType) []any {
	vals := map[string]any{
		"transaction_id": t.id, "account_id": t.account, "customer_id": t.customer,
		"amount": dec(t.cents), "currency": t.currency, "status": t.status, "transaction_type": t.typ,
		"channel": "online", "country": "DE", "event_ts": t.eventTS, "created_at": t.eventTS,
		"event_date": schema.DateOf(t.eventTS), "_op": t.op, "_source_ts": day0.Add(time.Duration(t.pos) * time.Second),
		"_source_pos": fmt.Sprintf("0000000001:%020d:000000", t.pos),
	}
	if t.merchant != nil {
		vals["merchant_id"] = *t.merchant
	}
	if t.alerts != nil {
		vals["fraud_alert_count"] = *t.alerts
	}
	row := make([]any, len(st.Fields))
	for i, f := range st.Fields {
		row[i] = vals[f.Name]
	}
	return row
}

func ptr[T any](v T) *T { return &v }

func mustLoad(t testing.TB, name string) *Decl {
	t.Helper()
	d, err := Load(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return d
}

func mustBind(t testing.TB, d *Decl) *Binding {
	t.Helper()
	b, err := d.Bind(d.DefaultSchema())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// silverSim is silver's merge rule in miniature (DESIGN.md invariant 2): a change applies
// only when its position is newer than the stored row's or the key's tombstone; it yields
// the (old, new) pair of what changed, nothing for a stale or duplicate change.
type silverSim struct {
	st    *schema.StructType
	rows  map[int64]txn
	tombs map[int64]int
}

func newSilverSim(st *schema.StructType) *silverSim {
	return &silverSim{st: st, rows: map[int64]txn{}, tombs: map[int64]int{}}
}

type event struct {
	t   txn
	del bool
}

func (s *silverSim) apply(e event) (Pair, bool) {
	cur, has := s.rows[e.t.id]
	newest := s.tombs[e.t.id]
	if has {
		newest = max(newest, cur.pos)
	}
	if e.t.pos <= newest {
		return Pair{}, false // stale or redelivered
	}
	var p Pair
	if has {
		p.Old = cur.toRow(s.st)
	}
	if e.del {
		delete(s.rows, e.t.id)
		s.tombs[e.t.id] = e.t.pos
		if !has {
			return Pair{}, false
		}
	} else {
		s.rows[e.t.id] = e.t
		p.New = e.t.toRow(s.st)
	}
	return p, true
}

func (s *silverSim) current() [][]any {
	ids := make([]int64, 0, len(s.rows))
	for id := range s.rows {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([][]any, len(ids))
	for i, id := range ids {
		out[i] = s.rows[id].toRow(s.st)
	}
	return out
}

// history generates a source history of n changes in source order: inserts, status flips
// (pending → failed → completed, completed → reversed), amount corrections, event-time
// moves across days, merchant and customer/currency changes, no-op updates, deletes and
// primary-key changes (a delete and an insert at one position).
func history(rng *rand.Rand, n int) []event {
	db := map[int64]txn{}
	var ids []int64
	nextID, pos := int64(1), 0
	var out []event
	pick := func() (txn, bool) {
		if len(ids) == 0 {
			return txn{}, false
		}
		return db[ids[rng.IntN(len(ids))]], true
	}
	drop := func(id int64) {
		delete(db, id)
		ids = slices.DeleteFunc(ids, func(x int64) bool { return x == id })
	}
	merchant := func() *int64 {
		if rng.IntN(5) == 0 {
			return nil
		}
		return ptr(int64(1 + rng.IntN(4)))
	}
	amount := func() int64 {
		if rng.IntN(10) == 0 {
			return 999_999_999_999_999_0 + rng.Int64N(9) // near DECIMAL(18,2)'s top: sums leave int64
		}
		return 1 + rng.Int64N(100_000)
	}
	for len(out) < n {
		pos++
		r := rng.IntN(100)
		t, ok := pick()
		switch {
		case r < 25 || !ok:
			t = txn{id: nextID, account: 1, customer: int64(1 + rng.IntN(4)), merchant: merchant(), cents: amount(),
				currency: []string{"EUR", "USD"}[rng.IntN(2)], status: "pending", typ: txnTypes[rng.IntN(len(txnTypes))],
				eventTS: day0.Add(time.Duration(rng.IntN(3*24*60)) * time.Minute), op: "c"}
			if rng.IntN(3) > 0 {
				t.alerts = ptr(int32(rng.IntN(3)))
			}
			nextID++
			ids = append(ids, t.id)
		case r < 45:
			switch t.status {
			case "pending":
				t.status = []string{"failed", "completed"}[rng.IntN(2)]
			case "failed":
				t.status = "completed"
			case "completed":
				t.status = []string{"reversed", "failed"}[rng.IntN(2)]
			default:
				t.status = statuses[rng.IntN(len(statuses))]
			}
			t.op = "u"
		case r < 55:
			t.cents, t.op = amount(), "u"
		case r < 63:
			t.eventTS, t.op = t.eventTS.Add(time.Duration(rng.IntN(48*60)-24*60)*time.Minute), "u"
		case r < 70:
			t.merchant, t.op = merchant(), "u"
		case r < 75:
			t.customer, t.currency, t.op = int64(1+rng.IntN(4)), []string{"EUR", "USD"}[rng.IntN(2)], "u"
		case r < 80:
			t.op = "u" // a no-op update (updated_at only, which no aggregate reads)
		case r < 88:
			t.pos = pos
			drop(t.id)
			out = append(out, event{t: t, del: true})
			continue
		case r < 92:
			t.pos = pos
			drop(t.id)
			out = append(out, event{t: t, del: true})
			t.id, t.op = nextID, "c"
			nextID++
			ids = append(ids, t.id)
		default:
			t.typ, t.op = txnTypes[rng.IntN(len(txnTypes))], "u"
		}
		t.pos = pos
		db[t.id] = t
		out = append(out, event{t: t})
	}
	return out
}

// deliver reorders a history as Kafka and retries may: neighbours swapped, some events
// delivered twice, some old events delivered again much later.
func deliver(rng *rand.Rand, h []event) []event {
	out := slices.Clone(h)
	for i := 0; i+1 < len(out); i++ {
		if rng.IntN(6) == 0 {
			out[i], out[i+1] = out[i+1], out[i]
		}
	}
	for i := 0; i < len(h)/8; i++ {
		e := h[rng.IntN(len(h))]
		at := rng.IntN(len(out) + 1)
		out = slices.Insert(out, at, e)
	}
	return out
}

// diffRows describes the first difference between two row lists.
func diffRows(d *Decl, got, want [][]any) string {
	names := d.OutputSchema().Fields
	for i := 0; i < max(len(got), len(want)); i++ {
		if i >= len(got) {
			return fmt.Sprintf("row %d missing: want %s", i, rowText(want[i]))
		}
		if i >= len(want) {
			return fmt.Sprintf("extra row %d: %s", i, rowText(got[i]))
		}
		for j := range want[i] {
			if !cellEqual(got[i][j], want[i][j]) {
				return fmt.Sprintf("row %d column %s: got %s, want %s\n got  %s\n want %s", i, names[j].Name, cellText(got[i][j]), cellText(want[i][j]), rowText(got[i]), rowText(want[i]))
			}
		}
	}
	return ""
}

func rowText(r []any) string {
	parts := make([]string, len(r))
	for i, v := range r {
		parts[i] = cellText(v)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// goldTable applies Changes as the gold writer's merge by group key would.
type goldTable struct {
	s    *State
	rows map[string][]any
	// lenient: a delete of a missing row is a no-op, as in a MERGE (the backfill test edits
	// the table behind the stream's back); otherwise it is a bug of Flush.
	lenient bool
}

func (g *goldTable) apply(ch Changes) {
	for _, k := range ch.Deletes {
		_, key := g.s.groupKeyOfRow(k)
		if _, ok := g.rows[key]; !ok && !g.lenient {
			panic("delete of a group the table does not have")
		}
		delete(g.rows, key)
	}
	for _, r := range ch.Upserts {
		_, key := g.s.groupKeyOfRow(r)
		g.rows[key] = r
	}
}

func (g *goldTable) sorted() [][]any {
	keys := make([]string, 0, len(g.rows))
	for k := range g.rows {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([][]any, len(keys))
	for i, k := range keys {
		out[i] = g.rows[k]
	}
	return out
}
