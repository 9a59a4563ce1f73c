package mysql

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	_ "github.com/redpanda-data/benthos/v4/public/components/pure" // tracer, metrics and buffer "none"
	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/inputs/mysql/mariadbtest"
)

// TestBenthosStream runs the registered mysql_cdc input in a Benthos stream whose output
// fails the first batch: the batch is redelivered, every change arrives, and the
// checkpoint only covers delivered events.
func TestBenthosStream(t *testing.T) {
	srv := mariadbtest.Start(t)
	srv.Exec(insertTxn(1), insertTxn(2))
	ckpt := checkpointPath(t)
	sb := service.NewStreamBuilder()
	if err := sb.SetLoggerYAML("level: warn"); err != nil {
		t.Fatal(err)
	}
	if err := sb.AddInputYAML(fmt.Sprintf(`
mysql_cdc:
  dsn: "debezium:dbz@tcp(127.0.0.1:%d)/"
  flavor: mariadb
  tables: [ bank.transactions ]
  checkpoint_file: %s
  checkpoint_interval: 0s
`, srv.Port, ckpt)); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	calls := 0
	var topics []string
	if err := sb.AddBatchConsumerFunc(func(_ context.Context, b service.MessageBatch) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return errors.New("output down")
		}
		for _, m := range b {
			topics = append(topics, meta(m, "debezium_topic")+"/"+meta(m, "kafka_key"))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	stream, err := sb.Build()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = stream.Run(ctx) }()
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer scancel()
		_ = stream.Stop(sctx)
	}()
	srv.Exec(insertTxn(3))
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(topics)
		mu.Unlock()
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of 3 events delivered: %v", n, topics)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	got := append([]string(nil), topics...)
	mu.Unlock()
	want := []string{
		`bank_server.bank.transactions/{"transaction_id":1}`,
		`bank_server.bank.transactions/{"transaction_id":2}`,
		`bank_server.bank.transactions/{"transaction_id":3}`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("delivered %v, expected %v", got, want)
	}
	master := srv.Query("SHOW MASTER STATUS")[0]
	waitCheckpoint(t, ckpt, func(p position) bool { return fmt.Sprint(p.Pos) == master[1] && p.SkipRows == 0 })
}
