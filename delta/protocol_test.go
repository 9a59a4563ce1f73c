package delta

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// writeV0 creates a table whose version 0 has the given protocol, configuration and schema.
func writeV0(t *testing.T, protocol, config, schemaString string) *Table {
	t.Helper()
	tb := OpenLocal(t.TempDir())
	if schemaString == "" {
		schemaString = `{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}}]}`
	}
	if config == "" {
		config = "{}"
	}
	md := `{"metaData":{"id":"t","format":{"provider":"parquet","options":{}},"schemaString":` + quoteJSON(schemaString) +
		`,"partitionColumns":[],"configuration":` + config + `}}`
	if err := tb.store.PutIfAbsent(context.Background(), commitPath(0), []byte(`{"protocol":`+protocol+"}\n"+md+"\n")); err != nil {
		t.Fatal(err)
	}
	return tb
}

func quoteJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestFeatureGate(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, protocol, config, schema string
		readErr, writeErr              string // feature named in the refusal; "" = allowed
	}{
		{"legacy 1/2", `{"minReaderVersion":1,"minWriterVersion":2}`, "", "", "", ""},
		{"appendOnly feature", `{"minReaderVersion":1,"minWriterVersion":7,"writerFeatures":["appendOnly"]}`, "", "", "", ""},
		{"timestampNtz", `{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["timestampNtz"],"writerFeatures":["timestampNtz"]}`, "", "", "", "timestampNtz"},
		{"deletion vectors", `{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["deletionVectors"],"writerFeatures":["deletionVectors"]}`, "", "", "deletionVectors", "deletionVectors"},
		{"column mapping legacy", `{"minReaderVersion":2,"minWriterVersion":5}`, "", "", "columnMapping", "columnMapping"},
		{"column mapping feature", `{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["columnMapping"],"writerFeatures":["columnMapping"]}`, "", "", "columnMapping", "columnMapping"},
		{"unknown writer feature", `{"minReaderVersion":1,"minWriterVersion":7,"writerFeatures":["appendOnly","someFutureFeature"]}`, "", "", "", "someFutureFeature"},
		{"unknown reader feature", `{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["someFutureFeature"],"writerFeatures":["someFutureFeature"]}`, "", "", "someFutureFeature", "someFutureFeature"},
		{"invariants feature", `{"minReaderVersion":1,"minWriterVersion":7,"writerFeatures":["invariants"]}`, "", "", "", "invariants"},
		{"cdf feature", `{"minReaderVersion":1,"minWriterVersion":7,"writerFeatures":["changeDataFeed"]}`, "", "", "", "changeDataFeed"},
		{"legacy writer 4", `{"minReaderVersion":1,"minWriterVersion":4}`, "", "", "", "generatedColumns"},
		{"check constraint", `{"minReaderVersion":1,"minWriterVersion":2}`, `{"delta.constraints.pos":"id > 0"}`, "", "", "checkConstraints"},
		{"column invariant", `{"minReaderVersion":1,"minWriterVersion":2}`, "",
			`{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{"delta.invariants":"{\"expression\":{\"expression\":\"id > 0\"}}"}}]}`, "", "invariants"},
		{"identity column", `{"minReaderVersion":1,"minWriterVersion":7,"writerFeatures":["appendOnly"]}`, "",
			`{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{"delta.identity.start":1}}]}`, "", "identityColumns"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := writeV0(t, c.protocol, c.config, c.schema)
			snap, err := tb.Snapshot(ctx)
			if c.readErr != "" {
				checkRefusal(t, err, c.readErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tx := snap.NewTransaction("WRITE")
			tx.Add(&Add{Path: "f.parquet", Size: 1, DataChange: true})
			_, err = tx.Commit(ctx)
			if c.writeErr == "" {
				if err != nil {
					t.Fatalf("commit refused: %v", err)
				}
				return
			}
			checkRefusal(t, err, c.writeErr)
			if _, err := tb.store.Read(ctx, commitPath(1)); !errors.Is(err, ErrNotExist) {
				t.Fatalf("a refused commit wrote version 1 (%v)", err)
			}
		})
	}
}

func checkRefusal(t *testing.T, err error, feature string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted, want a refusal naming %q", feature)
	}
	if !errors.Is(err, ErrUnsupportedFeature) || !strings.Contains(err.Error(), `"`+feature+`"`) {
		t.Fatalf("error %q does not refuse feature %q by name", err, feature)
	}
}

// TestLastCheckpointHint: empty, stale, non-standard and missing _last_checkpoint must not
// change what is read.
func TestLastCheckpointHint(t *testing.T) {
	ctx := context.Background()
	tb, snap := newTestTable(t)
	for i := 1; i <= 12; i++ {
		tx := snap.NewTransaction("WRITE")
		tx.Add(fakeAdd(strings.Repeat("f", i), nil, 1))
		if _, err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		snap, _ = snap.Update(ctx)
	}
	for name, content := range map[string]string{
		"empty": "", "stale": `{"version":1,"size":3}`, "non-standard": `{"version":10,"size_in_bytes":5,"x":[1]}`,
		"ahead": `{"version":99,"size":1}`, "garbage": "\x00{",
	} {
		if err := tb.store.Put(ctx, lastCheckpointPath, []byte(content)); err != nil {
			t.Fatal(err)
		}
		s, err := tb.Snapshot(ctx)
		if err != nil || s.Version() != 12 || s.NumFiles() != 12 {
			t.Fatalf("%s _last_checkpoint: %v", name, err)
		}
	}
	if err := tb.store.Delete(ctx, lastCheckpointPath); err != nil {
		t.Fatal(err)
	}
	if s, err := tb.Snapshot(ctx); err != nil || s.NumFiles() != 12 {
		t.Fatalf("missing _last_checkpoint: %v", err)
	}
}
