package debezium

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// Every column name the unwrap or the Delta outputs generate is reserved, in any case, and
// so is the contract's derived partition column: a source column of that name would
// overwrite the generated one in bronze or silver.
func TestReservedColumns(t *testing.T) {
	tx := hostileUnwrapper(t, "", "transactions")
	cu := hostileUnwrapper(t, "", "customers")
	plain := hostileUnwrapper(t, "")
	var txCases, plainCases []hostileCase
	for _, name := range schemas.ReservedColumns {
		for _, n := range []string{name, strings.ToUpper(name)} {
			txCases = append(txCases, hostileCase{"contract " + n, txCreate(set(txGood, n, `1`)), nil, "reserved_column", []string{"after." + n}})
			plainCases = append(plainCases, hostileCase{"untyped " + n, `{"op":"c","after":{"id":1,"` + n + `":1},` + okSource + `}`, nil, "reserved_column", nil})
		}
	}
	txCases = append(txCases,
		hostileCase{"_ingested_at (found by the hostile corpus)", txCreate(set(txGood, "_ingested_at", `"2026-01-01T00:00:00Z"`)), nil, "reserved_column", []string{"after._ingested_at", "output"}},
		hostileCase{"the partition column", txCreate(set(txGood, "event_date", `"2026-01-01"`)), nil, "reserved_column", []string{"after.event_date", "partition"}},
		hostileCase{"the partition column in capitals", txCreate(set(txGood, "Event_Date", `"2026-01-01"`)), nil, "reserved_column", nil},
		hostileCase{"escaped", txCreate(set(txGood, `_ingested\u005fat`, `1`)), nil, "reserved_column", nil},
		hostileCase{"in a delete's before", `{"before":` + set(txGood, "_INGESTED_AT", `1`) + `,"after":null,` + txSource + `,"op":"d"}`, nil, "reserved_column", nil},
		hostileCase{"a name that only starts like one", txCreate(set(txGood, "_ingested_at_source", `1`)), nil, "", nil},
	)
	runHostile(t, tx, txCases)
	runHostile(t, plain, plainCases)
	runHostile(t, plain, []hostileCase{{"no partition column without a contract", `{"op":"c","after":{"id":1,"event_date":1},` + okSource + `}`, nil, "", nil}})
	custEv := `{"before":null,"after":{"customer_id":7,"first_name":"Ada","last_name":"L","email":"a@b.c","kyc_status":"verified","created_at":1,"event_date":1},` +
		`"source":{"db":"bank","table":"customers","file":"mysql-bin.000001","pos":4,"row":0,"ts_ms":1},"op":"c"}`
	runHostile(t, cu, []hostileCase{{"customers has no partition column", custEv, nil, "", nil}})

	// Named by the Connect schema.
	runHostile(t, plain, []hostileCase{
		{"schema field _ingested_at", string(connectEventNamed("_ingested_at", `{"type":"int32","field":"_ingested_at"}`, `1`)), nil, "reserved_column", []string{"after._ingested_at"}},
		{"schema field __END_AT", string(connectEventNamed("__END_AT", `{"type":"int32","field":"__END_AT"}`, `1`)), nil, "reserved_column", nil},
	})
	dt := hostileUnwrapper(t, "", "table: t\ndatabase: d\npartition: {column: day, source: ts, transform: day}\ncolumns:\n  - {name: ts, type: DATETIME(3)}\n  - {name: v, type: INT}\n")
	runHostile(t, dt, []hostileCase{
		{"schema field named like the partition column", string(connectEventNamed("Day", `{"type":"int32","field":"Day"}`, `1`)), nil, "reserved_column", []string{"after.Day"}},
	})

	// add_fields columns are reserved too, in any case.
	o := DefaultOptions()
	o.AddFields = []string{"source.query"}
	withAdd := mustNew(t, o)
	runHostile(t, withAdd, []hostileCase{
		{"add_fields column", `{"op":"c","after":{"id":1,"__SOURCE_QUERY":1},` + okSource + `}`, nil, "reserved_column", nil},
		{"fine", `{"op":"c","after":{"id":1},` + okSource + `}`, nil, "", []string{`"__source_query":null`}},
	})
	_, err := New(Options{AddFields: []string{"x:_OP"}, AddFieldsPrefix: "", DeleteHandling: "rewrite", TombstoneHandling: "drop", TruncateHandling: "keep",
		DecimalHandlingMode: "precise", TimePrecisionMode: "connect", MaxMessageBytes: 1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "_OP")
}
