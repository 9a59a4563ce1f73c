package schemas

import "strings"

// Column names LedgerFlow generates next to a table's own columns: debezium_unwrap writes
// the change metadata into each row, the delta_lake output adds the ingest time, its
// partition and the SCD2 validity columns. They are a contract across every table (see
// DESIGN.md), and they are reserved: a source column of one of these names would overwrite
// the generated value, so debezium_unwrap refuses it (reserved_column) and Parse refuses a
// contract that declares one.
const (
	ColOp             = "_op"
	ColSourceTS       = "_source_ts"
	ColSourcePos      = "_source_pos"
	ColSourceGTID     = "_source_gtid"
	ColSourceFile     = "_source_file"
	ColSnapshot       = "_snapshot"
	ColDeleted        = "_deleted"
	ColSourceTable    = "_source_table"
	ColKafkaTopic     = "_kafka_topic"
	ColKafkaPartition = "_kafka_partition"
	ColKafkaOffset    = "_kafka_offset"
	ColBefore         = "_before"
	ColIngestedAt     = "_ingested_at"
	ColIngestDate     = "_ingest_date"
	ColStartAt        = "__start_at"
	ColEndAt          = "__end_at"
)

// ReservedColumns lists the generated column names above. A table's derived partition
// column (Table.Partition.Column) is reserved for that table too: see
// Table.IsReservedColumn. Read-only.
var ReservedColumns = []string{
	ColOp, ColSourceTS, ColSourcePos, ColSourceGTID, ColSourceFile, ColSnapshot, ColDeleted, ColSourceTable,
	ColKafkaTopic, ColKafkaPartition, ColKafkaOffset, ColBefore, ColIngestedAt, ColIngestDate, ColStartAt, ColEndAt,
}

// IsReservedColumn reports whether name is a generated column name, compared
// case-insensitively (MySQL column names are, and so are Delta's).
func IsReservedColumn(name string) bool {
	if len(name) < 3 || name[0] != '_' {
		return false // every reserved name starts with '_': the common case costs one compare
	}
	for _, r := range ReservedColumns {
		if strings.EqualFold(r, name) {
			return true
		}
	}
	return false
}

// IsReservedColumn reports whether name is reserved in this table: a generated column name
// or the table's derived partition column, compared case-insensitively.
func (t *Table) IsReservedColumn(name string) bool {
	return IsReservedColumn(name) || t.Partition != nil && strings.EqualFold(t.Partition.Column, name)
}
