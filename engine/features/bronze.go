package features

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// RestoreStats says what a restore read.
type RestoreStats struct {
	Files, FilesSkipped int
	Rows, Restored      int // rows read; versions at or below the cut
	AboveCut            int // rows of records not committed downstream yet (Kafka redelivers them)
	Elapsed             time.Duration
}

// Cut returns, per Kafka topic/partition, the last offset committed downstream; a record
// above it is not restored. ok false: the partition has nothing committed downstream.
type Cut func(topic string, partition int64) (offset int64, ok bool)

// CutFromTxns reads a cut from a Delta table's txn actions (appId `<prefix>/<topic>/<partition>`,
// version = last offset committed), as the delta_lake output writes them.
func CutFromTxns(ctx context.Context, table string) (Cut, error) {
	snap, err := delta.OpenLocal(table).Snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("features restore: committed table %s: %w", table, err)
	}
	cut := map[string]int64{}
	for app, v := range snap.Txns() {
		i := strings.LastIndexByte(app, '/')
		j := strings.LastIndexByte(app[:max(i, 0)], '/')
		if i < 0 || j < 0 {
			continue
		}
		key := app[j+1:]
		if prev, ok := cut[key]; !ok || v > prev {
			cut[key] = v
		}
	}
	return func(topic string, partition int64) (int64, bool) {
		v, ok := cut[topic+"/"+strconv.FormatInt(partition, 10)]
		return v, ok
	}, nil
}

// RestoreFromBronze rebuilds the state of e from a bronze table (every record exactly once,
// with its Kafka coordinates): the records at or below cut, of the files whose event-time
// statistics reach into the lookback (the largest window plus the correction horizon before
// the newest event time in the table). It is the warm start after a restart and the engine
// function behind `ledgerflow features rebuild`. now is the processing time.
func RestoreFromBronze(ctx context.Context, e *Engine, bronze string, cut Cut, now time.Time) (RestoreStats, error) {
	start := time.Now()
	var st RestoreStats
	snap, err := delta.OpenLocal(bronze).Snapshot(ctx)
	if err != nil {
		return st, fmt.Errorf("features restore: bronze %s: %w", bronze, err)
	}
	d := e.d
	files := snap.Files()
	maxEvent := int64(math.MinInt64)
	fileMax := make([]int64, len(files))
	for i, f := range files {
		fileMax[i] = math.MaxInt64 // no statistics: must be read
		if mx, ok := statMax(f.Stats, d.Time); ok {
			fileMax[i] = mx
			maxEvent = max(maxEvent, mx)
		}
	}
	var lookback time.Duration
	for _, k := range d.Keys {
		lookback = max(lookback, k.maxWindow)
	}
	lookback += e.opt.CorrectionHorizon
	from := int64(math.MinInt64)
	if maxEvent != math.MinInt64 {
		from = maxEvent - lookback.Microseconds()
	}
	cols := []string{d.idColumn, "_op", "_source_ts", "_source_pos", "_kafka_topic", "_kafka_partition", "_kafka_offset"}
	slotOfCol := make([]int, len(cols))
	for i := range slotOfCol {
		slotOfCol[i] = -1
	}
	for s, c := range d.cols {
		if c.object == "" {
			cols = append(cols, c.name)
			slotOfCol = append(slotOfCol, s)
		}
	}
	var vs []Version
	for i, f := range files {
		if fileMax[i] < from {
			st.FilesSkipped++
			continue
		}
		st.Files++
		rows, err := snap.ReadFileColumns(ctx, f, cols)
		if err != nil {
			return st, fmt.Errorf("features restore: bronze %s: %w", f.Path, err)
		}
		for _, row := range rows {
			st.Rows++
			v, keep, err := d.bronzeVersion(row, slotOfCol, cut)
			if err != nil {
				return st, fmt.Errorf("features restore: bronze %s: %w", f.Path, err)
			}
			if !keep {
				st.AboveCut++
				continue
			}
			if v.Anchor < from {
				continue
			}
			vs = append(vs, v)
		}
	}
	e.Restore(now, vs)
	st.Restored = len(vs)
	st.Elapsed = time.Since(start)
	return st, nil
}

// bronzeVersion converts one bronze row (columns: id, _op, _source_ts, _source_pos, topic,
// partition, offset, then the contract columns of the slots). keep is false above the cut.
func (d *Decl) bronzeVersion(row []any, slotOfCol []int, cut Cut) (Version, bool, error) {
	v := Version{Values: make([]Value, len(d.cols))}
	for i := range v.Values {
		v.Values[i].Null = true
	}
	id, ok := anyInt(row[0])
	if !ok {
		return v, false, fmt.Errorf("%s %v is not an integer", d.idColumn, row[0])
	}
	v.TxID = id
	op, _ := row[1].(string)
	pos, _ := row[3].(string)
	topic, _ := row[4].(string)
	part, okp := anyInt(row[5])
	off, oko := anyInt(row[6])
	if len(op) != 1 || pos == "" || !okp || !oko {
		return v, false, fmt.Errorf("row of transaction %d lacks _op, _source_pos or Kafka coordinates", id)
	}
	if cut != nil {
		c, has := cut(topic, part)
		if !has || off > c {
			return v, false, nil
		}
	}
	v.Op, v.Offset, v.Source = op[0], off, topic+"/"+strconv.FormatInt(part, 10)
	v.Pos = ParsePos(pos, v.Op == 'r')
	for i := 7; i < len(row); i++ {
		s := slotOfCol[i]
		val, err := valueFromBronze(row[i], d.cols[s].typ)
		if err != nil {
			return v, false, fmt.Errorf("transaction %d: %s: %v", id, d.cols[s].name, err)
		}
		v.Values[s] = val
	}
	tv := v.Values[d.timeSlot]
	if tv.Null {
		return v, false, fmt.Errorf("transaction %d has no %s", id, d.Time)
	}
	v.Anchor, v.Change = tv.I, tv.I
	if v.Op == 'u' || v.Op == 'd' {
		switch x := row[2].(type) {
		case time.Time:
			v.Change = x.UnixMicro()
		case string:
			us, err := parseTime(x)
			if err != nil {
				return v, false, fmt.Errorf("transaction %d: _source_ts %q: %v", id, x, err)
			}
			v.Change = us
		default:
			return v, false, fmt.Errorf("transaction %d: an update without _source_ts", id)
		}
	}
	return v, true, nil
}

func anyInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case int:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	}
	return 0, false
}

func valueFromBronze(v any, t colType) (Value, error) {
	switch x := v.(type) {
	case nil:
		return Value{Null: true}, nil
	case schema.Decimal:
		return decFromBig(x.Unscaled, x.Scale, t)
	case *schema.Decimal:
		if x == nil {
			return Value{Null: true}, nil
		}
		return decFromBig(x.Unscaled, x.Scale, t)
	case time.Time:
		return Value{I: x.UnixMicro()}, nil
	case int64, int32, int16, int8, int:
		i, _ := anyInt(x)
		return valueFromAny(i, t)
	}
	return valueFromAny(v, t)
}

func decFromBig(u *big.Int, scale int, t colType) (Value, error) {
	if u == nil || !u.IsInt64() || int32(scale) > t.scale {
		return Value{}, fmt.Errorf("decimal %v (scale %d) does not fit the column", u, scale)
	}
	dv, ok := Dec{U: u.Int64(), Scale: int32(scale)}.rescale(t.scale)
	if !ok {
		return Value{}, fmt.Errorf("decimal %v does not fit 18 digits", u)
	}
	if t.kind == kInt {
		return Value{I: dv}, nil
	}
	return Value{I: dv}, nil
}

// statMax reads maxValues.<col> (a timestamp string) from an add action's statistics.
func statMax(stats, col string) (int64, bool) {
	if stats == "" {
		return 0, false
	}
	var s struct {
		MaxValues map[string]any `json:"maxValues"`
	}
	if json.Unmarshal([]byte(stats), &s) != nil {
		return 0, false
	}
	str, ok := s.MaxValues[col].(string)
	if !ok {
		return 0, false
	}
	us, err := parseTime(str)
	if err != nil {
		return 0, false
	}
	// Stats are truncated to milliseconds: round up so a file is never skipped wrongly.
	return us + 1000, true
}
