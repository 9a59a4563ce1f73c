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
