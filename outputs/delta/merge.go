package delta

import (
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// truncateConfigKey is the table property that remembers the newest applied truncate, so
// that no change from before it is applied after a restart.
const truncateConfigKey = "ledgerflow.truncatedBefore"

// truncateTimeKey is the source time of that truncate: where SCD2 history closes.
const truncateTimeKey = "ledgerflow.truncatedAt"

// change is one row change (or truncate) headed for a merge, in table-schema order.
type change struct {
	row   []any
	key   string
	order string
	del   bool
	trunc bool
	pos   position
	ts    time.Time // the source commit time (the ingest time when the source has none)
}

// merger keeps a silver table equal to the source: the key index, the tombstones, and the
// table-order positions of the columns a merge reads.
type merger struct {
	opts      *mergeOptions
	deletes   *rowRule
	truncates *rowRule
	tablePath string // for errors that name the table

	// Positions in the table schema, set by adoptSchema.
	keyIdx                          []int
	seqIdx, opIdx, tsIdx, ingestIdx int
	startIdx, endIdx                int
	notNull                         []int // table columns that are NOT NULL
	index                           *keyIndex
	tombs                           *tombstones
	truncOrder                      string
	truncTS                         time.Time
	dataIdx                         []int // the source's columns (not _metadata or __scd columns)
}

func newMerger(opts *mergeOptions, l *layout) (*merger, error) {
	names := make([]string, len(l.schema.Fields))
	for i, f := range l.schema.Fields {
		names[i] = f.Name
	}
	m := &merger{opts: opts}
	var err error
	if m.deletes, err = compileRule(fieldApplyAsDeletes, opts.deletes, names); err != nil {
		return nil, err
	}
	if m.truncates, err = compileRule(fieldApplyAsTruncates, opts.truncates, names); err != nil {
		return nil, err
	}
	for _, k := range opts.key {
		if l.schema.Index(k) < 0 {
			return nil, fmt.Errorf("%s: %q is not a column of the table", fieldKey, k)
		}
	}
	i := l.schema.Index(opts.sequenceBy)
	if i < 0 {
		return nil, fmt.Errorf("%s: %q is not a column of the table", fieldSequenceBy, opts.sequenceBy)
	}
	if !sequenceTypeOK(l.schema.Fields[i].Type) {
		return nil, fmt.Errorf("%s: column %q is %s; a sequence must be a string, integer, double, date or timestamp", fieldSequenceBy, opts.sequenceBy, l.schema.Fields[i].Type)
	}
	return m, nil
}

// adoptSchema finds the merge's columns in the table schema (which may have more columns, or
// another order, than the layout).
func (m *merger) adoptSchema(ts *schema.StructType, snap *delta.Snapshot) error {
	m.keyIdx = m.keyIdx[:0]
	for _, k := range m.opts.key {
		i := ts.Index(k)
		if i < 0 {
			return fmt.Errorf("the table has no key column %q", k)
		}
		m.keyIdx = append(m.keyIdx, i)
	}
	m.seqIdx, m.opIdx, m.tsIdx, m.ingestIdx = ts.Index(m.opts.sequenceBy), ts.Index(colOp), ts.Index(colSourceTS), ts.Index(colIngestedAt)
	m.startIdx, m.endIdx = ts.Index(colStartAt), ts.Index(colEndAt)
	m.notNull = m.notNull[:0]
	for i, f := range ts.Fields {
		if !f.Nullable {
			m.notNull = append(m.notNull, i)
		}
	}
	if m.opts.scd2 && (m.startIdx < 0 || m.endIdx < 0) {
		return fmt.Errorf("stored_as_scd_type 2 needs the columns %s and %s, which the table lacks (it was created as SCD type 1)", colStartAt, colEndAt)
	}
	m.truncOrder = ""
	if h := snap.Configuration()[truncateConfigKey]; h != "" {
		b, err := hex.DecodeString(h)
		if err != nil {
			return fmt.Errorf("table property %s: %q is not hex", truncateConfigKey, h)
		}
		m.truncOrder = string(b)
	}
	m.truncTS, _ = time.Parse(time.RFC3339Nano, snap.Configuration()[truncateTimeKey])
	m.dataIdx = m.dataIdx[:0]
	for i, f := range ts.Fields {
		if !strings.HasPrefix(f.Name, "_") {
			m.dataIdx = append(m.dataIdx, i)
		}
	}
	return nil
}

// rowOrder is the order of a stored row.
func (m *merger) rowOrder(r []any) string {
	op, _ := r[m.opIdx].(string)
	o, err := orderOf(r[m.seqIdx], op)
	if err != nil {
		return "" // a row without a sequence is older than any change
	}
	return o
}

// changeTime is when a change happened in the source, for SCD2 validity.
func (m *merger) changeTime(r []any) time.Time {
	if t, ok := r[m.tsIdx].(time.Time); ok {
		return t
	}
	t, _ := r[m.ingestIdx].(time.Time)
	return t
}

// complete reports the first NOT NULL column a merged row leaves empty: a partial update
// (ignore_null_updates) of a key that has no stored row cannot become a row.
func (m *merger) complete(r []any) (int, bool) {
	for _, i := range m.notNull {
		if r[i] == nil {
			return i, false
		}
	}
	return -1, true
}

// sameData reports whether two rows hold the same source values (metadata aside).
func (m *merger) sameData(a, b []any) bool {
	for _, i := range m.dataIdx {
		if !reflect.DeepEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}
