// Package scenario runs table-state scenarios: Debezium change events in, the rows of a Delta
// table out. A scenario feeds events through a pipeline's real processors and one of its real
// delta_lake outputs (pointed at a temporary table) and compares the table with the rows it
// expects. `ledgerflow test ./pipelines` runs every `*_scenarios.yaml` file beside the
// pipelines before Benthos' own processor tests; the Benthos runner ignores these files
// because they have no `tests:` section.
//
// # File format
//
//	pipeline: transactions.yaml        # default: the file name before _scenarios.yaml
//	output: silver_transactions        # label of a delta_lake output of the pipeline
//	defaults:                          # values of columns an insert does not give
//	  account_id: 20
//	  amount: "10.00"
//	scenarios:
//	  - name: a late older update never regresses the row
//	    batches:                       # or events: [...] for a single batch
//	      - - insert: {transaction_id: 1, status: pending}
//	          at: 100
//	        - update: {transaction_id: 1, status: completed}
//	          at: 300
//	      - restart                      # stop the stream, start a new one on the same tables
//	      - - update: {transaction_id: 1, status: failed}
//	          at: 200
//	    expect:
//	      rows:
//	        - {transaction_id: 1, status: completed}
//
// A scenario may also set output (the label), defaults, and output_config (delta_lake fields
// to override, e.g. {ignore_null_updates: true}); the file may set topic_prefix (Debezium's
// topic.prefix, default bank_server). The output's path and dead_letter_path point into a
// temporary directory and its batching is removed, so that each batch of the scenario reaches
// the output as one batch, acknowledged before the next is sent. Messages carry the metadata
// the kafka input sets (kafka_topic, kafka_partition, kafka_offset, kafka_prev_offset within
// one run of the stream, kafka_key, kafka_tombstone, kafka_timestamp).
//
// Events (one kind key each, plus modifiers):
//
//	insert: {cols}     op c; columns not given come from defaults, then the contract
//	                   (null where nullable, else zero, the first ENUM member, 1970-01-01)
//	update: {cols}     op u; the after image is the key's current source row with cols applied,
//	                   the before image that row (override with before: {cols})
//	delete: {key}      op d; the before image is the key's current source row
//	read: {cols}       op r, a snapshot read (snapshot: "true" unless given)
//	truncate: {}       op t
//	tombstone: {key}   the null-valued Kafka record Debezium writes after a delete
//	duplicate_of: N    the value and key of event N again, at a new Kafka offset (Debezium
//	                   re-sending after a connector restart)
//	redeliver: N       event N's Kafka record again, same offset (a consumer restart)
//	debezium: {...}    a raw event value (a mapping, or a string sent byte for byte),
//	                   with key: '{"transaction_id":1}' for its Kafka key
//
// Modifiers: at (the source position: 100 is binlog file 1, position 100, row 0;
// "2:100:1" is file 2, position 100, row 1; by default 10 past the previous event's, so listed
// order is binlog order), partition (Kafka partition, default 0), ts (source time, RFC 3339;
// default derived from at), snapshot (the source.snapshot of a read), extra (columns the
// contract does not have, as after an ADD COLUMN upstream: {loyalty_tier: gold} is added to
// the row images of an insert, update or read).
//
// Events of a scenario form a Kafka log: each one (but redeliver) is appended at the next
// offset of its partition. The source row model that update and delete use follows listed
// order.
//
// known_failure: "why" marks a scenario that states the right behaviour but fails today: its
// failure is reported as KNOWN and does not fail the run; once it passes, it fails the run
// until the mark is removed.
//
// Expectations compare only the columns they name, in any row order, and the table must hold
// exactly the listed rows: expect.rows, expect.count, expect.dead_letters (rows of the
// dead-letter table; reason matches when it contains the expected text) and
// expect.dead_letter_count. Decimals, dates and timestamps compare by their canonical text
// ("12.50", "2024-05-01", "2024-05-01T00:00:00Z"), so "12.5" and "12.50" are equal.
package scenario

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// File is one parsed scenario file.
type File struct {
	Path      string
	Pipeline  string // path of the pipeline config, resolved against the file's directory
	Scenarios []*Scenario
}

// Scenario is one named run: steps in, expectations out.
type Scenario struct {
	Name         string
	Line         int
	Output       string                // label of the delta_lake output under test
	Defaults     map[string]*yaml.Node // file defaults overlaid by the scenario's
	OutputConfig map[string]*yaml.Node // fields set on the output's delta_lake config
	TopicPrefix  string
	Steps        []Step
	Expect       Expect
	// KnownFailure marks a scenario that states the right behaviour but fails today, with
	// why. It fails the run only once it passes (then the mark must go).
	KnownFailure string
}

// Step is one batch of events, or a restart of the stream.
type Step struct {
	Restart bool
	Line    int
	Events  []*Event
}

// Event is one change event as written in the file.
type Event struct {
	Line      int
	Kind      string     // insert, update, delete, read, truncate, tombstone, duplicate_of, redeliver, debezium
	Values    *yaml.Node // mapping of columns (insert, update, delete, read, tombstone)
	Before    *yaml.Node // mapping: before-image overrides of an update
	Ref       int        // duplicate_of / redeliver: index of an earlier event
	Raw       []byte     // debezium: the value
	Key       *string    // debezium: the Kafka key
	At        *Position  // nil: after the previous event
	Partition int32      //
	TsMs      *int64     // source time override
	Snapshot  string     // source.snapshot of a read
	Extra     []byte     // extra: columns the contract lacks, as JSON members
}

// Position is a MySQL binlog coordinate: file number, position, row.
type Position struct {
	File int
	Pos  uint32
	Row  int
}

func (p Position) String() string { return fmt.Sprintf("%d:%d:%d", p.File, p.Pos, p.Row) }

// Expect is what the table must hold after the last step.
type Expect struct {
	Line            int
	Rows            []Row
	HasRows         bool
	Count           *int
	DeadLetters     []Row
	HasDeadLetters  bool
	DeadLetterCount *int
}

// Row is an expected row: the columns it names, in file order.
type Row struct {
	Line    int
	Columns []string
	Values  map[string]*yaml.Node
}

var eventKinds = []string{"insert", "update", "delete", "read", "truncate", "tombstone", "duplicate_of", "redeliver", "debezium"}

// ParseFile reads a scenario file. Errors name the file and line.
func ParseFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse decodes a scenario file's content; path names it in errors and resolves the pipeline.
func Parse(path string, data []byte) (*File, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty file", path)
	}
	root := doc.Content[0]
	p := &parser{path: path}
	f := &File{Path: path}
	fileOutput, prefix := "", "bank_server"
	var defaults map[string]*yaml.Node
	var scenarios *yaml.Node
	err := p.mapping(root, "the file", func(k string, v *yaml.Node) error {
		switch k {
		case "pipeline":
			f.Pipeline = v.Value
		case "output":
			fileOutput = v.Value
		case "topic_prefix":
			prefix = v.Value
		case "defaults":
			m, err := p.columns(v, "defaults")
			defaults = m
			return err
		case "scenarios":
			scenarios = v
		default:
			return p.errf(v, "unknown key %q (expected pipeline, output, topic_prefix, defaults, scenarios)", k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if f.Pipeline == "" {
		base := filepath.Base(path)
		name := strings.TrimSuffix(strings.TrimSuffix(base, filepath.Ext(base)), "_scenarios")
		f.Pipeline = name + ".yaml"
	}
	if !filepath.IsAbs(f.Pipeline) {
		f.Pipeline = filepath.Join(filepath.Dir(path), f.Pipeline)
	}
	if scenarios == nil || scenarios.Kind != yaml.SequenceNode || len(scenarios.Content) == 0 {
		return nil, fmt.Errorf("%s: no scenarios: expected a list under scenarios:", path)
	}
	for _, sn := range scenarios.Content {
		s, err := p.scenario(sn, fileOutput, prefix, defaults)
		if err != nil {
			return nil, err
		}
		f.Scenarios = append(f.Scenarios, s)
	}
	return f, nil
}

type parser struct{ path string }

func (p *parser) errf(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", p.path, n.Line, fmt.Sprintf(format, args...))
}

// mapping calls fn for each key of a mapping node, in order.
func (p *parser) mapping(n *yaml.Node, what string, fn func(k string, v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "%s: expected a mapping", what)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if err := fn(n.Content[i].Value, n.Content[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// columns reads a mapping of column names to scalar values.
func (p *parser) columns(n *yaml.Node, what string) (map[string]*yaml.Node, error) {
	out := map[string]*yaml.Node{}
	err := p.mapping(n, what, func(k string, v *yaml.Node) error {
		if v.Kind != yaml.ScalarNode {
			return p.errf(v, "%s: column %s: expected a scalar value, got a %s", what, k, kindName(v))
		}
		out[k] = v
		return nil
	})
	return out, err
}

func (p *parser) scenario(n *yaml.Node, output, prefix string, fileDefaults map[string]*yaml.Node) (*Scenario, error) {
	s := &Scenario{Line: n.Line, Output: output, TopicPrefix: prefix, Defaults: map[string]*yaml.Node{}}
	for k, v := range fileDefaults {
		s.Defaults[k] = v
	}
	var events, batches, expect *yaml.Node
	err := p.mapping(n, "a scenario", func(k string, v *yaml.Node) error {
		switch k {
		case "name":
			s.Name = v.Value
		case "output":
			s.Output = v.Value
		case "defaults":
			m, err := p.columns(v, "defaults")
			for c, x := range m {
				s.Defaults[c] = x
			}
			return err
		case "output_config":
			if v.Kind != yaml.MappingNode {
				return p.errf(v, "output_config: expected a mapping of delta_lake fields")
			}
			s.OutputConfig = map[string]*yaml.Node{}
			return p.mapping(v, "output_config", func(k string, x *yaml.Node) error {
				s.OutputConfig[k] = x
				return nil
			})
		case "events":
			events = v
		case "batches":
			batches = v
		case "expect":
			expect = v
		case "known_failure":
			if v.Value == "" {
				return p.errf(v, "known_failure: say why the scenario fails today")
			}
			s.KnownFailure = v.Value
		default:
			return p.errf(v, "unknown key %q in a scenario (expected name, output, defaults, output_config, events, batches, expect, known_failure)", k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if s.Name == "" {
		return nil, p.errf(n, "a scenario needs a name")
	}
	if s.Output == "" {
		return nil, p.errf(n, "scenario %q: no output: name the delta_lake output's label (output: silver_transactions), here or at the top of the file", s.Name)
	}
	switch {
	case events != nil && batches != nil:
		return nil, p.errf(batches, "scenario %q: give events (one batch) or batches, not both", s.Name)
	case events != nil:
		st, err := p.batch(events)
		if err != nil {
			return nil, err
		}
		s.Steps = []Step{st}
	case batches != nil:
		if batches.Kind != yaml.SequenceNode {
			return nil, p.errf(batches, "batches: expected a list of batches (each a list of events) and restart")
		}
		for _, b := range batches.Content {
			if b.Kind == yaml.ScalarNode && b.Value == "restart" {
				s.Steps = append(s.Steps, Step{Restart: true, Line: b.Line})
				continue
			}
			st, err := p.batch(b)
			if err != nil {
				return nil, err
			}
			s.Steps = append(s.Steps, st)
		}
	default:
		return nil, p.errf(n, "scenario %q: no events: give events: [...] or batches: [[...], restart, [...]]", s.Name)
	}
	if expect == nil {
		return nil, p.errf(n, "scenario %q: no expect: say what the table must hold", s.Name)
	}
	if err := p.expect(expect, &s.Expect); err != nil {
		return nil, err
	}
	if err := checkRefs(p, s); err != nil {
		return nil, err
	}
	return s, nil
}

func checkRefs(p *parser, s *Scenario) error {
	i := 0
	for _, st := range s.Steps {
		for _, e := range st.Events {
			if (e.Kind == "duplicate_of" || e.Kind == "redeliver") && (e.Ref < 0 || e.Ref >= i) {
				return fmt.Errorf("%s:%d: %s: %d is not the index of an earlier event (0 is the first; this is event %d)", p.path, e.Line, e.Kind, e.Ref, i)
			}
			i++
		}
	}
	return nil
}

func (p *parser) batch(n *yaml.Node) (Step, error) {
	st := Step{Line: n.Line}
	if n.Kind != yaml.SequenceNode {
		return st, p.errf(n, "a batch: expected a list of events, or restart")
	}
	if len(n.Content) == 0 {
		return st, p.errf(n, "an empty batch")
	}
	for _, en := range n.Content {
		e, err := p.event(en)
		if err != nil {
			return st, err
		}
		st.Events = append(st.Events, e)
	}
	return st, nil
}

func (p *parser) event(n *yaml.Node) (*Event, error) {
	e := &Event{Line: n.Line}
	err := p.mapping(n, "an event", func(k string, v *yaml.Node) error {
		switch k {
		case "insert", "update", "delete", "read", "tombstone":
			if e.Kind != "" {
				return p.errf(v, "an event has one kind; this one has %s and %s", e.Kind, k)
			}
			e.Kind = k
			if v.Kind != yaml.MappingNode {
				return p.errf(v, "%s: expected a mapping of columns, such as {transaction_id: 1}", k)
			}
			e.Values = v
		case "truncate":
			if e.Kind != "" {
				return p.errf(v, "an event has one kind; this one has %s and %s", e.Kind, k)
			}
			e.Kind = k
		case "duplicate_of", "redeliver":
			if e.Kind != "" {
				return p.errf(v, "an event has one kind; this one has %s and %s", e.Kind, k)
			}
			e.Kind = k
			i, err := strconv.Atoi(v.Value)
			if err != nil {
				return p.errf(v, "%s: %q: expected the index of an earlier event (0 is the first)", k, v.Value)
			}
			e.Ref = i
		case "debezium":
			if e.Kind != "" {
				return p.errf(v, "an event has one kind; this one has %s and %s", e.Kind, k)
			}
			e.Kind = k
			raw, err := rawValue(v)
			if err != nil {
				return p.errf(v, "debezium: %v", err)
			}
			e.Raw = raw
		case "key":
			s := v.Value
			e.Key = &s
		case "before":
			if v.Kind != yaml.MappingNode {
				return p.errf(v, "before: expected a mapping of columns")
			}
			e.Before = v
		case "at":
			pos, err := ParsePosition(v.Value)
			if err != nil {
				return p.errf(v, "at: %v", err)
			}
			e.At = &pos
		case "partition":
			i, err := strconv.ParseInt(v.Value, 10, 32)
			if err != nil || i < 0 {
				return p.errf(v, "partition: %q: expected a Kafka partition number", v.Value)
			}
			e.Partition = int32(i)
		case "ts":
			t, err := parseTime(v.Value)
			if err != nil {
				return p.errf(v, "ts: %v", err)
			}
			ms := t.UnixMilli()
			e.TsMs = &ms
		case "snapshot":
			e.Snapshot = v.Value
		case "extra":
			if v.Kind != yaml.MappingNode || len(v.Content) == 0 {
				return p.errf(v, "extra: expected a mapping of columns the contract does not have, such as {loyalty_tier: gold}")
			}
			raw, err := rawValue(v)
			if err != nil {
				return p.errf(v, "extra: %v", err)
			}
			e.Extra = raw[1 : len(raw)-1] // the members, without braces
		default:
			return p.errf(v, "unknown key %q in an event (kinds: %s; modifiers: at, partition, ts, before, snapshot, extra, key)", k, strings.Join(eventKinds, ", "))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if e.Kind == "" {
		return nil, p.errf(n, "an event needs a kind: one of %s", strings.Join(eventKinds, ", "))
	}
	if e.Before != nil && e.Kind != "update" {
		return nil, p.errf(e.Before, "before: only an update takes a before image")
	}
	if e.Snapshot != "" && e.Kind != "read" {
		return nil, p.errf(n, "snapshot: only a read is a snapshot event")
	}
	if e.Extra != nil && e.Kind != "insert" && e.Kind != "update" && e.Kind != "read" {
		return nil, p.errf(n, "extra: only an insert, update or read carries extra columns")
	}
	if e.Key != nil && e.Kind != "debezium" {
		return nil, p.errf(n, "key: only a raw debezium event takes an explicit Kafka key (the others derive it from the primary key)")
	}
	return e, nil
}

// ParsePosition reads 100 (file 1, position 100, row 0), "2:100" or "2:100:1".
func ParsePosition(s string) (Position, error) {
	parts := strings.Split(s, ":")
	bad := fmt.Errorf("%q: expected a binlog position such as 100, \"2:100\" (file 2) or \"2:100:1\" (row 1)", s)
	nums := make([]int64, len(parts))
	for i, x := range parts {
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil || n < 0 {
			return Position{}, bad
		}
		nums[i] = n
	}
	switch len(nums) {
	case 1:
		nums = []int64{1, nums[0], 0}
	case 2:
		nums = append(nums, 0)
	case 3:
	default:
		return Position{}, bad
	}
	if nums[1] > 1<<32-1 {
		return Position{}, fmt.Errorf("%q: binlog positions are 32-bit", s)
	}
	return Position{File: int(nums[0]), Pos: uint32(nums[1]), Row: int(nums[2])}, nil
}

func (p *parser) expect(n *yaml.Node, x *Expect) error {
	x.Line = n.Line
	return p.mapping(n, "expect", func(k string, v *yaml.Node) error {
		switch k {
		case "rows", "dead_letters":
			if v.Kind != yaml.SequenceNode {
				return p.errf(v, "%s: expected a list of rows (an empty list is [])", k)
			}
			var rows []Row
			for _, rn := range v.Content {
				r := Row{Line: rn.Line, Values: map[string]*yaml.Node{}}
				err := p.mapping(rn, k, func(c string, cv *yaml.Node) error {
					if cv.Kind != yaml.ScalarNode {
						return p.errf(cv, "%s: column %s: expected a scalar", k, c)
					}
					r.Columns = append(r.Columns, c)
					r.Values[c] = cv
					return nil
				})
				if err != nil {
					return err
				}
				rows = append(rows, r)
			}
			if k == "rows" {
				x.Rows, x.HasRows = rows, true
			} else {
				x.DeadLetters, x.HasDeadLetters = rows, true
			}
		case "count", "dead_letter_count":
			c, err := strconv.Atoi(v.Value)
			if err != nil || c < 0 {
				return p.errf(v, "%s: %q: expected a row count", k, v.Value)
			}
			if k == "count" {
				x.Count = &c
			} else {
				x.DeadLetterCount = &c
			}
		default:
			return p.errf(v, "unknown key %q in expect (expected rows, count, dead_letters, dead_letter_count)", k)
		}
		return nil
	})
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "scalar"
}
