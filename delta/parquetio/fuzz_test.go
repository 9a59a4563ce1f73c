package parquetio

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"

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
	// A page header larger than the reader's 16 KiB window (statistics of a 40 KB string).
	type textRow struct {
		S string `parquet:"s,optional"`
	}
	var pb bytes.Buffer
	pw := parquet.NewGenericWriter[textRow](&pb, parquet.DataPageStatistics(true))
	if _, err := pw.Write([]textRow{{S: bigText(40<<10, 3)}}); err != nil {
		f.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		f.Fatal(err)
	}
	f.Add(pb.Bytes())
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
