package delta

import (
	"context"
	"fmt"
	"strings"

	"github.com/ledgerflow/ledgerflow/delta/parquetio"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// scanPlan maps the table schema onto data-file columns and partition values.
type scanPlan struct {
	table    *schema.StructType
	data     *schema.StructType // the table schema without partition columns
	dataIdx  []int              // table field index -> data field index, or -1 for a partition column
	partKeys []string           // table field index -> partition column name (when dataIdx is -1)
}

func (s *Snapshot) scanPlan() (*scanPlan, error) {
	st, err := s.Schema()
	if err != nil {
		return nil, err
	}
	return newScanPlan(st, s.metadata.PartitionColumns), nil
}

func newScanPlan(st *schema.StructType, partitionColumns []string) *scanPlan {
	p := &scanPlan{table: st, data: &schema.StructType{}, dataIdx: make([]int, len(st.Fields)), partKeys: make([]string, len(st.Fields))}
	isPart := map[string]string{}
	for _, pc := range partitionColumns {
		isPart[strings.ToLower(pc)] = pc
	}
	for i, f := range st.Fields {
		if pc, ok := isPart[strings.ToLower(f.Name)]; ok {
			p.dataIdx[i] = -1
			p.partKeys[i] = pc
			continue
		}
		p.dataIdx[i] = len(p.data.Fields)
		p.data.Fields = append(p.data.Fields, f)
	}
	return p
}

// partitionValue finds a partition value by exact key, then case-insensitively; a missing
// key is null (Spark 3.3 left null partition keys out of remove actions).
func partitionValue(pv map[string]*string, key string) *string {
	if v, ok := pv[key]; ok {
		return v
	}
	for k, v := range pv {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// ReadFileRows reads one live data file and returns its rows in table-schema order, with
// partition columns filled from the file's partition values (never from the path).
func (s *Snapshot) ReadFileRows(ctx context.Context, a *Add) ([][]any, error) {
	p, err := s.scanPlan()
	if err != nil {
		return nil, err
	}
	return s.readFile(ctx, p, a)
}

func (s *Snapshot) readFile(ctx context.Context, p *scanPlan, a *Add) ([][]any, error) {
	if a.DeletionVector != nil {
		return nil, refuse("reader", "deletionVectors", "file "+a.Path+" has a deletion vector")
	}
	parts := make([]any, len(p.table.Fields))
	for i, di := range p.dataIdx {
		if di >= 0 {
			continue
		}
		v, err := schema.ParsePartitionValue(partitionValue(a.PartitionValues, p.partKeys[i]), p.table.Fields[i].Type)
		if err != nil {
			return nil, fmt.Errorf("delta: file %s: partition column %q: %w", a.Path, p.partKeys[i], err)
		}
		parts[i] = v
	}
	path, err := DecodePath(a.Path)
	if err != nil {
		return nil, err
	}
	f, err := s.table.store.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	drows, err := parquetio.ReadFile(f, f.Size(), p.data)
	if err != nil {
		return nil, fmt.Errorf("delta: data file %s: %w", path, err)
	}
	out := make([][]any, len(drows))
	for r, dr := range drows {
		row := make([]any, len(p.table.Fields))
		for i, di := range p.dataIdx {
			if di < 0 {
				row[i] = parts[i]
			} else {
				row[i] = dr[di]
			}
		}
		out[r] = row
	}
	return out, nil
}

// Scan calls fn with the rows of every live file, one file at a time, in path order. Rows are
// in table-schema order (Schema) and use the value types of package schema. It stops at the
// first error, including one returned by fn.
func (s *Snapshot) Scan(ctx context.Context, fn func(file *Add, rows [][]any) error) error {
	p, err := s.scanPlan()
	if err != nil {
		return err
	}
	for _, a := range s.Files() {
		if err := ctx.Err(); err != nil {
			return err
		}
		rows, err := s.readFile(ctx, p, a)
		if err != nil {
			return err
		}
		if err := fn(a, rows); err != nil {
			return err
		}
	}
	return nil
}

// Rows reads the whole table into memory. Use Scan for large tables.
func (s *Snapshot) Rows(ctx context.Context) ([][]any, error) {
	var out [][]any
	err := s.Scan(ctx, func(_ *Add, rows [][]any) error {
		out = append(out, rows...)
		return nil
	})
	return out, err
}

// ReadFileColumns reads only the named columns of one live data file (partition columns
// included, filled from the file's partition values), in the order given. Parquet column
// chunks of other columns are not decoded, so a merge writer can index a table's keys at a
// fraction of the cost of reading it. It fails on a name the table does not have.
func (s *Snapshot) ReadFileColumns(ctx context.Context, a *Add, columns []string) ([][]any, error) {
	st, err := s.Schema()
	if err != nil {
		return nil, err
	}
	proj := &schema.StructType{}
	for _, c := range columns {
		i := st.Index(c)
		if i < 0 {
			return nil, fmt.Errorf("delta: table has no column %q", c)
		}
		proj.Fields = append(proj.Fields, st.Fields[i])
	}
	return s.readFile(ctx, newScanPlan(proj, s.metadata.PartitionColumns), a)
}
