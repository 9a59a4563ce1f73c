package debezium

import (
	"fmt"
	"math/big"
	"strconv"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// Version is written in source.version: the Debezium release whose MySQL/MariaDB event
// format the encoder reproduces.
const Version = "3.0.1.Final"

// Snapshot markers of source.snapshot, as Debezium 3 sets them (SnapshotRecord).
const (
	SnapshotTrue        = "true"
	SnapshotFirst       = "first"
	SnapshotFirstInColl = "first_in_data_collection"
	SnapshotLastInColl  = "last_in_data_collection"
	SnapshotLast        = "last"
	SnapshotFalse       = "false"
)

// SnapshotMarker is Debezium's RelationalSnapshotChangeEventSource.setSnapshotMarker: the
// source.snapshot of a snapshot read, from where the row stands in the table and the table
// among the captured tables.
func SnapshotMarker(firstTable, lastTable, firstInTable, lastInTable bool) string {
	switch {
	case lastInTable && lastTable:
		return SnapshotLast
	case firstInTable && firstTable:
		return SnapshotFirst
	case lastInTable:
		return SnapshotLastInColl
	case firstInTable:
		return SnapshotFirstInColl
	}
	return SnapshotTrue
}

// Source is the varying part of an event's source block: where the change is in the binlog.
type Source struct {
	TsMs     int64  // when the change was committed in the source (binlog event time)
	Snapshot string // "false" when streaming; a Snapshot* marker for snapshot reads
	ServerID uint32
	GTID     string // "" writes null
	File     string // binlog file name, e.g. mysql-bin.000003
	Pos      uint32 // binlog position of the rows event
	Row      int    // index of the row within the rows event
	Thread   int64  // <0 writes null (snapshot reads)
}

// Connector is what the events of one Debezium MySQL/MariaDB connector share: Kafka
// Connect's JsonConverter output with decimal.handling.mode=precise,
// time.precision.mode=adaptive_time_microseconds, binary.handling.mode=bytes and
// bigint.unsigned.handling.mode=long.
type Connector struct {
	Prefix string // topic.prefix, also source.name
	Name   string // source.connector: "mysql" or "mariadb"
	// Schemas wraps values and keys in {"schema":…,"payload":…} (schemas.enable=true).
	Schemas bool
	// Checked is for values made by a program rather than read from a database that
	// enforced the column types: nulls in NOT NULL columns, ENUM non-members and DECIMALs
	// beyond the precision fail, and row errors name the table. The values are then the Go
	// types of a contract (see AppendEnvelope).
	Checked bool
}

// Column is one column of a captured table.
type Column struct {
	Name     string
	Type     schemas.SQLType
	TypeText string // the declared type (e.g. information_schema COLUMN_TYPE), for errors
	Nullable bool
}

type encColumn struct {
	Column
	keyJSON []byte   // `"name":` with the name JSON-escaped
	limit   *big.Int // Checked DECIMAL: 10^precision, the first value that does not fit
}

// Table encodes the events of one version of one table. It is immutable and safe for
// concurrent use.
type Table struct {
	Topic string // <prefix>.<db>.<table>

	db, name   string
	cols       []encColumn
	pk         []int
	checked    bool
	schemas    bool
	sourceHead []byte // `"source":{"version":…,"name":…` static part
	envSchema  []byte // `{"schema":{…Envelope…},"payload":` prefix
	keySchema  []byte // `{"schema":{…Key…},"payload":` prefix
}

// Table prepares the encoder of table db.name with cols in table order and pk the indexes
// of the primary key columns in key order (none: events have a null key).
func (c Connector) Table(db, name string, cols []Column, pk []int) *Table {
	t := &Table{Topic: c.Prefix + "." + db + "." + name, db: db, name: name, pk: pk, checked: c.Checked, schemas: c.Schemas}
	t.cols = make([]encColumn, len(cols))
	for i := range cols {
		ec := &t.cols[i]
		ec.Column = cols[i]
		ec.keyJSON = append(AppendString(nil, ec.Name), ':')
		if c.Checked && ec.Type.Kind == schemas.KindDecimal {
			ec.limit = new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(ec.Type.Precision)), nil)
		}
	}
	h := append([]byte(nil), `"source":{"version":"`+Version+`","connector":`...)
	h = AppendString(h, c.Name)
	h = append(h, `,"name":`...)
	t.sourceHead = AppendString(h, c.Prefix)
	if c.Schemas {
		t.envSchema, t.keySchema = c.connectSchemas(t)
	}
	return t
}

// ContractTable prepares the encoder of a table contract's events; with c.Checked its
// values are the contract's Go types.
func (c Connector) ContractTable(contract *schemas.Table) *Table {
	cols := make([]Column, len(contract.Columns))
	for i := range contract.Columns {
		cc := &contract.Columns[i]
		cols[i] = Column{Name: cc.Name, Type: cc.SQL, TypeText: cc.Type, Nullable: cc.IsNullable()}
	}
	var pk []int
	for _, k := range contract.PrimaryKey {
		for i := range contract.Columns {
			if contract.Columns[i].Name == k {
				pk = append(pk, i)
			}
		}
	}
	return c.Table(contract.Database, contract.Name, cols, pk)
}

// AppendEnvelope appends the event value of one row change. op is 'r', 'c', 'u' or 'd';
// before and after hold one value per column, in table order (nil for the absent image).
// tsNs is the envelope's ts_ns, when the connector processed the event.
//
// Values are what a MySQL client yields — go-mysql's binlog decoder (UseDecimal, ParseTime
// off, TIMESTAMP strings in UTC) or the text protocol (int64, uint64, float64, the value's
// text as []byte) — or, for a Checked connector, a contract's Go types: int64 or int for
// integers (bool for TINYINT(1)), schema.Decimal (rescaled to the column scale, never
// rounded), time.Time for DATETIME (its UTC wall clock), schema.Date, string for text and
// ENUM. It fails, naming the column, when a value does not fit its column type.
func (t *Table) AppendEnvelope(dst []byte, op byte, before, after []any, src *Source, tsNs int64) ([]byte, error) {
	if t.schemas {
		dst = append(dst, t.envSchema...)
	}
	var err error
	dst = append(dst, `{"before":`...)
	if dst, err = t.appendRow(dst, before); err != nil {
		return dst, err
	}
	dst = append(dst, `,"after":`...)
	if dst, err = t.appendRow(dst, after); err != nil {
		return dst, err
	}
	dst = append(dst, ',')
	dst = append(dst, t.sourceHead...)
	dst = append(dst, `,"ts_ms":`...)
	dst = strconv.AppendInt(dst, src.TsMs, 10)
	dst = append(dst, `,"snapshot":`...)
	dst = AppendString(dst, src.Snapshot)
	dst = append(dst, `,"db":`...)
	dst = AppendString(dst, t.db)
	dst = append(dst, `,"sequence":null,"ts_us":`...)
	dst = strconv.AppendInt(dst, src.TsMs*1000, 10)
	dst = append(dst, `,"ts_ns":`...)
	dst = strconv.AppendInt(dst, src.TsMs*1_000_000, 10)
	dst = append(dst, `,"table":`...)
	dst = AppendString(dst, t.name)
	dst = append(dst, `,"server_id":`...)
	dst = strconv.AppendUint(dst, uint64(src.ServerID), 10)
	dst = append(dst, `,"gtid":`...)
	if src.GTID == "" {
		dst = append(dst, "null"...)
	} else {
		dst = AppendString(dst, src.GTID)
	}
	dst = append(dst, `,"file":`...)
	dst = AppendString(dst, src.File)
	dst = append(dst, `,"pos":`...)
	dst = strconv.AppendUint(dst, uint64(src.Pos), 10)
	dst = append(dst, `,"row":`...)
	dst = strconv.AppendInt(dst, int64(src.Row), 10)
	dst = append(dst, `,"thread":`...)
	if src.Thread < 0 {
		dst = append(dst, "null"...)
	} else {
		dst = strconv.AppendInt(dst, src.Thread, 10)
	}
	dst = append(dst, `,"query":null},"transaction":null,"op":"`...)
	dst = append(dst, op)
	dst = append(dst, `","ts_ms":`...)
	dst = strconv.AppendInt(dst, tsNs/1_000_000, 10)
	dst = append(dst, `,"ts_us":`...)
	dst = strconv.AppendInt(dst, tsNs/1_000, 10)
	dst = append(dst, `,"ts_ns":`...)
	dst = strconv.AppendInt(dst, tsNs, 10)
	dst = append(dst, '}')
	if t.schemas {
		dst = append(dst, '}')
	}
	return dst, nil
}

// AppendKey appends the Kafka key of row: the primary key struct. ok is false for a table
// without a primary key, whose events Debezium sends with a null key.
func (t *Table) AppendKey(dst []byte, row []any) (_ []byte, ok bool, err error) {
	if len(t.pk) == 0 {
		return dst, false, nil
	}
	if t.schemas {
		dst = append(dst, t.keySchema...)
	}
	dst = append(dst, '{')
	for i, ci := range t.pk {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, t.cols[ci].keyJSON...)
		if dst, err = t.appendValue(dst, &t.cols[ci], row[ci]); err != nil {
			return dst, false, err
		}
	}
	dst = append(dst, '}')
	if t.schemas {
		dst = append(dst, '}')
	}
	return dst, true, nil
}

// appendRow appends a row struct payload ({"col":value,…}) or null.
func (t *Table) appendRow(dst []byte, row []any) ([]byte, error) {
	if row == nil {
		return append(dst, "null"...), nil
	}
	if len(row) != len(t.cols) {
		return dst, fmt.Errorf("table %s: row has %d values, expected %d (one per contract column)", t.name, len(row), len(t.cols))
	}
	dst = append(dst, '{')
	var err error
	for i := range t.cols {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, t.cols[i].keyJSON...)
		if dst, err = t.appendValue(dst, &t.cols[i], row[i]); err != nil {
			if t.checked {
				return dst, fmt.Errorf("table %s: %w", t.name, err)
			}
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// AppendString quotes s as Jackson (Kafka Connect's JsonConverter) does: only '"', '\\' and
// control characters are escaped, with the short forms for \b \f \n \r \t. s must be valid
// UTF-8; the value encoders check it first.
func AppendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// NewContractTable is the encoder a generator uses (the bank simulator, scenario and model
// tests): the MySQL connector's events for topic prefix, schemas disabled, with Checked
// contract values.
func NewContractTable(prefix string, contract *schemas.Table) *Table {
	return Connector{Prefix: prefix, Name: "mysql", Checked: true}.ContractTable(contract)
}
