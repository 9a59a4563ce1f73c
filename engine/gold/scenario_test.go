package gold

import (
	"strings"
	"testing"
	"time"
)

// The scenario of issue 13 (status flip pending → failed → completed, a redelivered older
// change, a refund, an event-date correction, an insert and delete of a key and a late
// older insert of the deleted key), with every expected value worked out by hand.
func TestScenarioHandComputed(t *testing.T) {
	at := func(day, h, m int) time.Time { return time.Date(2024, 5, day, h, m, 0, 0, time.UTC) }
	t1 := txn{id: 1, account: 1, customer: 7, merchant: ptr(int64(5)), cents: 10000, currency: "EUR", status: "pending", typ: "purchase", eventTS: at(1, 10, 0), alerts: ptr(int32(2)), pos: 1, op: "c"}
	t2 := txn{id: 2, account: 2, customer: 8, merchant: ptr(int64(5)), cents: 5025, currency: "EUR", status: "pending", typ: "purchase", eventTS: at(1, 10, 5), pos: 2, op: "c"}
	t3 := txn{id: 3, account: 1, customer: 7, merchant: ptr(int64(5)), cents: 2000, currency: "EUR", status: "completed", typ: "refund", eventTS: at(1, 12, 0), alerts: ptr(int32(1)), pos: 6, op: "c"}
	t4 := txn{id: 4, account: 3, customer: 7, cents: 1000, currency: "USD", status: "pending", typ: "deposit", eventTS: at(1, 13, 0), pos: 8, op: "c"}
	with := func(t txn, pos int, f func(*txn)) txn { t.pos, t.op = pos, "u"; f(&t); return t }
	t1failed := with(t1, 3, func(t *txn) { t.status = "failed" })
	steps := []struct {
		name string
		e    event
		pair bool
	}{
		{"t1 inserted pending", event{t: t1}, true},
		{"t2 inserted pending", event{t: t2}, true},
		{"t1 fails", event{t: t1failed}, true},
		{"t1 retried and completed", event{t: with(t1, 4, func(t *txn) { t.status = "completed" })}, true},
		{"t1's failure redelivered", event{t: t1failed}, false},
		{"t2 completes", event{t: with(t2, 5, func(t *txn) { t.status = "completed" })}, true},
		{"t3, a completed refund", event{t: t3}, true},
		{"t2's event time corrected to the next day", event{t: with(t2, 7, func(t *txn) { t.status, t.eventTS = "completed", at(2, 9, 0) })}, true},
		{"t4 inserted in USD", event{t: t4}, true},
		{"t4 deleted", event{t: with(t4, 9, func(*txn) {}), del: true}, true},
		{"t4's insert delivered late", event{t: t4}, false},
	}
	expect := map[string]map[int][]string{
		"agg_daily_volume": {
			// event_date currency txn completed failed pending reversed attempted gross failed_volume failure_rate
			1:  {"[2024-05-01 EUR 1 0 0 1 0 100.00 0.00 0.00 NULL]"},
			2:  {"[2024-05-01 EUR 2 0 0 2 0 150.25 0.00 0.00 NULL]"},
			3:  {"[2024-05-01 EUR 2 0 1 1 0 150.25 0.00 100.00 1.000000]"},
			4:  {"[2024-05-01 EUR 2 1 0 1 0 150.25 100.00 0.00 0.000000]"},
			7:  {"[2024-05-01 EUR 3 3 0 0 0 170.25 170.25 0.00 0.000000]"},
			8:  {"[2024-05-01 EUR 2 2 0 0 0 120.00 120.00 0.00 0.000000]", "[2024-05-02 EUR 1 1 0 0 0 50.25 50.25 0.00 0.000000]"},
			9:  {"[2024-05-01 EUR 2 2 0 0 0 120.00 120.00 0.00 0.000000]", "[2024-05-01 USD 1 0 0 1 0 10.00 0.00 0.00 NULL]", "[2024-05-02 EUR 1 1 0 0 0 50.25 50.25 0.00 0.000000]"},
			11: {"[2024-05-01 EUR 2 2 0 0 0 120.00 120.00 0.00 0.000000]", "[2024-05-02 EUR 1 1 0 0 0 50.25 50.25 0.00 0.000000]"},
		},
		"agg_customer_ltv": {
			// customer currency first last txn completed ltv_gross refunds ltv_net
			4:  {"[7 EUR 2024-05-01T10:00:00Z 2024-05-01T10:00:00Z 1 1 100.00 0.00 100.00]", "[8 EUR 2024-05-01T10:05:00Z 2024-05-01T10:05:00Z 1 0 0.00 0.00 0.00]"},
			11: {"[7 EUR 2024-05-01T10:00:00Z 2024-05-01T12:00:00Z 2 2 100.00 20.00 80.00]", "[8 EUR 2024-05-02T09:00:00Z 2024-05-02T09:00:00Z 1 1 50.25 0.00 50.25]"},
		},
		"agg_merchant_daily": {
			// date merchant txn completed failed gross avg_ticket failure_rate unique refunds refund_amount alerts
			6:  {"[2024-05-01 5 2 2 0 150.25 75.125000 0.000000 2 0 0.00 2]"},
			11: {"[2024-05-01 5 1 1 0 100.00 100.000000 0.000000 1 1 20.00 3]", "[2024-05-02 5 1 1 0 50.25 50.250000 0.000000 1 0 0.00 0]"},
		},
	}
	for name, want := range expect {
		t.Run(name, func(t *testing.T) {
			d := mustLoad(t, name)
			b := mustBind(t, d)
			sim := newSilverSim(b.st)
			s := NewState(b)
			table := &goldTable{s: s, rows: map[string][]any{}}
			var deletes int
			for i, st := range steps {
				p, ok := sim.apply(st.e)
				if ok != st.pair {
					t.Fatalf("step %d (%s): silver produced a pair: %v, want %v", i+1, st.name, ok, st.pair)
				}
				if ok {
					if err := s.Apply(p); err != nil {
						t.Fatalf("step %d (%s): %v", i+1, st.name, err)
					}
				}
				ch, err := s.Flush()
				if err != nil {
					t.Fatal(err)
				}
				deletes += len(ch.Deletes)
				table.apply(ch)
				if w, ok := want[i+1]; ok {
					var got []string
					for _, r := range table.sorted() {
						got = append(got, rowText(r))
					}
					if strings.Join(got, "\n") != strings.Join(w, "\n") {
						t.Fatalf("after step %d (%s):\ngot\n%s\nwant\n%s", i+1, st.name, strings.Join(got, "\n"), strings.Join(w, "\n"))
					}
				}
			}
			if name == "agg_daily_volume" && deletes != 1 {
				t.Fatalf("the USD group was deleted %d times, want once", deletes)
			}
		})
	}
}
