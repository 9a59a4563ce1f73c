package mysql

import (
	"time"

	"github.com/ledgerflow/ledgerflow/debezium"
)

// The events are encoded by the one Debezium codec (package debezium); this file gives it
// the input's tables and the connector's clock.

// sourceInfo is the varying part of an event's source block.
type sourceInfo = debezium.Source

// encoder builds event bodies and keys for one configuration.
type encoder struct {
	conn debezium.Connector
	now  func() time.Time
}

func newEncoder(prefix, connector string, schemasEnabled bool) *encoder {
	return &encoder{conn: debezium.Connector{Prefix: prefix, Name: connector, Schemas: schemasEnabled}, now: time.Now}
}

// prepare precomputes a table version's topic, static source fields and Connect schemas.
func (e *encoder) prepare(t *table) {
	cols := make([]debezium.Column, len(t.cols))
	for i := range t.cols {
		c := &t.cols[i]
		cols[i] = debezium.Column{Name: c.name, Type: c.typ, TypeText: c.colType, Nullable: c.nullable}
	}
	t.enc = e.conn.Table(t.db, t.name, cols, t.pk)
	t.topic = t.enc.Topic
}

// appendEnvelope appends the change event value for one row change.
func (e *encoder) appendEnvelope(dst []byte, t *table, op byte, before, after []any, src *sourceInfo) ([]byte, error) {
	return t.enc.AppendEnvelope(dst, op, before, after, src, e.now().UnixNano())
}

// appendKey appends the Kafka key of a row: the primary key struct. ok is false for a
// table without a primary key, whose events Debezium sends with a null key.
func (e *encoder) appendKey(dst []byte, t *table, row []any) (_ []byte, ok bool, err error) {
	return t.enc.AppendKey(dst, row)
}
