package debezium

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// A column the contract lacks (ALTER TABLE ADD COLUMN upstream) is reported with the Delta
// type its Connect schema gives, so that the Delta output can add it with the right type.
func TestUnknownColumnTypesFromTheConnectSchema(t *testing.T) {
	contract, err := schemas.Parse([]byte("table: t\ndatabase: d\nprimary_key: [id]\ncolumns:\n  - name: id\n    type: INT\n    nullable: false\n"))
	require.NoError(t, err)
	o := DefaultOptions()
	o.Contracts = []*schemas.Table{contract}
	ev := []byte(`{"schema":{"type":"struct","name":"s.d.t.Envelope","fields":[{"type":"struct","field":"after","fields":[` +
		`{"type":"int32","field":"id"},{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2","connect.decimal.precision":"12"},"field":"fee"},` +
		`{"type":"int64","name":"io.debezium.time.MicroTimestamp","field":"seen"},{"type":"string","field":"note"},{"type":"int16","field":"tier"}]}]},` +
		`"payload":{"after":{"id":1,"fee":"AJg=","seen":1714521600000000,"note":"x","tier":3},` + okSource + `,"op":"c"}}`)
	r, err := mustNew(t, o).Unwrap(ev, Meta{})
	require.NoError(t, err)
	assert.Equal(t, []string{"fee", "seen", "note", "tier"}, r.UnknownColumns)
	assert.Equal(t, []string{"fee:decimal(12,2)", "seen:timestamp", "note:string", "tier:short"}, r.UnknownTypes)
	assert.Contains(t, string(r.Body), `"fee":"1.52"`)
}

// A truncate keeps its body but carries its position and time, so a merge can order it.
func TestTruncateCarriesItsPosition(t *testing.T) {
	ev := []byte(`{"before":null,"after":null,"source":{"db":"bank","table":"accounts","file":"mysql-bin.000012","pos":99,"row":0,"ts_ms":1731327659000},"op":"t"}`)
	r, err := mustNew(t, DefaultOptions()).Unwrap(ev, Meta{})
	require.NoError(t, err)
	assert.Equal(t, KindTruncate, r.Kind)
	assert.Equal(t, "0000000012:00000000000000000099:000000", r.Position)
	assert.Equal(t, "2024-11-11T12:20:59.000Z", r.SourceTS)
	assert.Nil(t, r.Body)
}
