package parquetio

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

type loggedAdd struct {
	path, stats, schemaString string
	partCols                  []string
}

func loggedAdds(t *testing.T, table string) []loggedAdd {
	var out []loggedAdd
	var ss string
	var pcs []string
	eachLogAction(t, table, func(_ int64, a *logAction, err error) {
		if err != nil {
			return
		}
		if a.MetaData != nil {
			ss, pcs = a.MetaData.SchemaString, a.MetaData.PartitionColumns
		}
		if a.Add != nil && a.Add.Stats != "" {
			p, _ := url.PathUnescape(a.Add.Path)
			out = append(out, loggedAdd{p, a.Add.Stats, ss, pcs})
		}
	})
	return out
}

// TestStatsMatchSparkLogs re-encodes the rows of real Spark-written data files with this
// package's Writer and requires the stats JSON to equal, byte for byte, the stats string
// Spark put in the add action for that file. The cases cover every type Spark collects
// min/max for (including decimals of every precision rendered as BigDecimal.toString,
// timestamp truncation to milliseconds, timestamp_ntz, nested structs, and arrays/maps that
// only get a nullCount) and were written with a UTC session time zone.
func TestStatsMatchSparkLogs(t *testing.T) {
	loadCases(t)
	cases := []string{
		"dat_all_primitive_types", "dat_basic_append", "dat_basic_partitioned", "dat_nested_types",
		"dat_multi_partitioned", "dat_with_schema_change", "golden_decimal-various-scale-precision",
		"kernel_timestamp-truncation-stats", "golden_data-reader-timestamp_ntz",
		"golden_basic-decimal-table", "golden_data-skipping-partition-and-data-column",
		"kernel_cdf-table", "deltars_table_with_edge_timestamps",
	}
	compared := 0
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			table := filepath.Join(conformanceDir, c, "delta")
			adds := loggedAdds(t, table)
			if len(adds) == 0 {
				t.Fatal("no add actions with stats")
			}
			for _, a := range adds {
				full, err := schema.Parse(a.schemaString)
				if err != nil {
					t.Fatal(err)
				}
				data := &schema.StructType{}
				for _, f := range full.Fields {
					isPart := false
					for _, pc := range a.partCols {
						isPart = isPart || strings.EqualFold(pc, f.Name)
					}
					if !isPart {
						data.Fields = append(data.Fields, f)
					}
				}
				rows, err := readParquetPath(t, filepath.Join(table, a.path), data)
				if err != nil {
					t.Fatalf("%s: %v", a.path, err)
				}
				_, st := writeFile(t, data, rows, WriterOptions{})
				if got := st.JSON(); got != a.stats {
					t.Errorf("%s:\n got  %s\n want %s", a.path, got, a.stats)
				}
				compared++
			}
		})
	}
	t.Logf("compared %d stats strings", compared)
}
