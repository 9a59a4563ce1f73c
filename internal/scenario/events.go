package scenario

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ledgerflow/ledgerflow/debezium"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// baseTsMs is the source time of binlog position 0: 2024-05-01T00:00:00Z. A position's
// default source time is this plus one second per position, so time follows the binlog.
const baseTsMs = 1714521600000

// record is one record of the scenario's Kafka log, encoded exactly as Debezium's
// JsonConverter (schemas disabled) writes it.
type record struct {
	partition int32
	offset    int64
	key       []byte // nil: no key (truncates)
	value     []byte // nil: a tombstone
	tsMs      int64
}

// generator turns events into records. It keeps a model of the source table (the current
// row of each key, in listed order) so that updates and deletes carry full images.
type generator struct {
	enc      *debezium.Table
	contract *schemas.Table
	index    map[string]int
	defaults []any
	model    map[string][]any
	next     map[int32]int64
	records  []record // by event index
	last     Position
	started  bool
}

func newGenerator(contract *schemas.Table, prefix string, defaults map[string]*yaml.Node) (*generator, error) {
	g := &generator{
		enc:      debezium.NewContractTable(prefix, contract),
		contract: contract,
		index:    map[string]int{},
		model:    map[string][]any{},
		next:     map[int32]int64{},
	}
	for i := range contract.Columns {
		g.index[strings.ToLower(contract.Columns[i].Name)] = i
		g.defaults = append(g.defaults, zeroValue(&contract.Columns[i]))
	}
	for name, n := range defaults {
		i, err := g.column(name)
		if err != nil {
			return nil, fmt.Errorf("defaults: %w", err)
		}
		v, err := columnValue(&contract.Columns[i], n)
		if err != nil {
			return nil, fmt.Errorf("line %d: defaults: %w", n.Line, err)
		}
		g.defaults[i] = v
	}
	return g, nil
}

func (g *generator) column(name string) (int, error) {
	i, ok := g.index[strings.ToLower(name)]
	if !ok {
		var names []string
		for _, c := range g.contract.Columns {
			names = append(names, c.Name)
		}
		return 0, fmt.Errorf("%q is not a column of %s (columns: %s)", name, g.contract.Name, strings.Join(names, ", "))
	}
	return i, nil
}

// apply returns base with the columns of vals set.
func (g *generator) apply(base []any, vals *yaml.Node) ([]any, error) {
	row := append([]any(nil), base...)
	if vals == nil {
		return row, nil
	}
	for i := 0; i+1 < len(vals.Content); i += 2 {
		k, n := vals.Content[i].Value, vals.Content[i+1]
		ci, err := g.column(k)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		if n.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: column %s: expected a scalar value", n.Line, k)
		}
		v, err := columnValue(&g.contract.Columns[ci], n)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		row[ci] = v
	}
	return row, nil
}

// keyOf names a row's primary key; every key column must have been given in vals.
func (g *generator) keyOf(row []any, vals *yaml.Node, kind string) (string, error) {
	var parts []string
	for _, k := range g.contract.PrimaryKey {
		if vals != nil && mappingValue(vals, k) == nil {
			return "", fmt.Errorf("%s needs the primary key column %s", kind, k)
		}
		parts = append(parts, canonical(row[g.index[strings.ToLower(k)]]))
	}
	return strings.Join(parts, "|"), nil
}

// position is where event e is in the binlog: its at:, else 10 past the previous event's.
func (g *generator) position(e *Event) Position {
	var p Position
	switch {
	case e.At != nil:
		p = *e.At
	case !g.started:
		p = Position{File: 1, Pos: 10}
	default:
		p = Position{File: g.last.File, Pos: g.last.Pos + 10}
	}
	g.started, g.last = true, p
	return p
}

// event encodes event e, appends it to the log (but a redelivery) and returns its record.
func (g *generator) event(e *Event) (record, error) {
	rec, err := g.encode(e)
	if err != nil {
		return rec, fmt.Errorf("line %d: %s: %w", e.Line, e.Kind, err)
	}
	if e.Kind != "redeliver" {
		rec.partition = e.Partition
		rec.offset = g.next[e.Partition]
		g.next[e.Partition]++
	}
	g.records = append(g.records, rec)
	return rec, nil
}

func (g *generator) encode(e *Event) (record, error) {
	switch e.Kind {
	case "redeliver":
		return g.records[e.Ref], nil
	case "duplicate_of":
		r := g.records[e.Ref]
		return record{key: r.key, value: r.value, tsMs: r.tsMs}, nil
	case "debezium":
		var key []byte
		if e.Key != nil {
			key = []byte(*e.Key)
		}
		return record{key: key, value: e.Raw, tsMs: baseTsMs}, nil
	}
	pos := g.position(e)
	ts := baseTsMs + int64(pos.Pos)*1000
	if e.TsMs != nil {
		ts = *e.TsMs
	}
	src := &debezium.Source{TsMs: ts, Snapshot: "false", ServerID: 1, File: fmt.Sprintf("mysql-bin.%06d", pos.File), Pos: pos.Pos, Row: pos.Row, Thread: 1}
	var op byte
	var before, after []any
	var key string
	var err error
	switch e.Kind {
	case "insert", "read":
		op = 'c'
		if e.Kind == "read" {
			op = 'r'
			src.Snapshot, src.ServerID, src.Thread = "true", 0, -1
			if e.Snapshot != "" {
				src.Snapshot = e.Snapshot
			}
		}
		if after, err = g.apply(g.defaults, e.Values); err != nil {
			return record{}, err
		}
		if key, err = g.keyOf(after, e.Values, e.Kind); err != nil {
			return record{}, err
		}
		g.model[key] = after
	case "update":
		probe, err := g.apply(g.defaults, e.Values)
		if err != nil {
			return record{}, err
		}
		if key, err = g.keyOf(probe, e.Values, e.Kind); err != nil {
			return record{}, err
		}
		prior, ok := g.model[key]
		if !ok {
			prior = probe // a key the scenario never inserted: its other columns are the defaults
		}
		if before, err = g.apply(prior, e.Before); err != nil {
			return record{}, err
		}
		if after, err = g.apply(prior, e.Values); err != nil {
			return record{}, err
		}
		op = 'u'
		g.model[key] = after
	case "delete":
		probe, err := g.apply(g.defaults, e.Values)
		if err != nil {
			return record{}, err
		}
		if key, err = g.keyOf(probe, e.Values, e.Kind); err != nil {
			return record{}, err
		}
		prior, ok := g.model[key]
		if !ok {
			prior = probe
		}
		if before, err = g.apply(prior, e.Values); err != nil {
			return record{}, err
		}
		op = 'd'
		delete(g.model, key)
	case "tombstone":
		row, err := g.apply(g.defaults, e.Values)
		if err != nil {
			return record{}, err
		}
		if _, err := g.keyOf(row, e.Values, e.Kind); err != nil {
			return record{}, err
		}
		k, _, err := g.enc.AppendKey(nil, row)
		if err != nil {
			return record{}, err
		}
		return record{key: k, tsMs: ts}, nil
	case "truncate":
		v, err := g.enc.AppendEnvelope(nil, 't', nil, nil, src, (ts+100)*1_000_000)
		if err != nil {
			return record{}, err
		}
		g.model = map[string][]any{}
		return record{value: v, tsMs: ts}, nil
	default:
		return record{}, fmt.Errorf("unknown event kind")
	}
	v, err := g.enc.AppendEnvelope(nil, op, before, after, src, (ts+100)*1_000_000)
	if err != nil {
		return record{}, err
	}
	if e.Extra != nil {
		v = withExtra(v, e.Extra, before != nil)
	}
	img := after
	if img == nil {
		img = before
	}
	k, _, err := g.enc.AppendKey(nil, img)
	if err != nil {
		return record{}, err
	}
	return record{key: k, value: v, tsMs: ts}, nil
}

// withExtra adds members to the after image (and the before image when there is one) of an
// encoded envelope. The images end right before `,"after":` and `,"source":`: a JSON string
// cannot hold those bytes unescaped, so the first occurrence is the image's end.
func withExtra(env, members []byte, before bool) []byte {
	insert := func(env []byte, marker string) []byte {
		i := bytes.Index(env, []byte(marker))
		if i <= 0 || env[i-1] != '}' {
			return env
		}
		out := append([]byte(nil), env[:i-1]...)
		out = append(out, ',')
		out = append(out, members...)
		return append(out, env[i-1:]...)
	}
	env = insert(env, `,"source":`)
	if before {
		env = insert(env, `,"after":`)
	}
	return env
}
