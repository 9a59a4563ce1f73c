package delta

import (
	"context"
	"errors"
	"sort"
	"time"
)

// HistoryEntry is one commit of the table's history.
type HistoryEntry struct {
	Version int64
	// Time is commitInfo.timestamp when present, else the commit file's modification time.
	Time time.Time
	// Info is the commit's commitInfo (nil when the writer wrote none).
	Info CommitInfo
}

// History returns up to limit commits (all when limit <= 0), newest first, read from the
// commit files still in the log.
func (t *Table) History(ctx context.Context, limit int) ([]HistoryEntry, error) {
	l, err := listLog(ctx, t.store)
	if err != nil {
		return nil, err
	}
	if l.maxVersion < 0 {
		return nil, ErrNotTable
	}
	versions := make([]int64, 0, len(l.commits))
	for v := range l.commits {
		versions = append(versions, v)
	}
	sort.Slice(versions, func(i, j int) bool { return versions[i] > versions[j] })
	if limit > 0 && len(versions) > limit {
		versions = versions[:limit]
	}
	out := make([]HistoryEntry, 0, len(versions))
	for _, v := range versions {
		data, err := t.store.Read(ctx, commitPath(v))
		if errors.Is(err, ErrNotExist) {
			continue // cleaned up meanwhile
		}
		if err != nil {
			return nil, err
		}
		actions, err := ParseCommit(data)
		if err != nil {
			return nil, err
		}
		e := HistoryEntry{Version: v, Time: l.commits[v].ModTime}
		for _, a := range actions {
			if a.CommitInfo != nil {
				e.Info = a.CommitInfo
				if ts, ok := a.CommitInfo["timestamp"].(float64); ok {
					e.Time = time.UnixMilli(int64(ts))
				}
			}
		}
		out = append(out, e)
	}
	return out, nil
}
