package features

import (
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// row builds a debezium_unwrap row of a transaction for the design declaration.
func row(t *testing.T, d *Decl, id int64, op string, event, source time.Duration, pos int, fields map[string]any) Version {
	t.Helper()
	r := map[string]any{"transaction_id": id, "account_id": 1, "customer_id": 1, "merchant_id": 10, "amount": "10.00",
		"currency": "EUR", "status": "pending", "transaction_type": "purchase", "device_id": "d", "ip_address": "ip",
		"event_ts": ts(t0.Add(event)), "created_at": ts(t0.Add(event)), "_op": op, "_source_ts": ts(t0.Add(source)),
		"_source_pos": fmt.Sprintf("%010d:%020d:%06d", 1, pos, 0), "_kafka_topic": "t", "_kafka_partition": 0, "_kafka_offset": pos}
	for k, v := range fields {
		r[k] = v
	}
	b, err := json.Marshal(r)
	require.NoError(t, err)
	v, err := d.Version(b, nil)
	require.NoError(t, err)
	return v
}

func field(t *testing.T, d *Decl, res Result, name string) any {
	t.Helper()
	for i, f := range d.Fields {
		if f.Object+"."+f.Name == name {
			return res.Values[i]
		}
	}
	t.Fatalf("no field %s", name)
	return nil
}

func scoreNow(t *testing.T, e *Engine, v Version) Result {
	t.Helper()
	tk, _ := e.Submit(t0, []Version{v})
	e.Resolve(tk[0])
	return tk[0].Result()
}

// The design's example: inserted pending, updated to failed at u: counts as failed for
// transactions after u, as pending before.
func TestStatusUpdateCountsFromItsCommitTime(t *testing.T) {
	d := loadDesign(t)
	e := New(d, Options{Mode: OnArrival})
	e.Submit(t0, []Version{
		row(t, d, 1, "c", 0, 0, 1, nil),
		row(t, d, 1, "u", 0, 30*time.Second, 2, map[string]any{"status": "failed"}),
	})
	before := scoreNow(t, e, row(t, d, 2, "c", 20*time.Second, 20*time.Second, 3, nil))
	after := scoreNow(t, e, row(t, d, 3, "c", 40*time.Second, 40*time.Second, 4, nil))
	require.Equal(t, int64(0), field(t, d, before, "acct.failed_10m"))
	require.Equal(t, int64(1), field(t, d, after, "acct.failed_10m"))
	require.Equal(t, int64(1), field(t, d, before, "acct.count_1m"), "counted either way, as pending before")
	// Equal event times: the smaller id counts, the larger does not (and nobody counts itself).
	a := scoreNow(t, e, row(t, d, 20, "c", time.Hour, time.Hour, 5, nil))
	b := scoreNow(t, e, row(t, d, 21, "c", time.Hour, time.Hour, 6, nil))
	require.Equal(t, int64(0), field(t, d, a, "acct.count_1m"))
	require.Equal(t, int64(1), field(t, d, b, "acct.count_1m"))
	// A delete removes it from its commit time on.
	e.Submit(t0, []Version{row(t, d, 20, "d", time.Hour, time.Hour+10*time.Second, 7, nil)})
	c := scoreNow(t, e, row(t, d, 22, "c", time.Hour+20*time.Second, time.Hour+20*time.Second, 8, nil))
	require.Equal(t, int64(1), field(t, d, c, "acct.count_1m"), "21 only")
}

// Sums are exact past int64: they continue in math/big rather than wrap.
func TestSumOverflowStaysExact(t *testing.T) {
	d := loadDesign(t)
	e := New(d, Options{Mode: OnArrival})
	for i := int64(1); i <= 3; i++ {
		e.Submit(t0, []Version{row(t, d, i, "c", time.Duration(i)*time.Second, 0, int(i), map[string]any{"amount": "9999999999999999.99"})})
	}
	res := scoreNow(t, e, row(t, d, 9, "c", time.Minute, time.Minute, 9, nil))
	require.Equal(t, "29999999999999999.97", field(t, d, res, "acct.sum_24h"))
	require.Equal(t, int64(3), field(t, d, res, "acct.amount_60d_n"))
	require.Equal(t, 9999999999999999.99, field(t, d, res, "acct.amount_60d_mean"))
	require.Equal(t, 0.0, field(t, d, res, "acct.amount_60d_std"))
}

// Before any watermark exists (a partition has not delivered yet) nothing is final: a
// late row corrects an earlier score. (The horizon computed from no watermark overflowed
// and declared every transaction too late.)
func TestCorrectionBeforeAnyWatermark(t *testing.T) {
	d := loadDesign(t)
	e := New(d, Options{Mode: OnArrival, ExpectedSources: 2})
	e.Submit(t0, []Version{row(t, d, 10, "c", 30*time.Second, 0, 1, nil)})
	_, corrs := e.Submit(t0, []Version{row(t, d, 9, "c", 20*time.Second, 0, 2, nil)})
	require.Len(t, corrs, 1)
	require.Equal(t, int64(10), corrs[0].TxID)
	require.Equal(t, int64(1), field(t, d, corrs[0].Result, "acct.count_1m"))
	require.Zero(t, e.Stats().TooLate)
}

// The float fast path of stats gives the same bits as the exact math/big path.
func TestStatsFastEqualsExact(t *testing.T) {
	r := newRand(5)
	for i := 0; i < 20000; i++ {
		var a acc
		n := 1 + r.IntN(50)
		for j := 0; j < n; j++ {
			x := r.Int64N(2_000_000) - 1_000_000
			if i%3 == 0 {
				x = r.Int64N(100)
			}
			a.n++
			a.addSum(x)
			a.addSquare(x)
		}
		m1, s1, ok := statsFast(a.n, a.sum, a.sqHi, a.sqLo, 2)
		if !ok {
			continue
		}
		m2, s2 := statsOut(a.n, big.NewInt(a.sum), u128(a.sqHi, a.sqLo), 2)
		require.Equal(t, m2, m1)
		require.Equal(t, s2, s1)
	}
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed)) }

// max_entries_per_key drops the oldest entries of an overfull key and flags its values.
func TestEntriesCap(t *testing.T) {
	d := loadDesign(t)
	e := New(d, Options{Mode: OnArrival, MaxEntriesPerKey: 32})
	for i := int64(1); i <= 100; i++ {
		e.Submit(t0, []Version{row(t, d, i, "c", time.Duration(i)*time.Millisecond, 0, int(i), nil)})
	}
	res := scoreNow(t, e, row(t, d, 1000, "c", time.Second, time.Second, 1000, nil))
	require.True(t, res.Capped)
	require.LessOrEqual(t, field(t, d, res, "acct.count_1m").(int64), int64(32))
	require.NotZero(t, e.Stats().CapsHit["max_entries_per_key"])
}
