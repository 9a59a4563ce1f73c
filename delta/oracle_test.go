package delta

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// expectedTable is an oracle result: column names and rendered rows.
type expectedTable struct {
	columns []string
	rows    []string // each row rendered in column order, joined by "|"
}

// readExpected reads every *.parquet file of dir with apache arrow-go (independent of
// parquetio) and renders its rows.
func readExpected(dir string) (*expectedTable, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := &expectedTable{}
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".parquet") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if err := readExpectedFile(filepath.Join(dir, e.Name()), out); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
	}
	return out, nil
}

func readExpectedFile(path string, out *expectedTable) error {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return err
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1 << 16}, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		return err
	}
	defer tbl.Release()
	cols := make([]string, tbl.NumCols())
	for i := range cols {
		cols[i] = tbl.Schema().Field(i).Name
	}
	if out.columns == nil {
		out.columns = cols
	} else if strings.Join(out.columns, ",") != strings.Join(cols, ",") {
		return fmt.Errorf("columns %v differ from %v", cols, out.columns)
	}
	tr := array.NewTableReader(tbl, 1<<16)
	defer tr.Release()
	for tr.Next() {
		rec := tr.RecordBatch()
		for r := 0; r < int(rec.NumRows()); r++ {
			parts := make([]string, rec.NumCols())
			for c := range parts {
				parts[c] = renderArrow(rec.Column(c), r)
			}
			out.rows = append(out.rows, strings.Join(parts, "|"))
		}
	}
	return tr.Err()
}

// renderOurs renders our rows in the oracle's column order.
func renderOurs(st *schema.StructType, rows [][]any, columns []string) ([]string, error) {
	idx := make([]int, len(columns))
	for i, c := range columns {
		idx[i] = st.Index(c)
		if idx[i] < 0 {
			return nil, fmt.Errorf("expected column %q is not in the table schema %s", c, st)
		}
	}
	if len(columns) != len(st.Fields) {
		return nil, fmt.Errorf("expected %d columns %v, table has %d", len(columns), columns, len(st.Fields))
	}
	out := make([]string, len(rows))
	for r, row := range rows {
		parts := make([]string, len(columns))
		for i, ix := range idx {
			parts[i] = renderValue(row[ix], st.Fields[ix].Type)
		}
		out[r] = strings.Join(parts, "|")
	}
	return out, nil
}

// diffMultisets compares two row multisets; it returns "" when equal, else a short report.
func diffMultisets(want, got []string) string {
	count := map[string]int{}
	for _, r := range want {
		count[r]++
	}
	for _, r := range got {
		count[r]--
	}
	var missing, extra []string
	for r, n := range count {
		for ; n > 0; n-- {
			missing = append(missing, r)
		}
		for ; n < 0; n++ {
			extra = append(extra, r)
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return ""
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return fmt.Sprintf("want %d rows, got %d; %d missing (e.g. %v), %d unexpected (e.g. %v)",
		len(want), len(got), len(missing), head(missing, 2), len(extra), head(extra, 2))
}

func head(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
