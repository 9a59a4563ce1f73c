package delta

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

const logDir = "_delta_log"

func commitPath(v int64) string { return fmt.Sprintf("%s/%020d.json", logDir, v) }

func checkpointPath(v int64) string { return fmt.Sprintf("%s/%020d.checkpoint.parquet", logDir, v) }

const lastCheckpointPath = logDir + "/_last_checkpoint"

// checkpointSet is one complete or partial checkpoint of a version.
type checkpointSet struct {
	version int64
	// parts maps part number (1-based) to file name; a classic checkpoint has part 1 of 1.
	parts map[int]string
	total int
	v2    string // name of a UUID-named V2 checkpoint, if that is what this is
}

func (c *checkpointSet) complete() bool { return c.v2 == "" && c.total > 0 && len(c.parts) == c.total }

// logListing is what the _delta_log directory holds, classified by name.
type logListing struct {
	commits     map[int64]FileInfo
	checkpoints map[int64][]*checkpointSet // a version may have classic and multi-part sets
	maxVersion  int64                      // highest commit or checkpoint version; -1 if none
}

func parseVersion(s string) (int64, bool) {
	if len(s) != 20 {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v >= 0
}

// listLog lists _delta_log. Names that are not commits or checkpoints (.crc files, Hadoop
// .x.crc files, compactions, _last_checkpoint, temporary files) are ignored.
func listLog(ctx context.Context, st Storage) (*logListing, error) {
	files, err := st.List(ctx, logDir)
	if err != nil {
		return nil, err
	}
	l := &logListing{commits: map[int64]FileInfo{}, checkpoints: map[int64][]*checkpointSet{}, maxVersion: -1}
	for _, f := range files {
		name := f.Name
		if strings.HasPrefix(name, ".") || len(name) < 21 || name[20] != '.' {
			continue
		}
		v, ok := parseVersion(name[:20])
		if !ok {
			continue
		}
		rest := name[21:]
		switch {
		case rest == "json":
			l.commits[v] = f
		case rest == "checkpoint.parquet":
			l.addCheckpoint(v, 1, 1, name, "")
		case strings.HasPrefix(rest, "checkpoint."):
			mid := strings.TrimPrefix(rest, "checkpoint.")
			fields := strings.Split(mid, ".")
			if len(fields) == 3 && fields[2] == "parquet" && len(fields[0]) == 10 && len(fields[1]) == 10 {
				part, e1 := strconv.Atoi(fields[0])
				total, e2 := strconv.Atoi(fields[1])
				if e1 == nil && e2 == nil && part >= 1 && part <= total {
					l.addCheckpoint(v, part, total, name, "")
				}
				continue
			}
			if len(fields) == 2 && (fields[1] == "json" || fields[1] == "parquet") {
				l.addCheckpoint(v, 0, 0, name, name)
			}
		default:
			continue
		}
		if v > l.maxVersion {
			l.maxVersion = v
		}
	}
	return l, nil
}

func (l *logListing) addCheckpoint(v int64, part, total int, name, v2 string) {
	if v2 != "" {
		l.checkpoints[v] = append(l.checkpoints[v], &checkpointSet{version: v, v2: v2})
		return
	}
	for _, c := range l.checkpoints[v] {
		if c.v2 == "" && c.total == total {
			c.parts[part] = name
			return
		}
	}
	l.checkpoints[v] = append(l.checkpoints[v], &checkpointSet{version: v, parts: map[int]string{part: name}, total: total})
}

// bestCheckpoint returns the newest complete classic checkpoint at or below v, and the newest
// V2 checkpoint above it (so a caller can explain why it could not use it).
func (l *logListing) bestCheckpoint(v int64) (best *checkpointSet, skippedV2 *checkpointSet) {
	for cv, sets := range l.checkpoints {
		if cv > v {
			continue
		}
		for _, c := range sets {
			if c.complete() {
				if best == nil || cv > best.version || cv == best.version && c.total < best.total {
					best = c
				}
			} else if c.v2 != "" && (skippedV2 == nil || cv > skippedV2.version) {
				skippedV2 = c
			}
		}
	}
	if skippedV2 != nil && best != nil && skippedV2.version <= best.version {
		skippedV2 = nil
	}
	return best, skippedV2
}

// LastCheckpoint is the content of _delta_log/_last_checkpoint. Readers only use it as a
// hint; the listing decides.
type LastCheckpoint struct {
	Version       int64  `json:"version"`
	Size          int64  `json:"size"`
	Parts         *int   `json:"parts,omitempty"`
	SizeInBytes   *int64 `json:"sizeInBytes,omitempty"`
	NumOfAddFiles *int64 `json:"numOfAddFiles,omitempty"`
}

func commitTime(fi FileInfo) time.Time { return fi.ModTime }
