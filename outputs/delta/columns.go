package delta

import (
	"fmt"
	"strings"

	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// Metadata column names: a contract across every LedgerFlow table (see DESIGN.md).
const (
	colOp             = "_op"
	colSourceTS       = "_source_ts"
	colSourcePos      = "_source_pos"
	colSourceGTID     = "_source_gtid"
	colDeleted        = "_deleted"
	colKafkaTopic     = "_kafka_topic"
	colKafkaPartition = "_kafka_partition"
	colKafkaOffset    = "_kafka_offset"
	colIngestedAt     = "_ingested_at"
	colIngestDate     = "_ingest_date"
	colBefore         = "_before"
)

// deltaType maps a MySQL column type of a table contract to the Delta type that holds every
// value of it exactly. Unsigned types widen so that no value wraps; TIME has no Delta type
// and is kept as its "HH:MM:SS.ffffff" text.
func deltaType(c *schemas.Column, tinyint1AsBool bool) (schema.Type, error) {
	t := c.SQL
	switch t.Kind {
	case schemas.KindBool:
		return schema.Boolean, nil
	case schemas.KindTinyInt:
		if t.IsTinyIntOne() && tinyint1AsBool {
			return schema.Boolean, nil
		}
		if t.Unsigned {
			return schema.Short, nil
		}
		return schema.Byte, nil
	case schemas.KindSmallInt:
		if t.Unsigned {
			return schema.Integer, nil
		}
		return schema.Short, nil
	case schemas.KindMediumInt, schemas.KindYear:
		return schema.Integer, nil
	case schemas.KindInt:
		if t.Unsigned {
			return schema.Long, nil
		}
		return schema.Integer, nil
	case schemas.KindBigInt:
		if t.Unsigned {
			return schema.DecimalType{Precision: 20, Scale: 0}, nil
		}
		return schema.Long, nil
	case schemas.KindDecimal:
		if t.Precision > 38 {
			return nil, fmt.Errorf("column %s: %s has precision %d, Delta decimals hold at most 38 digits", c.Name, c.Type, t.Precision)
		}
		return schema.DecimalType{Precision: t.Precision, Scale: t.Scale}, nil
	case schemas.KindFloat:
		return schema.Float, nil
	case schemas.KindDouble:
		return schema.Double, nil
	case schemas.KindChar, schemas.KindVarchar, schemas.KindText, schemas.KindEnum, schemas.KindSet, schemas.KindJSON, schemas.KindTime:
		return schema.String, nil
	case schemas.KindBinary, schemas.KindVarBinary, schemas.KindBlob, schemas.KindBit:
		return schema.Binary, nil
	case schemas.KindDate:
		return schema.DateType, nil
	case schemas.KindDateTime, schemas.KindTimestamp:
		return schema.Timestamp, nil
	}
	return nil, fmt.Errorf("column %s: type %s has no Delta mapping", c.Name, c.Type)
}

// layout is the Delta schema an output writes, and how to fill each column.
type layout struct {
	schema     *schema.StructType
	partitions []string
	// derived maps a derived column (partition by day) to its source column index.
	derived map[int]derivedCol
	// dataCols is the number of leading columns that come from the event row.
	dataCols int
	// kafkaCols are the indexes of _kafka_topic, _kafka_partition and _kafka_offset.
	kafkaCols [3]int
	// relaxNulls lets decodeRow leave NOT NULL columns empty: a merge decodes deletes, whose
	// image may be partial, and checks NOT NULL only on the rows it stores.
	relaxNulls bool
	// byName and byLowerName map event member names to field indexes.
	byName, byLowerName map[string]int
}

// fieldIndex finds the field an event member fills: exact name first, then
// case-insensitively, as MySQL column names are and Debezium keeps the DDL's spelling.
func (l *layout) fieldIndex(name string) (int, bool) {
	if i, ok := l.byName[name]; ok {
		return i, true
	}
	i, ok := l.byLowerName[strings.ToLower(name)]
	return i, ok
}

type derivedCol struct {
	source    int
	transform string
}

// bronzeLayout is the change-log layout: the contract's columns (all nullable, because a
// delete carries only what the before image had and a bronze table must accept every event
// the source produced), then the metadata columns, partitioned by ingest date by default.
func bronzeLayout(t *schemas.Table, partitionBy []string, tinyint1AsBool bool) (*layout, error) {
	var fields []schema.StructField
	for i := range t.Columns {
		c := &t.Columns[i]
		dt, err := deltaType(c, tinyint1AsBool)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", t.Name, err)
		}
		fields = append(fields, schema.StructField{Name: c.Name, Type: dt, Nullable: true, Metadata: columnMetadata(c)})
	}
	l := &layout{dataCols: len(fields), derived: map[int]derivedCol{}}
	meta := []schema.StructField{
		{Name: colOp, Type: schema.String, Nullable: false},
		{Name: colSourceTS, Type: schema.Timestamp, Nullable: true},
		{Name: colSourcePos, Type: schema.String, Nullable: true},
		{Name: colSourceGTID, Type: schema.String, Nullable: true},
		{Name: colDeleted, Type: schema.Boolean, Nullable: false},
		{Name: colKafkaTopic, Type: schema.String, Nullable: true},
		{Name: colKafkaPartition, Type: schema.Integer, Nullable: true},
		{Name: colKafkaOffset, Type: schema.Long, Nullable: true},
		{Name: colBefore, Type: schema.String, Nullable: true},
		{Name: colIngestedAt, Type: schema.Timestamp, Nullable: false},
	}
	fields = append(fields, meta...)
	if partitionBy == nil {
		partitionBy = []string{colIngestDate}
	}
	l.dataCols = len(t.Columns)
	return l.finish(t, fields, partitionBy)
}

// finish adds the partition columns to fields and indexes the result. A partition column is
// a column of fields, _ingest_date (the day of _ingested_at) or the contract's derived
// partition column (the day of its source column).
func (l *layout) finish(t *schemas.Table, fields []schema.StructField, partitionBy []string) (*layout, error) {
	if l.derived == nil {
		l.derived = map[int]derivedCol{}
	}
	st := &schema.StructType{Fields: fields}
	for _, p := range partitionBy {
		if p == colIngestDate {
			st.Fields = append(st.Fields, schema.StructField{Name: colIngestDate, Type: schema.DateType, Nullable: false})
			l.derived[len(st.Fields)-1] = derivedCol{source: st.Index(colIngestedAt), transform: "day"}
			continue
		}
		if t.Partition != nil && p == t.Partition.Column {
			st.Fields = append(st.Fields, schema.StructField{Name: p, Type: schema.DateType, Nullable: true})
			l.derived[len(st.Fields)-1] = derivedCol{source: st.Index(t.Partition.Source), transform: "day"}
			continue
		}
		if st.Index(p) < 0 {
			return nil, fmt.Errorf("partition_by: %q is neither a column of table %s nor %q", p, t.Name, colIngestDate)
		}
	}
	l.schema = st
	l.partitions = partitionBy
	l.kafkaCols = [3]int{st.Index(colKafkaTopic), st.Index(colKafkaPartition), st.Index(colKafkaOffset)}
	l.byName, l.byLowerName = map[string]int{}, map[string]int{}
	for i, f := range st.Fields {
		l.byName[f.Name] = i
		l.byLowerName[strings.ToLower(f.Name)] = i
	}
	return l, nil
}

// columnMetadata carries the contract's documentation into the Delta schema, where Spark and
// catalogs show it as the column comment.
func columnMetadata(c *schemas.Column) map[string]any {
	md := map[string]any{}
	if c.Description != "" {
		md["comment"] = c.Description
	}
	if c.PII != "" {
		md["ledgerflow.pii"] = c.PII
	}
	md["ledgerflow.sql_type"] = c.Type
	return md
}
