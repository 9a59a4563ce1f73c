package mysql

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/inputs/mysql/mariadbtest"
)

// newTestInput parses yamlConf (the server's address and debezium's credentials are added)
// and returns the unwrapped input, so tests control every acknowledgement.
func newTestInput(t testing.TB, srv *mariadbtest.Server, yamlConf string) *cdcInput {
	t.Helper()
	conf := fmt.Sprintf("dsn: \"debezium:dbz@tcp(127.0.0.1:%d)/\"\nflavor: mariadb\n%s", srv.Port, yamlConf)
	pc, err := mysqlCDCSpec().ParseYAML(conf, nil)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	c, err := parseConfig(pc)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	in := newInput(c, service.MockResources().Logger())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := in.Connect(ctx); err != nil {
		t.Fatalf("connect: %v", err)
	}
	return in
}

// got is one delivered batch with its ack.
type got struct {
	msgs service.MessageBatch
	ack  service.AckFunc
}

// readMsgs reads batches until at least n messages arrived (or fails after 30s).
func readMsgs(t testing.TB, in *cdcInput, n int) []got {
	t.Helper()
	var out []got
	count := 0
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for count < n {
		b, ack, err := in.ReadBatch(ctx)
		if err != nil {
			t.Fatalf("ReadBatch after %d of %d messages: %v", count, n, err)
		}
		out = append(out, got{b, ack})
		count += len(b)
	}
	if count != n {
		t.Fatalf("read %d messages, expected exactly %d", count, n)
	}
	return out
}

func flat(gs []got) service.MessageBatch {
	var all service.MessageBatch
	for _, g := range gs {
		all = append(all, g.msgs...)
	}
	return all
}

func ackAll(t testing.TB, gs []got) {
	t.Helper()
	for _, g := range gs {
		if err := g.ack(context.Background(), nil); err != nil {
			t.Fatalf("ack: %v", err)
		}
	}
}

func closeInput(t testing.TB, in *cdcInput) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := in.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
}

// event is a decoded schemaless event body, numbers kept exact.
type event map[string]any

func decode(t testing.TB, m *service.Message) event {
	t.Helper()
	b, err := m.AsBytes()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.GetError(); err != nil {
		t.Fatalf("message flagged with error: %v (body %s)", err, b)
	}
	var e event
	dec := json.NewDecoder(bytesReader(b))
	dec.UseNumber()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("event is not JSON: %v\n%s", err, b)
	}
	return e
}

func (e event) obj(k string) map[string]any {
	m, _ := e[k].(map[string]any)
	return m
}

func meta(m *service.Message, k string) string {
	v, _ := m.MetaGetMut(k)
	s, _ := v.(string)
	return s
}

func checkpointPath(t testing.TB) string { return filepath.Join(t.TempDir(), "cdc.checkpoint.json") }

func readCheckpointFile(t testing.TB, path string) position {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	p, err := parseCheckpoint(b)
	if err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	return p
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// waitCheckpoint polls the checkpoint file until ok accepts it (or fails after 10s): the
// reader adds commit markers concurrently with the test's acknowledgements.
func waitCheckpoint(t testing.TB, path string, ok func(position) bool) position {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, err := os.ReadFile(path); err == nil {
			if p, err := parseCheckpoint(b); err == nil && ok(p) {
				return p
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(path)
			t.Fatalf("checkpoint %s not as expected after 10s: %s", path, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
