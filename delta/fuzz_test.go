package delta

import (
	"bytes"
	"context"
	"testing"
	"time"
)

func FuzzParseCommit(f *testing.F) {
	f.Add([]byte(`{"commitInfo":{"timestamp":1,"operation":"WRITE"}}
{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}
{"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{}","partitionColumns":[],"configuration":{}}}
{"add":{"path":"a%20b/f.parquet","partitionValues":{"p":null},"size":1,"modificationTime":2,"dataChange":true,"stats":"{\"numRecords\":1}"}}
{"remove":{"path":"g","deletionTimestamp":3,"dataChange":true,"deletionVector":{"storageType":"u","pathOrInlineDv":"ab","offset":1,"sizeInBytes":2,"cardinality":3}}}
{"txn":{"appId":"a","version":5}}`))
	f.Add([]byte("{\"unknownAction\":{}}\n\n{\"add\":{\"path\":\"%zz\"}}"))
	f.Add([]byte(`{"cdc":{"path":"x"}} {"sidecar":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		actions, err := ParseCommit(data)
		if err != nil {
			return
		}
		enc, err := EncodeCommit(actions)
		if err != nil {
			t.Fatalf("parsed commit does not re-encode: %v", err)
		}
		again, err := ParseCommit(enc)
		if err != nil || len(again) != len(actions) {
			t.Fatalf("re-encoded commit does not parse back: %v (%d vs %d actions)", err, len(again), len(actions))
		}
		// Replaying whatever parsed must not panic either.
		_ = newSnapshot(&Table{}).apply(1, actions)
	})
}

func FuzzReadCheckpoint(f *testing.F) {
	tb, snap := newTestTableF(f)
	_ = tb
	data, _, _, err := snap.EncodeCheckpoint(time.Now())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		actions, err := ReadCheckpoint(bytes.NewReader(b), int64(len(b)))
		if err == nil {
			_ = newSnapshot(&Table{}).apply(1, actions)
		}
	})
}

// newTestTableF builds a small table state with every action kind for checkpoint seeds.
func newTestTableF(f *testing.F) (*Table, *Snapshot) {
	ctx := context.Background()
	tb := NewTable(NewLocalStorage(f.TempDir()), Options{})
	snap, err := tb.Create(ctx, testSchema(), CreateOptions{PartitionColumns: []string{"part"}, Configuration: map[string]string{"k": "v"}})
	if err != nil {
		f.Fatal(err)
	}
	tx := snap.NewTransaction("WRITE")
	a := fakeAdd("a", ptr("x y"), 3)
	tx.Add(a)
	tx.Add(fakeAdd("b", nil, 1))
	tx.SetTxn("app", 7)
	if _, err := tx.Commit(ctx); err != nil {
		f.Fatal(err)
	}
	snap, _ = snap.Update(ctx)
	tx = snap.NewTransaction("DELETE")
	tx.Remove(a, true)
	if _, err := tx.Commit(ctx); err != nil {
		f.Fatal(err)
	}
	snap, _ = snap.Update(ctx)
	return tb, snap
}
