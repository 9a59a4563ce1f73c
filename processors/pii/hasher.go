package pii

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sync"
)

// work is the per-call state of Engine.Apply, pooled: hmac.New costs allocations and the
// key schedule, and a value passed to hash.Hash.Write escapes to the heap, so the decode
// buffer and the digest live here rather than on the stack.
type work struct {
	mac hash.Hash // keyed HMAC-SHA256; nil when no column is hashed
	buf []byte    // decoded text of the value being protected
	sum [sha256.Size]byte
}

type workPool struct{ p sync.Pool }

func newWorkPool(key []byte) *workPool {
	var k []byte
	if key != nil {
		k = append([]byte(nil), key...)
	}
	wp := &workPool{}
	wp.p.New = func() any {
		w := &work{buf: make([]byte, 0, 256)}
		if k != nil {
			w.mac = hmac.New(sha256.New, k)
		}
		return w
	}
	return wp
}

func (wp *workPool) get() *work  { return wp.p.Get().(*work) }
func (wp *workPool) put(w *work) { wp.p.Put(w) }

// appendHash writes the lower-case hex HMAC-SHA256 of text as a JSON string.
func (w *work) appendHash(dst, text []byte) []byte {
	w.mac.Reset()
	w.mac.Write(text)
	s := w.mac.Sum(w.sum[:0])
	dst = append(dst, '"')
	dst = hex.AppendEncode(dst, s)
	return append(dst, '"')
}
