package delta

import (
	"fmt"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// prepareChange classifies a decoded row (layout order) as a delete or an upsert and checks
// that an upsert fills the table's NOT NULL columns; deletes need only their key.
func (o *output) prepareChange(l *layout, row []any) (bool, error) {
	op, _ := row[l.byName[colOp]].(string)
	del, err := o.merge.deletes.match(row, op)
	if err != nil {
		return false, withCode(codeDeleteRuleFailed, fmt.Errorf("%s: %w", fieldApplyAsDeletes, err))
	}
	for i, f := range l.schema.Fields {
		if row[i] != nil || f.Nullable {
			continue
		}
		if _, derived := l.derived[i]; derived {
			continue
		}
		if del && !o.isKeyColumn(f.Name) {
			continue
		}
		if op == "u" && o.merge.opts.ignoreNullUpdates && !o.isKeyColumn(f.Name) {
			continue // a partial update: the stored row fills it (checked again after the merge)
		}
		return false, notNullErr(f.Name, "a value (the column is NOT NULL)")
	}
	return del, nil
}

func (o *output) isKeyColumn(name string) bool {
	for _, k := range o.merge.opts.key {
		if k == name {
			return true
		}
	}
	return false
}

// prepareTruncate turns a Debezium truncate (kept by debezium_unwrap with its position in
// metadata) into a change, when apply_as_truncates says so. A truncate that cannot be ordered
// is a dead letter: applying it at the wrong place would lose or keep the wrong rows.
func (o *output) prepareTruncate(l *layout, m *service.Message, pos position) prepared {
	row := make([]any, len(l.schema.Fields))
	row[l.schema.Index(colOp)] = "t"
	p := prepared{msg: m}
	ok, err := o.merge.truncates.match(row, "t")
	if err != nil || !ok {
		if err != nil {
			p.dead = newDeadLetter(m, pos, stageMerge, codeTruncateRuleFailed, fmt.Sprintf("%s: %v", fieldApplyAsTruncates, err))
		}
		return p
	}
	sp, _ := m.MetaGet("debezium_source_pos")
	if sp == "" || o.merge.opts.sequenceBy != colSourcePos {
		p.dead = newDeadLetter(m, pos, stageMerge, codeUnorderedTruncate,
			fmt.Sprintf("truncate: cannot order it: metadata debezium_source_pos is %q and sequence_by is %q; expected a position and sequence_by %s", sp, o.merge.opts.sequenceBy, colSourcePos))
		return p
	}
	p.trunc, p.pos = true, sp
	if ts, ok := m.MetaGet("debezium_source_ts"); ok {
		p.ts, _ = time.Parse(time.RFC3339Nano, ts)
	}
	return p
}

// toChange puts a prepared change in table order with its key and order.
func (o *output) toChange(p prepared, pos position) (*change, error) {
	if p.trunc {
		order, err := orderOf(p.pos, "t")
		if err != nil {
			return nil, withCode(codeUnorderedTruncate, fmt.Errorf("truncate: %w", err))
		}
		return &change{trunc: true, order: order, pos: pos, ts: p.ts}, nil
	}
	row := o.toTableOrder(p.row)
	m := o.merge
	key, err := encodeKey(row, m.keyIdx)
	if err != nil {
		return nil, withCode(codeInvalidKey, fmt.Errorf("key %v: %w", o.merge.opts.key, err))
	}
	op, _ := row[m.opIdx].(string)
	order, err := orderOf(row[m.seqIdx], op)
	if err != nil {
		return nil, withCode(codeInvalidSequence, fmt.Errorf("column %s (sequence_by): %w", m.opts.sequenceBy, err))
	}
	return &change{row: row, key: key, order: order, del: p.del, pos: pos, ts: m.changeTime(row)}, nil
}
