package enrich

import (
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// column stores one selected column of every row slot. Only the follower goroutine calls
// set, clear and grow (set and clear under the index's write lock); get is called by
// lookups under the read lock.
type column interface {
	set(slot int32, v any)
	clear(slot int32)
	get(slot int32) any
	// grow makes room for slots [0, n).
	grow(n int)
	// bytes is the memory the column holds (capacities, dictionaries).
	bytes() int64
}

// newColumn picks the storage for a Delta type.
func newColumn(name string, t schema.Type) column {
	switch t := t.(type) {
	case schema.PrimitiveType:
		switch t {
		case schema.Long:
			return &intCol[int64]{name: name}
		case schema.Integer:
			return &intCol[int32]{name: name}
		case schema.Short:
			return &intCol[int16]{name: name}
		case schema.Byte:
			return &intCol[int8]{name: name}
		case schema.Double:
			return &floatCol[float64]{name: name}
		case schema.Float:
			return &floatCol[float32]{name: name}
		case schema.Boolean:
			return &boolCol{name: name}
		case schema.String:
			return newDictCol(name)
		case schema.Timestamp, schema.TimestampNTZ:
			return &timeCol{name: name}
		case schema.DateType:
			return &dateCol{name: name}
		}
	case schema.DecimalType:
		if t.Precision <= 18 {
			return &decCol{name: name, scale: t.Scale}
		}
	}
	// Binary, wide decimals, structs, arrays, maps: kept as decoded (not compact, but exact).
	return &anyCol{name: name, typ: t}
}

// checkValue reports whether v (a delta/schema cell value or nil) can be stored in the
// column newColumn builds for t, so that a commit is refused before any of it is applied.
func checkValue(name string, t schema.Type, v any) error {
	if v == nil {
		return nil
	}
	ok := true
	want := t.String()
	switch t := t.(type) {
	case schema.PrimitiveType:
		switch t {
		case schema.Long:
			_, ok = v.(int64)
		case schema.Integer:
			_, ok = v.(int32)
		case schema.Short:
			_, ok = v.(int16)
		case schema.Byte:
			_, ok = v.(int8)
		case schema.Double:
			_, ok = v.(float64)
		case schema.Float:
			_, ok = v.(float32)
		case schema.Boolean:
			_, ok = v.(bool)
		case schema.String:
			_, ok = v.(string)
		case schema.Timestamp, schema.TimestampNTZ:
			_, ok = v.(time.Time)
		case schema.DateType:
			_, ok = v.(schema.Date)
		}
	case schema.DecimalType:
		d, isDec := v.(schema.Decimal)
		switch {
		case !isDec || d.Unscaled == nil:
			ok = false
		case d.Scale != t.Scale:
			return fmt.Errorf("column %s: decimal %s has scale %d, the column %s", name, d, d.Scale, t)
		case t.Precision <= 18 && !d.Unscaled.IsInt64():
			return fmt.Errorf("column %s: decimal %s does not fit %s", name, d, t)
		}
	}
	if !ok {
		return fmt.Errorf("column %s: value of Go type %T, expected %s", name, v, want)
	}
	return nil
}

// bitmap is one bit per slot.
type bitmap []uint64

func (b *bitmap) grow(n int) {
	for len(*b)*64 < n {
		*b = append(*b, 0)
	}
}
func (b bitmap) get(i int32) bool { return b[i>>6]&(1<<(uint(i)&63)) != 0 }
func (b bitmap) put(i int32, on bool) {
	if on {
		b[i>>6] |= 1 << (uint(i) & 63)
	} else {
		b[i>>6] &^= 1 << (uint(i) & 63)
	}
}
func (b bitmap) bytes() int64 { return int64(cap(b)) * 8 }

// nulls marks null slots. The bitmap is allocated on the first null, so NOT NULL columns
// pay nothing.
type nulls struct {
	bits bitmap
	n    int
}

func (z *nulls) grow(n int) {
	z.n = n
	if z.bits != nil {
		z.bits.grow(n)
	}
}
func (z *nulls) put(slot int32, null bool) {
	if z.bits == nil {
		if !null {
			return
		}
		z.bits.grow(z.n)
	}
	z.bits.put(slot, null)
}
func (z *nulls) null(slot int32) bool { return z.bits != nil && z.bits.get(slot) }

func growTo[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	if n <= cap(s) {
		return s[:n]
	}
	return append(s, make([]T, n-len(s))...)
}

type intCol[T int8 | int16 | int32 | int64] struct {
	name string
	vals []T
	nul  nulls
}

func (c *intCol[T]) set(s int32, v any) {
	x, _ := v.(T)
	c.vals[s] = x
	c.nul.put(s, v == nil)
}
func (c *intCol[T]) clear(s int32) { c.set(s, nil) }
func (c *intCol[T]) get(s int32) any {
	if c.nul.null(s) {
		return nil
	}
	return int64(c.vals[s])
}
func (c *intCol[T]) grow(n int) { c.vals = growTo(c.vals, n); c.nul.grow(n) }
func (c *intCol[T]) bytes() int64 {
	var z T
	return int64(cap(c.vals))*int64(sizeOf(z)) + c.nul.bits.bytes()
}

func sizeOf(v any) int {
	switch v.(type) {
	case int8, bool:
		return 1
	case int16:
		return 2
	case int32, float32:
		return 4
	}
	return 8
}

type floatCol[T float32 | float64] struct {
	name string
	vals []T
	nul  nulls
}

func (c *floatCol[T]) set(s int32, v any) {
	x, _ := v.(T)
	c.vals[s] = x
	c.nul.put(s, v == nil)
}
func (c *floatCol[T]) clear(s int32) { c.set(s, nil) }
func (c *floatCol[T]) get(s int32) any {
	if c.nul.null(s) {
		return nil
	}
	return float64(c.vals[s])
}
func (c *floatCol[T]) grow(n int) { c.vals = growTo(c.vals, n); c.nul.grow(n) }
func (c *floatCol[T]) bytes() int64 {
	var z T
	return int64(cap(c.vals))*int64(sizeOf(z)) + c.nul.bits.bytes()
}

type boolCol struct {
	name string
	vals bitmap
	nul  nulls
}

func (c *boolCol) set(s int32, v any) {
	b, _ := v.(bool)
	c.vals.put(s, b)
	c.nul.put(s, v == nil)
}
func (c *boolCol) clear(s int32) { c.set(s, nil) }
func (c *boolCol) get(s int32) any {
	if c.nul.null(s) {
		return nil
	}
	return c.vals.get(s)
}
func (c *boolCol) grow(n int)   { c.vals.grow(n); c.nul.grow(n) }
func (c *boolCol) bytes() int64 { return c.vals.bytes() + c.nul.bits.bytes() }

// timeCol holds instants (and timestamp_ntz wall clocks) as microseconds since the epoch,
// the precision Delta stores.
type timeCol struct {
	name string
	vals []int64
	nul  nulls
}

func (c *timeCol) set(s int32, v any) {
	t, ok := v.(time.Time)
	if ok {
		c.vals[s] = t.UnixMicro()
	} else {
		c.vals[s] = 0
	}
	c.nul.put(s, !ok)
}
func (c *timeCol) clear(s int32) { c.set(s, nil) }
func (c *timeCol) get(s int32) any {
	if c.nul.null(s) {
		return nil
	}
	return time.UnixMicro(c.vals[s]).UTC()
}
func (c *timeCol) grow(n int)   { c.vals = growTo(c.vals, n); c.nul.grow(n) }
func (c *timeCol) bytes() int64 { return int64(cap(c.vals))*8 + c.nul.bits.bytes() }

// dateCol holds days since 1970-01-01; lookups see midnight UTC of the date as a time.Time,
// as the rule environment types DATE columns.
type dateCol struct {
	name string
	vals []int32
	nul  nulls
}

func (c *dateCol) set(s int32, v any) {
	d, ok := v.(schema.Date)
	c.vals[s] = int32(d)
	c.nul.put(s, !ok)
}
func (c *dateCol) clear(s int32) { c.set(s, nil) }
func (c *dateCol) get(s int32) any {
	if c.nul.null(s) {
		return nil
	}
	return schema.Date(c.vals[s]).Time()
}
func (c *dateCol) grow(n int)   { c.vals = growTo(c.vals, n); c.nul.grow(n) }
func (c *dateCol) bytes() int64 { return int64(cap(c.vals))*4 + c.nul.bits.bytes() }

// decCol holds decimals of up to 18 digits as their unscaled int64 at the column's scale.
// Lookups get an exact schema.Decimal; money never becomes a float.
type decCol struct {
	name  string
	scale int
	vals  []int64
	nul   nulls
}

func (c *decCol) set(s int32, v any) {
	d, ok := v.(schema.Decimal)
	if ok {
		c.vals[s] = d.Unscaled.Int64()
	} else {
		c.vals[s] = 0
	}
	c.nul.put(s, !ok)
}
func (c *decCol) clear(s int32) { c.set(s, nil) }
func (c *decCol) get(s int32) any {
	if c.nul.null(s) {
		return nil
	}
	return schema.Decimal{Unscaled: big.NewInt(c.vals[s]), Scale: c.scale}
}
func (c *decCol) grow(n int)   { c.vals = growTo(c.vals, n); c.nul.grow(n) }
func (c *decCol) bytes() int64 { return int64(cap(c.vals))*8 + c.nul.bits.bytes() }

// anyCol keeps decoded values as they are, for types without a compact form here.
type anyCol struct {
	name string
	typ  schema.Type
	vals []any
}

func (c *anyCol) set(s int32, v any) {
	// The reader's values point into decode buffers shared by a whole file; copies keep
	// those buffers from staying alive with the index.
	switch x := v.(type) {
	case schema.Decimal:
		v = schema.Decimal{Unscaled: new(big.Int).Set(x.Unscaled), Scale: x.Scale}
	case []byte:
		v = append([]byte(nil), x...)
	case string:
		v = strings.Clone(x)
	}
	c.vals[s] = v
}
func (c *anyCol) clear(s int32) { c.vals[s] = nil }
func (c *anyCol) get(s int32) any {
	if d, ok := c.vals[s].(schema.Decimal); ok {
		return schema.Decimal{Unscaled: new(big.Int).Set(d.Unscaled), Scale: d.Scale}
	}
	if b, ok := c.vals[s].([]byte); ok {
		return append([]byte(nil), b...)
	}
	return c.vals[s]
}
func (c *anyCol) grow(n int)   { c.vals = growTo(c.vals, n) }
func (c *anyCol) bytes() int64 { return int64(cap(c.vals)) * 16 }
