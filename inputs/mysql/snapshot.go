package mysql

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/debezium"
)

// snapshot reads every captured row in one consistent transaction and returns the binlog
// position the transaction's view corresponds to, where streaming must begin.
func (r *reader) snapshot(ctx context.Context) (position, error) {
	conn := r.conn
	c := r.in.conf
	for _, q := range []string{
		"SET SESSION time_zone = '+00:00'", // TIMESTAMP text in UTC, like the binlog decoder
		"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
	} {
		if _, err := conn.Execute(q); err != nil {
			return position{}, fmt.Errorf("snapshot: %s: %w", q, err)
		}
	}
	locked := false
	if c.flavor == "mysql" {
		// MySQL has no consistent-snapshot binlog coordinates, so writes are held off while
		// the transaction opens and the position is read.
		if _, err := conn.Execute("FLUSH TABLES WITH READ LOCK"); err != nil {
			r.in.log.Warnf("mysql_cdc: snapshot without a global read lock (%v); grant RELOAD for an exactly consistent start", err)
		} else {
			locked = true
		}
	}
	if _, err := conn.Execute("START TRANSACTION WITH CONSISTENT SNAPSHOT"); err != nil {
		if locked {
			_, _ = conn.Execute("UNLOCK TABLES")
		}
		return position{}, fmt.Errorf("snapshot: START TRANSACTION WITH CONSISTENT SNAPSHOT: %w", err)
	}
	defer func() { _, _ = conn.Execute("ROLLBACK") }()
	var start position
	var err error
	if c.flavor == "mariadb" {
		start, err = mariadbSnapshotPosition(conn)
	} else {
		start, err = currentPosition(conn, c.flavor)
	}
	if locked {
		if _, uerr := conn.Execute("UNLOCK TABLES"); uerr != nil && err == nil {
			err = fmt.Errorf("snapshot: UNLOCK TABLES: %w", uerr)
		}
	}
	if err != nil {
		return position{}, err
	}
	names, err := listTables(conn, c.tables)
	if err != nil {
		return position{}, err
	}
	for ti, n := range names {
		t, err := r.table(n[0], n[1])
		if err != nil {
			return position{}, err
		}
		if err := r.snapshotTable(ctx, t, start, ti == 0, ti == len(names)-1); err != nil {
			return position{}, err
		}
	}
	// The last batch was sent without a position; this marker carries the snapshot's end,
	// so the checkpoint appears only once every snapshot row is acknowledged.
	done := start
	if err := r.send(ctx, item{e: &entry{pos: &done, acked: true}}); err != nil {
		return position{}, err
	}
	if _, err := conn.Execute("COMMIT"); err != nil {
		return position{}, fmt.Errorf("snapshot: COMMIT: %w", err)
	}
	r.in.log.Infof("mysql_cdc: snapshot of %d tables done at %s", len(names), start)
	return start, nil
}

// mariadbSnapshotPosition reads the binlog coordinates that match the consistent snapshot
// the session's transaction sees (MariaDB's binlog_snapshot_file/position).
func mariadbSnapshotPosition(conn interface {
	Execute(string, ...any) (*gomysql.Result, error)
}) (position, error) {
	res, err := conn.Execute("SHOW STATUS LIKE 'binlog_snapshot_%'")
	if err != nil {
		return position{}, fmt.Errorf("snapshot: SHOW STATUS LIKE 'binlog_snapshot_%%': %w", err)
	}
	defer res.Close()
	var p position
	for i := range res.Values {
		switch str(res.Values[i][0]) {
		case "Binlog_snapshot_file":
			p.File = str(res.Values[i][1])
		case "Binlog_snapshot_position":
			n, err := strconv.ParseUint(str(res.Values[i][1]), 10, 32)
			if err != nil {
				return position{}, fmt.Errorf("snapshot: Binlog_snapshot_position %q: %w", str(res.Values[i][1]), err)
			}
			p.Pos = uint32(n)
		}
	}
	if p.File == "" {
		return position{}, errors.New("snapshot: the server reports no binlog snapshot file: is log_bin enabled?")
	}
	return p, nil
}

// snapshotTable streams one table's rows as op "r" events in batches. One row is held back
// so that the last row of the table can be marked.
func (r *reader) snapshotTable(ctx context.Context, t *table, start position, firstTable, lastTable bool) error {
	cols := make([]string, len(t.cols))
	for i := range t.cols {
		cols[i] = quoteIdent(t.cols[i].name)
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM " + quoteIdent(t.db) + "." + quoteIdent(t.name)
	var held []any
	n := 0
	batch := make(service.MessageBatch, 0, r.in.conf.snapshotBatch)
	emit := func(row []any, last bool) error {
		ch := change{t: t, op: 'r', after: row, src: sourceInfo{
			TsMs:     time.Now().Unix() * 1000, // Debezium's snapshot source time has whole seconds
			Snapshot: debezium.SnapshotMarker(firstTable, lastTable, n == 0, last),
			File:     start.File, Pos: start.Pos, Thread: -1,
		}}
		n++
		batch = r.appendMessages(batch, &ch)
		if len(batch) >= r.in.conf.snapshotBatch {
			if err := r.send(ctx, item{msgs: batch, e: &entry{}}); err != nil {
				return err
			}
			batch = make(service.MessageBatch, 0, r.in.conf.snapshotBatch)
		}
		return nil
	}
	var res gomysql.Result
	err := r.conn.ExecuteSelectStreaming(q, &res, func(row []gomysql.FieldValue) error {
		if len(row) != len(t.cols) {
			return fmt.Errorf("snapshot of %s: %d columns in the result, %d in information_schema", t.id(), len(row), len(t.cols))
		}
		vals := make([]any, len(row))
		for i := range row {
			vals[i] = snapshotValue(&row[i])
		}
		if held != nil {
			if err := emit(held, false); err != nil {
				return err
			}
		}
		held = vals
		return nil
	}, nil)
	if err != nil {
		if ctx.Err() != nil {
			return errStopped
		}
		return fmt.Errorf("snapshot of %s: %w", t.id(), err)
	}
	if held != nil {
		if err := emit(held, true); err != nil {
			return err
		}
	}
	if len(batch) > 0 {
		return r.send(ctx, item{msgs: batch, e: &entry{}})
	}
	return nil
}
