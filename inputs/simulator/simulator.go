// Package simulator is a bank that writes Debezium change events without a database: the
// bank.customers, bank.accounts and bank.transactions tables of the contracts in package
// schemas, as the Debezium 3 MySQL connector puts them on Kafka (JsonConverter, schemas
// disabled). It drives `ledgerflow demo` and tests that need a realistic change stream.
//
// A Simulator is deterministic: the same Config gives the same events, byte for byte. Time
// is simulated (it starts at Config.Start and advances about a second per change), so event
// times, source.ts_ms and the status updates that follow an insert by minutes do not depend
// on how fast the caller produces.
//
// The stream holds what a CDC consumer must handle: an initial snapshot (op r) of customers
// and accounts, inserts, transaction status updates pending → completed | failed minutes
// after the insert, balance updates, deletes each followed by a tombstone, one primary-key
// change (a delete of the old key and a create of the new key at the same binlog position,
// as Debezium emits it), duplicate deliveries of the same record, and injected fraud
// patterns (see the Fraud* constants).
//
// Events of one key must reach Kafka in the order Next returns them, on the partition the
// key hashes to: the caller produces them in order with a key-hash partitioner.
package simulator

import (
	"container/heap"
	"fmt"
	"math/big"
	"math/rand/v2"
	"time"

	"github.com/ledgerflow/ledgerflow/debezium"
	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// Fraud pattern kinds injected into the transactions stream.
const (
	// FraudBurst is a card-testing burst: 8 small online purchases from one account within
	// about a minute.
	FraudBurst = "burst"
	// FraudNightLarge is one purchase of 5,000.00–20,000.00 between 00:00 and 05:00 UTC.
	FraudNightLarge = "night_large"
	// FraudNewDeviceForeign is a purchase from a device the customer never used, in a country
	// other than the customer's.
	FraudNewDeviceForeign = "new_device_foreign"
)

// fraudEvery is how many streaming steps pass between injected fraud patterns.
const fraudEvery = 199

// Table names, in snapshot order.
var Tables = []string{"customers", "accounts", "transactions"}

// Config chooses the simulated bank.
type Config struct {
	// Seed selects the random stream; the same Config gives the same events.
	Seed uint64
	// Prefix is Debezium's topic.prefix (default bank_server).
	Prefix string
	// Run numbers resumed runs over the same topics: run 0 starts with a snapshot; run n > 0
	// creates its population with inserts, uses ids above n×100,000,000, binlog file n+1 and a
	// clock n days later, so that its keys and source positions follow the earlier runs'.
	Run int
	// Customers is the initial population (default 200); accounts are 1–2 per customer.
	Customers int
	// Start is the simulated clock's start (default 2026-01-05T00:00:00Z plus Run days).
	Start time.Time
}

// Header is a Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// Event is one Kafka record.
type Event struct {
	Table   string // customers | accounts | transactions
	Topic   string
	Key     []byte
	Value   []byte // nil for a tombstone
	Headers []Header
	// Op is 'r', 'c', 'u' or 'd'; 0 for a tombstone.
	Op byte
	// Duplicate marks a second delivery of the previous event of the same key.
	Duplicate bool
	// Fraud names the injected pattern this transaction belongs to, or "".
	Fraud string
	// Source is the binlog position of the change (zero for a tombstone).
	Source debezium.Source
}

// Stats counts what the simulator produced so far.
type Stats struct {
	Events     int64            // Kafka records, tombstones and duplicates included
	Rows       map[string]int64 // row events (r, c, u, d) per table, duplicates included
	Snapshot   int64            // op r events
	Deletes    int64            // op d events, the primary-key change's included
	Tombstones int64
	Duplicates int64
	PKChanges  int64
	Fraud      map[string]int64 // injected patterns per kind (a burst counts once)
}

// Simulator generates the change stream. It is not safe for concurrent use.
type Simulator struct {
	cfg    Config
	rng    *rand.Rand
	enc    map[string]*debezium.Table
	clock  time.Time
	file   string
	pos    uint32
	idBase int64

	nextCustomer, nextAccount, nextTx, nextMerchantDevice int64

	customers []*customer
	accounts  []*account
	byCust    map[int64]*customer
	byAcct    map[int64]*account
	due       dueHeap
	lastDone  *txn // the latest completed transaction: candidate for the primary-key change

	snapshot     []func() ([]Event, error) // remaining initial-population steps
	steps        int64
	seq          int64
	pkChanged    bool
	nightPending bool
	stats        Stats
	buf          []byte
	arena        []byte
}

// New returns a simulator for cfg.
func New(cfg Config) (*Simulator, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = "bank_server"
	}
	if cfg.Customers <= 0 {
		cfg.Customers = 200
	}
	if cfg.Run < 0 {
		return nil, fmt.Errorf("simulator: Run %d: expected 0 or more", cfg.Run)
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC).AddDate(0, 0, cfg.Run)
	}
	s := &Simulator{
		cfg:    cfg,
		rng:    rand.New(rand.NewPCG(cfg.Seed, uint64(cfg.Run)+0x9e3779b97f4a7c15)),
		enc:    map[string]*debezium.Table{},
		clock:  cfg.Start.UTC().Truncate(time.Millisecond),
		file:   fmt.Sprintf("mysql-bin.%06d", cfg.Run+1),
		pos:    154, // after the binlog's format description event
		idBase: int64(cfg.Run) * 100_000_000,
		byCust: map[int64]*customer{},
		byAcct: map[int64]*account{},
		stats:  Stats{Rows: map[string]int64{}, Fraud: map[string]int64{}},
	}
	s.nextCustomer, s.nextAccount, s.nextTx = s.idBase+1, s.idBase+1, s.idBase+1
	for _, name := range Tables {
		c, err := schemas.Load(name)
		if err != nil {
			return nil, fmt.Errorf("simulator: %w", err)
		}
		s.enc[name] = debezium.NewContractTable(cfg.Prefix, c)
	}
	s.planPopulation()
	return s, nil
}

// Topics returns the three topics, in Tables order.
func (s *Simulator) Topics() []string {
	out := make([]string, len(Tables))
	for i, t := range Tables {
		out[i] = s.enc[t].Topic
	}
	return out
}

// Stats returns the counts so far.
func (s *Simulator) Stats() Stats {
	out := s.stats
	out.Rows = make(map[string]int64, len(s.stats.Rows))
	for k, v := range s.stats.Rows {
		out.Rows[k] = v
	}
	out.Fraud = make(map[string]int64, len(s.stats.Fraud))
	for k, v := range s.stats.Fraud {
		out.Fraud[k] = v
	}
	return out
}

// Next appends the events of the next step to dst: one change, or a few that belong
// together (a delete and its tombstone; the primary-key change; a fraud burst; a duplicate
// delivery). It fails only if a generated value does not fit its contract, which is a bug.
func (s *Simulator) Next(dst []Event) ([]Event, error) {
	start := len(dst)
	var evs []Event
	var err error
	if len(s.snapshot) > 0 {
		step := s.snapshot[0]
		s.snapshot = s.snapshot[1:]
		evs, err = step()
	} else {
		evs, err = s.stream()
	}
	if err != nil {
		return dst, err
	}
	dst = append(dst, evs...)
	// A redelivery: the producer retried after a timeout and the broker had the first copy.
	if last := dst[len(dst)-1]; last.Op != 0 && s.rng.IntN(300) == 0 {
		dup := last
		dup.Duplicate = true
		dst = append(dst, dup)
	}
	for _, e := range dst[start:] {
		s.stats.Events++
		switch {
		case e.Op == 0:
			s.stats.Tombstones++
		default:
			s.stats.Rows[e.Table]++
			if e.Op == 'r' {
				s.stats.Snapshot++
			}
			if e.Op == 'd' {
				s.stats.Deletes++
			}
			if e.Duplicate {
				s.stats.Duplicates++
			}
		}
	}
	return dst, nil
}

// stream makes one streaming step: a due follow-up (status update, KYC decision, purge) or
// new activity.
func (s *Simulator) stream() ([]Event, error) {
	s.steps++
	s.clock = s.clock.Add(time.Duration(200+s.rng.IntN(1600)) * time.Millisecond)
	if len(s.due) > 0 && !s.due[0].at.After(s.clock) {
		d := heap.Pop(&s.due).(*dueItem)
		return d.run()
	}
	if !s.pkChanged && s.steps >= 50 && s.lastDone != nil {
		s.pkChanged = true
		return s.changeTxKey(s.lastDone)
	}
	// A fraud pattern every fraudEvery steps, the kinds in turn. Night-time purchases wait
	// for the simulated night.
	switch {
	case s.steps%fraudEvery == 0:
		switch (s.steps / fraudEvery) % 3 {
		case 1:
			return s.burst()
		case 2:
			return s.newDeviceForeign()
		default:
			s.nightPending = true
		}
	case s.nightPending && s.clock.Hour() < 5:
		s.nightPending = false
		return s.nightLarge()
	}
	switch r := s.rng.IntN(100); {
	case r < 4:
		return s.newCustomer()
	case r < 7:
		return s.updateCustomer()
	default:
		return s.newTransaction(s.pickAccount(), "")
	}
}

// emit encodes one row change of table at the current clock and binlog position.
func (s *Simulator) emit(table string, op byte, before, after []any, src debezium.Source) (Event, error) {
	enc := s.enc[table]
	keyRow := after
	if keyRow == nil {
		keyRow = before
	}
	key, _, err := enc.AppendKey(s.buf[:0], keyRow)
	if err != nil {
		return Event{}, err
	}
	key = s.keep(key)
	// The connector reads the binlog tens of milliseconds after the commit.
	val, err := enc.AppendEnvelope(s.buf[:0], op, before, after, &src, (src.TsMs+20+int64(s.rng.IntN(180)))*1_000_000)
	if err != nil {
		return Event{}, err
	}
	s.buf = val[:0]
	return Event{Table: table, Topic: enc.Topic, Key: key, Value: s.keep(val), Op: op, Source: src}, nil
}

// keep copies b into an arena shared by many events: one allocation per 64 KiB instead of
// one per event, which the garbage collector notices.
func (s *Simulator) keep(b []byte) []byte {
	if len(b) > cap(s.arena)-len(s.arena) {
		s.arena = make([]byte, 0, max(64<<10, len(b)))
	}
	n := len(s.arena)
	s.arena = append(s.arena, b...)
	return s.arena[n:len(s.arena):len(s.arena)]
}

// streamSource is the source block of the next binlog rows event, advancing the position.
func (s *Simulator) streamSource() debezium.Source {
	src := debezium.Source{TsMs: s.clock.UnixMilli(), Snapshot: "false", ServerID: 1, File: s.file, Pos: s.pos, Thread: 10 + int64(s.rng.IntN(8))}
	s.pos += 180 + uint32(s.rng.IntN(400))
	return src
}

func (s *Simulator) change(table string, op byte, before, after []any) ([]Event, error) {
	ev, err := s.emit(table, op, before, after, s.streamSource())
	if err != nil {
		return nil, err
	}
	if op != 'd' {
		return []Event{ev}, nil
	}
	return []Event{ev, {Table: table, Topic: ev.Topic, Key: ev.Key}}, nil
}

// decimal is cents as a DECIMAL(18,2) value.
func decimal(cents int64) schema.Decimal {
	return schema.Decimal{Unscaled: big.NewInt(cents), Scale: 2}
}

func optTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
