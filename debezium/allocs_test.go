package debezium

import (
	"testing"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// The hot path allocates only the output row, contract checks and duplicate detection
// included (a regression here shows in every benchmark; this test says where).
func TestUnwrapAllocatesOnlyTheRow(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items, so allocations are not countable")
	}
	tx, err := schemas.Load("transactions")
	if err != nil {
		t.Fatal(err)
	}
	for _, withSchema := range []bool{false, true} {
		for _, op := range []string{"c", "u"} {
			o := DefaultOptions()
			if !withSchema {
				o.Contracts = []*schemas.Table{tx}
			}
			u := mustNew(t, o)
			ev := txEvent(7, op, withSchema)
			meta := Meta{Topic: "bank_server.bank.transactions", HasTopic: true, Partition: "3", HasPartition: true, Offset: "123456", HasOffset: true}
			if _, err := u.Unwrap(ev, meta); err != nil {
				t.Fatal(err)
			}
			n := testing.AllocsPerRun(200, func() {
				if _, err := u.Unwrap(ev, meta); err != nil {
					t.Fatal(err)
				}
			})
			if n > 1 {
				t.Errorf("schema=%v op=%s: %.1f allocations per event, want 1 (the row)", withSchema, op, n)
			}
			// With the Kafka key checked too.
			km := meta
			km.Key, km.HasKey = `{"transaction_id":900000007}`, true
			n = testing.AllocsPerRun(200, func() {
				if _, err := u.Unwrap(ev, km); err != nil {
					t.Fatal(err)
				}
			})
			if n > 1 {
				t.Errorf("schema=%v op=%s with key: %.1f allocations per event, want 1", withSchema, op, n)
			}
		}
	}
}
