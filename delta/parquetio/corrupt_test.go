package parquetio

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// TestCorruptLengthsFail covers inputs found while fuzzing: a 0x7fffffff written over a
// Thrift length in the footer made parquet-go allocate ~24 GB before failing; a length in a
// page header made it allocate 2 GB. Each must now simply fail.
func TestCorruptLengthsFail(t *testing.T) {
	s := allTypesSchema(t)
	data, _ := writeFile(t, s, allTypesRows(t), WriterOptions{Compression: "snappy"})
	footerLen := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	footerStart := len(data) - 8 - footerLen
	positions := []int{35, 79, 85}
	// Every footer position: each list/binary length the footer holds gets corrupted once.
	for p := footerStart; p+4 <= len(data)-8; p++ {
		positions = append(positions, p)
	}
	for _, pos := range positions {
		b := append([]byte(nil), data...)
		binary.LittleEndian.PutUint32(b[pos:], 0x7fffffff)
		rows, err := ReadFile(bytes.NewReader(b), int64(len(b)), s)
		if err == nil && len(rows) != 4 {
			t.Errorf("corruption at %d: no error but %d rows", pos, len(rows))
		}
	}
	if _, err := ReadFile(bytes.NewReader(data[:10]), 10, s); err == nil || !strings.Contains(err.Error(), "too small") {
		t.Errorf("truncated file: %v", err)
	}
}
