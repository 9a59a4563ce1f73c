package debezium

import (
	"bytes"
	"encoding/json"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// connectSchema is the schema half of a JsonConverter message with schemas.enable=true.
type connectSchema struct {
	Type   string         `json:"type"`
	Name   string         `json:"name"`
	Fields []connectField `json:"fields"`
}

// schemaEntry is one distinct Connect schema block, parsed once.
type schemaEntry struct {
	raw   []byte
	kind  Kind           // what the schema name says the value is; "" when it does not say
	value []connectField // before/after row struct fields (nil: not an envelope)
	// compiled caches the row typing together with the contract it was compiled against,
	// because the contract is chosen from the first event's source table.
	compiled atomic.Pointer[compiledRow]
}

type compiledRow struct {
	contract *schemas.Table
	rt       *rowType
}

func (e *schemaEntry) rowType(contract *schemas.Table, o typingOptions) *rowType {
	if c := e.compiled.Load(); c != nil && c.contract == contract {
		return c.rt
	}
	rt := newRowType(len(e.value), true)
	for i := range e.value {
		f := &e.value[i]
		var col *schemas.Column
		if contract != nil {
			col = contract.Column(f.Field)
		}
		ct := connectCol(f, col, o)
		ct.unknown = contract != nil && col == nil
		rt.add(f.Field, ct)
	}
	e.compiled.Store(&compiledRow{contract: contract, rt: rt})
	return rt
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
	last   map[string]*schemaEntry // by Kafka topic ("" without metadata)
}

func newSchemaCache() *schemaCache {
	return &schemaCache{seed: maphash.MakeSeed(), byHash: map[uint64]*schemaEntry{}, last: map[string]*schemaEntry{}}
}

// lookup reads the schema value at the scanner's cursor and returns its entry, leaving the
// cursor after it. A JSON object is self-delimiting, so if the input continues with exactly
// the bytes of the topic's last schema, the schema value is those bytes.
func (c *schemaCache) lookup(s *scanner, topic string) (*schemaEntry, error) {
	s.ws()
	c.mu.RLock()
	e := c.last[topic]
	c.mu.RUnlock()
	if e != nil && bytes.HasPrefix(s.b[s.i:], e.raw) {
		s.i += len(e.raw)
		return e, nil
	}
	a, z, err := s.skip()
	if err != nil {
		return nil, withField(err, "schema")
	}
	span := s.b[a:z]
	h := maphash.Bytes(c.seed, span)
	c.mu.RLock()
	e = c.byHash[h]
	c.mu.RUnlock()
	if e == nil || !bytes.Equal(e.raw, span) {
		if e, err = parseSchemaEntry(span); err != nil {
			return nil, err
		}
		c.mu.Lock()
		if len(c.byHash) >= maxCachedSchemas {
			c.byHash = map[uint64]*schemaEntry{}
			c.last = map[string]*schemaEntry{}
		}
		c.byHash[h] = e
		c.mu.Unlock()
	}
	c.mu.Lock()
	if len(c.last) >= maxCachedSchemas {
		c.last = map[string]*schemaEntry{}
	}
	c.last[topic] = e
	c.mu.Unlock()
	return e, nil
}

func parseSchemaEntry(span []byte) (*schemaEntry, error) {
	e := &schemaEntry{raw: bytes.Clone(span)}
	if string(span) == "null" {
		return e, nil
	}
	var cs connectSchema
	if err := json.Unmarshal(span, &cs); err != nil {
		return nil, errAt(ReasonInvalidJSON, "schema", span, "a Kafka Connect schema object ("+err.Error()+")")
	}
	switch {
	case strings.HasSuffix(cs.Name, ".Heartbeat"):
		e.kind = KindHeartbeat
	case strings.HasSuffix(cs.Name, ".SchemaChangeValue"):
		e.kind = KindSchemaChange
	case strings.HasSuffix(cs.Name, ".TransactionMetadataValue"):
		e.kind = KindTransaction
	}
	for i := range cs.Fields {
		f := &cs.Fields[i]
		if (f.Field == "after" || f.Field == "before") && f.Type == "struct" {
			if e.value == nil || f.Field == "after" {
				e.value = f.Fields
			}
		}
	}
	return e, nil
}
