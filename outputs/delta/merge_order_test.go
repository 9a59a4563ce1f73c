package delta

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// FuzzOrderPreservesValueOrder checks that comparing encoded orders compares the values:
// strings (any bytes, zeros included), integers and timestamps; and that at equal values a
// snapshot read sorts before a streamed change.
func FuzzOrderPreservesValueOrder(f *testing.F) {
	f.Add("0000000003:00000000000000001541:000000", "0000000003:00000000000000001541:000001", int64(-1), int64(1))
	f.Add("a\x00", "a", int64(0), int64(-9223372036854775808))
	f.Add("", "\x00\xff", int64(9223372036854775807), int64(0))
	f.Fuzz(func(t *testing.T, a, b string, x, y int64) {
		oa, _ := orderOf(a, "u")
		ob, _ := orderOf(b, "u")
		if _, pa := packBinlogPos(nil, a); pa != func() bool { _, ok := packBinlogPos(nil, b); return ok }() {
			return // a binlog position and another kind of string never order one table's changes together
		}
		if got, want := sign(strings.Compare(oa, ob)), sign(strings.Compare(a, b)); got != want {
			t.Fatalf("strings %q %q: order compares %d, values %d", a, b, got, want)
		}
		ra, _ := orderOf(a, "r")
		if ra >= oa {
			t.Fatalf("a read of %q does not sort before a change at the same value", a)
		}
		if rb, _ := orderOf(b, "r"); a < b && oa >= rb {
			t.Fatalf("a change at %q does not sort before a read at the greater %q", a, b)
		}
		ix, _ := orderOf(x, "u")
		iy, _ := orderOf(y, "u")
		want := 0
		if x < y {
			want = -1
		} else if x > y {
			want = 1
		}
		if got := sign(strings.Compare(ix, iy)); got != want {
			t.Fatalf("ints %d %d: order compares %d", x, y, got)
		}
		tx, _ := orderOf(time.UnixMicro(x/2).UTC(), "u")
		ty, _ := orderOf(time.UnixMicro(y/2).UTC(), "u")
		if x/2 != y/2 && sign(strings.Compare(tx, ty)) != sign(int(x/2-y/2)>>62|1) {
			t.Fatalf("times %d %d out of order", x/2, y/2)
		}
	})
}

func TestKeysOfDifferentTypesDiffer(t *testing.T) {
	a, _ := encodeKey([]any{int64(1)}, []int{0})
	b, _ := encodeKey([]any{"1"}, []int{0})
	c, _ := encodeKey([]any{int32(1)}, []int{0})
	if a == b || a != c {
		t.Fatalf("int64 1 %q, string 1 %q, int32 1 %q: want int64 = int32 != string", a, b, c)
	}
	if _, err := encodeKey([]any{nil}, []int{0}); err == nil {
		t.Fatal("a null key must be refused")
	}
}

// FuzzPackedPositionsKeepTheirOrder: binlog positions (the common sequence) are packed, and
// packed positions compare as their text does.
func FuzzPackedPositionsKeepTheirOrder(f *testing.F) {
	f.Add(uint64(3), uint64(1541), uint32(0), uint64(3), uint64(1541), uint32(1))
	f.Add(uint64(9999999999), uint64(18446744073709551615), uint32(999999), uint64(0), uint64(0), uint32(0))
	f.Fuzz(func(t *testing.T, f1, p1 uint64, r1 uint32, f2, p2 uint64, r2 uint32) {
		f1, f2, r1, r2 = f1%10000000000, f2%10000000000, r1%1000000, r2%1000000
		a := fmt.Sprintf("%010d:%020d:%06d", f1, p1, r1)
		b := fmt.Sprintf("%010d:%020d:%06d", f2, p2, r2)
		oa, _ := orderOf(a, "u")
		ob, _ := orderOf(b, "u")
		if len(oa) != 22 {
			t.Fatalf("%s was not packed (%d bytes)", a, len(oa))
		}
		if got, want := sign(strings.Compare(oa, ob)), sign(strings.Compare(a, b)); got != want {
			t.Fatalf("%s vs %s: packed compares %d, text %d", a, b, got, want)
		}
	})
}
