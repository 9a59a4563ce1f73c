package enrich

import (
	"strings"
)

// dictCol stores a string column as codes into a dictionary of its distinct values. Enum
// values and currency, country and category codes have a handful of distinct values, so a
// row costs one byte (up to 255 values), two (up to 65,535) or four. Code 0 is null.
//
// Each dictionary entry is also kept boxed as an interface value, so a lookup returns it
// without allocating. Values that no row uses any more stay in the dictionary until it holds
// more than twice as many entries as there are live rows (plus slack), when compact rebuilds
// it; a column with a distinct value per row (a name) therefore costs about what plain
// strings would.
type dictCol struct {
	name  string
	c8    []uint8
	c16   []uint16
	c32   []uint32
	width int // 1, 2 or 4: which of c8, c16, c32 is in use
	n     int // slots

	values []any // code -> boxed string; values[0] is nil
	codes  map[string]uint32
	bytesV int64 // bytes of the distinct strings
}

func newDictCol(name string) *dictCol {
	return &dictCol{name: name, width: 1, values: []any{nil}, codes: map[string]uint32{}}
}

func (c *dictCol) code(s int32) uint32 {
	switch c.width {
	case 1:
		return uint32(c.c8[s])
	case 2:
		return uint32(c.c16[s])
	}
	return c.c32[s]
}

func (c *dictCol) put(s int32, code uint32) {
	switch c.width {
	case 1:
		c.c8[s] = uint8(code)
	case 2:
		c.c16[s] = uint16(code)
	default:
		c.c32[s] = code
	}
}

// intern returns the code of v, adding it (a copy: the reader's strings point into shared
// decode buffers that must not stay alive) and widening the codes when needed.
func (c *dictCol) intern(v string) uint32 {
	if code, ok := c.codes[v]; ok {
		return code
	}
	v = strings.Clone(v)
	code := uint32(len(c.values))
	c.values = append(c.values, v)
	c.codes[v] = code
	c.bytesV += int64(len(v))
	switch {
	case c.width == 1 && code > 0xff:
		c.c16 = make([]uint16, len(c.c8), cap(c.c8))
		for i, x := range c.c8 {
			c.c16[i] = uint16(x)
		}
		c.c8, c.width = nil, 2
	case c.width == 2 && code > 0xffff:
		c.c32 = make([]uint32, len(c.c16), cap(c.c16))
		for i, x := range c.c16 {
			c.c32[i] = uint32(x)
		}
		c.c16, c.width = nil, 4
	}
	return code
}

func (c *dictCol) set(s int32, v any) {
	str, ok := v.(string)
	if !ok {
		c.put(s, 0)
		return
	}
	c.put(s, c.intern(str))
}

func (c *dictCol) clear(s int32) { c.put(s, 0) }

func (c *dictCol) get(s int32) any { return c.values[c.code(s)] }

func (c *dictCol) grow(n int) {
	c.n = n
	switch c.width {
	case 1:
		c.c8 = growTo(c.c8, n)
	case 2:
		c.c16 = growTo(c.c16, n)
	default:
		c.c32 = growTo(c.c32, n)
	}
}

func (c *dictCol) bytes() int64 {
	codes := int64(cap(c.c8)) + 2*int64(cap(c.c16)) + 4*int64(cap(c.c32))
	// values: 16-byte interface + 16-byte boxed header + data; codes map: ~40 bytes an entry.
	return codes + int64(cap(c.values))*32 + c.bytesV + int64(len(c.codes))*40
}

// needsCompaction reports a dictionary that grew well past the live rows.
func (c *dictCol) needsCompaction(liveRows int) bool {
	return len(c.values) > 2*liveRows+1024
}

// compact rebuilds the dictionary from the codes of the live slots (live(s) reports a slot
// in use), dropping values no row uses. Called by the follower under the write lock.
func (c *dictCol) compact(live func(int32) bool) {
	old := c.values
	c.values, c.codes, c.bytesV = []any{nil}, map[string]uint32{}, 0
	remap := make(map[uint32]uint32)
	codes := make([]uint32, c.n)
	for s := 0; s < c.n; s++ {
		codes[s] = c.code(int32(s))
	}
	c.c8, c.c16, c.c32, c.width = nil, nil, nil, 1
	c.grow(c.n)
	for s, old32 := range codes {
		if old32 == 0 || !live(int32(s)) {
			continue
		}
		code, ok := remap[old32]
		if !ok {
			code = c.intern(old[old32].(string))
			remap[old32] = code
		}
		c.put(int32(s), code)
	}
}
