package enrich

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// versioned is version n of account id: every column derives from (id, n), so a reader can
// tell a row that mixes two versions.
func versioned(id int64, n int64) acct {
	a := mkAcct(id, n*1000+id, []string{"active", "frozen", "closed"}[n%3])
	a.score = float64(n)
	return a
}

// TestConcurrentLookupsSeeWholeRows: lookups from several goroutines run while commits
// (updates, deletes, re-inserts, checkpoints) land; every row seen is one whole version and
// a reader never sees a key go back to an older version. Run with -race.
func TestConcurrentLookupsSeeWholeRows(t *testing.T) {
	st := newCounting(t.TempDir())
	sim := newSilverSim(t, st, true)
	const keys = 200
	var first []acct
	for id := int64(1); id <= keys; id++ {
		first = append(first, versioned(id, 0))
	}
	sim.apply(first, nil)
	opts := testOptions()
	opts.PollInterval = time.Millisecond
	e := openAccounts(t, st, opts)

	var stop atomic.Bool
	var seen atomic.Int64
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 7))
			last := map[int64]int64{}
			for !stop.Load() {
				batch := make([]Row, 16)
				ids := make([]int64, len(batch))
				for i := range batch {
					ids[i] = 1 + r.Int64N(keys)
					batch[i] = Row{Values: map[string]any{"account_id": ids[i]}, NoWait: true}
				}
				for i, res := range e.Enrich(context.Background(), batch) {
					if res.Status[0] != Found {
						continue
					}
					o := res.Objects[0]
					n := int64(o["score"].(float64))
					w := versioned(ids[i], n).want()
					if fmt.Sprint(normalize(o)) != fmt.Sprint(w) {
						errs <- fmt.Errorf("account %d: torn row %v, version %d is %v", ids[i], normalize(o), n, w)
						return
					}
					if n < last[ids[i]] {
						errs <- fmt.Errorf("account %d went back from version %d to %d", ids[i], last[ids[i]], n)
						return
					}
					last[ids[i]] = n
					seen.Add(1)
				}
			}
		}()
	}
	r := rand.New(rand.NewPCG(3, 3))
	ver := map[int64]int64{}
	var v int64
	for c := 0; c < 30; c++ {
		var ups []acct
		var dels []int64
		touched := map[int64]bool{}
		for k := 0; k < 30; k++ {
			id := 1 + r.Int64N(keys)
			if touched[id] {
				continue
			}
			touched[id] = true
			if _, ok := sim.cur[id]; ok && r.IntN(5) == 0 {
				dels = append(dels, id)
				continue
			}
			ver[id]++
			ups = append(ups, versioned(id, ver[id]))
		}
		v = sim.apply(ups, dels)
		if c%10 == 5 {
			sim.checkpoint()
		}
	}
	waitVersion(t, e, "acct", v)
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if seen.Load() == 0 {
		t.Fatal("the readers saw no row")
	}
	checkModel(t, e, sim.cur)
	_ = schema.Long
}
