// Package delta reads and writes Delta Lake tables (PROTOCOL.md) without any stream-processing
// dependency: storage, the transaction log (commits, checkpoints, replay into a Snapshot), the
// protocol feature gate, optimistic-concurrency commits with conflict checks, and data-file
// scans and writes through package parquetio.
//
// A Table is a Storage rooted at the table directory. Snapshot loads an immutable view of one
// version; NewTransaction on a snapshot stages adds, removes, txn markers and a metadata change,
// and Commit lands them atomically as the next version, retrying over concurrent writers.
package delta

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrExist is returned (wrapped) by Storage.PutIfAbsent when the path already exists. A
// commit that sees it lost the race for that version and must re-read the log.
var ErrExist = errors.New("delta: file already exists")

// ErrNotExist is returned (wrapped) by Storage.Read, Open and Delete when the path does not
// exist.
var ErrNotExist = errors.New("delta: file does not exist")

// FileInfo describes one object returned by Storage.List.
type FileInfo struct {
	// Name is the base name inside the listed directory.
	Name    string
	Size    int64
	ModTime time.Time
}

// File is a readable, random-access object opened by Storage.Open (what Parquet needs).
type File interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// Storage is the object store a table lives in. Paths are slash-separated and relative to the
// table root ("_delta_log/00000000000000000000.json", "date=2024-01-01/part-…parquet").
//
// The interface is the intersection of a local file system and an object store with
// conditional writes: PutIfAbsent maps to S3 PutObject with If-None-Match: *, Put to a plain
// PutObject, List to ListObjectsV2 with a delimiter. Every method must be safe for concurrent
// use.
type Storage interface {
	// Read returns the whole object. A missing object is an error wrapping ErrNotExist.
	Read(ctx context.Context, path string) ([]byte, error)
	// Open opens the object for random access. The caller must Close it.
	Open(ctx context.Context, path string) (File, error)
	// List returns the objects directly inside dir (not recursive), sorted by Name. A missing
	// dir gives an empty list and no error.
	List(ctx context.Context, dir string) ([]FileInfo, error)
	// PutIfAbsent creates path with data atomically: readers see either nothing or the whole
	// object, and if path already exists nothing is written and the error wraps ErrExist.
	// This is the only primitive Delta commits need for multi-writer safety.
	PutIfAbsent(ctx context.Context, path string, data []byte) error
	// Put creates or replaces path atomically (readers never see a partial object). Used for
	// uniquely named data files, checkpoints and _last_checkpoint, never for commits.
	Put(ctx context.Context, path string, data []byte) error
	// Delete removes path. A missing path is an error wrapping ErrNotExist.
	Delete(ctx context.Context, path string) error
}
