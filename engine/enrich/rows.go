package enrich

import (
	"encoding/binary"
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// rowStore holds the fixed-width columns of every slot as one packed record per slot: a
// null bitmap, then each column's bytes (1–8). A lookup touches one record, one or two cache
// lines, instead of one line per column: on a table of a million keys every touch of cold
// memory costs a cache and TLB miss, and those dominate the lookup. The record of accounts'
// currency, status, balance, created_at and customer_id is 27 bytes.
type rowStore struct {
	data   []byte
	stride int
	n      int // slots the data has room for
	fields []*field
}

// field is a column's place in the record. bit is its null bit.
type field struct{ off, width, bit int }

var le = binary.LittleEndian

func (rs *rowStore) add(width int) *field {
	f := &field{width: width, bit: len(rs.fields)}
	rs.fields = append(rs.fields, f)
	rs.layout()
	return f
}

// layout assigns offsets: the null bitmap first, then the fields in order.
func (rs *rowStore) layout() {
	off := (len(rs.fields) + 7) / 8
	for _, f := range rs.fields {
		f.off = off
		off += f.width
	}
	rs.stride = off
}

func (rs *rowStore) grow(n int) {
	if n <= rs.n {
		return
	}
	rs.data = growTo(rs.data, n*rs.stride)
	rs.n = n
}

func (rs *rowStore) rec(s int32) []byte {
	b := int(s) * rs.stride
	return rs.data[b : b+rs.stride : b+rs.stride]
}

func (rs *rowStore) bytes() int64 { return int64(cap(rs.data)) }

// widen gives f a wider width, moving every record (zero-extending f's unsigned value). Only
// dictionary codes widen, at most twice per column (1 → 2 → 4 bytes); the caller holds the
// write lock.
func (rs *rowStore) widen(f *field, width int) {
	type old struct{ off, width int }
	was := make([]old, len(rs.fields))
	for i, x := range rs.fields {
		was[i] = old{x.off, x.width}
	}
	oldStride := rs.stride
	f.width = width
	rs.layout()
	data := make([]byte, rs.n*rs.stride, max(cap(rs.data)/oldStride, rs.n)*rs.stride)
	nb := (len(rs.fields) + 7) / 8
	for s := 0; s < rs.n; s++ {
		src := rs.data[s*oldStride : (s+1)*oldStride]
		dst := data[s*rs.stride : (s+1)*rs.stride]
		copy(dst[:nb], src[:nb])
		for i, x := range rs.fields {
			putUint(dst[x.off:], x.width, getUint(src[was[i].off:], was[i].width))
		}
	}
	rs.data = data
}

func getUint(p []byte, w int) uint64 {
	switch w {
	case 1:
		return uint64(p[0])
	case 2:
		return uint64(le.Uint16(p))
	case 4:
		return uint64(le.Uint32(p))
	}
	return le.Uint64(p)
}

func putUint(p []byte, w int, v uint64) {
	switch w {
	case 1:
		p[0] = byte(v)
	case 2:
		le.PutUint16(p, uint16(v))
	case 4:
		le.PutUint32(p, uint32(v))
	default:
		le.PutUint64(p, v)
	}
}

func growTo[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	if n <= cap(s) {
		return s[:n]
	}
	return append(s, make([]T, n-len(s))...)
}

type kind uint8

const (
	kLong kind = iota
	kInt
	kShort
	kByte
	kDouble
	kFloat
	kBool
	kTime // microseconds since the epoch
	kDate // days since 1970-01-01
	kDec  // unscaled int64 at the column's scale
	kDict // dictionary code
)

// fixedCol is a column stored in the row records.
type fixedCol struct {
	name  string
	kind  kind
	scale int
	rs    *rowStore
	f     *field
	dict  *dictionary
}

// newColumns builds the storage of the selected columns: fixed-width ones in one row store,
// the others (binary, decimals over 18 digits, nested types) as decoded values.
func newColumns(names []string, types []schema.Type) ([]column, *rowStore) {
	rs := &rowStore{}
	cols := make([]column, len(names))
	for i, t := range types {
		k, w, scale, ok := fixedKind(t)
		if !ok {
			cols[i] = &anyCol{name: names[i], typ: t}
			continue
		}
		c := &fixedCol{name: names[i], kind: k, scale: scale, rs: rs, f: rs.add(w)}
		if k == kDict {
			c.dict = newDictionary()
		}
		cols[i] = c
	}
	return cols, rs
}

func fixedKind(t schema.Type) (k kind, width, scale int, ok bool) {
	switch t := t.(type) {
	case schema.PrimitiveType:
		switch t {
		case schema.Long:
			return kLong, 8, 0, true
		case schema.Integer:
			return kInt, 4, 0, true
		case schema.Short:
			return kShort, 2, 0, true
		case schema.Byte:
			return kByte, 1, 0, true
		case schema.Double:
			return kDouble, 8, 0, true
		case schema.Float:
			return kFloat, 4, 0, true
		case schema.Boolean:
			return kBool, 1, 0, true
		case schema.Timestamp, schema.TimestampNTZ:
			return kTime, 8, 0, true
		case schema.DateType:
			return kDate, 4, 0, true
		case schema.String:
			return kDict, 1, 0, true
		}
	case schema.DecimalType:
		if t.Precision <= 18 {
			return kDec, 8, t.Scale, true
		}
	}
	return 0, 0, 0, false
}

func (c *fixedCol) isNull(rec []byte) bool { return rec[c.f.bit>>3]&(1<<(c.f.bit&7)) != 0 }

func (c *fixedCol) get(s int32) any {
	rec := c.rs.rec(s)
	if c.isNull(rec) {
		return nil
	}
	p := rec[c.f.off:]
	switch c.kind {
	case kLong:
		return int64(le.Uint64(p))
	case kInt:
		return int64(int32(le.Uint32(p)))
	case kShort:
		return int64(int16(le.Uint16(p)))
	case kByte:
		return int64(int8(p[0]))
	case kDouble:
		return math.Float64frombits(le.Uint64(p))
	case kFloat:
		return float64(math.Float32frombits(le.Uint32(p)))
	case kBool:
		return p[0] != 0
	case kTime:
		return time.UnixMicro(int64(le.Uint64(p))).UTC()
	case kDate:
		return schema.Date(int32(le.Uint32(p))).Time()
	case kDec:
		return schema.Decimal{Unscaled: big.NewInt(int64(le.Uint64(p))), Scale: c.scale}
	case kDict:
		return c.dict.values[getUint(p, c.f.width)]
	}
	return nil
}

// set stores v, which checkValue accepted for the column's type.
func (c *fixedCol) set(s int32, v any) {
	if v == nil {
		c.clear(s)
		return
	}
	var u uint64
	switch c.kind {
	case kLong:
		u = uint64(v.(int64))
	case kInt:
		u = uint64(uint32(v.(int32)))
	case kShort:
		u = uint64(uint16(v.(int16)))
	case kByte:
		u = uint64(uint8(v.(int8)))
	case kDouble:
		u = math.Float64bits(v.(float64))
	case kFloat:
		u = uint64(math.Float32bits(v.(float32)))
	case kBool:
		if v.(bool) {
			u = 1
		}
	case kTime:
		u = uint64(v.(time.Time).UnixMicro())
	case kDate:
		u = uint64(uint32(int32(v.(schema.Date))))
	case kDec:
		u = uint64(v.(schema.Decimal).Unscaled.Int64())
	case kDict:
		code := c.dict.intern(v.(string))
		if w := codeWidth(code); w > c.f.width {
			c.rs.widen(c.f, w)
		}
		u = uint64(code)
	}
	rec := c.rs.rec(s)
	rec[c.f.bit>>3] &^= 1 << (c.f.bit & 7)
	putUint(rec[c.f.off:], c.f.width, u)
}

func (c *fixedCol) clear(s int32) {
	rec := c.rs.rec(s)
	rec[c.f.bit>>3] |= 1 << (c.f.bit & 7)
	putUint(rec[c.f.off:], c.f.width, 0)
}

// grow is the row store's business (index grows it once for every fixed column).
func (c *fixedCol) grow(int) {}

func (c *fixedCol) bytes() int64 {
	if c.dict != nil {
		return c.dict.bytes()
	}
	return 0
}

func codeWidth(code uint32) int {
	switch {
	case code <= 0xff:
		return 1
	case code <= 0xffff:
		return 2
	}
	return 4
}

// dictionary holds a string column's distinct values. Enum values and currency, country and
// category codes have a handful of them, so a row stores a 1-byte code (2 bytes beyond 255
// values, 4 beyond 65,535). Each value is also kept boxed as an interface, so a lookup
// returns it without allocating. Values no row uses any more stay until the dictionary holds
// more than twice as many values as there are live rows (plus slack); compact then rebuilds
// it, so a column with a distinct value per row (a name) costs about what plain strings do.
type dictionary struct {
	values []any // code -> boxed string; code 0 is unused (null is the null bit)
	codes  map[string]uint32
	bytesV int64
}

func newDictionary() *dictionary {
	return &dictionary{values: []any{nil}, codes: map[string]uint32{}}
}

// intern returns v's code, adding a copy of v (the reader's strings point into decode
// buffers shared by a whole file, which must not stay alive with the index).
func (d *dictionary) intern(v string) uint32 {
	if code, ok := d.codes[v]; ok {
		return code
	}
	v = strings.Clone(v)
	code := uint32(len(d.values))
	d.values = append(d.values, v)
	d.codes[v] = code
	d.bytesV += int64(len(v))
	return code
}

// bytes estimates the dictionary: a 16-byte interface and a 16-byte boxed header per value,
// its characters, and about 40 bytes per entry of the code map.
func (d *dictionary) bytes() int64 {
	return int64(cap(d.values))*32 + d.bytesV + int64(len(d.codes))*40
}

func (c *fixedCol) needsCompaction(liveRows int) bool {
	return c.dict != nil && len(c.dict.values) > 2*liveRows+1024
}

// compact rebuilds the dictionary from the codes of the live slots, dropping values no row
// uses. New codes are never larger than old ones, so they fit the field's width. The caller
// holds the write lock.
func (c *fixedCol) compact(live func(int32) bool) {
	old := c.dict.values
	c.dict = newDictionary()
	remap := map[uint64]uint32{}
	for s := 0; s < c.rs.n; s++ {
		rec := c.rs.rec(int32(s))
		if !live(int32(s)) || c.isNull(rec) {
			continue
		}
		p := rec[c.f.off:]
		o := getUint(p, c.f.width)
		code, ok := remap[o]
		if !ok {
			code = c.dict.intern(old[o].(string))
			remap[o] = code
		}
		putUint(p, c.f.width, uint64(code))
	}
}
