package debezium

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ledgerflow/ledgerflow/debezium/jsonscan"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// Kind is what a Debezium message is; it becomes the `debezium_kind` metadata value.
type Kind string

// Message kinds.
const (
	KindRow          Kind = "row"
	KindTombstone    Kind = "tombstone"
	KindHeartbeat    Kind = "heartbeat"
	KindSchemaChange Kind = "schema_change"
	KindTransaction  Kind = "transaction"
	KindTruncate     Kind = "truncate"
	KindMessage      Kind = "message"
)

// Options configure an Unwrapper. DefaultOptions gives the processor's defaults.
type Options struct {
	DeleteHandling      string // rewrite | drop | tombstone
	TombstoneHandling   string // drop | keep
	TruncateHandling    string // keep | drop
	DropKinds           []Kind // further kinds to drop instead of passing through
	IncludeBefore       bool   // add _before to updates
	Tinyint1AsBoolean   bool
	DecimalHandlingMode string // precise | string | double (schemas disabled)
	TimePrecisionMode   string // adaptive_time_microseconds | connect (schemas disabled)
	Contracts           []*schemas.Table
	AddFields           []string
	AddFieldsPrefix     string
	// MaxMessageBytes is the maximum event size: a larger body fails with event_too_large
	// before any of it is decoded.
	MaxMessageBytes int
	// AssumeTimeZone is the zone of zone-less ISO-8601 DATETIME/TIMESTAMP strings (schemas
	// disabled). nil refuses them (invalid_value): guessing a zone moves money in time.
	AssumeTimeZone *time.Location
}

// DefaultMaxEventBytes is the default maximum event size (16 MiB).
const DefaultMaxEventBytes = 16 << 20

// DefaultOptions returns the defaults the processor documents.
func DefaultOptions() Options {
	return Options{
		DeleteHandling: "rewrite", TombstoneHandling: "drop", TruncateHandling: "keep",
		IncludeBefore: true, Tinyint1AsBoolean: true, DecimalHandlingMode: "precise",
		TimePrecisionMode: "adaptive_time_microseconds", AddFieldsPrefix: "__",
		MaxMessageBytes: DefaultMaxEventBytes,
	}
}

// Meta is the Kafka metadata of the input message; Has* false means absent.
type Meta struct {
	Topic                    string
	Partition, Offset        string
	HasTopic, HasPartition   bool
	HasOffset, TombstoneFlag bool
	// Key is the Kafka record key (kafka_key): a Debezium key, the primary key as JSON,
	// optionally schema-wrapped. When present its values must equal the row's.
	Key    string
	HasKey bool
}

// Result is the outcome of Unwrap for a message that did not fail.
type Result struct {
	Kind           Kind
	Drop           bool   // the message must be removed from the stream
	Body           []byte // the new body; nil keeps the input unchanged (non-row kinds)
	Op             string // c u d r t m, when known
	Table          string // db.table from source, when known
	UnknownColumns []string
	UnknownTypes   []string // "name:type" (a Delta type) for the unknown columns the Connect schema types
	// Position and SourceTS are the truncate's _source_pos and _source_ts (JSON text without
	// quotes), so that a merge writer can order a truncate among row changes.
	Position, SourceTS string
}

type addField struct {
	scope string // envelope | source | transaction
	name  string // field inside scope
	out   string // `"<prefix><alias>":`
}

// Unwrapper turns Debezium JsonConverter values into flat rows. It is safe for concurrent use.
type Unwrapper struct {
	o         Options
	to        typingOptions
	cache     *schemaCache
	contracts map[string]*schemas.Table // by lower-case "db.table" and "table"
	typed     map[*schemas.Table]*rowType
	add       []addField
	reserved  *reservedNames
	drop      map[Kind]bool
	pool      sync.Pool
	lastRT    atomic.Pointer[rowType] // typing of the last schemaless row, for eager typing
}

// New validates options and builds an Unwrapper.
func New(o Options) (*Unwrapper, error) {
	u := &Unwrapper{o: o, cache: newSchemaCache(), contracts: map[string]*schemas.Table{},
		typed: map[*schemas.Table]*rowType{}, drop: map[Kind]bool{}}
	switch o.DeleteHandling {
	case "rewrite", "drop", "tombstone":
	default:
		return nil, fmt.Errorf("delete_handling %q: expected rewrite, drop or tombstone", o.DeleteHandling)
	}
	switch o.TombstoneHandling {
	case "drop":
		u.drop[KindTombstone] = true
	case "keep":
	default:
		return nil, fmt.Errorf("tombstone_handling %q: expected drop or keep", o.TombstoneHandling)
	}
	switch o.TruncateHandling {
	case "drop":
		u.drop[KindTruncate] = true
	case "keep":
	default:
		return nil, fmt.Errorf("truncate_handling %q: expected keep or drop", o.TruncateHandling)
	}
	for _, k := range o.DropKinds {
		switch k {
		case KindTombstone, KindHeartbeat, KindSchemaChange, KindTransaction, KindTruncate, KindMessage:
			u.drop[k] = true
		default:
			return nil, fmt.Errorf("drop_kinds: %q is not a droppable kind (tombstone, heartbeat, schema_change, transaction, truncate, message)", k)
		}
	}
	switch o.DecimalHandlingMode {
	case "precise", "string", "double":
	default:
		return nil, fmt.Errorf("decimal_handling_mode %q: expected precise, string or double", o.DecimalHandlingMode)
	}
	switch o.TimePrecisionMode {
	case "adaptive_time_microseconds", "connect":
	default:
		return nil, fmt.Errorf("time_precision_mode %q: expected adaptive_time_microseconds or connect", o.TimePrecisionMode)
	}
	if o.MaxMessageBytes <= 0 {
		return nil, fmt.Errorf("max_message_bytes %d: expected a positive size", o.MaxMessageBytes)
	}
	u.to = typingOptions{tinyint1AsBool: o.Tinyint1AsBoolean, decimalMode: o.DecimalHandlingMode, timeMode: o.TimePrecisionMode}
	for _, t := range o.Contracts {
		rt := newRowType(len(t.Columns), true)
		if t.Partition != nil {
			rt.partition = t.Partition.Column
		}
		for i := range t.Columns {
			ct := contractCol(&t.Columns[i], u.to)
			if o.AssumeTimeZone != nil {
				ct.zone = o.AssumeTimeZone
			}
			rt.add(t.Columns[i].Name, ct)
		}
		u.typed[t] = rt
		u.contracts[strings.ToLower(t.Name)] = t
		if t.Database != "" {
			u.contracts[strings.ToLower(t.Database+"."+t.Name)] = t
		}
	}
	u.reserved = newReservedNames()
	for _, spec := range o.AddFields {
		f, err := parseAddField(spec, o.AddFieldsPrefix)
		if err != nil {
			return nil, err
		}
		name := o.AddFieldsPrefix + f.out
		if u.reserved.has([]byte(name)) {
			return nil, fmt.Errorf("add_fields %q: output column %q is already written by LedgerFlow (reserved in any case: %s)", spec, name, u.reserved.text)
		}
		for _, t := range o.Contracts {
			if t.Column(name) != nil || t.IsReservedColumn(name) {
				return nil, fmt.Errorf("add_fields %q: output column %q is a column of table %s already", spec, name, t.Name)
			}
		}
		u.reserved.add(name)
		f.out = `"` + name + `":`
		u.add = append(u.add, f)
	}
	u.pool.New = func() any { return &state{u: u, tmp: make([]byte, 0, 128)} }
	return u, nil
}

// parseAddField reads ExtractNewRecordState's add.fields syntax: [scope.]field[:alias].
// op/ts_ms/ts_us/ts_ns are envelope fields; id/total_order/data_collection_order default to
// the transaction block; anything else unqualified is a source field.
func parseAddField(spec, prefix string) (addField, error) {
	s := strings.TrimSpace(spec)
	alias := ""
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s, alias = s[:i], s[i+1:]
	}
	var f addField
	switch {
	case strings.HasPrefix(s, "source."):
		f.scope, f.name = "source", s[len("source."):]
	case strings.HasPrefix(s, "transaction."):
		f.scope, f.name = "transaction", s[len("transaction."):]
	case s == "op" || s == "ts_ms" || s == "ts_us" || s == "ts_ns":
		f.scope, f.name = "envelope", s
	case s == "id" || s == "total_order" || s == "data_collection_order":
		f.scope, f.name = "transaction", s
	default:
		f.scope, f.name = "source", s
	}
	if f.name == "" || strings.ContainsAny(f.name, `."\`) || strings.ContainsAny(alias, `"\`) {
		return f, fmt.Errorf("add_fields %q: expected [source.|transaction.]field[:alias]", spec)
	}
	if alias == "" {
		alias = strings.ReplaceAll(s, ".", "_")
	}
	f.out = alias
	return f, nil
}

type span struct{ a, e int }

func (p span) ok() bool { return p.e > 0 }

type sourceInfo struct {
	present           bool
	tsMs, tsSec       int64
	hasTsMs, hasTsSec bool
	snapshot          span // raw token
	// db, table, schema, file and the LSN/SCN strings are decoded contents (escapes
	// resolved; slices of the input when there are none), nil when absent or null.
	db, table, schema []byte
	file              []byte
	fileTok           span // file's raw token, quotes included, for _source_file
	pos, row          int64
	hasPos            bool
	gtid              span // raw token
	changeLsn         []byte
	commitLsn         []byte
	serial            int64
	lsn               int64
	hasLsn            bool
	scn               []byte
}

// state is the per-call scratch; pooled so the hot path does not allocate it. Its buffers
// persist across calls; only the event part is zeroed per call (the whole state is over a
// kilobyte, and zeroing it per event showed in the benchmark).
type state struct {
	u *Unwrapper
	event

	tmp []byte
	// lastTable: the table name of the previous event handled by this state.
	lastTable           string
	adds                []span
	bufAfter, bufBefore []byte
	imgA, imgB          imageInfo // what typing the after/before image found

	// Duplicate detection. Known member names set bits (in event); others go to a nameSet
	// per object level. Row-image columns are stamped with gen in seen (and nulls), so
	// checking a column costs one compare and no clearing.
	topSet, paySet, srcSet nameSet
	unkSet, keySet         nameSet
	seen, nulls            []uint32
	gen                    uint32

	// The Kafka key, when the message has one (see key.go).
	key    keyInfo
	keyBuf []byte
}

// event is the part of the state that describes one message; reset zeroes it.
type event struct {
	b       []byte
	img     string
	before  span
	after   span
	bNull   bool
	aNull   bool
	op      []byte // decoded op
	hasOp   bool
	src     sourceInfo
	isDDL   bool
	status  bool
	nKeys   int
	nTsKeys int
	unknown []string

	entry               *schemaEntry
	eagerInit, eagerOK  bool
	eagerRT             *rowType
	convA, convB        bool // typed eagerly (so validated) while the envelope was read
	typedA, typedB      bool // typed by row() from the span
	unkAfter, unkBefore []string

	topBits, payBits, srcBits uint64
}

// imageInfo is what typing one row image found besides its rendering: the first NOT NULL
// column that is null or absent (checked only on the image that becomes the row), and
// where the Kafka key's columns were rendered (relative to the image's first byte).
type imageInfo struct {
	notNull *Error
	keyAt   []span
}

func (st *state) reset(b []byte) {
	st.event = event{b: b}
	st.tmp, st.bufAfter, st.bufBefore, st.keyBuf = st.tmp[:0], st.bufAfter[:0], st.bufBefore[:0], st.keyBuf[:0]
	st.topSet.reset()
	st.paySet.reset()
	st.srcSet.reset()
	st.unkSet.reset()
	st.keySet.reset()
	st.imgA.notNull, st.imgB.notNull = nil, nil
	st.imgA.keyAt, st.imgB.keyAt = st.imgA.keyAt[:0], st.imgB.keyAt[:0]
	st.key.reset()
	st.adds = st.adds[:0]
	for range st.u.add {
		st.adds = append(st.adds, span{})
	}
}

// nextGen starts stamping a new row image of n columns.
func (st *state) nextGen(n int) {
	if len(st.seen) < n {
		st.seen = make([]uint32, n+8)
		st.nulls = make([]uint32, n+8)
		st.gen = 0
	}
	st.gen++
	if st.gen == 0 { // wrapped: old stamps could collide
		clear(st.seen)
		clear(st.nulls)
		st.gen = 1
	}
}

func (st *state) fieldName(field []byte) string {
	if len(field) > maxFieldInError {
		field = field[:maxFieldInError] // a hostile name may be megabytes long
	}
	if st.img == "" {
		return string(field)
	}
	return st.img + "." + string(field)
}

// Unwrap decodes one Kafka message value. It never panics on any input. An error is an
// *Error whose Reason classifies it; the caller must route the message to its error path.
// A body that is not JSON fails with malformed_json whatever else is wrong with it.
func (u *Unwrapper) Unwrap(body []byte, m Meta) (Result, error) {
	if len(body) > u.o.MaxMessageBytes {
		return Result{}, &Error{Reason: ReasonEventTooLarge, Field: "message", Value: itoa(len(body)) + " bytes",
			Expected: "at most max_message_bytes = " + itoa(u.o.MaxMessageBytes) + " bytes (the maximum event size)"}
	}
	r, err := u.unwrap(body, m)
	if err != nil {
		return Result{}, syntaxFirst(body, err)
	}
	return r, nil
}

// syntaxFirst gives the syntax verdict precedence over the one the unwrap reached. The
// unwrap picks what it expects from a value's first byte and stops at the first problem,
// so text that is not JSON can fail as something else first (`"op":c` as unknown_op, `+1`
// as type_mismatch) or hide its fault behind an earlier one. Only failed messages pay for
// the full scan; an empty body (a tombstone) is not JSON and needs none.
func syntaxFirst(body []byte, err error) error {
	e, ok := err.(*Error)
	if !ok || e.Reason == ReasonMalformedJSON || e.Reason == ReasonEventTooLarge || len(body) == 0 {
		return err
	}
	v := validateJSON(body)
	switch {
	case v == nil, v.Reason == ReasonInvalidUTF8 && e.Reason == ReasonInvalidUTF8:
		return err // the unwrap's own error names the field
	}
	return v
}

func (u *Unwrapper) unwrap(body []byte, m Meta) (Result, error) {
	// Only an empty value (Kafka's null) or the JSON text null is a tombstone: a value of
	// spaces is neither, and not JSON either.
	tomb := len(body) == 0 || isNull(body)
	if m.HasTopic && strings.HasPrefix(m.Topic, "__debezium-heartbeat") {
		// Heartbeats are keyed by server name, not by a table's key, and pass through
		// unread; they are JSON all the same.
		if tomb {
			return u.nonRow(Result{Kind: KindTombstone}), nil
		}
		if err := validateJSON(body); err != nil {
			return Result{}, err
		}
		return u.nonRow(Result{Kind: KindHeartbeat}), nil
	}
	st := u.pool.Get().(*state)
	defer u.pool.Put(st)
	st.reset(body)
	if m.HasKey {
		if err := st.parseKey(m.Key); err != nil {
			return Result{}, err
		}
	}
	if tomb {
		if err := st.tombstoneKey(m); err != nil {
			return Result{}, err
		}
		return u.nonRow(Result{Kind: KindTombstone}), nil
	}
	return st.unwrap(m)
}

// isNull reports the JSON text null (whitespace around it allowed).
func isNull(b []byte) bool {
	s := scanner{Scanner: jsonscan.Scanner{B: b}}
	return s.isNull() && s.atEnd()
}

func (u *Unwrapper) nonRow(r Result) Result {
	r.Drop = u.drop[r.Kind]
	return r
}

// Bits of the envelope members unwrap knows by name (for duplicate detection).
const (
	bSchema uint64 = 1 << iota
	bPayload
	bBefore
	bAfter
	bSource
	bOp
	bTsMs
	bTsUs
	bTsNs
	bTransaction
	bDDL
	bTableChanges
	bStatus
)

func envelopeBit(k string) uint64 {
	switch k {
	case "schema":
		return bSchema
	case "payload":
		return bPayload
	case "before":
		return bBefore
	case "after":
		return bAfter
	case "source":
		return bSource
	case "op":
		return bOp
	case "ts_ms":
		return bTsMs
	case "ts_us":
		return bTsUs
	case "ts_ns":
		return bTsNs
	case "transaction":
		return bTransaction
	case "ddl":
		return bDDL
	case "tableChanges":
		return bTableChanges
	case "status":
		return bStatus
	}
	return 0
}

// once reports a repeated member name in one object: known names by bit, others by set.
// The error names the field as prefix+key (built only on failure: this runs per member).
func once(bits *uint64, set *nameSet, bit uint64, key []byte, prefix string) error {
	if bit != 0 {
		if *bits&bit == 0 {
			*bits |= bit
			return nil
		}
	} else if dup, _ := set.add(key, false); !dup {
		return nil
	}
	field := string(key)
	if len(field) > maxFieldInError {
		field = field[:maxFieldInError]
	}
	return errAt(ReasonDuplicateField, prefix+field, key, "each key once in a JSON object (Debezium never repeats one; which copy wins is ambiguous)")
}

// unwrap reads the envelope, then checks the images the result did not need: they were
// only delimited, and every byte of an accepted event must be JSON.
func (st *state) unwrap(m Meta) (Result, error) {
	r, err := st.envelope(m)
	if err != nil {
		return r, err
	}
	if err := st.untypedImages(); err != nil {
		return Result{}, err
	}
	return r, nil
}

// untypedImages validates the before/after images that were neither typed eagerly nor by
// row(): a create's before, an update's before without include_before, the images of a
// truncate, a message or a dropped delete. The common events have none.
func (st *state) untypedImages() error {
	if p := st.before; p.ok() && !st.convB && !st.typedB {
		if err := validateSpan(st.b[:p.e], p.a, -1); err != nil {
			return withField(err, "payload.before")
		}
	}
	if p := st.after; p.ok() && !st.convA && !st.typedA {
		if err := validateSpan(st.b[:p.e], p.a, -1); err != nil {
			return withField(err, "payload.after")
		}
	}
	return nil
}

func (st *state) envelope(m Meta) (Result, error) {
	u := st.u
	s := &scanner{Scanner: jsonscan.Scanner{B: st.b}}
	if s.Peek() != '{' {
		return Result{}, errAt(ReasonMalformedJSON, "message", st.b, "a JSON object (a Debezium JsonConverter value)")
	}
	empty, err := s.objectStart()
	if err != nil {
		return Result{}, err
	}
	var entry *schemaEntry
	schemaSeen, payloadSeen, payloadNull := false, false, false
	for more := !empty; more; {
		ka, ke, esc, err := s.key()
		if err != nil {
			return Result{}, err
		}
		key := st.b[ka:ke]
		if esc {
			key = unquote(nil, key)
		}
		bit := envelopeBit(string(key))
		prefix := "payload."
		if bit == bSchema || bit == bPayload {
			prefix = ""
		}
		if err := once(&st.topBits, &st.topSet, bit, key, prefix); err != nil {
			return Result{}, err
		}
		switch bit {
		case bSchema:
			schemaSeen = true
			if s.isNull() {
				break
			}
			if s.Peek() != '{' {
				return Result{}, errAt(ReasonSchemaInvalid, "schema", s.valueText(), "a Connect schema object or null")
			}
			if entry, err = u.cache.lookup(s, m.Topic); err != nil {
				return Result{}, err
			}
			st.entry = entry
		case bPayload:
			payloadSeen = true
			if s.isNull() {
				payloadNull = true
				break
			}
			if s.Peek() != '{' {
				return Result{}, errAt(ReasonMissingPayload, "payload", s.valueText(), "an object or null")
			}
			pe, err := s.objectStart()
			if err != nil {
				return Result{}, withField(err, "payload")
			}
			for pm := !pe; pm; {
				a, e, esc, err := s.key()
				if err != nil {
					return Result{}, withField(err, "payload")
				}
				k := st.b[a:e]
				if esc {
					k = unquote(nil, k)
				}
				pbit := envelopeBit(string(k))
				if pbit == bSchema || pbit == bPayload {
					pbit = 0 // just names inside the payload
				}
				if err := once(&st.payBits, &st.paySet, pbit, k, "payload."); err != nil {
					return Result{}, err
				}
				if err := st.member(s, k, pbit); err != nil {
					return Result{}, err
				}
				if pm, err = s.next(); err != nil {
					return Result{}, withField(err, "payload")
				}
			}
		default:
			if err := st.member(s, key, bit); err != nil {
				return Result{}, err
			}
		}
		if more, err = s.next(); err != nil {
			return Result{}, err
		}
	}
	if !s.atEnd() {
		return Result{}, s.syntax("end of input after the JSON object (only whitespace may follow)")
	}
	if schemaSeen && !payloadSeen {
		return Result{}, &Error{Reason: ReasonMissingPayload, Field: "payload", Expected: `a "payload" member next to "schema"`}
	}
	if payloadNull {
		if err := st.tombstoneKey(m); err != nil {
			return Result{}, err
		}
		return u.nonRow(Result{Kind: KindTombstone}), nil
	}
	table := st.tableName()
	switch {
	case entry != nil && entry.kind != "":
		return u.nonRow(Result{Kind: entry.kind, Table: table}), nil
	case st.isDDL:
		return u.nonRow(Result{Kind: KindSchemaChange, Table: table}), nil
	case st.status && !st.hasOp:
		return u.nonRow(Result{Kind: KindTransaction}), nil
	case !st.hasOp:
		if st.nKeys > 0 && st.nKeys == st.nTsKeys {
			return u.nonRow(Result{Kind: KindHeartbeat}), nil
		}
		if (st.topBits|st.payBits)&(bBefore|bAfter|bSource|bOp) == 0 {
			// Not an envelope with a bad op: no envelope at all.
			return Result{}, &Error{Reason: ReasonMissingPayload, Field: "payload", Value: "an object without before, after, source or op",
				Expected: "a Debezium envelope (before, after, source, op)"}
		}
		return Result{}, &Error{Reason: ReasonUnknownOp, Field: "payload.op", Value: "(missing)", Expected: "an op of c, u, d, r, t or m"}
	}
	opText := st.op
	if len(opText) != 1 {
		return Result{}, errAt(ReasonUnknownOp, "payload.op", opText, "c, u, d, r, t or m")
	}
	op := opText[0]
	switch op {
	case 't':
		r := Result{Kind: KindTruncate, Op: "t", Table: table}
		if pos, err := st.appendPos(nil); err == nil {
			r.Position = strings.Trim(string(pos), `"`)
		}
		r.SourceTS = strings.Trim(string(st.truncateTS()), `"`)
		return u.nonRow(r), nil
	case 'm':
		return u.nonRow(Result{Kind: KindMessage, Op: "m", Table: table}), nil
	case 'c', 'u', 'r':
	case 'd':
		switch u.o.DeleteHandling {
		case "drop", "tombstone":
			// The delete itself is not written, but a tombstone carries its Kafka key to
			// whatever deletes by key downstream: a key that is not the row's must not pass.
			if m.HasKey {
				if _, err := st.row(op, table, entry, m); err != nil {
					return Result{}, err
				}
			}
			if u.o.DeleteHandling == "drop" {
				return Result{Kind: KindRow, Drop: true, Op: "d", Table: table}, nil
			}
			return Result{Kind: KindTombstone, Body: []byte{}, Op: "d", Table: table}, nil
		}
	default:
		return Result{}, errAt(ReasonUnknownOp, "payload.op", opText, "c, u, d, r, t or m")
	}
	return st.row(op, table, entry, m)
}

// tableName renders db[.schema].table from the source block ("" when absent).
func (st *state) tableName() string {
	src := &st.src
	if src.table == nil {
		return ""
	}
	b := st.tmp[:0]
	if src.db != nil {
		b = append(b, src.db...)
		b = append(b, '.')
	}
	if src.schema != nil {
		b = append(b, src.schema...)
		b = append(b, '.')
	}
	b = append(b, src.table...)
	st.tmp = b[:0]
	// Consecutive events are nearly always of the same table: reuse its string.
	if string(b) != st.lastTable {
		st.lastTable = string(b)
	}
	return st.lastTable
}

// typing picks the row typing: the message's Connect schema (refined by the table's
// contract, if configured), else the contract, else none (values pass through as JSON). It
// also returns the contract of the row's table (nil without one).
func (st *state) typing(entry *schemaEntry, table string) (*rowType, *schemas.Table, error) {
	u := st.u
	contract := u.contractFor(st)
	if contract == nil && len(u.o.Contracts) == 1 && table == "" {
		// An event that names no table belongs to the pipeline's only table, with or
		// without a Connect schema: its contract holds either way.
		contract = u.o.Contracts[0]
	}
	if entry != nil && entry.value != nil {
		return entry.rowType(contract, u.to, u.reserved), contract, nil
	}
	if len(u.o.Contracts) == 0 {
		return nil, nil, nil
	}
	if contract == nil {
		names := make([]string, 0, len(u.o.Contracts))
		for _, t := range u.o.Contracts {
			names = append(names, t.Name)
		}
		return nil, nil, &Error{Reason: ReasonNoContract, Field: "source.table", Value: table,
			Expected: "a table covered by schema_file/schema_files (have " + strings.Join(names, ", ") + ") when Kafka Connect schemas are disabled"}
	}
	return u.typed[contract], contract, nil
}

func (u *Unwrapper) contractFor(st *state) *schemas.Table {
	if len(u.contracts) == 0 || st.src.table == nil {
		return nil
	}
	k := st.tmp[:0]
	if st.src.db != nil {
		k = appendLower(k, st.src.db)
		k = append(k, '.')
		k = appendLower(k, st.src.table)
		if t := u.contracts[string(k)]; t != nil {
			return t
		}
		k = k[:0]
	}
	k = appendLower(k, st.src.table)
	t := u.contracts[string(k)]
	if t != nil && t.Database != "" && st.src.db != nil && !strings.EqualFold(t.Database, string(st.src.db)) {
		return nil
	}
	return t
}

func appendLower(dst, s []byte) []byte {
	for _, c := range s {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}
