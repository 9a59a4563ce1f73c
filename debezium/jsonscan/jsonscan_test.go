package jsonscan

import (
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// special is the eight-bytes-at-a-time test; compare it with the byte-wise definition.
func TestSpecialMatchesBytewise(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	check := func(b [8]byte) {
		want := false
		for _, c := range b {
			if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
				want = true
			}
		}
		require.Equal(t, want, Special(binary.LittleEndian.Uint64(b[:])), "%q", b[:])
	}
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 8; pos++ {
			b := [8]byte{'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'}
			b[pos] = byte(c)
			check(b)
			b = [8]byte{0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f}
			b[pos] = byte(c)
			check(b)
		}
	}
	for i := 0; i < 200000; i++ {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], r.Uint64()&0x7f7f7f7f7f7f7f7f|uint64(r.IntN(2))<<(8*r.IntN(8)+7))
		check(b)
	}
}

// Every byte at every position of a string: the scanner agrees with encoding/json on where
// the string ends and whether it is valid, and reports escapes and non-ASCII.
func TestStrAgreesWithEncodingJSON(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 20; pos++ {
			text := []byte("abcdefghijklmnopqrst")
			text[pos] = byte(c)
			doc := append(append([]byte(`"`), text...), `"`...)
			s := &Scanner{B: doc}
			end, esc, ascii, err := s.Str()
			if c == '"' {
				assert.Equal(t, pos+2, end, "a quote at %d ends the string", pos)
				continue
			}
			valid := json.Valid(doc)
			assert.Equal(t, valid, err == nil, "byte %#x at %d", c, pos)
			if err == nil {
				assert.Equal(t, len(doc), end)
				assert.Equal(t, c == '\\', esc)
				assert.Equal(t, c < 0x80, ascii)
			}
		}
	}
	for _, in := range []string{`"\u00e9"`, `"\u0080"`, `"\u007f"`, `"\u0041"`, `"\n"`} {
		s := &Scanner{B: []byte(in)}
		_, esc, ascii, err := s.Str()
		require.NoError(t, err)
		assert.True(t, esc)
		assert.Equal(t, in == `"\u007f"` || in == `"\u0041"` || in == `"\n"`, ascii, in)
	}
}
