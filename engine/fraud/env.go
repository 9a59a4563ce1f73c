package fraud

import (
	"errors"
	"fmt"
	"reflect"
	"time"
	"unsafe"

	"github.com/expr-lang/expr/vm"
)

// Env holds one transaction's values for a Description and the scratch state of an
// evaluation. It is not safe for concurrent use: give each goroutine its own (a
// sync.Pool of them works well) and Reset it before filling the next transaction.
type Env struct {
	d *Description
	// slots[i] is the value of d.list[i], nil when missing. It is the memory of the struct
	// ptr points to (see Description.envLayout), which compiled rules read by field index.
	slots  []any
	ptr    any
	vm     vm.VM
	intern []map[string]any // per string field: recent values, boxed once
}

// internLimit bounds the per-field cache of boxed strings: enums and currency codes fit,
// a high-cardinality column (device ids) stops being cached instead of growing.
const internLimit = 256

// NewEnv returns an empty environment for d.
func (d *Description) NewEnv() *Env {
	v := reflect.New(d.envLayout())
	n := len(d.list)
	var slots []any
	if n > 0 {
		slots = unsafe.Slice((*any)(v.UnsafePointer()), n)
	}
	return &Env{d: d, slots: slots, ptr: v.Interface(), intern: make([]map[string]any, n)}
}

// Description returns the description the environment was made for.
func (e *Env) Description() *Description { return e.d }

// Reset forgets every value (all fields become nil).
func (e *Env) Reset() { clear(e.slots) }

// FieldError is a value that could not be stored: the field, the value (truncated) and
// what was expected.
type FieldError struct {
	Field string // "acct.balance"
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// Set stores object.field = v after Coerce. An unknown field or a value that cannot be
// converted fails with a *FieldError and leaves the field unchanged.
func (e *Env) Set(object, field string, v any) error {
	fi, ok := e.d.objects[object][field]
	if !ok {
		return &FieldError{Field: object + "." + field, Err: errors.New("not a field of the environment")}
	}
	return e.set(fi, v)
}

func (e *Env) set(fi *fieldInfo, v any) error {
	c, err := Coerce(fi.Type, v)
	if err != nil {
		return &FieldError{Field: fi.key, Err: err}
	}
	e.slots[fi.idx] = c
	return nil
}

// SetObject stores every field of values that the description declares for object;
// names it does not declare are ignored (an upstream processor may bring more than the
// rules use). Each value that cannot be converted is left nil and reported; the others
// are stored.
func (e *Env) SetObject(object string, values map[string]any) error {
	fields, ok := e.d.objects[object]
	if !ok {
		if !knownObject(object) {
			return fmt.Errorf("unknown object %q", object)
		}
		return nil
	}
	var errs []error
	for name, v := range values {
		fi, ok := fields[name]
		if !ok {
			continue
		}
		if err := e.set(fi, v); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Get returns the value of object.field, nil when missing.
func (e *Env) Get(object, field string) any {
	fi, ok := e.d.objects[object][field]
	if !ok {
		return nil
	}
	return e.slots[fi.idx]
}

// Values returns the stored value of each flat name in names ("acct.count_1m"), for
// recording what a rule read.
func (e *Env) Values(names []string) map[string]any {
	out := make(map[string]any, len(names))
	for _, n := range names {
		if fi, ok := e.d.flat[n]; ok {
			out[n] = e.slots[fi.idx]
		} else {
			out[n] = nil
		}
	}
	return out
}

// derive fills tx.event_time from the event-time column and tx.local_hour from it, unless
// they were set explicitly (a rule test may).
func (e *Env) derive() { e.deriveExcept(false, false) }

// deriveExcept is derive leaving event_time or local_hour alone (a rule test gave them
// as null).
func (e *Env) deriveExcept(eventTime, localHour bool) {
	d := e.d
	if d.eventTime < 0 {
		return
	}
	if !eventTime && d.timeCol >= 0 && e.slots[d.eventTime] == nil {
		e.slots[d.eventTime] = e.slots[d.timeCol]
	}
	if localHour || d.localHour < 0 || e.slots[d.localHour] != nil {
		return
	}
	t, ok := e.slots[d.eventTime].(time.Time)
	if !ok {
		return
	}
	if d.timezone >= 0 {
		if tz, ok := e.slots[d.timezone].(string); ok && tz != "" {
			if loc := zone(tz); loc != nil {
				t = t.In(loc)
			}
		}
	}
	e.slots[d.localHour] = t.Hour()
}

// internString returns s boxed, reusing the box of an earlier equal value of the field.
func (e *Env) internString(fi *fieldInfo, b []byte) any {
	m := e.intern[fi.idx]
	if v, ok := m[string(b)]; ok {
		return v
	}
	s := string(b)
	var v any = s
	if m == nil {
		m = make(map[string]any, 16)
		e.intern[fi.idx] = m
	}
	if len(m) < internLimit {
		m[s] = v
	}
	return v
}
