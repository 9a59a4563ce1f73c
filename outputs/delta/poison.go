package delta

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"sort"
	"syscall"

	"github.com/ledgerflow/ledgerflow/delta"
)

// rowError is a commit that failed because the writer refused the rows it was given: a
// value it cannot encode. Retrying the same rows fails the same way forever, so the batch is
// bisected instead (commitIsolating) and the rows that fail alone are dead-lettered.
type rowError struct{ err error }

func (e *rowError) Error() string { return e.err.Error() }
func (e *rowError) Unwrap() error { return e.err }

// writeErr classifies an error of Transaction.WriteRows: storage, context and conflict
// errors are transient (retried as they are); anything else came from encoding the rows.
func writeErr(err error) error {
	if err == nil || transient(err) {
		return err
	}
	return &rowError{err}
}

// transient reports errors that a retry of the same batch can get past: a cancelled or
// expired context, a concurrent commit, an I/O error of the storage.
func transient(err error) bool {
	var pathErr *fs.PathError
	var linkErr *os.LinkError
	var sysErr *os.SyscallError
	var errno syscall.Errno
	var netErr net.Error
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, delta.ErrConflict) || errors.Is(err, delta.ErrTooManyAttempts) ||
		errors.As(err, &pathErr) || errors.As(err, &linkErr) || errors.As(err, &sysErr) ||
		errors.As(err, &errno) || errors.As(err, &netErr)
}

func isRowError(err error) bool {
	var re *rowError
	return errors.As(err, &re)
}

// TableFileError is a data file already in the table that the output cannot read (corrupt,
// truncated, missing). No row of a batch is at fault, and none can be merged into that file,
// so the output does not bisect: it stops the batch, retrying with a growing pause (up to
// 30 s), logs it at most once per pause, and counts it in
// delta_lake_blocked_total{reason="table_file_unreadable"}. The operator must restore the
// file, or remove it from the table (a Delta remove of that path), for the pipeline to
// move on.
type TableFileError struct {
	Table string // the table root
	Path  string // the file, relative to the table root
	Err   error
}

func (e *TableFileError) Error() string {
	return fmt.Sprintf("delta_lake %s: data file %s of the table cannot be read: %v; no change to the keys it holds can be merged until the file is restored or removed from the table", e.Table, e.Path, e.Err)
}

func (e *TableFileError) Unwrap() error { return e.Err }

// fileErr wraps an error reading the existing file path of the table, unless the context
// ended (a shutdown, not a broken file).
func fileErr(table, path string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &TableFileError{Table: table, Path: path, Err: err}
}

// commitIsolating commits pending like commitConflictRetry, and when the writer refuses the
// rows (a rowError) it bisects them: each half is committed on its own, in offset order per
// partition, so that every commit's txn versions are exact and the committed halves are
// skipped as duplicates if the batch is ever retried. A row that fails alone is a poison
// row: it becomes a dead letter (stage write, poison_row, with the writer's error), and the
// commit that follows records it and advances its partition past it. Callers hold o.mu.
func (o *output) commitIsolating(ctx context.Context, prep []prepared, positions []position, pending []int) ([]int, error) {
	waitIdx, err := o.commitConflictRetry(ctx, prep, positions, pending)
	if err == nil || !isRowError(err) {
		return waitIdx, err
	}
	part := append([]int(nil), pending...)
	sort.SliceStable(part, func(a, b int) bool {
		pa, pb := positions[part[a]], positions[part[b]]
		if pa.tp != pb.tp {
			return pa.tp.Topic < pb.tp.Topic || pa.tp.Topic == pb.tp.Topic && pa.tp.Partition < pb.tp.Partition
		}
		return pa.offset < pb.offset
	})
	o.log.Errorf("delta_lake %s: the writer refused a batch of %d messages (%v); bisecting it to dead-letter the rows that fail", o.path, len(part), err)
	return o.bisect(ctx, prep, positions, part, err)
}

// bisect commits part, which failed with cause, in halves until the failing rows are alone.
func (o *output) bisect(ctx context.Context, prep []prepared, positions []position, part []int, cause error) ([]int, error) {
	var rows []int // positions in part of the messages that carry a row
	for k, i := range part {
		if prep[i].row != nil || prep[i].trunc {
			rows = append(rows, k)
		}
	}
	switch len(rows) {
	case 0:
		return nil, cause // no row to blame: surface it
	case 1:
		i := part[rows[0]]
		o.poison(prep, positions, i, cause)
		waitIdx, err := o.commitConflictRetry(ctx, prep, positions, part)
		if isRowError(err) {
			return nil, fmt.Errorf("delta_lake %s: a batch without its poison row still fails: %w", o.path, err)
		}
		return waitIdx, err
	}
	var waitIdx []int
	mid := rows[len(rows)/2]
	for _, half := range [][]int{part[:mid], part[mid:]} {
		w, err := o.commitConflictRetry(ctx, prep, positions, half)
		if isRowError(err) {
			w, err = o.bisect(ctx, prep, positions, half, err)
		}
		if err != nil {
			return nil, err
		}
		waitIdx = append(waitIdx, w...)
	}
	return waitIdx, nil
}

// poison turns message i into a dead letter of the write stage.
func (o *output) poison(prep []prepared, positions []position, i int, cause error) {
	p := &prep[i]
	p.dead = newDeadLetter(p.msg, positions[i], stageWrite, codePoisonRow, "the writer refused the row: "+cause.Error())
	p.row, p.trunc, p.del = nil, false, false
	o.log.Errorf("delta_lake %s: poison row at %s offset %d: %v", o.path, positions[i].tp.Topic, positions[i].offset, cause)
}
