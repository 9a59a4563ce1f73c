package parquetio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// checkFooter walks the Thrift compact encoding of the file footer and rejects any
// list, map or binary whose declared length exceeds the bytes left in the footer. parquet-go
// allocates collections at their declared length before reading them, so without this a
// corrupt 4-byte length in a few-kilobyte file makes it allocate tens of gigabytes.
func checkFooter(r io.ReaderAt, size int64) error {
	if size < 12 {
		return fmt.Errorf("parquet file is %d bytes, too small to be Parquet", size)
	}
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return fmt.Errorf("read parquet footer: %w", err)
	}
	if string(tail[4:]) != "PAR1" {
		return fmt.Errorf("not a parquet file (magic %q), or an encrypted one, which Delta does not use", tail[4:])
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n <= 0 || n > size-12 {
		return fmt.Errorf("parquet footer length %d does not fit a %d-byte file", n, size)
	}
	footer := make([]byte, n)
	if _, err := r.ReadAt(footer, size-8-n); err != nil {
		return fmt.Errorf("read parquet footer: %w", err)
	}
	w := thriftWalker{b: footer, end: n}
	if err := w.structure(0); err != nil {
		return fmt.Errorf("parquet footer is corrupt: %w", err)
	}
	return nil
}

var errThrift = errors.New("malformed thrift")

// thriftWalker walks Thrift compact-encoded structures, checking every declared length
// against the bytes that remain. It holds b, the bytes at absolute offsets [base,
// base+len(b)); when fill is set it loads further windows on demand, so binary fields (page
// statistics of another writer may hold megabyte values) are skipped without being read.
type thriftWalker struct {
	b    []byte
	base int64
	pos  int64 // absolute offset of the next byte
	end  int64 // absolute offset where the walked region ends
	fill func(off int64) ([]byte, error)
	// ints records the integer fields of the outermost struct by field id.
	ints map[int16]int64
}

// need makes the n bytes at pos available in b.
func (w *thriftWalker) need(n int64) error {
	if n > w.end-w.pos {
		return io.ErrUnexpectedEOF
	}
	if w.pos >= w.base && w.pos+n <= w.base+int64(len(w.b)) {
		return nil
	}
	if w.fill == nil {
		return io.ErrUnexpectedEOF
	}
	b, err := w.fill(w.pos)
	if err != nil {
		return err
	}
	w.b, w.base = b, w.pos
	if int64(len(b)) < n {
		return io.ErrUnexpectedEOF
	}
	return nil
}

func (w *thriftWalker) byte1() (byte, error) {
	if err := w.need(1); err != nil {
		return 0, err
	}
	c := w.b[w.pos-w.base]
	w.pos++
	return c, nil
}

func (w *thriftWalker) varint() (uint64, error) {
	if err := w.need(min(binary.MaxVarintLen64, w.end-w.pos)); err != nil {
		return 0, err
	}
	v, n := binary.Uvarint(w.b[w.pos-w.base:])
	if n <= 0 {
		return 0, errThrift
	}
	w.pos += int64(n)
	return v, nil
}

func (w *thriftWalker) left() int64 { return w.end - w.pos }

func (w *thriftWalker) skip(n uint64) error {
	if n > uint64(w.left()) {
		return fmt.Errorf("length %d exceeds the %d bytes left", n, w.left())
	}
	w.pos += int64(n)
	return nil
}

func (w *thriftWalker) structure(depth int) error {
	if depth > 64 {
		return fmt.Errorf("nesting deeper than 64")
	}
	var id int16
	for {
		h, err := w.byte1()
		if err != nil {
			return err
		}
		if h == 0 {
			return nil
		}
		if h>>4 == 0 {
			v, err := w.varint()
			if err != nil {
				return err
			}
			id = int16(int64(v>>1) ^ -int64(v&1))
		} else {
			id += int16(h >> 4)
		}
		if t := h & 0x0f; depth == 0 && w.ints != nil && (t == 5 || t == 6) {
			v, err := w.varint()
			if err != nil {
				return err
			}
			w.ints[id] = int64(v>>1) ^ -int64(v&1)
			continue
		}
		if err := w.value(h&0x0f, depth); err != nil {
			return err
		}
	}
}

func (w *thriftWalker) value(t byte, depth int) error {
	switch t {
	case 1, 2: // bool in a field header: no payload
		return nil
	case 3:
		return w.skip(1)
	case 4, 5, 6:
		_, err := w.varint()
		return err
	case 7:
		return w.skip(8)
	case 8:
		n, err := w.varint()
		if err != nil {
			return err
		}
		return w.skip(n)
	case 9, 10:
		h, err := w.byte1()
		if err != nil {
			return err
		}
		n := uint64(h >> 4)
		if n == 15 {
			if n, err = w.varint(); err != nil {
				return err
			}
		}
		if n > uint64(w.left()) { // every element takes at least one byte
			return fmt.Errorf("list of %d elements in %d bytes", n, w.left())
		}
		et := h & 0x0f
		for i := uint64(0); i < n; i++ {
			if et == 1 || et == 2 { // bools in collections take one byte each
				if err := w.skip(1); err != nil {
					return err
				}
				continue
			}
			if err := w.value(et, depth+1); err != nil {
				return err
			}
		}
		return nil
	case 11:
		n, err := w.varint()
		if err != nil || n == 0 {
			return err
		}
		if n > uint64(w.left()) {
			return fmt.Errorf("map of %d entries in %d bytes", n, w.left())
		}
		kv, err := w.byte1()
		if err != nil {
			return err
		}
		for i := uint64(0); i < n; i++ {
			if err := w.value(kv>>4, depth+1); err != nil {
				return err
			}
			if err := w.value(kv&0x0f, depth+1); err != nil {
				return err
			}
		}
		return nil
	case 12:
		return w.structure(depth + 1)
	}
	return fmt.Errorf("unknown thrift type %d", t)
}

// maxPageBytes bounds one page's declared uncompressed size; writers use pages of about
// 1 MB, and parquet-go allocates the declared size before decompressing.
const maxPageBytes = 1 << 30

// checkPages walks the page headers of every column chunk named in the footer, checking that
// each header's lengths stay inside its chunk, for the same reason as checkFooter: parquet-go
// trusts page header lengths when allocating. It reads headers through a 16 KiB window and
// skips binary fields without reading them, so a header carrying large statistics costs no
// more memory than a small one.
func checkPages(r io.ReaderAt, size int64, chunks []chunkSpan) error {
	buf := make([]byte, 16<<10)
	for _, c := range chunks {
		if c.start < 4 || c.length < 0 || c.start > size || c.length > size-c.start {
			return fmt.Errorf("parquet column %q chunk [%d,+%d) lies outside the %d-byte file", c.path, c.start, c.length, size)
		}
		pos, end := c.start, c.start+c.length
		fill := func(off int64) ([]byte, error) {
			b := buf[:min(int64(len(buf)), end-off)]
			if _, err := r.ReadAt(b, off); err != nil {
				return nil, fmt.Errorf("read parquet column %q: %w", c.path, err)
			}
			return b, nil
		}
		for pos < end {
			w := thriftWalker{base: pos, pos: pos, end: end, fill: fill, ints: map[int16]int64{}}
			if err := w.structure(0); err != nil {
				return fmt.Errorf("parquet column %q: corrupt page header at offset %d: %w", c.path, pos, err)
			}
			uncompressed, compressed := w.ints[2], w.ints[3]
			if compressed < 0 || compressed > w.left() || uncompressed < 0 || uncompressed > maxPageBytes {
				return fmt.Errorf("parquet column %q: page at offset %d declares %d compressed / %d uncompressed bytes, its chunk has %d left (corrupt file)",
					c.path, pos, compressed, uncompressed, w.left())
			}
			pos = w.pos + compressed
		}
	}
	return nil
}

type chunkSpan struct {
	path          string
	start, length int64
}
