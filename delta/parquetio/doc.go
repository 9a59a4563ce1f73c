// Package parquetio reads and writes the Parquet data files of Delta tables.
//
// It sits between the Delta log library (package delta) and parquet-go: ReadFile decodes any
// data file a Delta writer (Spark, delta-rs, kernel, this package) may have produced into rows
// of Go values as described by delta/schema, and Writer produces files whose physical and
// logical types are exactly those of PROTOCOL.md §"Delta Data Type to Parquet Type Mappings"
// (INT64 TIMESTAMP(MICROS) rather than parquet-go's nanosecond default, DECIMAL on
// INT32/INT64/FIXED_LEN_BYTE_ARRAY by precision, REQUIRED only for non-nullable fields)
// together with the per-file statistics Spark would write into add.stats.
//
// Schemas are built from explicit nodes and rows are written as parquet.Row values: no
// reflection on Go structs is involved, so the Delta schema alone decides the file layout.
package parquetio
