package mysql

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ledgerflow/ledgerflow/inputs/mysql/mariadbtest"
)

const benchRows = 100_000

// loadBenchRows inserts n transactions rows in multi-row statements of 1000 rows.
func loadBenchRows(b *testing.B, srv *mariadbtest.Server, firstID, n int) {
	b.Helper()
	var stmts []string
	for start := 0; start < n; start += 1000 {
		var sb strings.Builder
		sb.WriteString("INSERT INTO bank.transactions VALUES ")
		for i := start; i < start+1000 && i < n; i++ {
			if i > start {
				sb.WriteByte(',')
			}
			id := firstID + i
			fmt.Fprintf(&sb, "(%d, %d, %d, %d, %d.%02d, 'EUR', 'completed', 'purchase', 'online', '5411', 'device-%d', 'DE', '10.0.%d.%d', '2024-05-01 12:00:00.%03d', '2024-05-01 12:00:01.000', NULL)",
				id, id%1000, id%5000, id%300, id%100000, id%100, id%977, id%256, id%200, id%1000)
		}
		stmts = append(stmts, sb.String())
	}
	srv.Exec(stmts...)
}

func drain(b *testing.B, in *cdcInput, n int) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for count := 0; count < n; {
		batch, ack, err := in.ReadBatch(ctx)
		if err != nil {
			b.Fatalf("after %d of %d: %v", count, n, err)
		}
		count += len(batch)
		_ = ack(ctx, nil)
	}
}

// BenchmarkSnapshot: rows/s of an initial snapshot of 100k transactions rows (the input
// reading, encoding and handing out batches; acks are immediate).
func BenchmarkSnapshot(b *testing.B) {
	srv := mariadbtest.Start(b)
	loadBenchRows(b, srv, 1, benchRows)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		in := newTestInput(b, srv, "tables: [ bank.transactions ]\nsnapshot_batch_size: 1024")
		drain(b, in, benchRows)
		closeInput(b, in)
	}
	b.ReportMetric(float64(benchRows*b.N)/time.Since(start).Seconds(), "rows/s")
}

// BenchmarkStreaming: events/s reading 100k inserted rows (100 multi-row statements) from
// the binlog, from a checkpoint placed before them.
func BenchmarkStreaming(b *testing.B) {
	srv := mariadbtest.Start(b)
	m := srv.Query("SHOW MASTER STATUS")[0]
	pos, _ := strconv.ParseUint(m[1], 10, 32)
	loadBenchRows(b, srv, 1, benchRows)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		ckpt := checkpointPath(b)
		if err := saveCheckpoint(ckpt, position{File: m[0], Pos: uint32(pos)}, "mariadb"); err != nil {
			b.Fatal(err)
		}
		in := newTestInput(b, srv, "tables: [ bank.transactions ]\ncheckpoint_file: "+ckpt)
		drain(b, in, benchRows)
		closeInput(b, in)
	}
	b.ReportMetric(float64(benchRows*b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkEncode: the encoder alone, one transactions row per op (no server).
func BenchmarkEncode(b *testing.B) {
	tbl := &table{db: "bank", name: "transactions"}
	types := []string{"BIGINT", "BIGINT", "BIGINT", "BIGINT", "DECIMAL(18,2)", "CHAR(3)", "ENUM('pending','completed')",
		"ENUM('purchase','refund')", "ENUM('online','atm')", "CHAR(4)", "VARCHAR(64)", "CHAR(2)", "VARCHAR(45)",
		"DATETIME(3)", "DATETIME(3)", "DATETIME(3)"}
	for i, ty := range types {
		c := *col(b, ty, i > 2)
		c.name = fmt.Sprintf("c%d", i)
		tbl.cols = append(tbl.cols, c)
	}
	tbl.pk = []int{0}
	enc := newEncoder("bank_server", "mariadb", false)
	enc.prepare(tbl)
	row := []any{int64(1), int64(2), int64(3), nil, decimal.RequireFromString("12345.67"), "EUR", int64(2), int64(1), int64(1),
		"5411", "device-1", "DE", "10.0.0.1", "2024-05-01 12:00:00.250", "2024-05-01 12:00:01.000", nil}
	src := &sourceInfo{TsMs: 1714564800000, Snapshot: "false", ServerID: 1, GTID: "0-1-42", File: "mysql-bin.000001", Pos: 1234, Thread: -1}
	var buf []byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var err error
		if buf, err = enc.appendEnvelope(buf[:0], tbl, 'c', nil, row, src); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
