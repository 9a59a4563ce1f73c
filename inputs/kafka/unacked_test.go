package kafka

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnackedBudget(t *testing.T) {
	ctx := context.Background()
	b := newUnackedBudget(100)
	require.NoError(t, b.acquire(ctx, 60))
	require.NoError(t, b.acquire(ctx, 40))
	assert.Equal(t, 100, b.inUse())

	// Full: the next reader waits until records are acknowledged.
	got := make(chan error, 1)
	go func() { got <- b.acquire(ctx, 30) }()
	select {
	case err := <-got:
		t.Fatalf("acquire passed a full budget (err %v)", err)
	default:
	}
	b.release(20) // 80 out: 30 more do not fit yet
	select {
	case err := <-got:
		t.Fatalf("acquire of 30 passed with 80 of 100 out (err %v)", err)
	default:
	}
	b.release(40) // 40 out
	require.NoError(t, <-got)
	assert.Equal(t, 70, b.inUse())

	// A waiting reader gives up with its context.
	cctx, cancel := context.WithCancel(ctx)
	go func() { got <- b.acquire(cctx, 50) }()
	cancel()
	assert.ErrorIs(t, <-got, context.Canceled)
	assert.Equal(t, 70, b.inUse(), "a cancelled acquire takes nothing")

	// A batch larger than the budget passes alone, so that it cannot wait forever.
	b.release(70)
	require.NoError(t, b.acquire(ctx, 500))
	assert.Equal(t, 500, b.inUse())
	b.release(500)

	// 0 is no limit.
	free := newUnackedBudget(0)
	for i := 0; i < 10; i++ {
		require.NoError(t, free.acquire(ctx, 1<<20))
	}
}
