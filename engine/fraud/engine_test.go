package fraud

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
)

func engineFiles(t *testing.T, weightA int) (string, string) {
	t.Helper()
	dir := t.TempDir()
	p := write(t, dir, "a.yaml", "rules:\n"+rule("A", "tx.amount > 1", weightA))
	return dir, p
}

// poll calls ReloadIfChanged as Watch does, until it attempts a load (a change is loaded
// at the second poll that sees it).
func poll(t *testing.T, e *Engine) (bool, error) {
	t.Helper()
	for i := 0; i < 3; i++ {
		attempted, changed, err := e.ReloadIfChanged()
		if attempted {
			return changed, err
		}
	}
	t.Fatal("no reload attempted after three polls")
	return false, nil
}

func TestEngineReloadsChangedFilesAndKeepsTheOldSetOnErrors(t *testing.T) {
	dir, p := engineFiles(t, 10)
	e, err := NewEngine(Config{Rules: []string{filepath.Join(dir, "*.yaml")}, Description: testDescription(t), Bands: DefaultBands()})
	require.NoError(t, err)
	v1 := e.RuleSet()
	attempted, _, err := e.ReloadIfChanged()
	require.NoError(t, err)
	assert.False(t, attempted, "nothing changed")

	require.NoError(t, os.WriteFile(p, []byte("rules:\n"+rule("A", "tx.amount > 1", 20)), 0o644))
	attempted, _, _ = e.ReloadIfChanged()
	assert.False(t, attempted, "a change waits one poll for the writer to finish")
	assert.Same(t, v1, e.RuleSet())
	changed, err := poll(t, e)
	require.NoError(t, err)
	assert.True(t, changed)
	v2 := e.RuleSet()
	assert.NotEqual(t, v1.Version(), v2.Version())
	assert.Equal(t, 20, v2.Rule("A").Weight)
	assert.NotNil(t, v2.Bands(), "bands survive a reload")

	// A broken file is refused, once; the set in use stays.
	require.NoError(t, os.WriteFile(p, []byte("rules:\n"+rule("A", "tx.amout > 1", 30)), 0o644))
	_, err = poll(t, e)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "a.yaml:7:")
	assert.Contains(t, err.Error(), "unknown field tx.amout")
	assert.Same(t, v2, e.RuleSet())
	for i := 0; i < 3; i++ {
		attempted, _, _ := e.ReloadIfChanged()
		assert.False(t, attempted, "the broken file is not retried until it changes")
	}

	// A file emptied by a writer is refused too.
	require.NoError(t, os.WriteFile(p, nil, 0o644))
	_, err = poll(t, e)
	assert.ErrorContains(t, err, "declares no rules")
	assert.Same(t, v2, e.RuleSet())

	// Fixed, plus a new file the glob now matches.
	require.NoError(t, os.WriteFile(p, []byte("rules:\n"+rule("A", "tx.amount > 1", 30)), 0o644))
	write(t, dir, "b.yaml", "rules:\n"+rule("B", "tx.amount > 2", 5))
	changed, err = poll(t, e)
	require.NoError(t, err)
	assert.True(t, changed)
	assert.Len(t, e.RuleSet().Rules(), 2)
	assert.Len(t, e.RuleSet().Files(), 2)

	// Every file gone: the glob matches nothing, refused once.
	require.NoError(t, os.Remove(p))
	require.NoError(t, os.Remove(filepath.Join(dir, "b.yaml")))
	_, err = poll(t, e)
	assert.ErrorContains(t, err, "matches no file")
	assert.Len(t, e.RuleSet().Rules(), 2)
	attempted, _, _ = e.ReloadIfChanged()
	assert.False(t, attempted)
}

func TestSameSizeRewritesAreSeen(t *testing.T) {
	dir, p := engineFiles(t, 10)
	e, err := NewEngine(Config{Rules: []string{dir}, Description: testDescription(t)})
	require.NoError(t, err)
	st, err := os.Stat(p)
	require.NoError(t, err)
	// Same size, and the old modification time put back: only the content differs.
	require.NoError(t, os.WriteFile(p, []byte("rules:\n"+rule("A", "tx.amount > 1", 20)), 0o644))
	require.NoError(t, os.Chtimes(p, st.ModTime(), st.ModTime()))
	changed, err := poll(t, e)
	require.NoError(t, err)
	assert.True(t, changed)
	assert.Equal(t, 20, e.RuleSet().Rule("A").Weight)
}

func TestReloadOnDemand(t *testing.T) {
	dir, p := engineFiles(t, 10)
	e, err := NewEngine(Config{Rules: []string{filepath.Join(dir, "a.yaml")}, Description: testDescription(t)})
	require.NoError(t, err)
	v1 := e.RuleSet()
	changed, err := e.Reload()
	require.NoError(t, err)
	assert.False(t, changed)
	assert.Same(t, v1, e.RuleSet(), "the same rules keep the same set")
	require.NoError(t, os.WriteFile(p, []byte("rules:\n"+rule("A", "tx.amount > 1", 11)), 0o644))
	changed, err = e.Reload()
	require.NoError(t, err)
	assert.True(t, changed, "on demand: no waiting for a second look")
	require.NoError(t, os.WriteFile(p, []byte("rules: [oops"), 0o644))
	_, err = e.Reload()
	assert.ErrorContains(t, err, "invalid YAML")
	assert.Equal(t, 11, e.RuleSet().Rule("A").Weight)
}

func TestNewEngineRefusesBrokenRules(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", "rules:\n"+rule("A", "tx.amout > 1", 1))
	_, err := NewEngine(Config{Rules: []string{dir}, Description: testDescription(t)})
	var ds Diagnostics
	require.ErrorAs(t, err, &ds)
	assert.Equal(t, "A", ds[0].Rule)
	_, err = NewEngine(Config{Rules: []string{filepath.Join(dir, "missing.yaml")}, Description: testDescription(t)})
	assert.ErrorContains(t, err, "no such file")
	_, err = NewEngine(Config{Rules: []string{dir}})
	assert.ErrorContains(t, err, "Description is required")
}

func TestWatchReportsReloadsUntilCancelled(t *testing.T) {
	dir, p := engineFiles(t, 10)
	e, err := NewEngine(Config{Rules: []string{dir}, Description: testDescription(t)})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan ReloadEvent, 10)
	done := make(chan struct{})
	go func() {
		e.Watch(ctx, time.Millisecond, func(ev ReloadEvent) { events <- ev })
		close(done)
	}()
	require.NoError(t, os.WriteFile(p, []byte("rules:\n"+rule("A", "tx.amount > 1", 12)), 0o644))
	select {
	case ev := <-events:
		require.NoError(t, ev.Err)
		assert.True(t, ev.Changed)
		assert.Equal(t, e.RuleSet().Version(), ev.Version)
	case <-time.After(time.Minute): // deadlock guard
		t.Fatal("no reload reported")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("Watch did not return after cancel")
	}
	e.Watch(context.Background(), 0, nil) // a zero interval returns at once
}

// TestConcurrentEvaluationDuringReloads evaluates on several goroutines while the rules
// are rewritten and reloaded: every result must be one whole version (its score the
// weight of that version's rule, its version that set's), never a mix. Run with -race.
func TestConcurrentEvaluationDuringReloads(t *testing.T) {
	dir, p := engineFiles(t, 1)
	d := testDescription(t)
	e, err := NewEngine(Config{Rules: []string{dir}, Description: d})
	require.NoError(t, err)
	weightOf := sync.Map{} // version -> weight
	weightOf.Store(e.RuleSet().Version(), 1)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var evaluated atomic.Int64
	errs := make(chan string, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			env := d.NewEnv()
			var res Result
			for !stop.Load() {
				env.Reset()
				if err := env.Set("tx", "amount", money.MustParse("5.00")); err != nil {
					errs <- err.Error()
					return
				}
				rs := e.RuleSet()
				rs.Evaluate(env, &res)
				w, ok := weightOf.Load(res.Version)
				if !ok || res.Version != rs.Version() || res.Score != w.(int) || len(res.Hits) != 1 {
					errs <- "inconsistent result: " + res.Version
					return
				}
				evaluated.Add(1)
			}
		}()
	}
	for w := 2; w <= 40; w++ {
		text := "rules:\n" + rule("A", "tx.amount > 1", w)
		specs, _ := ParseRules("x", []byte(text))
		rs, _ := Compile(specs, d)
		weightOf.Store(rs.Version(), w)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		changed, err := e.Reload()
		require.NoError(t, err)
		require.True(t, changed)
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	assert.Equal(t, 40, e.RuleSet().Rule("A").Weight)
	assert.Positive(t, evaluated.Load())
	assert.True(t, strings.HasPrefix(e.RuleSet().Files()[0], dir))
}
