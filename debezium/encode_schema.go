package debezium

import (
	"strconv"
	"strings"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// connectSchemas precomputes a table version's `{"schema":…,"payload":` prefixes of the
// value and the key (schemas.enable=true), so that an event only appends payload bytes.
func (c Connector) connectSchemas(t *Table) (env, key []byte) {
	valSchema := valueSchema(t)
	e := `{"schema":{"type":"struct","fields":[` +
		valSchema + `,"field":"before"},` +
		valSchema + `,"field":"after"},` +
		sourceSchema("io.debezium.connector."+c.Name+".Source") +
		`{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},{"type":"int64","optional":false,"field":"total_order"},{"type":"int64","optional":false,"field":"data_collection_order"}],"optional":true,"name":"event.block","version":1,"field":"transaction"},` +
		`{"type":"string","optional":false,"field":"op"},` +
		`{"type":"int64","optional":true,"field":"ts_ms"},` +
		`{"type":"int64","optional":true,"field":"ts_us"},` +
		`{"type":"int64","optional":true,"field":"ts_ns"}],` +
		`"optional":false,"name":` + string(AppendString(nil, t.Topic+".Envelope")) + `,"version":2},"payload":`
	var ks strings.Builder
	ks.WriteString(`{"schema":{"type":"struct","fields":[`)
	for i, ci := range t.pk {
		if i > 0 {
			ks.WriteByte(',')
		}
		ks.WriteString(fieldSchema(&t.cols[ci].Column, true))
	}
	ks.WriteString(`],"optional":false,"name":`)
	ks.Write(AppendString(nil, t.Topic+".Key"))
	ks.WriteString(`},"payload":`)
	return []byte(e), []byte(ks.String())
}

// valueSchema is the Value struct schema without its closing brace, so that the caller
// appends `,"field":"before"}`.
func valueSchema(t *Table) string {
	var b strings.Builder
	b.WriteString(`{"type":"struct","fields":[`)
	for i := range t.cols {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(fieldSchema(&t.cols[i].Column, false))
	}
	b.WriteString(`],"optional":true,"name":`)
	b.Write(AppendString(nil, t.Topic+".Value"))
	return b.String()
}

func sourceSchema(name string) string {
	return `{"type":"struct","fields":[` +
		`{"type":"string","optional":false,"field":"version"},` +
		`{"type":"string","optional":false,"field":"connector"},` +
		`{"type":"string","optional":false,"field":"name"},` +
		`{"type":"int64","optional":false,"field":"ts_ms"},` +
		`{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"},` +
		`{"type":"string","optional":false,"field":"db"},` +
		`{"type":"string","optional":true,"field":"sequence"},` +
		`{"type":"int64","optional":true,"field":"ts_us"},` +
		`{"type":"int64","optional":true,"field":"ts_ns"},` +
		`{"type":"string","optional":true,"field":"table"},` +
		`{"type":"int64","optional":false,"field":"server_id"},` +
		`{"type":"string","optional":true,"field":"gtid"},` +
		`{"type":"string","optional":false,"field":"file"},` +
		`{"type":"int64","optional":false,"field":"pos"},` +
		`{"type":"int32","optional":false,"field":"row"},` +
		`{"type":"int64","optional":true,"field":"thread"},` +
		`{"type":"string","optional":true,"field":"query"}],` +
		`"optional":false,"name":` + string(AppendString(nil, name)) + `,"field":"source"},`
}

// fieldSchema is the Connect schema of one column, in JsonConverter's key order (type,
// optional, name, version, parameters, field). Key fields are never optional.
func fieldSchema(c *Column, inKey bool) string {
	typ, name, params := connectType(c.Type)
	var b strings.Builder
	b.WriteString(`{"type":"`)
	b.WriteString(typ)
	b.WriteString(`","optional":`)
	b.WriteString(strconv.FormatBool(c.Nullable && !inKey))
	if name != "" {
		b.WriteString(`,"name":"`)
		b.WriteString(name)
		b.WriteString(`","version":1`)
	}
	if len(params) > 0 {
		b.WriteString(`,"parameters":{`)
		for i := 0; i < len(params); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(AppendString(nil, params[i]))
			b.WriteByte(':')
			b.Write(AppendString(nil, params[i+1]))
		}
		b.WriteByte('}')
	}
	b.WriteString(`,"field":`)
	b.Write(AppendString(nil, c.Name))
	b.WriteByte('}')
	return b.String()
}

// connectType maps a MySQL column type to Debezium's Connect schema: literal type, semantic
// name and parameters (name/value pairs, in Debezium's order). It is the inverse of what
// the decoder's typing accepts.
func connectType(t schemas.SQLType) (typ, name string, params []string) {
	switch t.Kind {
	case schemas.KindTinyInt:
		return "int16", "", nil // Debezium's MySQL DDL parser maps TINYINT to SMALLINT
	case schemas.KindSmallInt:
		if t.Unsigned {
			return "int32", "", nil
		}
		return "int16", "", nil
	case schemas.KindMediumInt:
		return "int32", "", nil
	case schemas.KindInt:
		if t.Unsigned {
			return "int64", "", nil
		}
		return "int32", "", nil
	case schemas.KindBigInt:
		return "int64", "", nil
	case schemas.KindDecimal:
		return "bytes", "org.apache.kafka.connect.data.Decimal",
			[]string{"scale", strconv.Itoa(t.Scale), "connect.decimal.precision", strconv.Itoa(t.Precision)}
	case schemas.KindFloat:
		return "float", "", nil
	case schemas.KindDouble:
		return "double", "", nil
	case schemas.KindChar, schemas.KindVarchar, schemas.KindText:
		return "string", "", nil
	case schemas.KindJSON:
		return "string", "io.debezium.data.Json", nil
	case schemas.KindEnum:
		return "string", "io.debezium.data.Enum", []string{"allowed", strings.Join(t.Values, ",")}
	case schemas.KindSet:
		return "string", "io.debezium.data.EnumSet", []string{"allowed", strings.Join(t.Values, ",")}
	case schemas.KindBinary, schemas.KindVarBinary, schemas.KindBlob:
		return "bytes", "", nil
	case schemas.KindBool:
		return "boolean", "", nil
	case schemas.KindBit:
		return "bytes", "io.debezium.data.Bits", []string{"length", strconv.Itoa(t.Length)}
	case schemas.KindDate:
		return "int32", "io.debezium.time.Date", nil
	case schemas.KindDateTime:
		if t.Scale <= 3 {
			return "int64", "io.debezium.time.Timestamp", nil
		}
		return "int64", "io.debezium.time.MicroTimestamp", nil
	case schemas.KindTimestamp:
		return "string", "io.debezium.time.ZonedTimestamp", nil
	case schemas.KindTime:
		return "int64", "io.debezium.time.MicroTime", nil
	case schemas.KindYear:
		return "int32", "io.debezium.time.Year", nil
	}
	return "string", "", nil
}
