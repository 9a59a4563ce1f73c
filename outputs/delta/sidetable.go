package delta

import (
	"context"
	"errors"
	"fmt"

	"github.com/ledgerflow/ledgerflow/delta"
)

// appendOnce appends to a side table of an output (dead letters, tombstones) the rows whose
// Kafka positions it has not recorded yet, with one txn per partition (appId <appIDs>/<topic>/
// <partition>) in the same commit. A side table is committed before the output's own commit,
// so after a crash between the two the replay finds its rows already there and skips them.
// row(i) builds the row of pos[i]; positions without Kafka coordinates are always written.
// It returns the table's new snapshot and the indexes (into pos) of the rows that were new.
func appendOnce(ctx context.Context, snap *delta.Snapshot, appIDs string, pos []position, row func(i int) []any, info map[string]any) (*delta.Snapshot, []int, error) {
	for attempt := 0; attempt < 5; attempt++ {
		tx := snap.NewTransaction("WRITE")
		versions := map[topicPartition]int64{}
		var rows [][]any
		var written []int
		for i, p := range pos {
			if p.known {
				if v, ok := tx.TxnVersion(appID(appIDs, p.tp)); ok && p.offset <= v {
					continue // recorded before a crash
				}
				if p.offset > versions[p.tp] {
					versions[p.tp] = p.offset
				}
			}
			rows = append(rows, row(i))
			written = append(written, i)
		}
		if len(rows) == 0 {
			return snap, nil, nil
		}
		for tp, v := range versions {
			tx.SetTxn(appID(appIDs, tp), v)
		}
		if _, err := tx.WriteRows(ctx, rows, delta.WriteOptions{}); err != nil {
			return snap, nil, err
		}
		for k, v := range info {
			tx.SetCommitInfo(k, v)
		}
		_, err := tx.Commit(ctx)
		if next, uerr := snap.Update(ctx); uerr == nil {
			snap = next
		}
		if errors.Is(err, delta.ErrConcurrentTransaction) {
			continue
		}
		if err != nil {
			return snap, nil, err
		}
		return snap, written, nil
	}
	return snap, nil, fmt.Errorf("lost to concurrent writers of the same partitions 5 times")
}
