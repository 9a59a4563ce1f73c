package delta

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// TestReadCheckpointCorrupt: corrupt checkpoints fail with an error, never a panic, and never
// by allocating what a corrupt length field declares (found by FuzzReadCheckpoint: parquet-go
// allocates declared footer and page sizes up front).
func TestReadCheckpointCorrupt(t *testing.T) {
	_, snap := newTestTable(t)
	good, _, _, err := snap.EncodeCheckpoint(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCheckpoint(bytes.NewReader(good), int64(len(good))); err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	pageAt := int(pf.Metadata().RowGroups[0].Columns[0].MetaData.DataPageOffset)
	type mutation struct {
		name string
		mut  func(b []byte) []byte
	}
	muts := []mutation{
		{"empty", func(b []byte) []byte { return nil }},
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }},
		{"no magic", func(b []byte) []byte { b[0] = 'X'; return b }},
		{"footer length 4 GiB", func(b []byte) []byte { copy(b[len(b)-8:], []byte{0xff, 0xff, 0xff, 0xff}); return b }},
	}
	// A page header declaring a 1 GiB page.
	{
		br := bytes.NewReader(good[pageAt:])
		var h format.PageHeader
		var compact thrift.CompactProtocol
		if err := thrift.NewDecoder(compact.NewReader(br)).Decode(&h); err != nil {
			t.Fatal(err)
		}
		h.CompressedPageSize, h.UncompressedPageSize = 1<<30, 1<<30
		big, err := thrift.Marshal(&compact, &h)
		if err != nil {
			t.Fatal(err)
		}
		// Overwrite in place (the page data after the longer header is clobbered) so every
		// offset in the footer stays valid and the reader reaches this page.
		muts = append(muts, mutation{"page of 1 GiB", func(b []byte) []byte {
			copy(b[pageAt:], big)
			return b
		}})
	}
	for i := 0; i < 12; i++ {
		for _, v := range []byte{0x7f, 0xff, 0x00} {
			muts = append(muts, mutation{"page header byte", func(b []byte) []byte { b[pageAt+i] = v; return b }})
		}
	}
	for _, m := range muts {
		b := m.mut(bytes.Clone(good))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := ReadCheckpoint(bytes.NewReader(b), int64(len(b)))
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
			t.Errorf("%s: allocated %d MiB", m.name, alloc>>20)
		}
		if m.name != "page header byte" && err == nil {
			t.Errorf("%s: read succeeded, want an error", m.name)
		}
	}
}

// failingCheckpoints is LocalStorage whose checkpoint writes fail (fault injection).
type failingCheckpoints struct{ *LocalStorage }

func (f failingCheckpoints) Put(ctx context.Context, p string, data []byte) error {
	if strings.Contains(p, ".checkpoint.") {
		return errors.New("injected: disk full")
	}
	return f.LocalStorage.Put(ctx, p, data)
}

// TestCheckpointFailureKeepsCommit: a failed checkpoint is reported in CommitResult while the
// commit stands and the table stays readable.
func TestCheckpointFailureKeepsCommit(t *testing.T) {
	ctx := context.Background()
	tb := NewTable(failingCheckpoints{NewLocalStorage(t.TempDir())}, Options{CheckpointInterval: 2})
	snap, err := tb.Create(ctx, testSchema(), CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for v := int64(1); v <= 2; v++ {
		tx := snap.NewTransaction("WRITE")
		tx.Add(fakeAdd(string(rune('a'+v)), nil, 1))
		res, err := tx.Commit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v == 2 && (res.CheckpointErr == nil || res.Checkpointed || !strings.Contains(res.CheckpointErr.Error(), "disk full")) {
			t.Fatalf("version 2: %+v, want a reported checkpoint failure", res)
		}
		snap, _ = snap.Update(ctx)
	}
	s, err := tb.Snapshot(ctx)
	if err != nil || s.Version() != 2 || s.NumFiles() != 2 {
		t.Fatalf("after failed checkpoint: %v", err)
	}
}
