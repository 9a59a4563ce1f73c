package mysql

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/google/uuid"
	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/debezium"
)

// txnState tracks where the transaction in progress started and how many of its captured
// rows were handed out, which is what a checkpoint inside it records.
type txnState struct {
	file     string
	start    uint32 // position of the transaction's first event
	inTxn    bool
	rows     int    // captured rows of the transaction seen so far (sent or skipped)
	skip     int    // rows still to skip: already delivered before the restart
	gtid     string // "" when the server logs no GTIDs
	thread   int64  // from the transaction's BEGIN query; -1 when none (MariaDB DML)
	serverID uint32
}

func (r *reader) syncerConfig() replication.BinlogSyncerConfig {
	c := r.in.conf
	cfg := replication.BinlogSyncerConfig{
		ServerID: c.serverID,
		Flavor:   c.flavor,
		Host:     c.host,
		Port:     c.port,
		User:     c.user,
		Password: c.password,
		// Money must never pass through float64: DECIMAL arrives as shopspring decimals.
		UseDecimal: true,
		// Raw temporal strings: Debezium's encodings are computed from the wall clock
		// fields, and TIMESTAMPs are rendered in UTC rather than this process's zone.
		ParseTime:               false,
		TimestampStringLocation: time.UTC,
		HeartbeatPeriod:         c.heartbeat,
		// A broken connection ends the run; Connect restarts from the checkpoint, which
		// always lies at a transaction start (go-mysql's own retry could resume mid-event).
		DisableRetrySync: true,
		Logger:           slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if c.heartbeat > 0 {
		cfg.ReadTimeout = 3 * c.heartbeat
	}
	return cfg
}

// stream reads the binlog from p, skipping p.SkipRows captured rows of the transaction
// that starts there, and sends one item per rows event and a position marker per commit.
func (r *reader) stream(ctx context.Context, p position) error {
	syncer := replication.NewBinlogSyncer(r.syncerConfig())
	defer syncer.Close()
	streamer, err := syncer.StartSync(gomysql.Position{Name: p.File, Pos: p.Pos})
	if err != nil {
		return fmt.Errorf("starting binlog replication at %s: %w", p, err)
	}
	st := txnState{file: p.File, skip: p.SkipRows, thread: -1}
	for {
		ev, err := streamer.GetEvent(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return errStopped
			}
			return fmt.Errorf("reading the binlog after %s:%d: %w", st.file, st.start, err)
		}
		if err := r.handle(ctx, &st, ev); err != nil {
			return err
		}
	}
}

func (r *reader) handle(ctx context.Context, st *txnState, ev *replication.BinlogEvent) error {
	h := ev.Header
	evStart := h.LogPos - h.EventSize
	begin := func() {
		st.start, st.inTxn, st.rows, st.gtid, st.thread = evStart, true, 0, "", -1
	}
	commit := func() error {
		st.inTxn, st.rows, st.skip = false, 0, 0
		p := position{File: st.file, Pos: h.LogPos, ServerID: h.ServerID}
		return r.send(ctx, item{e: &entry{pos: &p, acked: true}})
	}
	switch e := ev.Event.(type) {
	case *replication.RotateEvent:
		st.file = string(e.NextLogName)
		if h.Timestamp != 0 && !st.inTxn { // a real rotation, not the one the dump starts with
			p := position{File: st.file, Pos: uint32(e.Position), ServerID: h.ServerID}
			return r.send(ctx, item{e: &entry{pos: &p, acked: true}})
		}
	case *replication.MariadbGTIDEvent:
		begin()
		st.gtid = fmt.Sprintf("%d-%d-%d", e.GTID.DomainID, e.GTID.ServerID, e.GTID.SequenceNumber)
	case *replication.GTIDEvent:
		begin()
		if u, err := uuid.FromBytes(e.SID); err == nil && u != uuid.Nil {
			st.gtid = fmt.Sprintf("%s:%d", u, e.GNO)
		}
	case *replication.QueryEvent:
		q := strings.TrimSpace(string(e.Query))
		switch strings.ToUpper(q) {
		case "BEGIN":
			if !st.inTxn {
				begin()
			}
			st.thread = int64(e.SlaveProxyID)
			return nil
		case "COMMIT", "ROLLBACK":
			return commit()
		}
		if isDDL(q) {
			clear(r.tables) // re-read columns from information_schema when next needed
		}
		// DDL commits implicitly; other statement-logged queries end their group too.
		return commit()
	case *replication.XIDEvent:
		return commit()
	case *replication.TableMapEvent:
		if !st.inTxn {
			begin()
		}
	case *replication.RowsEvent:
		return r.rows(ctx, st, ev, e, evStart)
	}
	return nil
}

// rows turns one rows event into a batch.
func (r *reader) rows(ctx context.Context, st *txnState, ev *replication.BinlogEvent, e *replication.RowsEvent, evStart uint32) error {
	if e.Table == nil {
		return nil
	}
	db, name := string(e.Table.Schema), string(e.Table.Table)
	if !r.in.conf.tables.match(db, name) {
		return nil
	}
	if !st.inTxn {
		st.start, st.inTxn = evStart, true
	}
	t, err := r.table(db, name)
	if err == nil && !matches(e, t) {
		// Possibly stale: a DDL we did not see (filtered) or replaying old binlog.
		delete(r.tables, t.id())
		t, err = r.table(db, name)
	}
	var unknown error
	if err != nil {
		// The table is gone (dropped since this event was written) or unreadable. Failing
		// the run would replay this event forever; its rows become errored messages instead.
		unknown = err
		t = &table{db: db, name: name, topic: r.in.conf.topicPrefix + "." + db + "." + name}
	}
	h := ev.Header
	src := sourceInfo{
		TsMs: int64(h.Timestamp) * 1000, Snapshot: debezium.SnapshotFalse, ServerID: h.ServerID,
		GTID: st.gtid, File: st.file, Pos: evStart, Thread: st.thread,
	}
	var op byte
	step := 1
	switch e.Type() {
	case replication.EnumRowsEventTypeInsert:
		op = 'c'
	case replication.EnumRowsEventTypeUpdate:
		op, step = 'u', 2
	case replication.EnumRowsEventTypeDelete:
		op = 'd'
	default:
		return nil
	}
	var batch service.MessageBatch
	for i, row := 0, 0; i+step-1 < len(e.Rows); i, row = i+step, row+1 {
		st.rows++
		if st.skip > 0 {
			st.skip--
			continue
		}
		ch := change{t: t, op: op, src: src}
		ch.src.Row = row
		switch op {
		case 'c':
			ch.after = e.Rows[i]
		case 'd':
			ch.before = e.Rows[i]
		case 'u':
			ch.before, ch.after = e.Rows[i], e.Rows[i+1]
		}
		if unknown != nil {
			batch = append(batch, r.errored(&ch, fmt.Errorf("no column information for %s: %w", t.id(), unknown)))
			continue
		}
		if !matches(e, t) {
			batch = append(batch, r.errored(&ch, fmt.Errorf(
				"the binlog row's columns %v (%d) are not information_schema's %v for %s now (a DDL changed the table after this event; replaying from before it is not supported)",
				e.Table.ColumnNameString(), e.ColumnCount, columnNames(t), t.id())))
			continue
		}
		batch = r.appendMessages(batch, &ch)
	}
	p := position{File: st.file, Pos: st.start, SkipRows: st.rows, GTID: st.gtid, ServerID: h.ServerID}
	return r.send(ctx, item{msgs: batch, e: &entry{pos: &p}})
}

// matches reports whether a rows event fits the table's current columns: the same count,
// and the same names when the server logs them (binlog_row_metadata=FULL).
func matches(e *replication.RowsEvent, t *table) bool {
	if int(e.ColumnCount) != len(t.cols) {
		return false
	}
	names := e.Table.ColumnNameString()
	if len(names) == 0 {
		return true
	}
	if len(names) != len(t.cols) {
		return false
	}
	for i, n := range names {
		if n != t.cols[i].name {
			return false
		}
	}
	return true
}

func columnNames(t *table) []string {
	out := make([]string, len(t.cols))
	for i := range t.cols {
		out[i] = t.cols[i].name
	}
	return out
}
