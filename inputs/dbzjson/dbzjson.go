// Package dbzjson encodes row changes as Debezium 3 MySQL connector events, written by Kafka
// Connect's JsonConverter with schemas disabled (decimal.handling.mode=precise,
// time.precision.mode=adaptive_time_microseconds): the value envelope and the Kafka key.
//
// It is typed by a table contract (package schemas) and takes Go values, not binlog values,
// so that a generator such as the bank simulator can produce events without a database. The
// MySQL binlog reader (inputs/mysql) has its own encoder working on binlog values; both
// must agree byte for byte on the payload format, and this package is the candidate to
// share (see the simulator's tests, which decode its output with debezium_unwrap's rules).
package dbzjson

import (
	"encoding/base64"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// Version is written in source.version.
const Version = "3.0.1.Final"

// Source is the varying part of an event's source block: where the change is in the binlog.
type Source struct {
	TsMs     int64  // when the change was committed in the source (binlog event time)
	Snapshot string // "false" when streaming; "true", "first", "last"… for snapshot reads
	ServerID uint32
	File     string // binlog file name, e.g. mysql-bin.000003
	Pos      uint32 // binlog position of the rows event
	Row      int    // index of the row within the rows event
	Thread   int64  // <0 writes null (snapshot reads)
}

// Table encodes the events of one table.
type Table struct {
	Topic    string
	Contract *schemas.Table

	keys       [][]byte   // `"name":` per column
	limits     []*big.Int // 10^precision per DECIMAL column: the first value that does not fit
	pk         []int
	sourceHead []byte
}

// NewTable prepares the encoder of contract's table for topic prefix (Debezium's
// topic.prefix): the topic is <prefix>.<database>.<table>.
func NewTable(prefix string, contract *schemas.Table) *Table {
	t := &Table{Topic: prefix + "." + contract.Database + "." + contract.Name, Contract: contract}
	t.limits = make([]*big.Int, len(contract.Columns))
	for i := range contract.Columns {
		c := &contract.Columns[i]
		t.keys = append(t.keys, append(strconv.AppendQuote(nil, c.Name), ':'))
		if c.SQL.Kind == schemas.KindDecimal {
			t.limits[i] = new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(c.SQL.Precision)), nil)
		}
	}
	for _, k := range contract.PrimaryKey {
		for i := range contract.Columns {
			if contract.Columns[i].Name == k {
				t.pk = append(t.pk, i)
			}
		}
	}
	h := []byte(`"source":{"version":"` + Version + `","connector":"mysql","name":`)
	t.sourceHead = AppendString(h, prefix)
	return t
}

// AppendEnvelope appends the event value of one row change. op is 'r', 'c', 'u' or 'd';
// before and after hold one value per contract column, in contract order (nil for the
// absent image). tsMs is the envelope's ts_ms, when the connector processed the event. It
// fails, naming the column, when a value does not fit its column type.
func (t *Table) AppendEnvelope(dst []byte, op byte, before, after []any, src *Source, tsMs int64) ([]byte, error) {
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
	dst = AppendString(dst, t.Contract.Database)
	dst = append(dst, `,"sequence":null,"ts_us":`...)
	dst = strconv.AppendInt(dst, src.TsMs*1000, 10)
	dst = append(dst, `,"ts_ns":`...)
	dst = strconv.AppendInt(dst, src.TsMs*1_000_000, 10)
	dst = append(dst, `,"table":`...)
	dst = AppendString(dst, t.Contract.Name)
	dst = append(dst, `,"server_id":`...)
	dst = strconv.AppendUint(dst, uint64(src.ServerID), 10)
	dst = append(dst, `,"gtid":null,"file":`...)
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
	dst = strconv.AppendInt(dst, tsMs, 10)
	dst = append(dst, `,"ts_us":`...)
	dst = strconv.AppendInt(dst, tsMs*1000, 10)
	dst = append(dst, `,"ts_ns":`...)
	dst = strconv.AppendInt(dst, tsMs*1_000_000, 10)
	return append(dst, '}'), nil
}

// AppendKey appends the Kafka key of row: the primary key columns as a JSON object.
func (t *Table) AppendKey(dst []byte, row []any) ([]byte, error) {
	dst = append(dst, '{')
	var err error
	for i, ci := range t.pk {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, t.keys[ci]...)
		if dst, err = appendValue(dst, &t.Contract.Columns[ci], t.limits[ci], row[ci]); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

func (t *Table) appendRow(dst []byte, row []any) ([]byte, error) {
	if row == nil {
		return append(dst, "null"...), nil
	}
	if len(row) != len(t.Contract.Columns) {
		return dst, fmt.Errorf("table %s: row has %d values, expected %d (one per contract column)", t.Contract.Name, len(row), len(t.Contract.Columns))
	}
	dst = append(dst, '{')
	var err error
	for i := range row {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, t.keys[i]...)
		if dst, err = appendValue(dst, &t.Contract.Columns[i], t.limits[i], row[i]); err != nil {
			return dst, fmt.Errorf("table %s: %w", t.Contract.Name, err)
		}
	}
	return append(dst, '}'), nil
}

// appendValue writes v as the MySQL connector does for column c. Accepted Go values: int64
// (or int) for integer columns, and 0/1 or bool for TINYINT(1); schema.Decimal for DECIMAL
// (rescaled to the column scale, never rounded); time.Time for DATETIME (its UTC wall
// clock); schema.Date for DATE; string for CHAR, VARCHAR, TEXT and ENUM (a member).
func appendValue(dst []byte, c *schemas.Column, limit *big.Int, v any) ([]byte, error) {
	if v == nil {
		if !c.IsNullable() {
			return dst, fmt.Errorf("column %s (%s): null in a NOT NULL column", c.Name, c.Type)
		}
		return append(dst, "null"...), nil
	}
	switch c.SQL.Kind {
	case schemas.KindTinyInt, schemas.KindSmallInt, schemas.KindMediumInt, schemas.KindInt, schemas.KindBigInt:
		switch x := v.(type) {
		case int64:
			return strconv.AppendInt(dst, x, 10), nil
		case int:
			return strconv.AppendInt(dst, int64(x), 10), nil
		case bool:
			if c.SQL.Kind == schemas.KindTinyInt && c.SQL.Length == 1 {
				if x {
					return append(dst, '1'), nil
				}
				return append(dst, '0'), nil
			}
		}
		return dst, badValue(c, v, "an int64")
	case schemas.KindDecimal:
		d, ok := v.(schema.Decimal)
		if !ok || d.Unscaled == nil {
			return dst, badValue(c, v, "a schema.Decimal")
		}
		r, err := d.Rescale(c.SQL.Scale)
		if err != nil {
			return dst, fmt.Errorf("column %s (%s): %s: %w", c.Name, c.Type, d, err)
		}
		if r.Unscaled.CmpAbs(limit) >= 0 {
			return dst, fmt.Errorf("column %s (%s): %s has %d digits, more than the precision %d", c.Name, c.Type, d, r.Precision(), c.SQL.Precision)
		}
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, r.Bytes())
		return append(dst, '"'), nil
	case schemas.KindChar, schemas.KindVarchar, schemas.KindText:
		s, ok := v.(string)
		if !ok {
			return dst, badValue(c, v, "a string")
		}
		return AppendString(dst, s), nil
	case schemas.KindEnum:
		s, ok := v.(string)
		if !ok {
			return dst, badValue(c, v, "an ENUM member string")
		}
		for _, m := range c.SQL.Values {
			if m == s {
				return AppendString(dst, s), nil
			}
		}
		return dst, fmt.Errorf("column %s (%s): %q is not a member", c.Name, c.Type, s)
	case schemas.KindDateTime:
		ts, ok := v.(time.Time)
		if !ok {
			return dst, badValue(c, v, "a time.Time")
		}
		if c.SQL.Scale <= 3 {
			return strconv.AppendInt(dst, ts.UnixMilli(), 10), nil // io.debezium.time.Timestamp
		}
		return strconv.AppendInt(dst, ts.UnixMicro(), 10), nil // io.debezium.time.MicroTimestamp
	case schemas.KindDate:
		d, ok := v.(schema.Date)
		if !ok {
			return dst, badValue(c, v, "a schema.Date")
		}
		return strconv.AppendInt(dst, int64(d), 10), nil
	}
	return dst, fmt.Errorf("column %s: type %s is not supported by this encoder", c.Name, c.Type)
}

func badValue(c *schemas.Column, v any, want string) error {
	return fmt.Errorf("column %s (%s): got %T %v, expected %s", c.Name, c.Type, v, v, want)
}

// AppendString quotes s as Jackson (Kafka Connect's JsonConverter) does: only '"', '\\' and
// control characters are escaped, with the short forms for \b \f \n \r \t. s must be valid
// UTF-8; callers check row values first.
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
