package delta

import "context"

// commitRequest is one WriteBatch call's messages waiting for the commit lock.
type commitRequest struct {
	prep      []prepared
	positions []position
	pending   []int // indexes still to commit
	waitIdx   []int // after the commit: indexes that must keep waiting
	err       error
	done      bool // set, under o.mu, once a commit has served the request
}

// commitGroup commits req together with every request that queued while the commit lock was
// taken: when the table is behind, the batches waiting for it become one commit. A merge
// rewrites the files its keys touch once per commit, so one commit for N queued batches costs
// about what one batch costs; appends gain fewer, larger files. The caller of the lock that
// finds its request already served just reads its result. It returns the indexes that must
// keep waiting, the channel closed by the next commit, and the sum of the waiting records'
// partition versions (so that a wait restarts while those partitions advance).
func (o *output) commitGroup(ctx context.Context, req *commitRequest) ([]int, chan struct{}, int64, error) {
	o.qmu.Lock()
	o.queue = append(o.queue, req)
	o.qmu.Unlock()

	o.mu.Lock()
	defer o.mu.Unlock()
	servedByOther := req.done
	if !req.done {
		o.qmu.Lock()
		group := o.queue
		o.queue = nil
		o.qmu.Unlock()
		o.commitRequests(ctx, group)
	}
	var progress int64
	for _, i := range req.waitIdx {
		if v, ok := o.snap.TxnVersion(appID(o.appPrefix, req.positions[i].tp)); ok {
			progress += v + 1
		}
	}
	if servedByOther && len(req.waitIdx) > 0 {
		// Commits may have happened between the one that served us and this lock: the one
		// we wait for may be among them, so look again now rather than wait for the next.
		now := make(chan struct{})
		close(now)
		return req.waitIdx, now, progress, req.err
	}
	return req.waitIdx, o.committed, progress, req.err
}

// commitRequests commits a group of requests as one. Callers hold o.mu.
func (o *output) commitRequests(ctx context.Context, group []*commitRequest) {
	if len(group) == 1 {
		r := group[0]
		r.waitIdx, r.err = o.commitWithRetry(ctx, r.prep, r.positions, r.pending)
		r.done = true
		return
	}
	var prep []prepared
	var positions []position
	var pending []int
	bases := make([]int, len(group))
	for k, r := range group {
		bases[k] = len(prep)
		prep = append(prep, r.prep...)
		positions = append(positions, r.positions...)
		for _, i := range r.pending {
			pending = append(pending, bases[k]+i)
		}
	}
	waitIdx, err := o.commitWithRetry(ctx, prep, positions, pending)
	o.mGrouped.Incr(int64(len(group) - 1))
	for k, r := range group {
		r.err, r.done, r.waitIdx = err, true, nil
		end := bases[k] + len(r.prep)
		for _, i := range waitIdx {
			if i >= bases[k] && i < end {
				r.waitIdx = append(r.waitIdx, i-bases[k])
			}
		}
	}
}
