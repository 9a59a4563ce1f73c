package delta

import (
	"fmt"

	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// SCD type 2 columns, named as Databricks AUTO CDC names them (lower case): a version is
// valid from __start_at (inclusive) to __end_at (exclusive; null while current).
const (
	colStartAt = "__start_at"
	colEndAt   = "__end_at"
)

// silverLayout is the current-state layout: the contract's columns (or those columns/except
// select) with the contract's nullability, then the metadata columns a merge orders by, and
// for SCD type 2 the validity columns. The default partitioning is the contract's derived
// partition column (event_date of transactions), so that updates, which follow inserts by
// minutes, touch recent files only.
func silverLayout(t *schemas.Table, partitionBy, columns, except []string, scd2, tinyint1AsBool bool) (*layout, error) {
	keep, err := selectColumns(t, columns, except)
	if err != nil {
		return nil, err
	}
	isKey := map[string]bool{}
	for _, k := range t.PrimaryKey {
		isKey[k] = true
	}
	var fields []schema.StructField
	for i := range t.Columns {
		c := &t.Columns[i]
		if !keep[c.Name] {
			continue
		}
		dt, err := deltaType(c, tinyint1AsBool)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", t.Name, err)
		}
		fields = append(fields, schema.StructField{Name: c.Name, Type: dt, Nullable: c.IsNullable() && !isKey[c.Name], Metadata: columnMetadata(c)})
	}
	l := &layout{dataCols: len(fields), relaxNulls: true}
	fields = append(fields,
		schema.StructField{Name: colOp, Type: schema.String, Nullable: false},
		schema.StructField{Name: colSourceTS, Type: schema.Timestamp, Nullable: true},
		schema.StructField{Name: colSourcePos, Type: schema.String, Nullable: true},
		schema.StructField{Name: colSourceGTID, Type: schema.String, Nullable: true},
		schema.StructField{Name: colKafkaTopic, Type: schema.String, Nullable: true},
		schema.StructField{Name: colKafkaPartition, Type: schema.Integer, Nullable: true},
		schema.StructField{Name: colKafkaOffset, Type: schema.Long, Nullable: true},
		schema.StructField{Name: colIngestedAt, Type: schema.Timestamp, Nullable: false},
	)
	if scd2 {
		fields = append(fields,
			schema.StructField{Name: colStartAt, Type: schema.Timestamp, Nullable: true},
			schema.StructField{Name: colEndAt, Type: schema.Timestamp, Nullable: true},
		)
	}
	if partitionBy == nil && t.Partition != nil && keep[t.Partition.Source] {
		partitionBy = []string{t.Partition.Column}
	}
	return l.finish(t, fields, partitionBy)
}

// selectColumns applies columns / except_columns to the contract. Primary-key columns are
// always kept: a merge cannot match rows without them.
func selectColumns(t *schemas.Table, columns, except []string) (map[string]bool, error) {
	if len(columns) > 0 && len(except) > 0 {
		return nil, fmt.Errorf("columns and except_columns exclude each other: set one")
	}
	known := map[string]bool{}
	for _, c := range t.Columns {
		known[c.Name] = true
	}
	keep := map[string]bool{}
	for _, c := range t.Columns {
		keep[c.Name] = len(columns) == 0
	}
	for _, c := range columns {
		if !known[c] {
			return nil, fmt.Errorf("columns: %q is not a column of table %s", c, t.Name)
		}
		keep[c] = true
	}
	for _, c := range except {
		if !known[c] {
			return nil, fmt.Errorf("except_columns: %q is not a column of table %s", c, t.Name)
		}
		keep[c] = false
	}
	for _, k := range t.PrimaryKey {
		if !keep[k] {
			return nil, fmt.Errorf("primary key column %q of table %s cannot be left out", k, t.Name)
		}
	}
	return keep, nil
}
