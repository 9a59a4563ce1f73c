package simulator

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/ledgerflow/ledgerflow/debezium"
	"github.com/ledgerflow/ledgerflow/schemas"
)

func generate(t testing.TB, cfg Config, n int) ([]Event, *Simulator) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var evs []Event
	for len(evs) < n {
		if evs, err = s.Next(evs); err != nil {
			t.Fatal(err)
		}
	}
	return evs, s
}

func TestDeterministicBySeed(t *testing.T) {
	a, _ := generate(t, Config{Seed: 7}, 5000)
	b, _ := generate(t, Config{Seed: 7}, 5000)
	c, _ := generate(t, Config{Seed: 8}, 5000)
	if len(a) != len(b) {
		t.Fatalf("same seed: %d vs %d events", len(a), len(b))
	}
	for i := range a {
		if a[i].Topic != b[i].Topic || !bytes.Equal(a[i].Key, b[i].Key) || !bytes.Equal(a[i].Value, b[i].Value) {
			t.Fatalf("same seed, event %d differs:\n%s\n%s", i, a[i].Value, b[i].Value)
		}
	}
	same := 0
	for i := range min(len(a), len(c)) {
		if bytes.Equal(a[i].Value, c[i].Value) {
			same++
		}
	}
	if same > len(a)/2 {
		t.Fatalf("seeds 7 and 8 share %d of %d events", same, len(a))
	}
}

type envelope struct {
	Before, After map[string]any
	Op            string
	Source        struct {
		File     string
		Pos      int64
		Row      int
		Snapshot string
		TsMs     int64 `json:"ts_ms"`
	}
}

func decode(t *testing.T, e Event) envelope {
	t.Helper()
	var env envelope
	if err := json.Unmarshal(e.Value, &env); err != nil {
		t.Fatalf("event value is not JSON: %v\n%s", err, e.Value)
	}
	return env
}

// TestStreamShape checks per-key order, deletes and tombstones, the primary-key change,
// duplicates, the snapshot and the injected fraud over a long stream.
func TestStreamShape(t *testing.T) {
	evs, s := generate(t, Config{Seed: 3}, 60000)
	st := s.Stats()
	type keyState struct {
		lastPos   string
		deleted   bool // the last row event was a delete: a tombstone must follow
		tombstone bool
		idx       int
	}
	keys := map[string]*keyState{}
	snapshotDone := false
	var rows, tombs, dups, pkc int64
	fraud := map[string]int{}
	for i, e := range evs {
		k := e.Topic + "|" + string(e.Key)
		ks := keys[k]
		if ks == nil {
			ks = &keyState{}
			keys[k] = ks
		}
		if e.Op == 0 {
			tombs++
			if e.Value != nil || !ks.deleted || ks.idx != i-1 {
				t.Fatalf("event %d: tombstone for %s not right after its delete", i, k)
			}
			ks.deleted, ks.tombstone = false, true
			continue
		}
		rows++
		if ks.deleted {
			t.Fatalf("event %d: %s has a %c after its delete without a tombstone between", i, k, e.Op)
		}
		env := decode(t, e)
		if string(e.Op) != env.Op {
			t.Fatalf("event %d: Op %c but envelope op %q", i, e.Op, env.Op)
		}
		if e.Op == 'r' {
			if snapshotDone {
				t.Fatalf("event %d: snapshot read after streaming began", i)
			}
			if env.Source.Snapshot == "false" {
				t.Fatalf("event %d: snapshot read with snapshot=false", i)
			}
		} else {
			snapshotDone = true
			if env.Source.Snapshot != "false" {
				t.Fatalf("event %d: streamed change with snapshot=%q", i, env.Source.Snapshot)
			}
		}
		pos := fmt.Sprintf("%s:%020d:%06d", env.Source.File, env.Source.Pos, env.Source.Row)
		if e.Duplicate {
			dups++
			if prev := evs[i-1]; !bytes.Equal(prev.Value, e.Value) || !bytes.Equal(prev.Key, e.Key) {
				t.Fatalf("event %d: duplicate differs from the event before it", i)
			}
		} else if e.Op != 'r' && pos <= ks.lastPos {
			t.Fatalf("event %d: %s position %s not after the key's previous %s", i, k, pos, ks.lastPos)
		}
		ks.lastPos, ks.idx = pos, i
		if e.Op == 'd' && !e.Duplicate {
			ks.deleted = true
		}
		if e.Op == 'd' && len(e.Headers) > 0 {
			pkc++
			// The delete, its tombstone and the create of the new key share one binlog event.
			cre := evs[i+2]
			if cre.Op != 'c' || len(cre.Headers) != 1 || cre.Headers[0].Key != "__debezium.oldkey" || !bytes.Equal(cre.Headers[0].Value, e.Key) {
				t.Fatalf("event %d: primary-key change not followed by tombstone + create with __debezium.oldkey", i)
			}
			if e.Headers[0].Key != "__debezium.newkey" || !bytes.Equal(e.Headers[0].Value, cre.Key) {
				t.Fatalf("event %d: delete's __debezium.newkey %q, create key %q", i, e.Headers[0].Value, cre.Key)
			}
			ce := decode(t, cre)
			if ce.Source != env.Source {
				t.Fatalf("primary-key change: delete at %+v, create at %+v", env.Source, ce.Source)
			}
			if env.Before["transaction_id"] == ce.After["transaction_id"] {
				t.Fatal("primary-key change kept the key")
			}
		}
		if e.Fraud != "" {
			fraud[e.Fraud]++
		}
	}
	if rows+tombs != st.Events || tombs != st.Tombstones || dups != st.Duplicates || pkc != st.PKChanges || pkc != 1 {
		t.Fatalf("counted rows %d tombstones %d duplicates %d pk changes %d; Stats %+v", rows, tombs, dups, pkc, st)
	}
	if st.Snapshot == 0 || st.Deletes < 10 || dups == 0 {
		t.Fatalf("stream lacks snapshot reads, deletes or duplicates: %+v", st)
	}
	for _, k := range []string{FraudBurst, FraudNightLarge, FraudNewDeviceForeign} {
		if st.Fraud[k] == 0 {
			t.Errorf("no %s pattern injected in %d events", k, len(evs))
		}
	}
	if fraud[FraudBurst] != 8*int(st.Fraud[FraudBurst]) || fraud[FraudNightLarge] != int(st.Fraud[FraudNightLarge]) {
		t.Errorf("fraud-marked events %v do not match Stats %v", fraud, st.Fraud)
	}
}

// twosComplement decodes Kafka Connect's Decimal bytes independently of delta/schema.
func twosComplement(b []byte) *big.Int {
	v := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return v
}

func cents(s string) *big.Int {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) != 2 {
		return nil
	}
	v, ok := new(big.Int).SetString(whole+frac, 10)
	if !ok {
		return nil
	}
	if neg {
		v.Neg(v)
	}
	return v
}

// TestEventsUnwrapExactly runs every event through debezium_unwrap's core with the
// contracts: every row event must type cleanly, and every decimal must come out as the exact
// value the base64 two's-complement bytes hold.
func TestEventsUnwrapExactly(t *testing.T) {
	evs, _ := generate(t, Config{Seed: 11}, 20000)
	o := debezium.DefaultOptions()
	o.TombstoneHandling = "keep"
	for _, n := range Tables {
		c, err := schemas.Load(n)
		if err != nil {
			t.Fatal(err)
		}
		o.Contracts = append(o.Contracts, c)
	}
	u, err := debezium.New(o)
	if err != nil {
		t.Fatal(err)
	}
	money := map[string][]string{"accounts": {"balance", "credit_limit"}, "transactions": {"amount"}}
	checked := 0
	for i, e := range evs {
		// With the record's key, as the kafka input gives it: a keyless tombstone is invalid_key.
		res, err := u.Unwrap(e.Value, debezium.Meta{Topic: e.Topic, HasTopic: true, TombstoneFlag: e.Value == nil, Key: string(e.Key), HasKey: e.Key != nil})
		if err != nil {
			t.Fatalf("event %d does not unwrap: %v\n%s", i, err, e.Value)
		}
		if e.Op == 0 {
			if res.Kind != debezium.KindTombstone {
				t.Fatalf("event %d: tombstone unwrapped as %s", i, res.Kind)
			}
			continue
		}
		var row map[string]any
		if err := json.Unmarshal(res.Body, &row); err != nil {
			t.Fatal(err)
		}
		env := decode(t, e)
		img := env.After
		if img == nil {
			img = env.Before
		}
		for _, col := range money[e.Table] {
			raw, _ := img[col].(string)
			if raw == "" {
				if row[col] != nil {
					t.Fatalf("event %d: %s null in the event, %v unwrapped", i, col, row[col])
				}
				continue
			}
			b, err := base64.StdEncoding.DecodeString(raw)
			if err != nil {
				t.Fatalf("event %d: %s %q is not base64", i, col, raw)
			}
			got, _ := row[col].(string)
			if c := cents(got); c == nil || c.Cmp(twosComplement(b)) != 0 {
				t.Fatalf("event %d: %s bytes %x hold %s cents, unwrapped %q", i, col, b, twosComplement(b), got)
			}
			checked++
		}
		if e.Table == "accounts" {
			if _, ok := row["overdraft_allowed"].(bool); !ok {
				t.Fatalf("event %d: overdraft_allowed %v is not a TINYINT(1) 0/1", i, img["overdraft_allowed"])
			}
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d decimals checked", checked)
	}
}

// TestResumedRunFollowsEarlierRuns checks that run 1 uses new keys and later binlog
// positions than run 0, and creates its population with inserts rather than a snapshot.
func TestResumedRunFollowsEarlierRuns(t *testing.T) {
	r0, _ := generate(t, Config{Seed: 7}, 3000)
	r1, s1 := generate(t, Config{Seed: 7, Run: 1}, 3000)
	if s1.Stats().Snapshot != 0 {
		t.Fatal("a resumed run must not snapshot again")
	}
	keys := map[string]bool{}
	var maxPos0 string
	for _, e := range r0 {
		keys[e.Topic+string(e.Key)] = true
		if e.Op != 0 {
			if p := fmt.Sprintf("%s:%010d", e.Source.File, e.Source.Pos); p > maxPos0 {
				maxPos0 = p
			}
		}
	}
	for i, e := range r1 {
		if keys[e.Topic+string(e.Key)] {
			t.Fatalf("run 1 event %d reuses run 0's key %s", i, e.Key)
		}
		if e.Op != 0 {
			if p := fmt.Sprintf("%s:%010d", e.Source.File, e.Source.Pos); p <= maxPos0 {
				t.Fatalf("run 1 event %d at %s, not after run 0's last position %s", i, p, maxPos0)
			}
		}
	}
}

func BenchmarkNext(b *testing.B) {
	s, err := New(Config{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	var evs []Event
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		if evs, err = s.Next(evs[:0]); err != nil {
			b.Fatal(err)
		}
		n += len(evs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
