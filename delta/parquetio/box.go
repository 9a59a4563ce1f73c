package parquetio

import (
	"math/big"
	"math/bits"
	"unsafe"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// Decoded cells are returned as `any`. Boxing each int64, timestamp or string separately
// costs one heap allocation per cell, which dominated reading 1M-row tables (the GC then
// scans them all). The slabs below store values of one column contiguously, in chunks that
// are never written again once a value is boxed, and build interfaces pointing into them:
// one allocation per chunk instead of one per cell. Interior pointers keep a chunk alive
// for as long as any of its cells is referenced.

// eface is the runtime layout of an empty interface.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

const slabChunk = 2048

type slab[T any] struct {
	buf []T
	typ unsafe.Pointer
}

func newSlab[T any]() *slab[T] {
	var zero any = *new(T)
	return &slab[T]{typ: (*eface)(unsafe.Pointer(&zero)).typ}
}

// box returns v as an interface whose data lives in the slab.
func (s *slab[T]) box(v T) any {
	if len(s.buf) == cap(s.buf) {
		s.buf = make([]T, 0, slabChunk)
	}
	s.buf = append(s.buf, v)
	var out any
	e := (*eface)(unsafe.Pointer(&out))
	e.typ = s.typ
	e.data = unsafe.Pointer(&s.buf[len(s.buf)-1])
	return out
}

// stringArena copies byte slices into shared immutable chunks and boxes the strings.
type stringArena struct {
	chunk   []byte
	headers *slab[string]
}

func newStringArena() *stringArena { return &stringArena{headers: newSlab[string]()} }

func (a *stringArena) box(b []byte) any {
	if len(b) == 0 {
		return a.headers.box("")
	}
	if len(b) > 4096 {
		return a.headers.box(string(b))
	}
	if cap(a.chunk)-len(a.chunk) < len(b) {
		a.chunk = make([]byte, 0, 64<<10)
	}
	off := len(a.chunk)
	a.chunk = append(a.chunk, b...)
	return a.headers.box(unsafe.String(&a.chunk[off], len(b)))
}

// decimalArena builds decimals of up to 64 bits without a big.Int allocation per cell.
type decimalArena struct {
	decs  *slab[schema.Decimal]
	ints  []big.Int
	words []big.Word
}

func newDecimalArena() *decimalArena { return &decimalArena{decs: newSlab[schema.Decimal]()} }

func (a *decimalArena) fromInt64(v int64, scale int) any {
	if bits.UintSize != 64 {
		return a.decs.box(schema.Decimal{Unscaled: big.NewInt(v), Scale: scale})
	}
	if len(a.ints) == cap(a.ints) {
		a.ints = make([]big.Int, 0, slabChunk)
		a.words = make([]big.Word, 0, slabChunk)
	}
	a.ints = append(a.ints, big.Int{})
	x := &a.ints[len(a.ints)-1]
	abs := uint64(v)
	if v < 0 {
		abs = uint64(-v) // also right for MinInt64: two's complement wraps to 1<<63
	}
	if abs != 0 {
		a.words = append(a.words, big.Word(abs))
		x.SetBits(a.words[len(a.words)-1 : len(a.words) : len(a.words)])
		if v < 0 {
			x.Neg(x)
		}
	}
	return a.decs.box(schema.Decimal{Unscaled: x, Scale: scale})
}
