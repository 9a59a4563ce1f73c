// Package mysql is LedgerFlow's `mysql_cdc` Benthos input: it reads a MySQL or MariaDB
// binlog (ROW format, FULL row image) with go-mysql and emits, per row change, the change
// event the Debezium MySQL/MariaDB connector (3.x, default settings, JsonConverter) would
// write, with the Kafka key and topic in metadata. Positions are persisted to a checkpoint
// file only after the outputs acknowledged the events (at-least-once).
package mysql

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/redpanda-data/benthos/v4/public/service"
)

func mysqlCDCSpec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Beta().
		Categories("Services").
		Summary("Reads a MySQL or MariaDB binlog and emits Debezium-compatible change events, one message per row change.").
		Description(`
Captures row changes from the binary log (server settings: `+"`log_bin`"+`, `+"`binlog_format=ROW`"+`,
`+"`binlog_row_image=FULL`"+`) and writes each as the value the Debezium MySQL connector 3.x (MariaDB
connector for `+"`flavor: mariadb`"+`) would produce with its default settings and Kafka's JsonConverter,
so that everything downstream of Debezium (our `+"`debezium_unwrap`"+`, Kafka topics, sinks) works unchanged.

### Events

The body is the envelope `+"`{before, after, source, transaction:null, op, ts_ms, ts_us, ts_ns}`"+`
(wrapped in `+"`{\"schema\":…,\"payload\":…}`"+` with Connect schemas when `+"`schemas_enabled`"+`). `+"`op`"+` is
`+"`r`"+` (snapshot), `+"`c`"+`, `+"`u`"+` or `+"`d`"+`. `+"`source`"+` carries version, connector, name (`+"`topic_prefix`"+`),
ts_ms (the binlog event time, whole seconds), snapshot (`+"`true`"+`, `+"`first`"+`, `+"`first_in_data_collection`"+`,
`+"`last_in_data_collection`"+`, `+"`last`"+` or `+"`false`"+`), db, table, server_id, gtid, file, pos (of the row event), row
(index in the event), thread and query (null).

Values use Debezium's default mappings: DECIMAL as base64 of the two's-complement big-endian unscaled
integer (never a float), DATE as days since the epoch, DATETIME(0-3) as epoch milliseconds and
DATETIME(4-6) as microseconds (the wall clock read as UTC), TIMESTAMP as an ISO-8601 UTC string,
TIME as microseconds, TINYINT (also TINYINT(1)) as an integer, ENUM as its member, SET as comma-joined
members, JSON as text, BINARY/BLOB as base64, YEAR as an integer, unsigned integers widened.

A delete is followed by a tombstone (empty body, `+"`kafka_tombstone`"+` = `+"`true`"+`) unless
`+"`tombstones_on_delete`"+` is false. An update that changes the primary key becomes a `+"`d`"+` for the old
key (plus its tombstone) and a `+"`c`"+` for the new key, all with the same source position.

A row that cannot be encoded (a value the column type does not allow, a table whose binlog row does not
match its current columns) is not dropped: it becomes a message whose body describes the row's position
and the reason, flagged as errored, so that a `+"`catch`"+` or `+"`switch`"+` can route it to a dead-letter output.

### Metadata

- `+"`kafka_key`"+`: the Debezium key, the primary key as JSON (`+"`{\"transaction_id\":1}`"+`, with a schema when
  `+"`schemas_enabled`"+`); absent for tables without a primary key (Debezium sends a null key).
- `+"`debezium_topic`"+`: `+"`<topic_prefix>.<db>.<table>`"+`, the topic Debezium would write to: route with
  `+"`topic: ${! meta(\"debezium_topic\") }`"+`.
- `+"`mysql_db`"+`, `+"`mysql_table`"+`, `+"`debezium_op`"+` (`+"`r`"+`, `+"`c`"+`, `+"`u`"+`, `+"`d`"+`; `+"`d`"+` for tombstones), `+"`kafka_tombstone`"+`.
- `+"`debezium_newkey`"+` on the delete and `+"`debezium_oldkey`"+` on the create of a primary-key change (Debezium's
  `+"`__debezium.newkey`"+`/`+"`__debezium.oldkey`"+` headers).

### Snapshot

With `+"`snapshot_mode: initial`"+` (and no checkpoint yet) every captured row is first read, in one consistent
transaction, as `+"`op: r`"+` with the snapshot's binlog position in source.file/pos (row 0); streaming then
starts at that position. MariaDB takes the position from `+"`START TRANSACTION WITH CONSISTENT SNAPSHOT`"+`
(`+"`binlog_snapshot_file/position`"+`), without locks; MySQL holds `+"`FLUSH TABLES WITH READ LOCK`"+` just
long enough to read the position (without RELOAD it warns and goes on without the lock). A snapshot that
did not complete (crash, restart) starts over.

### Delivery guarantees

At-least-once. The position is written to `+"`checkpoint_file`"+` (atomically: temp file, fsync, rename)
only up to the contiguous prefix of batches the outputs acknowledged, at most every
`+"`checkpoint_interval`"+` and on shutdown. A restart resumes at the first transaction not wholly
acknowledged and skips its rows already delivered, so after a crash only unacknowledged events are
sent again, with identical source blocks (like Debezium).

### Schema changes

Column names and types come from information_schema when a table is first seen and again after each
DDL statement in the binlog, so `+"`ALTER TABLE … ADD COLUMN`"+` shows in later events. Replaying binlog
from before a DDL that changed a table's column count is refused for that table's rows (they become
errored messages), since information_schema only knows the current shape; so are rows of tables
dropped before they were read.

### Limitations

- Text columns must be utf8/utf8mb4/ascii; a value that is not valid UTF-8 becomes an errored message.
- Resuming uses the checkpoint's file and position on the same server. The GTID of the transaction is
  recorded in the checkpoint, but a failover to another server is not followed: start again there
  with `+"`snapshot_mode: when_needed`"+` and a new checkpoint file.
- A DDL that changes a column's type without changing the column count is applied to rows already
  in the binlog before it (information_schema has no history).
- No heartbeat, schema-change, transaction-metadata or truncate events are emitted (Debezium's
  defaults skip truncates; the others go to topics other than the table topics).
`).
		Fields(
			service.NewStringField(fieldDSN).
				Description("Server address and credentials in the Go driver's form `user:password@tcp(host:port)/`. When set, `host`, `port`, `user` and `password` are ignored. Pass secrets through the environment.").
				Default("").
				Example("debezium:${MYSQL_PASSWORD}@tcp(mysql:3306)/").
				Secret(),
			service.NewStringField(fieldHost).Description("Server host, when `dsn` is empty.").Default("127.0.0.1"),
			service.NewIntField(fieldPort).Description("Server port, when `dsn` is empty.").Default(3306),
			service.NewStringField(fieldUser).
				Description("User, when `dsn` is empty. Needs SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE and REPLICATION CLIENT (see deploy/mysql/init.sql).").
				Default("debezium"),
			service.NewStringField(fieldPassword).Description("Password, when `dsn` is empty.").Default("").Secret(),
			service.NewStringField(fieldFlavor).
				Description("`mysql` or `mariadb`: the replication protocol dialect and `source.connector`.").
				Default("mysql"),
			service.NewIntField(fieldServerID).
				Description("Replica server id this reader uses; must differ from every server and replica of the source.").
				Default(1184054),
			service.NewStringListField(fieldTables).
				Description("Tables to capture, `db.table` or `db.*`.").
				Default([]string{"bank.*"}).
				Example([]string{"bank.transactions", "bank.accounts"}),
			service.NewStringField(fieldSnapshotMode).
				Description("`initial`: without a checkpoint, snapshot every captured row, then stream; with one, resume (failing if its binlog file was purged). `when_needed`: like initial, but snapshot again when the checkpoint's binlog file is gone. `never`: no snapshot; without a checkpoint start at the current end of the binlog.").
				Default(snapshotInitial),
			service.NewIntField(fieldSnapshotBatch).
				Description("Snapshot rows per batch.").
				Default(1024).
				Advanced(),
			service.NewStringField(fieldCheckpointFile).
				Description("File holding the acknowledged binlog position (JSON). Empty: positions are not kept and every start begins as if new (see `snapshot_mode`).").
				Default("").
				Example("/var/lib/ledgerflow/mysql_cdc.checkpoint.json"),
			service.NewDurationField(fieldCheckpointInterval).
				Description("Least time between two checkpoint writes; shutdown always writes. A crash re-delivers at most about this much acknowledged work.").
				Default("1s").
				Advanced(),
			service.NewStringField(fieldTopicPrefix).
				Description("Debezium's `topic.prefix`: `source.name` and the first part of `debezium_topic`.").
				Default("bank_server"),
			service.NewBoolField(fieldSchemasEnabled).
				Description("Write JsonConverter's `{\"schema\":…,\"payload\":…}` (Kafka Connect `schemas.enable=true`) instead of the bare payload, for the value and the key.").
				Default(false),
			service.NewBoolField(fieldTombstones).
				Description("Follow each delete with a tombstone (empty body), as Debezium's `tombstones.on.delete`.").
				Default(true),
			service.NewDurationField(fieldHeartbeat).
				Description("Interval at which the server sends heartbeats on the replication connection, so that a dead connection is noticed (after three missed beats) and re-established from the checkpoint. 0 turns them off.").
				Default("30s"),
		).
		Example("Capture the bank schema to Debezium topics", "Reads every table of `bank` and routes each event to the topic Debezium would use.", `
input:
  mysql_cdc:
    dsn: "debezium:${MYSQL_PASSWORD}@tcp(mysql:3306)/"
    flavor: mysql
    tables: [ "bank.*" ]
    checkpoint_file: /var/lib/ledgerflow/bank.checkpoint.json
`)
}

func init() {
	service.MustRegisterBatchInput("mysql_cdc", mysqlCDCSpec(),
		func(conf *service.ParsedConfig, mgr *service.Resources) (service.BatchInput, error) {
			c, err := parseConfig(conf)
			if err != nil {
				return nil, err
			}
			// Always retried: a nacked change event must not be skipped, and the checkpoint
			// waits for it anyway.
			return service.AutoRetryNacksBatched(newInput(c, mgr.Logger())), nil
		})
}

// item is what the reader goroutine hands to ReadBatch.
type item struct {
	msgs service.MessageBatch
	e    *entry
}

type cdcInput struct {
	conf *config
	log  *service.Logger
	enc  *encoder
	trk  *tracker

	mu     sync.Mutex
	items  chan item
	cancel context.CancelFunc
	done   chan struct{}
	start  *position // where the first run began; a reconnect without acks starts there again
}

func newInput(c *config, log *service.Logger) *cdcInput {
	return &cdcInput{
		conf: c,
		log:  log,
		enc:  newEncoder(c.topicPrefix, c.flavor, c.schemasEnabled),
		trk:  &tracker{path: c.checkpointFile, flavor: c.flavor, interval: c.checkpointInterval},
	}
}

func (in *cdcInput) dial(ctx context.Context) (*client.Conn, error) {
	conn, err := client.ConnectWithContext(ctx, in.conf.addr(), in.conf.user, in.conf.password, "", 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s as %s: %w", in.conf.addr(), in.conf.user, err)
	}
	return conn, nil
}

// Connect decides where to start (checkpoint, snapshot or the current binlog end) and
// starts the reader. After a reader failure it restarts from the acknowledged watermark.
func (in *cdcInput) Connect(ctx context.Context) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.done != nil {
		select {
		case <-in.done:
		default:
			return nil // running
		}
	}
	if in.cancel != nil {
		in.cancel() // the previous run ended; release its context
	}
	conn, err := in.dial(ctx)
	if err != nil {
		return err
	}
	var start position
	snapshot := false
	if wm, ok := in.trk.watermark(); ok {
		start = wm
	} else if in.start != nil {
		start = *in.start
	} else {
		start, snapshot, err = in.initialPosition(conn)
		if err != nil {
			_ = conn.Close()
			return err
		}
	}
	in.trk.reset()
	if !snapshot {
		p := start
		in.start = &p
	}
	rctx, cancel := context.WithCancel(context.Background())
	items := make(chan item, 4)
	done := make(chan struct{})
	r := &reader{in: in, conn: conn, out: items, tables: map[string]*table{}}
	go func() {
		err := r.run(rctx, start, snapshot)
		_ = conn.Close()
		if err != nil && rctx.Err() == nil {
			in.log.Errorf("mysql_cdc: %v; reconnecting from the last acknowledged position", err)
		}
		// Closing done (after the last send) tells ReadBatch that this run is over, so that
		// Connect starts the next one; nothing may be sent after it.
		close(done)
	}()
	in.items, in.cancel, in.done = items, cancel, done
	if snapshot {
		in.log.Infof("mysql_cdc: snapshotting %v, then streaming", in.conf.tableList)
	} else {
		in.log.Infof("mysql_cdc: streaming from %s", start)
	}
	return nil
}

// initialPosition applies snapshot_mode to the checkpoint file.
func (in *cdcInput) initialPosition(conn *client.Conn) (position, bool, error) {
	c := in.conf
	if c.checkpointFile != "" {
		p, ok, err := loadCheckpoint(c.checkpointFile)
		if err != nil {
			return position{}, false, err
		}
		if ok {
			have, err := binlogExists(conn, p.File)
			if err != nil {
				return position{}, false, err
			}
			switch {
			case have:
				return p, false, nil
			case c.snapshotMode == snapshotWhenNeeded:
				in.log.Warnf("mysql_cdc: checkpoint binlog %s is no longer on the server; snapshotting again (snapshot_mode: when_needed)", p.File)
				return position{}, true, nil
			default:
				return position{}, false, fmt.Errorf("checkpoint_file %s: binlog file %s is no longer on the server (purged?); with snapshot_mode %s nothing can resume there; use when_needed to snapshot again", c.checkpointFile, p.File, c.snapshotMode)
			}
		}
	}
	if c.snapshotMode == snapshotNever {
		p, err := currentPosition(conn, c.flavor)
		return p, false, err
	}
	return position{}, true, nil
}

// ReadBatch returns the messages of one binlog rows event (or up to snapshot_batch_size
// snapshot rows). Its AckFunc moves the checkpoint once every earlier batch is acknowledged.
func (in *cdcInput) ReadBatch(ctx context.Context) (service.MessageBatch, service.AckFunc, error) {
	in.mu.Lock()
	items, done := in.items, in.done
	in.mu.Unlock()
	if items == nil {
		return nil, nil, service.ErrNotConnected
	}
	var it item
	select {
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	case it = <-items:
	case <-done:
		select {
		case it = <-items: // hand out what the run produced before it ended
		default:
			return nil, nil, service.ErrNotConnected
		}
	}
	e := it.e
	return it.msgs, func(_ context.Context, err error) error {
		if err != nil {
			return nil // AutoRetryNacksBatched redelivers; the watermark waits
		}
		return in.trk.ack(e)
	}, nil
}

// Close stops the reader and writes the checkpoint. Acknowledgements that arrive later
// (the pipeline drains after Close) still update the file.
func (in *cdcInput) Close(ctx context.Context) error {
	in.mu.Lock()
	cancel, done := in.cancel, in.done
	in.mu.Unlock()
	if cancel != nil {
		cancel()
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return in.trk.close()
}

var errStopped = errors.New("stopped")
