package mysql

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/redpanda-data/benthos/v4/public/service"
)

// reader is one run of the capture: an optional snapshot, then the binlog stream. It
// owns conn (information_schema look-ups, the snapshot) and sends items in binlog order.
type reader struct {
	in     *cdcInput
	conn   *client.Conn
	out    chan<- item
	tables map[string]*table // "db.table" → current shape; cleared by DDL
	buf    []byte
}

func (r *reader) run(ctx context.Context, start position, snapshot bool) error {
	if snapshot {
		p, err := r.snapshot(ctx)
		if err != nil {
			return err
		}
		start = p
	}
	return r.stream(ctx, start)
}

func (r *reader) send(ctx context.Context, it item) error {
	if it.e != nil {
		if len(it.msgs) == 0 {
			it.e.acked = true // nothing to deliver (all rows skipped or filtered)
		}
		r.in.trk.add(it.e)
	}
	if len(it.msgs) == 0 {
		return nil
	}
	select {
	case r.out <- it:
		return nil
	case <-ctx.Done():
		return errStopped
	}
}

// table returns the captured table's current shape, loading it when first seen or after
// a DDL.
func (r *reader) table(db, name string) (*table, error) {
	id := db + "." + name
	if t, ok := r.tables[id]; ok {
		return t, nil
	}
	t, err := loadTable(r.conn, db, name)
	if err != nil {
		return nil, err
	}
	r.in.enc.prepare(t)
	r.tables[id] = t
	return t, nil
}

// change is one row change to turn into messages.
type change struct {
	t             *table
	op            byte // 'r', 'c', 'u', 'd'
	before, after []any
	src           sourceInfo
}

// appendMessages appends the messages for ch: the event, a tombstone after a delete, and
// for an update of the primary key a delete (+ tombstone) and a create. A row that cannot
// be encoded becomes one errored message describing it.
func (r *reader) appendMessages(batch service.MessageBatch, ch *change) service.MessageBatch {
	enc := r.in.enc
	if ch.op == 'u' && len(ch.t.pk) > 0 {
		oldKey, _, err1 := enc.appendKey(nil, ch.t, ch.before)
		newKey, _, err2 := enc.appendKey(nil, ch.t, ch.after)
		if err1 == nil && err2 == nil && !bytes.Equal(oldKey, newKey) {
			d := *ch
			d.op, d.after = 'd', nil
			batch = r.appendOne(batch, &d, string(oldKey), "debezium_newkey", string(newKey))
			c := *ch
			c.op, c.before = 'c', nil
			return r.appendOne(batch, &c, string(newKey), "debezium_oldkey", string(oldKey))
		}
	}
	return r.appendOne(batch, ch, "", "", "")
}

func (r *reader) appendOne(batch service.MessageBatch, ch *change, key, hdrName, hdrVal string) service.MessageBatch {
	enc := r.in.enc
	keyRow := ch.after
	if ch.op == 'd' {
		keyRow = ch.before
	}
	hasKey := false
	if key != "" {
		hasKey = true
	} else {
		kb, ok, err := enc.appendKey(nil, ch.t, keyRow)
		if err != nil {
			return append(batch, r.errored(ch, err))
		}
		key, hasKey = string(kb), ok
	}
	var err error
	r.buf, err = enc.appendEnvelope(r.buf[:0], ch.t, ch.op, ch.before, ch.after, &ch.src)
	if err != nil {
		return append(batch, r.errored(ch, err))
	}
	body := make([]byte, len(r.buf))
	copy(body, r.buf)
	m := service.NewMessage(body)
	setMeta(m, ch, key, hasKey, false)
	if hdrName != "" {
		m.MetaSetMut(hdrName, hdrVal)
	}
	batch = append(batch, m)
	if ch.op == 'd' && r.in.conf.tombstones {
		tm := service.NewMessage(nil)
		setMeta(tm, ch, key, hasKey, true)
		batch = append(batch, tm)
	}
	return batch
}

func setMeta(m *service.Message, ch *change, key string, hasKey, tombstone bool) {
	if hasKey {
		m.MetaSetMut("kafka_key", key)
	}
	m.MetaSetMut("mysql_db", ch.t.db)
	m.MetaSetMut("mysql_table", ch.t.name)
	m.MetaSetMut("debezium_topic", ch.t.topic)
	m.MetaSetMut("debezium_op", string(ch.op))
	m.MetaSetMut("kafka_tombstone", strconv.FormatBool(tombstone))
}

// errored builds the dead-letter message for a row that could not be encoded: where it
// is, what the table is, and why. It is flagged with the error so pipelines can route it.
func (r *reader) errored(ch *change, cause error) *service.Message {
	body, _ := json.Marshal(map[string]any{
		"error": cause.Error(), "db": ch.t.db, "table": ch.t.name, "op": string(ch.op),
		"file": ch.src.File, "pos": ch.src.Pos, "row": ch.src.Row, "gtid": ch.src.GTID,
		"snapshot": ch.src.Snapshot,
	})
	m := service.NewMessage(body)
	m.MetaSetMut("mysql_db", ch.t.db)
	m.MetaSetMut("mysql_table", ch.t.name)
	m.MetaSetMut("debezium_topic", ch.t.topic)
	m.SetError(fmt.Errorf("mysql_cdc: %s.%s at %s:%d row %d: %w", ch.t.db, ch.t.name, ch.src.File, ch.src.Pos, ch.src.Row, cause))
	return m
}

// binlogExists reports whether the server still has the binlog file name.
func binlogExists(conn *client.Conn, name string) (bool, error) {
	r, err := conn.Execute("SHOW BINARY LOGS")
	if err != nil {
		return false, fmt.Errorf("SHOW BINARY LOGS (needs REPLICATION CLIENT): %w", err)
	}
	defer r.Close()
	for i := range r.Values {
		if str(r.Values[i][0]) == name {
			return true, nil
		}
	}
	return false, nil
}

// currentPosition is the end of the binlog: SHOW MASTER STATUS, or SHOW BINARY LOG STATUS
// (MySQL 8.4) / SHOW BINLOG STATUS (MariaDB 10.5.2+) where the old statement is gone.
func currentPosition(conn *client.Conn, flavor string) (position, error) {
	var lastErr error
	for _, q := range []string{"SHOW MASTER STATUS", "SHOW BINARY LOG STATUS", "SHOW BINLOG STATUS"} {
		r, err := conn.Execute(q)
		if err != nil {
			lastErr = err
			continue
		}
		defer r.Close()
		if len(r.Values) == 0 {
			return position{}, fmt.Errorf("%s returned no row: is log_bin enabled on the server?", q)
		}
		pos, err := strconv.ParseUint(str(r.Values[0][1]), 10, 32)
		if err != nil {
			return position{}, fmt.Errorf("%s: position %q: %w", q, str(r.Values[0][1]), err)
		}
		return position{File: str(r.Values[0][0]), Pos: uint32(pos)}, nil
	}
	return position{}, fmt.Errorf("reading the binlog position (needs REPLICATION CLIENT): %w", lastErr)
}

// snapshotValue copies a text-protocol value out of go-mysql's reused row buffer.
func snapshotValue(v *gomysql.FieldValue) any {
	switch v.Type {
	case gomysql.FieldValueTypeNull:
		return nil
	case gomysql.FieldValueTypeUnsigned:
		return v.AsUint64()
	case gomysql.FieldValueTypeSigned:
		return v.AsInt64()
	case gomysql.FieldValueTypeFloat:
		return v.AsFloat64()
	default:
		s := v.AsString()
		b := make([]byte, len(s))
		copy(b, s)
		return b
	}
}

// isDDL reports whether a binlog query changes table shapes (then cached columns are stale).
func isDDL(q string) bool {
	q = strings.TrimLeft(q, " \t\r\n(")
	for strings.HasPrefix(q, "/*") {
		end := strings.Index(q, "*/")
		if end < 0 {
			return false
		}
		q = strings.TrimLeft(q[end+2:], " \t\r\n")
	}
	w := q
	if i := strings.IndexAny(q, " \t\r\n"); i >= 0 {
		w = q[:i]
	}
	switch strings.ToUpper(w) {
	case "ALTER", "CREATE", "DROP", "RENAME", "TRUNCATE":
		return true
	}
	return false
}
