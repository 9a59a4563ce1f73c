package delta

import (
	"context"
	"fmt"
	"testing"
)

// tableWithFiles builds a table whose version 1 adds n files (fake paths, real stats).
func tableWithFiles(b *testing.B, n int) (*Table, *Snapshot) {
	b.Helper()
	ctx := context.Background()
	tb := NewTable(NewLocalStorage(b.TempDir()), Options{})
	snap, err := tb.Create(ctx, testSchema(), CreateOptions{PartitionColumns: []string{"part"}})
	if err != nil {
		b.Fatal(err)
	}
	tx := snap.NewTransaction("WRITE")
	for i := 0; i < n; i++ {
		a := fakeAdd(fmt.Sprintf("part-%05d-0b05d730-bb2d-4e69-8584-3f79542c1fb4.c000.zstd.parquet", i), ptr(fmt.Sprint("p", i%50)), 1000)
		a.Stats = `{"numRecords":1000,"minValues":{"id":1},"maxValues":{"id":1000},"nullCount":{"id":0}}`
		tx.Add(a)
	}
	tx.SetTxn("bench", 1)
	if _, err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	if snap, err = snap.Update(ctx); err != nil {
		b.Fatal(err)
	}
	return tb, snap
}

// BenchmarkCommit measures small blind appends (one add and a txn per commit, a checkpoint
// every 10 commits as in production) on the local file system.
func BenchmarkCommit(b *testing.B) {
	ctx := context.Background()
	_, snap := tableWithFiles(b, 100)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tx := snap.NewTransaction("WRITE")
		tx.Add(fakeAdd(fmt.Sprintf("c%d.parquet", i), ptr("x"), 10))
		tx.SetTxn("bench", int64(i+2))
		res, err := tx.Commit(ctx)
		if err != nil || res.CheckpointErr != nil {
			b.Fatal(err, res)
		}
		if snap, err = snap.Update(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}

// BenchmarkCheckpointWrite measures encoding and storing a checkpoint of n live files.
func BenchmarkCheckpointWrite(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n, "files"), func(b *testing.B) {
			_, snap := tableWithFiles(b, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := snap.WriteCheckpoint(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSnapshotLoad measures loading the latest snapshot of a table with 10k live files,
// from a checkpoint plus 5 commits, and from JSON commits only.
func BenchmarkSnapshotLoad(b *testing.B) {
	for _, ckpt := range []bool{true, false} {
		b.Run(fmt.Sprint("10kfiles/checkpoint=", ckpt), func(b *testing.B) {
			ctx := context.Background()
			tb, snap := tableWithFiles(b, 10000)
			if ckpt {
				if err := snap.WriteCheckpoint(ctx); err != nil {
					b.Fatal(err)
				}
			}
			for i := 0; i < 5; i++ {
				tx := snap.NewTransaction("WRITE")
				tx.Add(fakeAdd(fmt.Sprint("late", i), nil, 1))
				if _, err := tx.Commit(ctx); err != nil {
					b.Fatal(err)
				}
				snap, _ = snap.Update(ctx)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s, err := tb.Snapshot(ctx)
				if err != nil || s.NumFiles() != 10005 {
					b.Fatal(err)
				}
			}
		})
	}
}
