package delta

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestLocalStorage(t *testing.T) {
	ctx := context.Background()
	s := NewLocalStorage(t.TempDir())

	if _, err := s.Read(ctx, "_delta_log/x.json"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("Read missing: got %v, want ErrNotExist", err)
	}
	if l, err := s.List(ctx, "_delta_log"); err != nil || len(l) != 0 {
		t.Fatalf("List missing dir: %v %v", l, err)
	}
	if err := s.PutIfAbsent(ctx, "_delta_log/b.json", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutIfAbsent(ctx, "_delta_log/b.json", []byte("two")); !errors.Is(err, ErrExist) {
		t.Fatalf("second PutIfAbsent: got %v, want ErrExist", err)
	}
	if b, _ := s.Read(ctx, "_delta_log/b.json"); string(b) != "one" {
		t.Fatalf("content after lost race = %q, want one", b)
	}
	if err := s.Put(ctx, "_delta_log/a.json", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "_delta_log/a.json", []byte("xyz")); err != nil {
		t.Fatal(err)
	}
	l, err := s.List(ctx, "_delta_log")
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 2 || l[0].Name != "a.json" || l[1].Name != "b.json" || l[0].Size != 3 {
		t.Fatalf("List = %+v, want [a.json(3) b.json] and no temp files", l)
	}
	f, err := s.Open(ctx, "_delta_log/a.json")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if _, err := f.ReadAt(buf, 1); err != nil || string(buf) != "yz" || f.Size() != 3 {
		t.Fatalf("ReadAt = %q %v size %d", buf, err, f.Size())
	}
	f.Close()
	if err := s.Delete(ctx, "_delta_log/a.json"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "_delta_log/a.json"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("Delete missing: %v", err)
	}
	for _, bad := range []string{"../x", "a/../../x"} {
		if err := s.Put(ctx, bad, nil); err == nil {
			t.Errorf("Put(%q) succeeded, want refusal", bad)
		}
	}
}

// TestLocalStoragePutIfAbsentRace has many goroutines race for the same names: exactly one
// wins each name.
func TestLocalStoragePutIfAbsentRace(t *testing.T) {
	ctx := context.Background()
	s := NewLocalStorage(t.TempDir())
	const names, racers = 20, 8
	var wg sync.WaitGroup
	wins := make([]int, names)
	var mu sync.Mutex
	for r := 0; r < racers; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			for n := 0; n < names; n++ {
				err := s.PutIfAbsent(ctx, fmt.Sprintf("d/%d", n), []byte(fmt.Sprint(r)))
				if err == nil {
					mu.Lock()
					wins[n]++
					mu.Unlock()
				} else if !errors.Is(err, ErrExist) {
					t.Error(err)
				}
			}
		}(r)
	}
	wg.Wait()
	for n, w := range wins {
		if w != 1 {
			t.Errorf("name %d won %d times, want 1", n, w)
		}
	}
}
