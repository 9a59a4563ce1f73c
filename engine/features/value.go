package features

import (
	"math"
	"time"
)

// Value is one stored column value. Integers, decimals (unscaled at the column's scale),
// times (Unix microseconds), booleans (0/1) and floats (IEEE bits) live in I; strings in S.
// The column's colType says which.
type Value struct {
	I    int64
	S    string
	Null bool
}

// any returns the value as a where predicate reads it.
func (v Value) any(t colType) any {
	if v.Null {
		return nil
	}
	switch t.kind {
	case kInt:
		return int(v.I)
	case kDec:
		return Dec{U: v.I, Scale: t.scale}
	case kFloat:
		return math.Float64frombits(uint64(v.I))
	case kBool:
		return v.I != 0
	case kTime:
		return time.UnixMicro(v.I).UTC()
	}
	return v.S
}

// out returns the value as the feature outputs carry it: int64, a decimal string at the
// column scale (money is never a float), float64, string, bool or time.Time (UTC).
func (v Value) out(t colType) any {
	if v.Null {
		return nil
	}
	switch t.kind {
	case kInt:
		return v.I
	case kDec:
		return Dec{U: v.I, Scale: t.scale}.String()
	case kFloat:
		return math.Float64frombits(uint64(v.I))
	case kBool:
		return v.I != 0
	case kTime:
		return time.UnixMicro(v.I).UTC()
	}
	return v.S
}

func (v Value) equal(o Value) bool { return v.Null == o.Null && v.I == o.I && v.S == o.S }

// less orders two non-null values of one column for min/max.
func (v Value) less(o Value, t colType) bool {
	switch t.kind {
	case kFloat:
		return math.Float64frombits(uint64(v.I)) < math.Float64frombits(uint64(o.I))
	case kString:
		return v.S < o.S
	}
	return v.I < o.I
}
