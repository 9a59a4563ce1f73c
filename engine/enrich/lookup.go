package enrich

import (
	"time"
)

func (t *table[K]) config() *Config { return &t.conf }

// find computes row's key and copies the key's columns into dst. For Missing it also
// returns the converted key, to wait for.
func (t *table[K]) find(row map[string]any, dst map[string]any) (Status, any, error) {
	v, err := t.key.eval(row)
	if err != nil {
		return KeyError, nil, err
	}
	if v == nil {
		return NullKey, nil, nil
	}
	k, err := t.conv(v)
	if err != nil {
		return KeyError, nil, err
	}
	if t.ix.Load().get(k, dst) {
		return Found, nil, nil
	}
	return Missing, k, nil
}

func (t *table[K]) findKey(key any, dst map[string]any) bool {
	return t.ix.Load().get(key.(K), dst)
}

func (t *table[K]) recentlyMissed(key any, now time.Time) bool {
	if t.opts.MissTTL <= 0 {
		return false
	}
	t.missMu.Lock()
	defer t.missMu.Unlock()
	until, ok := t.missed[key.(K)]
	if ok && now.After(until) {
		delete(t.missed, key.(K))
		return false
	}
	return ok
}

// noteMissed remembers a key whose wait ran out. The memory is bounded: when full, expired
// entries are dropped, and if none has expired the key is not remembered (it will wait
// again).
func (t *table[K]) noteMissed(key any, now time.Time) {
	if t.opts.MissTTL <= 0 {
		return
	}
	t.missMu.Lock()
	defer t.missMu.Unlock()
	if len(t.missed) >= maxMissed {
		for k, until := range t.missed {
			if now.After(until) {
				delete(t.missed, k)
			}
		}
		if len(t.missed) >= maxMissed {
			return
		}
	}
	t.missed[key.(K)] = now.Add(t.opts.MissTTL)
}

func (t *table[K]) addWaiting(n int64) {
	t.waiting.Add(n)
	if n > 0 {
		t.waits.Add(n)
	}
}

func (t *table[K]) fields() []Field {
	if f := t.fieldsV.Load(); f != nil {
		return *f
	}
	return nil
}

var _ source = (*table[int64])(nil)
