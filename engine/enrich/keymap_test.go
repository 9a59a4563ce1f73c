package enrich

import (
	"math/rand/v2"
	"testing"
)

// TestIntMapMatchesAGoMap: random puts, overwrites and deletes (which shift entries back)
// over clustered and spread keys leave the table equal to a Go map.
func TestIntMapMatchesAGoMap(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, spread := range []int64{64, 5000, 1 << 40} {
		m := newIntMap()
		want := map[int64]int32{}
		for op := 0; op < 200000; op++ {
			k := r.Int64N(spread) - spread/2
			switch r.IntN(3) {
			case 0, 1:
				s := int32(r.IntN(1 << 30))
				m.put(k, s)
				want[k] = s
			case 2:
				m.del(k)
				delete(want, k)
			}
			if op%997 == 0 {
				if m.len() != len(want) {
					t.Fatalf("spread %d op %d: len %d, want %d", spread, op, m.len(), len(want))
				}
				for wk, wv := range want {
					if v, ok := m.get(wk); !ok || v != wv {
						t.Fatalf("spread %d op %d: key %d = %d,%v, want %d", spread, op, wk, v, ok, wv)
					}
				}
			}
		}
		for k := -spread / 2; k < -spread/2+1000; k++ {
			_, ok := m.get(k)
			if _, w := want[k]; ok != w {
				t.Fatalf("spread %d: key %d present=%v, want %v", spread, k, ok, w)
			}
		}
		m.reserve(1 << 12)
		for wk, wv := range want {
			if v, ok := m.get(wk); !ok || v != wv {
				t.Fatalf("after reserve: key %d", wk)
			}
		}
	}
}
