package mysql

import (
	"strconv"
	"strings"
	"time"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// DebeziumVersion is written in source.version: the Debezium release whose MySQL/MariaDB
// event format this input reproduces.
const DebeziumVersion = "3.0.1.Final"

// Snapshot markers of source.snapshot, as Debezium 3 sets them (SnapshotRecord).
const (
	snapTrue        = "true"
	snapFirst       = "first"
	snapFirstInColl = "first_in_data_collection"
	snapLastInColl  = "last_in_data_collection"
	snapLast        = "last"
	snapFalse       = "false"
)

// snapshotMarker is Debezium's RelationalSnapshotChangeEventSource.setSnapshotMarker.
func snapshotMarker(firstTable, lastTable, firstInTable, lastInTable bool) string {
	switch {
	case lastInTable && lastTable:
		return snapLast
	case firstInTable && firstTable:
		return snapFirst
	case lastInTable:
		return snapLastInColl
	case firstInTable:
		return snapFirstInColl
	}
	return snapTrue
}

// sourceInfo is the varying part of an event's source block.
type sourceInfo struct {
	tsMs     int64
	snapshot string
	serverID uint32
	gtid     string // "" = null
	file     string
	pos      uint32
	row      int
	thread   int64 // <0 = null
}

// encoder builds event bodies and keys for one configuration.
type encoder struct {
	prefix     string // topic.prefix
	connector  string // mysql | mariadb
	schemas    bool
	sourceName string // io.debezium.connector.<connector>.Source
	now        func() time.Time
}

func newEncoder(prefix, connector string, schemasEnabled bool) *encoder {
	return &encoder{
		prefix:     prefix,
		connector:  connector,
		schemas:    schemasEnabled,
		sourceName: "io.debezium.connector." + connector + ".Source",
		now:        time.Now,
	}
}

// prepare precomputes a table version's topic, static source fields and Connect schemas.
func (e *encoder) prepare(t *table) {
	t.topic = e.prefix + "." + t.db + "." + t.name
	var h []byte
	h = append(h, `"source":{"version":"`+DebeziumVersion+`","connector":`...)
	h = appendJSONString(h, e.connector)
	h = append(h, `,"name":`...)
	h = appendJSONString(h, e.prefix)
	t.sourceHead = h
	if !e.schemas {
		return
	}
	t.valSchema = e.valueSchema(t)
	env := `{"schema":{"type":"struct","fields":[` +
		t.valSchema + `,"field":"before"},` +
		t.valSchema + `,"field":"after"},` +
		e.sourceSchema() +
		`{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},{"type":"int64","optional":false,"field":"total_order"},{"type":"int64","optional":false,"field":"data_collection_order"}],"optional":true,"name":"event.block","version":1,"field":"transaction"},` +
		`{"type":"string","optional":false,"field":"op"},` +
		`{"type":"int64","optional":true,"field":"ts_ms"},` +
		`{"type":"int64","optional":true,"field":"ts_us"},` +
		`{"type":"int64","optional":true,"field":"ts_ns"}],` +
		`"optional":false,"name":` + string(appendJSONString(nil, t.topic+".Envelope")) + `,"version":2},"payload":`
	t.envSchema = []byte(env)
	var ks strings.Builder
	ks.WriteString(`{"schema":{"type":"struct","fields":[`)
	for i, ci := range t.pk {
		if i > 0 {
			ks.WriteByte(',')
		}
		ks.WriteString(fieldSchema(&t.cols[ci], true))
	}
	ks.WriteString(`],"optional":false,"name":`)
	ks.Write(appendJSONString(nil, t.topic+".Key"))
	ks.WriteString(`},"payload":`)
	t.keySchema = []byte(ks.String())
}

// valueSchema is the Value struct schema without its closing brace, so that the caller
// appends `,"field":"before"}`.
func (e *encoder) valueSchema(t *table) string {
	var b strings.Builder
	b.WriteString(`{"type":"struct","fields":[`)
	for i := range t.cols {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(fieldSchema(&t.cols[i], false))
	}
	b.WriteString(`],"optional":true,"name":`)
	b.Write(appendJSONString(nil, t.topic+".Value"))
	return b.String()
}

func (e *encoder) sourceSchema() string {
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
		`"optional":false,"name":` + string(appendJSONString(nil, e.sourceName)) + `,"field":"source"},`
}

// fieldSchema is the Connect schema of one column, in JsonConverter's key order (type,
// optional, name, version, parameters, field). Key fields are never optional.
func fieldSchema(c *column, inKey bool) string {
	typ, name, params := connectType(c)
	var b strings.Builder
	b.WriteString(`{"type":"`)
	b.WriteString(typ)
	b.WriteString(`","optional":`)
	b.WriteString(strconv.FormatBool(c.nullable && !inKey))
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
			b.Write(appendJSONString(nil, params[i]))
			b.WriteByte(':')
			b.Write(appendJSONString(nil, params[i+1]))
		}
		b.WriteByte('}')
	}
	b.WriteString(`,"field":`)
	b.Write(appendJSONString(nil, c.name))
	b.WriteByte('}')
	return b.String()
}

// connectType maps a MySQL column to Debezium's Connect schema: literal type, semantic
// name and parameters (name/value pairs, in Debezium's order).
func connectType(c *column) (typ, name string, params []string) {
	t := c.typ
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

// appendRow appends a row struct payload ({"col":value,…}) or null.
func appendRow(dst []byte, t *table, row []any) ([]byte, error) {
	if row == nil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, '{')
	var err error
	for i := range t.cols {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, t.cols[i].keyJSON...)
		if dst, err = appendValue(dst, &t.cols[i], row[i]); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// appendEnvelope appends the change event value for one row change.
func (e *encoder) appendEnvelope(dst []byte, t *table, op byte, before, after []any, src *sourceInfo) ([]byte, error) {
	if e.schemas {
		dst = append(dst, t.envSchema...)
	}
	var err error
	dst = append(dst, `{"before":`...)
	if dst, err = appendRow(dst, t, before); err != nil {
		return dst, err
	}
	dst = append(dst, `,"after":`...)
	if dst, err = appendRow(dst, t, after); err != nil {
		return dst, err
	}
	dst = append(dst, ',')
	dst = append(dst, t.sourceHead...)
	dst = append(dst, `,"ts_ms":`...)
	dst = strconv.AppendInt(dst, src.tsMs, 10)
	dst = append(dst, `,"snapshot":"`...)
	dst = append(dst, src.snapshot...)
	dst = append(dst, `","db":`...)
	dst = appendJSONString(dst, t.db)
	dst = append(dst, `,"sequence":null,"ts_us":`...)
	dst = strconv.AppendInt(dst, src.tsMs*1000, 10)
	dst = append(dst, `,"ts_ns":`...)
	dst = strconv.AppendInt(dst, src.tsMs*1_000_000, 10)
	dst = append(dst, `,"table":`...)
	dst = appendJSONString(dst, t.name)
	dst = append(dst, `,"server_id":`...)
	dst = strconv.AppendUint(dst, uint64(src.serverID), 10)
	dst = append(dst, `,"gtid":`...)
	if src.gtid == "" {
		dst = append(dst, "null"...)
	} else {
		dst = appendJSONString(dst, src.gtid)
	}
	dst = append(dst, `,"file":`...)
	dst = appendJSONString(dst, src.file)
	dst = append(dst, `,"pos":`...)
	dst = strconv.AppendUint(dst, uint64(src.pos), 10)
	dst = append(dst, `,"row":`...)
	dst = strconv.AppendInt(dst, int64(src.row), 10)
	dst = append(dst, `,"thread":`...)
	if src.thread < 0 {
		dst = append(dst, "null"...)
	} else {
		dst = strconv.AppendInt(dst, src.thread, 10)
	}
	dst = append(dst, `,"query":null},"transaction":null,"op":"`...)
	dst = append(dst, op)
	now := e.now()
	ns := now.UnixNano()
	dst = append(dst, `","ts_ms":`...)
	dst = strconv.AppendInt(dst, ns/1_000_000, 10)
	dst = append(dst, `,"ts_us":`...)
	dst = strconv.AppendInt(dst, ns/1_000, 10)
	dst = append(dst, `,"ts_ns":`...)
	dst = strconv.AppendInt(dst, ns, 10)
	dst = append(dst, '}')
	if e.schemas {
		dst = append(dst, '}')
	}
	return dst, nil
}

// appendKey appends the Kafka key of a row: the primary key struct. ok is false for a
// table without a primary key, whose events Debezium sends with a null key.
func (e *encoder) appendKey(dst []byte, t *table, row []any) (_ []byte, ok bool, err error) {
	if len(t.pk) == 0 {
		return dst, false, nil
	}
	if e.schemas {
		dst = append(dst, t.keySchema...)
	}
	dst = append(dst, '{')
	for i, ci := range t.pk {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, t.cols[ci].keyJSON...)
		if dst, err = appendValue(dst, &t.cols[ci], row[ci]); err != nil {
			return dst, false, err
		}
	}
	dst = append(dst, '}')
	if e.schemas {
		dst = append(dst, '}')
	}
	return dst, true, nil
}
