package delta

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// ReadCheckpoint decodes one classic checkpoint Parquet file (a single file or one part of a
// multi-part checkpoint) into actions. Columns are matched by name and missing columns are
// null, so checkpoints written by Spark, delta-rs and this package all read. It refuses V2
// checkpoint rows (checkpointMetadata, sidecar) by name. It never panics on corrupt input: a
// panic inside the Parquet decoder becomes an error.
func ReadCheckpoint(r io.ReaderAt, size int64) (actions []Action, err error) {
	defer func() {
		if p := recover(); p != nil {
			actions, err = nil, fmt.Errorf("delta: corrupt checkpoint: parquet decoder panicked: %v", p)
		}
	}()
	if err := checkFooter(r, size); err != nil {
		return nil, err
	}
	pf, err := parquet.OpenFile(r, size)
	if err != nil {
		return nil, fmt.Errorf("delta: checkpoint is not a readable parquet file: %w", err)
	}
	if err := checkPages(r, size, pf.Metadata()); err != nil {
		return nil, err
	}
	// Arrow-based writers (delta-rs) name the repeated group of a MAP "entries", which
	// parquet-go's row reconstruction rejects; reconstruct through a view of the schema that
	// calls it key_value (same columns, same levels).
	sch := parquet.NewSchema(pf.Schema().Name(), &keyValueView{Node: pf.Schema(), fields: keyValueFields(pf.Schema())})
	rows := parquet.NewReader(pf)
	defer rows.Close()
	buf := make([]parquet.Row, 1)
	for n := 0; ; n++ {
		k, err := rows.ReadRows(buf)
		if k == 0 {
			if err == nil {
				continue
			}
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("delta: checkpoint row %d: %w", n, err)
		}
		row := map[string]any{}
		if err := sch.Reconstruct(&row, buf[0]); err != nil {
			return nil, fmt.Errorf("delta: checkpoint row %d: %w", n, err)
		}
		a, err := decodeCheckpointRow(row)
		if err != nil {
			return nil, fmt.Errorf("delta: checkpoint row %d: %w", n, err)
		}
		if err := a.validate(); err != nil {
			return nil, fmt.Errorf("delta: checkpoint row %d: %w", n, err)
		}
		if a.CheckpointMetadata != nil || a.Sidecar != nil {
			return nil, fmt.Errorf("delta: checkpoint holds V2 checkpoint actions (checkpointMetadata/sidecar, table feature %q), which ledgerflow does not support", "v2Checkpoint")
		}
		if a.CommitInfo != nil {
			a.CommitInfo = nil // not allowed in checkpoints; never let it pose as history
		}
		actions = append(actions, a)
	}
	return actions, nil
}

// keyValueView is a parquet node whose fields are wrapped so MAP groups expose their
// repeated child as "key_value".
type keyValueView struct {
	parquet.Node
	fields []parquet.Field
}

func (v *keyValueView) Fields() []parquet.Field { return v.fields }

type keyValueField struct {
	parquet.Field
	name   string
	fields []parquet.Field
}

func (f *keyValueField) Name() string { return f.name }

func (f *keyValueField) Fields() []parquet.Field {
	if f.Field.Leaf() {
		return f.Field.Fields()
	}
	return f.fields
}

func keyValueFields(n parquet.Node) []parquet.Field {
	src := n.Fields()
	out := make([]parquet.Field, len(src))
	for i, f := range src {
		w := &keyValueField{Field: f, name: f.Name()}
		if !f.Leaf() {
			w.fields = keyValueFields(f)
			if lt := f.Type().LogicalType(); lt != nil && isMapType(lt.Value) && len(w.fields) == 1 && w.fields[0].Repeated() {
				w.fields[0].(*keyValueField).name = "key_value"
			}
		}
		out[i] = w
	}
	return out
}

func isMapType(v format.LogicalTypeValue) bool {
	_, ok := v.(*format.MapType)
	return ok
}

// checkFooter validates the Parquet magic and footer length before parquet-go sees the file:
// parquet-go allocates the declared footer length up front, so a corrupt length would cost
// gigabytes before failing.
func checkFooter(r io.ReaderAt, size int64) error {
	if size < 12 {
		return fmt.Errorf("delta: checkpoint is not a parquet file: %d bytes", size)
	}
	var head, tail [8]byte
	if _, err := r.ReadAt(head[:4], 0); err != nil {
		return fmt.Errorf("delta: checkpoint: %w", err)
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return fmt.Errorf("delta: checkpoint: %w", err)
	}
	if string(head[:4]) != "PAR1" || string(tail[4:]) != "PAR1" {
		return fmt.Errorf("delta: checkpoint is not a parquet file (no PAR1 magic)")
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > size-12 {
		return fmt.Errorf("delta: checkpoint is corrupt: footer length %d exceeds the file size %d", n, size)
	}
	return nil
}

// maxPageBytes caps a page's declared uncompressed size beyond its compression ratio budget.
const maxPageBytes = 16 << 20

// checkPages walks every column chunk's page headers and rejects sizes that point outside
// the chunk or promise absurd decompressed sizes. parquet-go allocates what a page header
// declares before reading it, so a corrupt header would otherwise cost gigabytes. A
// checkpoint is small (megabytes), so reading it twice is cheap.
func checkPages(r io.ReaderAt, size int64, md *format.FileMetaData) error {
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("delta: checkpoint is corrupt: "+format, args...)
	}
	var compact thrift.CompactProtocol
	for g, rg := range md.RowGroups {
		for c, cc := range rg.Columns {
			m := cc.MetaData
			start := m.DataPageOffset
			if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < start {
				start = m.DictionaryPageOffset
			}
			if start < 4 || m.TotalCompressedSize < 0 || m.TotalCompressedSize > size || start > size-m.TotalCompressedSize {
				return corrupt("row group %d column %d spans bytes %d+%d of a %d-byte file", g, c, start, m.TotalCompressedSize, size)
			}
			chunk := make([]byte, m.TotalCompressedSize)
			if _, err := r.ReadAt(chunk, start); err != nil {
				return corrupt("row group %d column %d: %v", g, c, err)
			}
			br := bytes.NewReader(chunk)
			for br.Len() > 0 {
				var h format.PageHeader
				if err := thrift.NewDecoder(compact.NewReader(br)).Decode(&h); err != nil {
					return corrupt("row group %d column %d: page header: %v", g, c, err)
				}
				comp, uncomp := int64(h.CompressedPageSize), int64(h.UncompressedPageSize)
				if comp < 0 || comp > int64(br.Len()) || uncomp < 0 || uncomp > maxPageBytes+256*comp {
					return corrupt("row group %d column %d: page declares %d bytes (%d uncompressed) with %d left in the chunk", g, c, comp, uncomp, br.Len())
				}
				br.Seek(comp, io.SeekCurrent)
			}
		}
	}
	return nil
}
