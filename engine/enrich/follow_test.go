package enrich

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

func openAccounts(t *testing.T, st delta.Storage, opts Options) *Enricher {
	t.Helper()
	e, err := New(context.Background(), []Config{{Name: "acct", Storage: st, Table: "accounts", Key: "account_id", Columns: acctColumns}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func TestLookupTypesAndNulls(t *testing.T) {
	st := newCounting(t.TempDir())
	sim := newSilverSim(t, st, false)
	a := mkAcct(7, -1250, "active")
	a.overdraw, a.risk = nil, nil
	b := mkAcct(8, 99999999999999999, "frozen") // the largest DECIMAL(18,2)
	sim.apply([]acct{a, b}, nil)
	e := openAccounts(t, st, testOptions())
	got, st0 := lookupOne(e, int64(7), true)
	if st0 != Found {
		t.Fatalf("status %s", st0)
	}
	if d, ok := got["balance"].(schema.Decimal); !ok || d.String() != "-12.50" || d.Scale != 2 {
		t.Fatalf("balance = %#v, want the exact decimal -12.50", got["balance"])
	}
	if got["overdraft_allowed"] != nil || got["risk"] != nil {
		t.Fatalf("nulls must stay nil: %v", got)
	}
	if ts, ok := got["created_at"].(time.Time); !ok || !ts.Equal(a.created) || ts.Location() != time.UTC {
		t.Fatalf("created_at = %#v", got["created_at"])
	}
	if _, ok := got["customer_id"].(int64); !ok {
		t.Fatalf("customer_id is %T, want int64", got["customer_id"])
	}
	checkModel(t, e, sim.cur, 9)
	// Key values arrive as JSON numbers, floats, strings: all exact conversions work.
	for _, k := range []any{"8", 8.0, int(8), json.Number("8")} {
		if _, st := lookupOne(e, k, true); st != Found {
			t.Errorf("key %#v (%T): %s", k, k, st)
		}
	}
	for _, k := range []any{"8.5", 8.5, "x", true, json.Number("1e3")} {
		r := e.Enrich(context.Background(), []Row{{Values: map[string]any{"account_id": k}}})
		if r[0].Status[0] != KeyError || r[0].Errs[0] == nil || len(r[0].Missing) != 1 {
			t.Errorf("key %#v: status %s, errs %v, want a key error", k, r[0].Status[0], r[0].Errs)
		}
	}
	r := e.Enrich(context.Background(), []Row{{Values: map[string]any{"account_id": nil}}})
	if r[0].Status[0] != NullKey || r[0].Missing != nil || r[0].Objects[0]["currency"] != nil {
		t.Fatalf("a null key: %+v", r[0])
	}
	if _, present := r[0].Objects[0]["currency"]; !present {
		t.Fatal("a null key must still give every column, as nil")
	}
	r = e.Enrich(context.Background(), []Row{{Values: map[string]any{"acct": 7}}})
	if r[0].Status[0] != KeyError {
		t.Fatalf("a row without the key column: %s, want key_error", r[0].Status[0])
	}
}

// TestFollowsCommitsIncrementally: inserts, copy-on-write updates and deletes, another
// writer's compaction and a checkpoint in between are applied by reading only the files
// each commit added, never the whole table again.
func TestFollowsCommitsIncrementally(t *testing.T) {
	for _, scd2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("scd2=%v", scd2), func(t *testing.T) {
			st := newCounting(t.TempDir())
			sim := newSilverSim(t, st, scd2)
			var first []acct
			for i := int64(1); i <= 50; i++ {
				first = append(first, mkAcct(i, i*100, "active"))
			}
			sim.apply(first[:25], nil)
			sim.apply(first[25:], nil)
			e := openAccounts(t, st, testOptions())
			checkModel(t, e, sim.cur, 51)
			opened := st.dataOpens()

			step := func(name string, f func() int64) {
				t.Helper()
				before := st.dataOpens()
				files := map[string]bool{}
				for p := range sim.files {
					files[p] = true
				}
				v := f()
				waitVersion(t, e, "acct", v)
				var absent []int64
				for _, id := range []int64{0, 2, 4, 10, 51, 52} {
					if _, ok := sim.cur[id]; !ok {
						absent = append(absent, id)
					}
				}
				checkModel(t, e, sim.cur, absent...)
				// Only files the commit added may have been opened, each once.
				for p, n := range st.dataOpens() {
					if n > before[p] {
						if files[p] {
							t.Fatalf("%s: re-read %s, which an earlier commit added", name, p)
						}
						if n-before[p] != 1 {
							t.Fatalf("%s: read %s %d times", name, p, n-before[p])
						}
					}
				}
			}
			step("insert", func() int64 { return sim.apply([]acct{mkAcct(51, 5100, "active")}, nil) })
			step("update", func() int64 { return sim.apply([]acct{mkAcct(3, 7, "frozen"), mkAcct(30, -1, "closed")}, nil) })
			step("delete", func() int64 { return sim.apply(nil, []int64{4, 51}) })
			sim.checkpoint()
			step("after a checkpoint", func() int64 { return sim.apply([]acct{mkAcct(52, 1, "active")}, []int64{52 - 50}) })
			step("compaction by another writer", func() int64 { return sim.compact() })
			step("delete and re-insert in one commit", func() int64 {
				sim.apply(nil, []int64{10})
				return sim.apply([]acct{mkAcct(10, 42, "active")}, nil)
			})
			st0 := e.Stats()[0]
			if st0.FullLoads != 1 {
				t.Fatalf("the table was loaded %d times, want once", st0.FullLoads)
			}
			if len(opened) == 0 {
				t.Fatal("the initial load read no file")
			}
		})
	}
}

// compact is another writer's OPTIMIZE: every live file of current rows is removed and its
// rows rewritten into one file (dataChange false). Nothing visible changes.
func (s *silverSim) compact() int64 {
	s.t.Helper()
	ctx := context.Background()
	tx := s.snap().NewTransaction("OPTIMIZE")
	var rows []acct
	for p, rs := range s.rows {
		rows = append(rows, rs...)
		tx.Remove(s.files[p], false)
		delete(s.files, p)
		delete(s.rows, p)
	}
	var raw [][]any
	for _, a := range rows {
		raw = append(raw, a.row(s.scd2))
	}
	adds, err := tx.WriteRows(ctx, raw, delta.WriteOptions{NoDataChange: true})
	if err != nil {
		s.t.Fatal(err)
	}
	for _, add := range adds {
		p, _ := delta.DecodePath(add.Path)
		s.files[p] = add
		s.rows[p] = rows
		for _, a := range rows {
			s.where[a.id] = p
		}
	}
	res, err := tx.Commit(ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	return res.Version
}

// TestRandomChangesMatchTheModel drives many random commits (several per poll) and checks
// the index against the model after each poll.
func TestRandomChangesMatchTheModel(t *testing.T) {
	for _, scd2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("scd2=%v", scd2), func(t *testing.T) {
			st := newCounting(t.TempDir())
			sim := newSilverSim(t, st, scd2)
			e := openAccounts(t, st, testOptions())
			r := rand.New(rand.NewPCG(1, uint64(len(fmt.Sprint(scd2)))))
			for round := 0; round < 25; round++ {
				sim.mixClosed = round%2 == 1
				var v int64
				for c := 0; c < 1+r.IntN(3); c++ {
					var ups []acct
					var dels []int64
					seen := map[int64]bool{}
					for k := 0; k < 1+r.IntN(20); k++ {
						id := int64(1 + r.IntN(120))
						if seen[id] {
							continue
						}
						seen[id] = true
						if _, ok := sim.cur[id]; ok && r.IntN(4) == 0 {
							dels = append(dels, id)
						} else {
							ups = append(ups, mkAcct(id, r.Int64N(1e9)-5e8, []string{"active", "frozen", "closed"}[r.IntN(3)]))
						}
					}
					v = sim.apply(ups, dels)
				}
				if round%7 == 3 {
					sim.checkpoint()
				}
				waitVersion(t, e, "acct", v)
				checkModel(t, e, sim.cur)
			}
		})
	}
}

// TestTableCreatedAfterStart: a lookup of a table that does not exist yet starts empty and
// loads the table once it appears.
func TestTableCreatedAfterStart(t *testing.T) {
	dir := t.TempDir()
	st := newCounting(dir)
	e := openAccounts(t, st, testOptions())
	if s := e.Stats()[0]; s.Exists || s.Version != -1 {
		t.Fatalf("stats before the table exists: %+v", s)
	}
	if _, status := lookupOne(e, int64(1), true); status != Missing {
		t.Fatalf("status %s", status)
	}
	sim := newSilverSim(t, st, false)
	v := sim.apply([]acct{mkAcct(1, 10, "active")}, nil)
	waitVersion(t, e, "acct", v)
	checkModel(t, e, sim.cur)
}

// TestPollErrorKeepsStateAndRecovers: a data file that cannot be read fails the poll; the
// index keeps serving the previous version and catches up once the file reads.
func TestPollErrorKeepsStateAndRecovers(t *testing.T) {
	st := newCounting(t.TempDir())
	sim := newSilverSim(t, st, false)
	sim.apply([]acct{mkAcct(1, 10, "active"), mkAcct(2, 20, "active")}, nil)
	before := map[int64]acct{}
	for k, v := range sim.cur {
		before[k] = v
	}
	e := openAccounts(t, st, testOptions())
	v := sim.apply([]acct{mkAcct(1, 11, "frozen"), mkAcct(3, 30, "active")}, nil)
	st.mu.Lock()
	for p := range sim.files {
		st.fail[p] = errors.New("injected read failure")
	}
	st.mu.Unlock()
	src := e.srcs[0]
	for src.stats().PollErrors == 0 {
		ch := src.changed()
		src.requestPoll()
		<-ch
	}
	if s := src.stats(); s.Version != v-1 || s.LastError == nil {
		t.Fatalf("after a failed poll: %+v", s)
	}
	checkModel(t, e, before)
	st.mu.Lock()
	st.fail = map[string]error{}
	st.mu.Unlock()
	waitVersion(t, e, "acct", v)
	checkModel(t, e, sim.cur)
}

// TestSchemaEvolutionKeepsFollowing: a new column added by schema evolution (new files have
// it) does not disturb the selected ones.
func TestSchemaEvolutionKeepsFollowing(t *testing.T) {
	st := newCounting(t.TempDir())
	sim := newSilverSim(t, st, false)
	sim.apply([]acct{mkAcct(1, 10, "active")}, nil)
	e := openAccounts(t, st, testOptions())
	snap := sim.snap()
	md := snap.Metadata()
	sch, _ := snap.Schema()
	wider := &schema.StructType{Fields: append(append([]schema.StructField(nil), sch.Fields...), schema.StructField{Name: "note", Type: schema.String, Nullable: true})}
	md.SchemaString = wider.JSON()
	tx := snap.NewTransaction("ADD COLUMNS")
	tx.UpdateMetadata(md)
	res, err := tx.Commit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waitVersion(t, e, "acct", res.Version)
	sim.extra = 1
	sim.apply([]acct{mkAcct(2, 20, "active")}, nil)
	v := sim.apply([]acct{mkAcct(1, 12, "closed")}, nil)
	waitVersion(t, e, "acct", v)
	checkModel(t, e, sim.cur)
	if e.Stats()[0].FullLoads != 1 {
		t.Fatal("an added column must not reload the table")
	}
}

// TestCorruptStatisticsDoNotReserveMemory: a file whose add.stats claims 10^15 rows (a
// writer's bug, or a hostile table) loads by its actual rows. Before the reservation was
// capped this tried to allocate for the claimed rows and the process died.
func TestCorruptStatisticsDoNotReserveMemory(t *testing.T) {
	st := newCounting(t.TempDir())
	sim := newSilverSim(t, st, true)
	ctx := context.Background()
	tx := sim.snap().NewTransaction("WRITE")
	adds, err := tx.WriteRows(ctx, [][]any{mkAcct(1, 10, "active").row(true)}, delta.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	adds[0].Stats = `{"numRecords":1000000000000000,"nullCount":{"__end_at":1000000000000000}}`
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	e := openAccounts(t, st, testOptions())
	checkModel(t, e, map[int64]acct{1: mkAcct(1, 10, "active")})
}
