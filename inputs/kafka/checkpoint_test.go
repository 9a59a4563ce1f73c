package kafka

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func trackHanded(t *testing.T, c *checkpoint, last int64) *span {
	t.Helper()
	s, ok := c.track(last, 3)
	require.True(t, ok)
	require.True(t, c.handOut(s))
	return s
}

func TestCheckpointContiguousPrefix(t *testing.T) {
	c := newCheckpoint()
	_, _, ok := c.committable()
	assert.False(t, ok, "nothing acknowledged yet")

	a := trackHanded(t, c, 9)  // 0..9
	b := trackHanded(t, c, 19) // 10..19
	d := trackHanded(t, c, 24) // 20..24
	assert.Equal(t, 3, c.outstanding())

	c.ack(d)
	c.ack(b)
	_, _, ok = c.committable()
	assert.False(t, ok, "later spans acknowledged first must wait for the first")

	c.ack(a)
	off, epoch, ok := c.committable()
	assert.True(t, ok)
	assert.Equal(t, int64(25), off)
	assert.Equal(t, int32(3), epoch)
	assert.Zero(t, c.outstanding())
}

func TestCheckpointNackHoldsWatermark(t *testing.T) {
	c := newCheckpoint()
	a := trackHanded(t, c, 4)
	b := trackHanded(t, c, 9)
	e := trackHanded(t, c, 14)
	c.ack(a)
	// b is nacked: nothing calls ack for it; e succeeds.
	c.ack(e)
	off, _, _ := c.committable()
	assert.Equal(t, int64(5), off)
	c.ack(b) // the retry succeeded
	off, _, _ = c.committable()
	assert.Equal(t, int64(15), off)
}

func TestCheckpointStrayAcks(t *testing.T) {
	c := newCheckpoint()
	a := trackHanded(t, c, 4)
	queued, ok := c.track(9, 0) // fetched, never handed out
	require.True(t, ok)
	c.ack(a)
	c.ack(a) // a second ack must not count twice
	c.ack(queued)
	off, _, _ := c.committable()
	assert.Equal(t, int64(5), off, "a span never handed out cannot be acknowledged")
	assert.Zero(t, c.outstanding())

	_, ok = c.track(3, 0)
	assert.False(t, ok, "a span before the previous one is refused")
}

func TestCheckpointClosed(t *testing.T) {
	c := newCheckpoint()
	a := trackHanded(t, c, 4)
	queued, _ := c.track(9, 0)
	c.close()
	assert.False(t, c.handOut(queued), "a revoked partition hands nothing more out")
	_, ok := c.track(14, 0)
	assert.False(t, ok)
	c.ack(a) // a batch in flight at revocation still counts
	off, _, _ := c.committable()
	assert.Equal(t, int64(5), off)
}

// TestCheckpointConcurrentAcks acknowledges spans from many goroutines in random order
// while a reader checks that the watermark only moves forward and never passes a span
// that was not acknowledged. Run with -race.
func TestCheckpointConcurrentAcks(t *testing.T) {
	const spans, size = 5000, 3
	c := newCheckpoint()
	all := make([]*span, spans)
	ackedFlags := make([]atomic.Bool, spans)
	for i := range all {
		all[i] = trackHanded(t, c, int64(i*size+size-1))
	}
	order := rand.Perm(spans)

	stop := make(chan struct{})
	var violations atomic.Int64
	var readerWG sync.WaitGroup
	readerWG.Add(1)
	go func() {
		defer readerWG.Done()
		last := int64(-1)
		for {
			select {
			case <-stop:
				return
			default:
			}
			off, _, ok := c.committable()
			if !ok {
				continue
			}
			if off < last {
				violations.Add(1)
			}
			last = off
			// Every span ending before off must have been acknowledged.
			for i := int64(0); i < off/size; i++ {
				if !ackedFlags[i].Load() {
					violations.Add(1)
					break
				}
			}
		}
	}()

	var wg sync.WaitGroup
	const workers = 8
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < spans; k += workers {
				i := order[k]
				ackedFlags[i].Store(true) // before ack: the reader may see the effect right after
				c.ack(all[i])
			}
		}()
	}
	wg.Wait()
	close(stop)
	readerWG.Wait()

	assert.Zero(t, violations.Load())
	off, _, ok := c.committable()
	assert.True(t, ok)
	assert.Equal(t, int64(spans*size), off)
	assert.Zero(t, c.outstanding())
}
