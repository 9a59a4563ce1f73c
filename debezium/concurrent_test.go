package debezium

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// One Unwrapper is shared by Benthos pipeline threads: the schema cache, the state pool and
// the eager-typing prediction must be safe and must not leak between events.
func TestConcurrentUnwrap(t *testing.T) {
	tx, err := schemas.Load("transactions")
	require.NoError(t, err)
	o := DefaultOptions()
	o.Contracts = []*schemas.Table{tx}
	u := mustNew(t, o)
	ref := mustNew(t, o)
	topics := []string{"a", "b"}
	var events [][]byte
	want := map[string][]string{}
	for i := 0; i < 40; i++ {
		ev := txEvent(i, []string{"c", "u", "d", "r"}[i%4], i%2 == 0)
		events = append(events, ev)
		for _, topic := range topics {
			r, err := ref.Unwrap(ev, Meta{Topic: topic, HasTopic: true})
			require.NoError(t, err)
			want[topic] = append(want[topic], string(r.Body))
		}
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for k := 0; k < 200; k++ {
				i := (k*7 + g) % len(events)
				topic := topics[k%2]
				r, err := u.Unwrap(events[i], Meta{Topic: topic, HasTopic: true})
				if !assert.NoError(t, err) {
					return
				}
				assert.Equal(t, want[topic][i], string(r.Body))
			}
		}(g)
	}
	wg.Wait()
}
