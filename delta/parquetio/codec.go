package parquetio

import (
	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/format"
)

// snappyCodec writes raw Snappy blocks with s2's fast Snappy-compatible encoder. parquet-go's
// own snappy codec uses the "better" mode, which costs about twice the CPU for a few percent
// of size; for a streaming writer the CPU matters more. The output is plain Snappy that
// every Parquet reader decodes.
type snappyCodec struct{}

func (snappyCodec) String() string                            { return "SNAPPY" }
func (snappyCodec) CompressionCodec() format.CompressionCodec { return format.Snappy }

func (snappyCodec) Encode(dst, src []byte) ([]byte, error) {
	n := s2.MaxEncodedLen(len(src))
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	return s2.EncodeSnappy(dst[:n], src), nil
}

func (snappyCodec) Decode(dst, src []byte) ([]byte, error) {
	n, err := s2.DecodedLen(src)
	if err != nil {
		return nil, err
	}
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	return s2.Decode(dst[:n], src)
}

// zstdCodec is parquet-go's zstd codec with the destination sized up front: the encoder
// otherwise grows it by appending block after block, so a 64 MB page cost five times its
// size in discarded copies.
type zstdCodec struct{ zstd.Codec }

func (c *zstdCodec) Encode(dst, src []byte) ([]byte, error) {
	// At most 3 bytes per block of at least 1 KiB plus the frame header.
	if bound := len(src) + len(src)>>10 + 64; cap(dst) < bound {
		dst = make([]byte, 0, bound)
	}
	return c.Codec.Encode(dst, src)
}
