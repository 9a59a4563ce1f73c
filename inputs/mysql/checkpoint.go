package mysql

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// position is where streaming resumes: the binlog file, the position of the first event of
// the transaction in progress (or of the next transaction), and how many rows of that
// transaction were already delivered. Restarting at a transaction's first event keeps the
// table-map events that its row events need; the skipped rows are re-read but not re-sent.
type position struct {
	File     string `json:"file"`
	Pos      uint32 `json:"pos"`
	SkipRows int    `json:"skip_rows"`
	GTID     string `json:"gtid,omitempty"`      // the transaction's GTID, informational
	ServerID uint32 `json:"server_id,omitempty"` // the source server that wrote it
}

func (p position) String() string {
	return fmt.Sprintf("%s:%d (skip %d rows)", p.File, p.Pos, p.SkipRows)
}

// checkpointFile is what the checkpoint file holds.
type checkpointFile struct {
	Version  int      `json:"version"`
	Position position `json:"position"`
	Flavor   string   `json:"flavor,omitempty"`
	Updated  string   `json:"updated,omitempty"`
}

const checkpointVersion = 1

// parseCheckpoint decodes a checkpoint file. It refuses unknown versions and fields,
// names the problem, and never returns a position that could not be resumed from.
func parseCheckpoint(data []byte) (position, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f checkpointFile
	if err := dec.Decode(&f); err != nil {
		return position{}, fmt.Errorf("checkpoint: %w", err)
	}
	if dec.More() {
		return position{}, errors.New("checkpoint: trailing data after the JSON object")
	}
	if f.Version != checkpointVersion {
		return position{}, fmt.Errorf("checkpoint: version %d, expected %d", f.Version, checkpointVersion)
	}
	p := f.Position
	if err := validBinlogName(p.File); err != nil {
		return position{}, fmt.Errorf("checkpoint: position.file: %w", err)
	}
	if p.Pos < 4 {
		return position{}, fmt.Errorf("checkpoint: position.pos %d, expected at least 4 (the binlog header)", p.Pos)
	}
	if p.SkipRows < 0 {
		return position{}, fmt.Errorf("checkpoint: position.skip_rows %d, expected >= 0", p.SkipRows)
	}
	return p, nil
}

// validBinlogName accepts names like mysql-bin.000042: a base name, a dot and a number.
func validBinlogName(s string) error {
	i := strings.LastIndexByte(s, '.')
	if i <= 0 || i == len(s)-1 {
		return fmt.Errorf("%q: expected <base>.<number>, e.g. mysql-bin.000003", s)
	}
	if _, err := strconv.ParseUint(s[i+1:], 10, 64); err != nil {
		return fmt.Errorf("%q: extension %q is not a number", s, s[i+1:])
	}
	if strings.ContainsAny(s, "/\\\x00\n") || len(s) > 512 {
		return fmt.Errorf("%q: not a binlog file name", s)
	}
	return nil
}

// loadCheckpoint reads path; ok is false when it does not exist.
func loadCheckpoint(path string) (p position, ok bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return position{}, false, nil
	}
	if err != nil {
		return position{}, false, fmt.Errorf("checkpoint_file %s: %w", path, err)
	}
	p, err = parseCheckpoint(data)
	if err != nil {
		return position{}, false, fmt.Errorf("checkpoint_file %s: %w", path, err)
	}
	return p, true, nil
}

// saveCheckpoint writes p to path atomically: a synced temp file in the same directory,
// renamed over the old one, then the directory synced, so that a crash leaves either the
// old or the new checkpoint, never a torn one.
func saveCheckpoint(path string, p position, flavor string) error {
	data, err := json.Marshal(checkpointFile{
		Version: checkpointVersion, Position: p, Flavor: flavor,
		Updated: time.Now().UTC().Format(time.RFC3339Nano),
	})
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("checkpoint_file %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(append(data, '\n'))
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("checkpoint_file %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("checkpoint_file %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// entry is one handed-out batch (or a message-less position step such as a commit) in
// binlog order. pos is where to resume once it and everything before it is acknowledged;
// nil for snapshot batches other than the last, since an unfinished snapshot restarts.
type entry struct {
	pos   *position
	acked bool
}

// tracker keeps the acknowledged watermark: acknowledgements come out of order (pipeline
// threads, output retries), but only the contiguous acknowledged prefix may be persisted,
// or a crash would skip the unacknowledged batches before it. Safe for concurrent use.
type tracker struct {
	mu      sync.Mutex
	pending []*entry
	done    *position // resume position of the acknowledged prefix; nil while none
	dirty   bool

	path     string
	flavor   string
	interval time.Duration
	lastSave time.Time
	closed   bool
	saveErr  error
	onSave   func(position) // test hook
}

// add registers the next entry in binlog order. An entry with acked set (a commit marker)
// moves the watermark as soon as everything before it is acknowledged.
func (t *tracker) add(e *entry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending = append(t.pending, e)
	if e.acked {
		t.advanceLocked()
		_ = t.maybeSaveLocked(false) // a failure is kept in saveErr and retried on the next save
	}
}

// ack marks e delivered, advances the watermark and persists it when due.
func (t *tracker) ack(e *entry) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e.acked {
		return nil
	}
	e.acked = true
	t.advanceLocked()
	return t.maybeSaveLocked(false)
}

func (t *tracker) advanceLocked() {
	i := 0
	for ; i < len(t.pending) && t.pending[i].acked; i++ {
		if p := t.pending[i].pos; p != nil {
			t.done = p
			t.dirty = true
		}
		t.pending[i] = nil
	}
	t.pending = t.pending[i:]
	if len(t.pending) == 0 {
		t.pending = nil
	}
}

// maybeSaveLocked writes the watermark if it moved and the interval passed (or force, or
// the input is closed: acknowledgements that arrive while the pipeline drains after Close
// must still reach the file).
func (t *tracker) maybeSaveLocked(force bool) error {
	if !t.dirty || t.done == nil || t.path == "" {
		return nil
	}
	if !force && !t.closed && time.Since(t.lastSave) < t.interval {
		return nil
	}
	if err := saveCheckpoint(t.path, *t.done, t.flavor); err != nil {
		t.saveErr = err
		return err
	}
	t.dirty = false
	t.lastSave = time.Now()
	if t.onSave != nil {
		t.onSave(*t.done)
	}
	return nil
}

// flush persists the watermark now if it moved.
func (t *tracker) flush() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.maybeSaveLocked(true)
}

// close flushes and switches to saving on every acknowledgement.
func (t *tracker) close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	return t.maybeSaveLocked(true)
}

// reset forgets entries of a previous reader run: after a reconnect their positions are
// read again, and late acknowledgements of them must not move the new run's watermark.
func (t *tracker) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending = nil
}

// watermark returns the acknowledged resume position, if any.
func (t *tracker) watermark() (position, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done == nil {
		return position{}, false
	}
	return *t.done, true
}
