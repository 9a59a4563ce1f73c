package debezium

import (
	"bytes"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ledgerflow/ledgerflow/debezium/jsonscan"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// schemaEntry is one distinct Connect schema block, parsed once.
type schemaEntry struct {
	raw []byte
	// err is set for a schema block that is invalid: cached too, so a stream of broken
	// events does not re-parse each one, but never the topic's "last" schema, so it cannot
	// stand in for a good one.
	err   *Error
	kind  Kind           // what the schema name says the value is; "" when it does not say
	value []connectField // before/after row struct fields (nil: not an envelope)
	// hasBefore/hasAfter: the envelope declares that image, so the payload may carry it.
	hasBefore, hasAfter bool
	// compiled caches the row typing together with the contract it was compiled against,
	// because the contract is chosen from the first event's source table.
	compiled atomic.Pointer[compiledRow]
}

type compiledRow struct {
	contract *schemas.Table
	rt       *rowType
}

func (e *schemaEntry) rowType(contract *schemas.Table, o typingOptions, reserved *reservedNames) *rowType {
	if c := e.compiled.Load(); c != nil && c.contract == contract {
		return c.rt
	}
	rt := newRowType(len(e.value), true)
	rt.fromSchema = true
	if contract != nil && contract.Partition != nil {
		rt.partition = contract.Partition.Column
	}
	for i := range e.value {
		f := &e.value[i]
		var col *schemas.Column
		if contract != nil {
			col = contract.Column(f.Field)
		}
		ct := connectCol(f, col, o)
		ct.unknown = contract != nil && col == nil
		ct.badReason = ReasonInvalidColumnName
		switch name := []byte(f.Field); {
		case reserved.has(name) || rt.partition != "" && strings.EqualFold(f.Field, rt.partition):
			ct.badReason, ct.badExpect = ReasonReservedColumn, "reserved" // reservedErr words it
		case col != nil && col.Name != f.Field:
			ct.badExpect = "a column name that differs from the contract's column " + col.Name + " by more than case"
		case col == nil:
			if _, ok := rt.caseVariant(name); ok {
				ct.badExpect = "a column name that differs from another column by more than case"
			} else if why := invalidDeltaName(name); why != "" {
				ct.badExpect = why
			}
		}
		rt.add(f.Field, ct)
	}
	if contract != nil {
		for i := range contract.Columns {
			c := &contract.Columns[i]
			if !c.IsNullable() && !hasFieldFold(e.value, c.Name) {
				rt.absentNotNull = append(rt.absentNotNull, c.Name)
			}
		}
	}
	e.compiled.Store(&compiledRow{contract: contract, rt: rt})
	return rt
}

func hasFieldFold(fs []connectField, name string) bool {
	for i := range fs {
		if strings.EqualFold(fs[i].Field, name) {
			return true
		}
	}
	return false
}

// maxCachedSchemas bounds the cache; a topic whose schema changes every message (which
// Debezium never does) cannot grow memory without bound, the cache just restarts.
const maxCachedSchemas = 1024

// schemaCache maps schema bytes to parsed entries. Parsing happens once per distinct schema;
// later messages are matched by a byte comparison against the topic's last schema (no
// scan at all), or by a hash of the scanned schema span.
type schemaCache struct {
	seed   maphash.Seed
	mu     sync.RWMutex
	byHash map[uint64]*schemaEntry
	last   map[string]*schemaEntry // by Kafka topic ("" without metadata); valid schemas only
}

func newSchemaCache() *schemaCache {
	return &schemaCache{seed: maphash.MakeSeed(), byHash: map[uint64]*schemaEntry{}, last: map[string]*schemaEntry{}}
}

// lookup reads the schema value at the cursor and returns its entry, leaving the cursor
// after it. A JSON object is self-delimiting, so if the input continues with exactly the
// bytes of the topic's last schema (always an object), the schema value is those bytes.
// An invalid schema returns its error (a fresh copy each time, so callers may annotate it).
func (c *schemaCache) lookup(s *scanner, topic string) (*schemaEntry, error) {
	s.WS()
	c.mu.RLock()
	e := c.last[topic]
	c.mu.RUnlock()
	if e != nil && bytes.HasPrefix(s.B[s.I:], e.raw) {
		s.I += len(e.raw)
		return e, nil
	}
	a, z, err := s.skip()
	if err != nil {
		return nil, withField(err, "schema")
	}
	span := s.B[a:z]
	h := maphash.Bytes(c.seed, span)
	c.mu.RLock()
	e = c.byHash[h]
	c.mu.RUnlock()
	if e == nil || !bytes.Equal(e.raw, span) {
		e = parseSchemaEntry(span)
		c.mu.Lock()
		if len(c.byHash) >= maxCachedSchemas {
			c.byHash = map[uint64]*schemaEntry{}
			c.last = map[string]*schemaEntry{}
		}
		c.byHash[h] = e
		c.mu.Unlock()
	}
	if e.err != nil {
		cp := *e.err
		return nil, &cp
	}
	c.mu.Lock()
	if len(c.last) >= maxCachedSchemas {
		c.last = map[string]*schemaEntry{}
	}
	c.last[topic] = e
	c.mu.Unlock()
	return e, nil
}

// parseSchemaEntry parses a schema block (valid JSON, not null). A block that is not a
// valid Connect schema gives an entry with err set.
func parseSchemaEntry(span []byte) *schemaEntry {
	e := &schemaEntry{raw: bytes.Clone(span)}
	fail := func(err error) *schemaEntry {
		if x, ok := err.(*Error); ok {
			e.err = x
		} else {
			e.err = &Error{Reason: ReasonSchemaInvalid, Field: "schema", Value: err.Error()}
		}
		return e
	}
	s := &scanner{Scanner: jsonscan.Scanner{B: e.raw}}
	cs, err := parseConnect(s, "schema", false)
	if err != nil {
		return fail(err)
	}
	switch {
	case strings.HasSuffix(cs.Name, ".Heartbeat"):
		e.kind = KindHeartbeat
	case strings.HasSuffix(cs.Name, ".SchemaChangeValue"):
		e.kind = KindSchemaChange
	case strings.HasSuffix(cs.Name, ".TransactionMetadataValue"):
		e.kind = KindTransaction
	}
	var before, after *connectField
	for i := range cs.Fields {
		f := &cs.Fields[i]
		switch f.Field {
		case "before", "after":
			if f.Type != "struct" {
				return fail(&Error{Reason: ReasonSchemaInvalid, Field: "schema.fields[" + itoa(i) + "].type", Value: f.Type,
					Expected: "struct: the " + f.Field + " image of a Debezium envelope"})
			}
			if f.Field == "before" {
				before, e.hasBefore = f, true
			} else {
				after, e.hasAfter = f, true
			}
		}
	}
	switch {
	case after != nil:
		e.value = after.Fields
	case before != nil:
		e.value = before.Fields
	}
	if before != nil && after != nil && !sameFields(before.Fields, after.Fields) {
		return fail(&Error{Reason: ReasonSchemaInvalid, Field: "schema.before", Value: "(differs from schema.after)",
			Expected: "one row schema for the before and after images"})
	}
	if e.value == nil && (e.hasAfter || e.hasBefore) {
		e.value = []connectField{}
	}
	return e
}

func sameFields(a, b []connectField) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := &a[i], &b[i]
		if x.Field != y.Field || x.Type != y.Type || x.Name != y.Name || x.Optional != y.Optional ||
			x.hasScale != y.hasScale || x.scale != y.scale || x.precision != y.precision || !sameFields(x.Fields, y.Fields) {
			return false
		}
	}
	return true
}
