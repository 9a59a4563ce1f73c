package delta

import (
	"sort"
	"time"
)

// resolveSCD1 is the key's row after its changes: the newest of the stored row, the key's
// last delete, the table's last truncate and the changes wins; a change that is not newer is
// ignored (a redelivery, or a late older event). It returns the row (nil: no row) and the
// deletes that took effect, which must be remembered as tombstones.
func (m *merger) resolveSCD1(stored [][]any, tomb tombEntry, changes []*change, truncOrder string) ([]any, []*change) {
	var state []any
	var stateOrder string
	for _, r := range stored {
		if o := m.rowOrder(r); state == nil || o > stateOrder {
			state, stateOrder = r, o
		}
	}
	if tomb.max > stateOrder {
		state, stateOrder = nil, tomb.max
	}
	if truncOrder > stateOrder {
		state, stateOrder = nil, truncOrder
	}
	var dels []*change
	for _, c := range changes {
		if c.order <= stateOrder {
			continue
		}
		if c.del {
			state = nil
			dels = append(dels, c)
		} else if m.opts.ignoreNullUpdates && state != nil {
			state = overlay(state, c.row, m.keyIdx)
		} else {
			state = c.row
		}
		stateOrder = c.order
	}
	return state, dels
}

// overlay is row with its nulls filled from prev (ignore_null_updates).
func overlay(prev, row []any, _ []int) []any {
	out := append([]any(nil), row...)
	for i, v := range out {
		if v == nil && i < len(prev) {
			out[i] = prev[i]
		}
	}
	return out
}

// scdEvent is one point of a key's history: a version starting, or a delete.
type scdEvent struct {
	order string
	row   []any // nil for a delete
	ts    time.Time
	c     *change // the change it came from; nil for stored history
}

// resolveSCD2 rebuilds the key's history from its stored versions, its retained deletes and
// the changes, each placed by its order whatever its arrival: a late older change becomes the
// version it was, closing the one before it. Equal orders are one change (the stored one is
// kept). Every version ends where the next event begins; the last one stays open (__end_at
// null) unless a delete or a truncate closed it.
func (m *merger) resolveSCD2(stored [][]any, tomb tombEntry, changes []*change, truncOrder string, truncTS time.Time) ([][]any, []*change) {
	evs := make([]scdEvent, 0, len(stored)+len(tomb.all)+len(changes))
	for _, r := range stored {
		evs = append(evs, scdEvent{order: m.rowOrder(r), row: r, ts: m.changeTime(r)})
	}
	for _, t := range tomb.all {
		evs = append(evs, scdEvent{order: t.order, ts: t.ts})
	}
	for _, c := range changes {
		if c.del {
			evs = append(evs, scdEvent{order: c.order, ts: c.ts, c: c})
		} else {
			evs = append(evs, scdEvent{order: c.order, row: c.row, ts: c.ts, c: c})
		}
	}
	if truncOrder != "" {
		// The truncate ends every version before it, as a delete of every key would.
		evs = append(evs, scdEvent{order: truncOrder, ts: truncTS})
	}
	sort.SliceStable(evs, func(a, b int) bool { return evs[a].order < evs[b].order })
	uniq := evs[:0]
	for _, e := range evs {
		n := len(uniq)
		if n > 0 && uniq[n-1].order == e.order {
			continue // a redelivery of a change already in the history
		}
		if n > 0 && sameSequence(uniq[n-1].order, e.order) && uniq[n-1].row != nil && uniq[n-1].order[len(e.order)-1] == rankRead {
			// A snapshot read shows the state before the change streamed at its position:
			// the change supersedes it at once, so it is no version of its own.
			uniq[n-1] = e
			continue
		}
		if n > 0 && e.row != nil && e.order[len(e.order)-1] == rankRead && uniq[n-1].row != nil && m.sameData(uniq[n-1].row, e.row) {
			continue // a snapshot read that records no change is no new version
		}
		uniq = append(uniq, e)
	}
	// A truncate before every version of the key ends nothing.
	for len(uniq) > 0 && uniq[0].row == nil && uniq[0].c == nil {
		uniq = uniq[1:]
	}
	var out [][]any
	var dels []*change
	var prev []any
	for i, e := range uniq {
		if e.row == nil {
			if e.c != nil {
				dels = append(dels, e.c)
			}
			prev = nil
			continue
		}
		row := append([]any(nil), e.row...)
		if e.c != nil && m.opts.ignoreNullUpdates && prev != nil {
			row = overlay(prev, row, m.keyIdx)
		}
		if e.c != nil || row[m.startIdx] == nil {
			row[m.startIdx] = e.ts.UTC()
		}
		if i+1 < len(uniq) {
			row[m.endIdx] = uniq[i+1].ts.UTC()
		} else {
			row[m.endIdx] = nil
		}
		out = append(out, row)
		prev = row
	}
	return out, dels
}

// sameSequence reports whether two orders have the same sequence value (they differ at most
// in rank, the last byte).
func sameSequence(a, b string) bool {
	return len(a) == len(b) && a[:len(a)-1] == b[:len(b)-1]
}
