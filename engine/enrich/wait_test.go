package enrich

import (
	"context"
	"testing"
	"time"
)

// waitUntil blocks until cond holds, re-checking after every poll of src (deadlock guard
// only, no timing assertion).
func waitUntil(t *testing.T, src source, cond func(TableStats) bool) {
	t.Helper()
	guard := time.After(60 * time.Second)
	for {
		ch := src.changed()
		if cond(src.stats()) {
			return
		}
		select {
		case <-ch:
		case <-time.After(5 * time.Millisecond):
		case <-guard:
			t.Fatalf("condition never held; stats %+v", src.stats())
		}
	}
}

// TestWaitsForATableThatCatchesUp: a transaction whose account is not in silver yet waits;
// meanwhile other lookups are answered; when the account's commit lands within max_wait the
// transaction continues with its values.
func TestWaitsForATableThatCatchesUp(t *testing.T) {
	st := newCounting(t.TempDir())
	sim := newSilverSim(t, st, false)
	sim.apply([]acct{mkAcct(1, 10, "active")}, nil)
	opts := testOptions()
	opts.MaxWait = 10 * time.Minute // the commit below lands long before; a deadlock guard
	e := openAccounts(t, st, opts)
	done := make(chan Result, 1)
	go func() {
		done <- e.Enrich(context.Background(), []Row{{Values: map[string]any{"account_id": int64(5)}}})[0]
	}()
	src := e.srcs[0]
	waitUntil(t, src, func(s TableStats) bool { return s.Waiting == 1 })
	reads := st.commitReads()
	// Another transaction is not held up by the waiting one.
	if _, status := lookupOne(e, int64(1), false); status != Found {
		t.Fatalf("account 1: %s", status)
	}
	// The waiting row makes the follower poll (the poll interval is an hour).
	waitUntil(t, src, func(TableStats) bool { return st.commitReads() > reads+2 })
	sim.apply([]acct{mkAcct(5, 55, "frozen")}, nil)
	r := <-done
	if r.Status[0] != FoundAfterWait || r.Missing != nil {
		t.Fatalf("result %+v, want found after the wait", r)
	}
	if got, want := normalize(r.Objects[0])["balance"], "0.55"; got != want {
		t.Fatalf("balance %v, want %v", got, want)
	}
	if s := src.stats(); s.Waits != 1 || s.Waiting != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// TestGivesUpAfterMaxWait: a key the table never gets: the row continues, fields null, the
// lookup flagged missing; the log was polled while waiting; the same key is not waited for
// again within miss_ttl.
func TestGivesUpAfterMaxWait(t *testing.T) {
	st := newCounting(t.TempDir())
	sim := newSilverSim(t, st, false)
	sim.apply([]acct{mkAcct(1, 10, "active")}, nil)
	opts := testOptions()
	opts.MaxWait = 100 * time.Millisecond
	opts.WaitPollInterval = 5 * time.Millisecond
	e := openAccounts(t, st, opts)
	reads := st.commitReads()
	rows := []Row{
		{Values: map[string]any{"account_id": int64(9)}},
		{Values: map[string]any{"account_id": int64(1)}},
		{Values: map[string]any{"account_id": int64(9)}, NoWait: true},
	}
	r := e.Enrich(context.Background(), rows)
	if r[0].Status[0] != MissingAfterWait || len(r[0].Missing) != 1 || r[0].Missing[0] != "acct" {
		t.Fatalf("row 0: %+v", r[0])
	}
	for c, v := range r[0].Objects[0] {
		if v != nil {
			t.Fatalf("column %s = %v, want null", c, v)
		}
	}
	if len(r[0].Objects[0]) != len(acctColumns) {
		t.Fatalf("every column must be present (as null): %v", r[0].Objects[0])
	}
	if r[1].Status[0] != Found || r[1].Missing != nil {
		t.Fatalf("row 1: %+v", r[1])
	}
	if r[2].Status[0] != Missing {
		t.Fatalf("a NoWait row: %+v", r[2])
	}
	if st.commitReads() <= reads {
		t.Fatal("the log was not polled while the row waited")
	}
	src := e.srcs[0]
	if s := src.stats(); s.Waits != 1 {
		t.Fatalf("waits %d, want 1", s.Waits)
	}
	// Within miss_ttl the same key does not wait again (it is still looked up).
	r = e.Enrich(context.Background(), rows[:1])
	if r[0].Status[0] != Missing || src.stats().Waits != 1 {
		t.Fatalf("second miss: %+v, waits %d", r[0], src.stats().Waits)
	}
	// It is found as soon as the table has it, wait or not.
	v := sim.apply([]acct{mkAcct(9, 90, "active")}, nil)
	waitVersion(t, e, "acct", v)
	if r = e.Enrich(context.Background(), rows[:1]); r[0].Status[0] != Found {
		t.Fatalf("after the insert: %+v", r[0])
	}
}

// TestMissTTLZeroAlwaysWaits and a cancelled context ends a wait.
func TestMissTTLZeroAndCancel(t *testing.T) {
	st := newCounting(t.TempDir())
	sim := newSilverSim(t, st, false)
	sim.apply([]acct{mkAcct(1, 10, "active")}, nil)
	opts := testOptions()
	opts.MaxWait = 20 * time.Millisecond
	opts.MissTTL = 0
	e := openAccounts(t, st, opts)
	row := []Row{{Values: map[string]any{"account_id": int64(9)}}}
	e.Enrich(context.Background(), row)
	e.Enrich(context.Background(), row)
	if w := e.srcs[0].stats().Waits; w != 2 {
		t.Fatalf("waits %d, want 2 with miss_ttl 0", w)
	}
	opts.MaxWait = time.Hour
	e2 := openAccounts(t, st, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Result, 1)
	go func() { done <- e2.Enrich(ctx, row)[0] }()
	waitUntil(t, e2.srcs[0], func(s TableStats) bool { return s.Waiting == 1 })
	cancel()
	if r := <-done; r.Status[0] != MissingAfterWait {
		t.Fatalf("after cancel: %+v", r)
	}
}

// TestTwoLookupsShareOneDeadline: a batch missing keys in two tables waits once for both
// (both tables polled), and one table catching up does not need the other.
func TestTwoLookupsShareOneDeadline(t *testing.T) {
	st1, st2 := newCounting(t.TempDir()), newCounting(t.TempDir())
	a := newSilverSim(t, st1, false)
	b := newSilverSim(t, st2, true)
	a.apply([]acct{mkAcct(1, 10, "active")}, nil)
	b.apply([]acct{mkAcct(2, 20, "active")}, nil)
	opts := testOptions()
	opts.MaxWait = 10 * time.Minute
	e, err := New(context.Background(), []Config{
		{Name: "acct", Storage: st1, Table: "a", Key: "account_id", Columns: []string{"status"}},
		{Name: "cust", Storage: st2, Table: "b", Key: "customer_ref", TableKey: "account_id", Columns: []string{"balance"}},
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	done := make(chan Result, 1)
	go func() {
		done <- e.Enrich(context.Background(), []Row{{Values: map[string]any{"account_id": int64(3), "customer_ref": int64(4)}}})[0]
	}()
	waitUntil(t, e.srcs[0], func(s TableStats) bool { return s.Waiting == 1 })
	b.apply([]acct{mkAcct(4, 40, "active")}, nil)
	a.apply([]acct{mkAcct(3, 30, "active")}, nil)
	r := <-done
	if r.Status[0] != FoundAfterWait || r.Status[1] != FoundAfterWait {
		t.Fatalf("statuses %v", r.Status)
	}
	if r.Objects[0]["status"] != "active" || normalize(r.Objects[1])["balance"] != "0.40" {
		t.Fatalf("objects %v", r.Objects)
	}
}
