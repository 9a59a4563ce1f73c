package parquetio

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// FuzzReadFile feeds mutated Parquet files (seeded with files this package writes, plain and
// nested, and a few Spark-written conformance files) to ReadFile: it must return rows or an
// error, never panic or hang.
func FuzzReadFile(f *testing.F) {
	s := allTypesSchema(f)
	data, _ := writeFile(f, s, allTypesRows(f), WriterOptions{Compression: "snappy"})
	f.Add(data)
	data, _ = writeFile(f, s, allTypesRows(f), WriterOptions{Compression: "uncompressed"})
	f.Add(data)
	ns := nestedSchema(f)
	data, _ = writeFile(f, ns, nestedRows(), WriterOptions{Compression: "uncompressed"})
	f.Add(data)
	for _, pattern := range []string{"dat_all_primitive_types/delta/*.parquet", "dat_nested_types/delta/*.parquet"} {
		paths, _ := filepath.Glob(filepath.Join(conformanceDir, pattern))
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, sc := range []*schema.StructType{s, ns} {
			rows, err := ReadFile(bytes.NewReader(b), int64(len(b)), sc)
			if err == nil && len(rows) > 0 && len(rows[0]) != len(sc.Fields) {
				t.Fatalf("row width %d", len(rows[0]))
			}
		}
	})
}
