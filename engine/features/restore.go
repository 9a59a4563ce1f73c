package features

import (
	"time"
)

// Restore registers versions already committed downstream (their rows, and the corrections
// they caused, are written): they enter the state and count as scored at their latest
// version, so versions that arrive afterwards correct them exactly as in an uninterrupted
// run. Redelivered versions that are also restored are recognised by position and change
// nothing. Call Restore before the first Submit; now is the processing time (the restored
// partitions count as active from then).
func (e *Engine) Restore(now time.Time, vs []Version) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range vs {
		e.register(&vs[i], now)
	}
	for i := range vs {
		x := e.txns[vs[i].TxID]
		if x == nil || len(x.versions) == 0 {
			continue
		}
		last := &x.versions[len(x.versions)-1]
		x.scored, x.scoredPos, x.scoredT, x.provisional = true, last.pos, last.anchor, false
	}
	e.advance(now)
}
