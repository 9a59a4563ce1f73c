package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// rebuildCommand rebuilds a silver table from its bronze change log with the pipeline's
// (possibly changed) merge config, and compares the result with the current table.
func rebuildCommand() *cli.Command {
	return &cli.Command{
		Name:  "rebuild",
		Usage: "Rebuild a silver table from its bronze change log into a new table and diff it against the current one",
		Description: `Reads the bronze change log (delta_lake mode: append) in Kafka order, turns every row back
into the change event the pipeline's unwrap produced, and runs those events through the
pipeline's silver output (delta_lake mode: merge, exactly as configured in -c FILE, with its
path set to --into) to build a new table. Then compares the new table with the current silver
table by key and prints: rows only in the current table, rows only in the rebuilt one, rows
that differ (up to --examples of them, with the differing columns), and columns only one side
has. _ingested_at and _kafka_* are not compared (they record when and from where a row was
written, which a rebuild changes by design).

Use it to check a rule or config change before promoting it: edit a copy of the pipeline file
(e.g. add except_columns: [phone], change apply_as_deletes), rebuild with it, read the diff.
Rebuilding with the unchanged config checks that silver equals what its change log implies.

Which output: --output LABEL, or the only mode: merge output of the file. Which bronze table:
--bronze PATH, or the pipeline's append output with the same schema_file. Which current table:
--silver PATH, or the merge output's path. Paths come from the file with environment variables
interpolated (LAKEHOUSE, ...), as when the pipeline runs. --into must be a new directory; dead
letters of the rebuild go to <into>_dead_letters.

Not replayed: events that never reached bronze (messages the unwrap dead-lettered, and
truncates, for which bronze keeps no row).

Exit code: 0 when the tables are equal, 1 when they differ, 2 on an error.

Example:
  cp pipelines/customers.yaml /tmp/customers-nophone.yaml    # and edit the copy
  ledgerflow rebuild -c /tmp/customers-nophone.yaml --into /tmp/customers-try`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Required: true, Usage: "the pipeline file holding the silver output"},
			&cli.StringFlag{Name: "into", Required: true, Usage: "directory of the rebuilt table (must not exist or be empty)"},
			&cli.StringFlag{Name: "output", Usage: "label of the delta_lake merge output (default: the only one)"},
			&cli.StringFlag{Name: "bronze", Usage: "bronze table to read (default: the pipeline's append output with the same schema_file)"},
			&cli.StringFlag{Name: "silver", Usage: "current table to compare with (default: the merge output's path)"},
			&cli.IntFlag{Name: "examples", Value: 10, Usage: "differing rows to show"},
			&cli.StringFlag{Name: "log-level", Value: "warn", Usage: "log level of the rebuild's output (error, warn, info, debug)"},
			&cli.StringFlag{Name: "memory-budget", Value: "64MiB", Usage: "change events held in memory while sorting the change log; beyond it they are spilled to sorted runs in a temporary directory beside --into (removed after)"},
		},
		Action: func(c *cli.Context) error {
			budget, err := parseBytes(c.String("memory-budget"))
			if err != nil {
				return cli.Exit("rebuild: --memory-budget "+err.Error(), 2)
			}
			tuneBatchGC(budget)
			rb := &rebuild{file: c.String("config"), into: c.String("into"), label: c.String("output"),
				bronze: c.String("bronze"), silver: c.String("silver"), examples: c.Int("examples"),
				logLevel: c.String("log-level"), memoryBudget: budget, w: c.App.Writer}
			equal, err := rb.run(c.Context)
			if err != nil {
				return cli.Exit("rebuild: "+err.Error(), 2)
			}
			if !equal {
				return cli.Exit("", 1)
			}
			return nil
		},
	}
}

type rebuild struct {
	file, into, label, bronze, silver, logLevel string
	examples                                    int
	memoryBudget                                int64 // bytes of events before spilling; 0: defaultMemoryBudget
	w                                           io.Writer
	spillRuns                                   int // runs the sort spilled, for the tests
}

func (rb *rebuild) run(ctx context.Context) (bool, error) {
	conf, err := loadPipeline(rb.file, os.LookupEnv)
	if err != nil {
		return false, err
	}
	out, bronzePath, err := pickOutputs(conf, rb.label)
	if err != nil {
		return false, err
	}
	if rb.bronze != "" {
		bronzePath = rb.bronze
	}
	if bronzePath == "" {
		return false, fmt.Errorf("%s: no append output with schema_file %s to read: give --bronze", rb.file, out.schemaFile)
	}
	silverPath := out.path
	if rb.silver != "" {
		silverPath = rb.silver
	}
	into, err := filepath.Abs(rb.into)
	if err != nil {
		return false, err
	}
	for _, p := range []string{bronzePath, silverPath} {
		if a, _ := filepath.Abs(p); a == into {
			return false, fmt.Errorf("--into %s is the table at %s: rebuild into a new directory", rb.into, p)
		}
	}
	if entries, err := os.ReadDir(into); err == nil && len(entries) > 0 {
		return false, fmt.Errorf("--into %s is not empty: a table there would skip every change it already holds; choose a new directory", rb.into)
	}
	contract, err := schemas.Load(out.schemaFile)
	if err != nil {
		return false, fmt.Errorf("output %s: schema_file: %w", out.label, err)
	}

	start := time.Now()
	budget := rb.memoryBudget
	if budget <= 0 {
		budget = defaultMemoryBudget
	}
	// Spill beside the output: the same file system, which has room for the table anyway.
	if err := os.MkdirAll(filepath.Dir(into), 0o755); err != nil {
		return false, err
	}
	events, bronzeSnap, err := spillChangeLog(ctx, bronzePath, contract, budget, filepath.Dir(into))
	if err != nil {
		return false, err
	}
	defer events.close()
	rb.spillRuns = len(events.runs)
	spilled := ""
	if len(events.runs) > 0 {
		spilled = fmt.Sprintf(", sorted in %d runs spilled to %s", len(events.runs), events.dir)
	}
	fmt.Fprintf(rb.w, "read %d changes from bronze %s (version %d)%s\n", events.n, bronzePath, bronzeSnap.Version(), spilled)
	batchSize := 10000
	if n := mapValue(mapValue(out.conf, "batching"), "count"); n != nil {
		if v, err := strconv.Atoi(n.Value); err == nil && v > 0 {
			batchSize = v
		}
	}
	if err := runMergeFrom(ctx, out, into, events.each, batchSize, rb.logLevel); err != nil {
		return false, err
	}
	events.close()
	fmt.Fprintf(rb.w, "rebuilt %s with output %s in %s\n", into, out.label, time.Since(start).Round(time.Millisecond))
	if n, err := countRows(ctx, into+"_dead_letters"); err != nil {
		return false, err
	} else if n > 0 {
		fmt.Fprintf(rb.w, "%d change(s) were dead-lettered by the rebuild: see %s_dead_letters\n", n, into)
	}

	key := contract.PrimaryKey
	if k := mapValue(out.conf, "key"); k != nil && len(k.Content) > 0 {
		key = nil
		for _, c := range k.Content {
			key = append(key, c.Value)
		}
	}
	d, err := diffTables(ctx, silverPath, into, key, rb.examples, budget, filepath.Dir(into))
	if err != nil {
		return false, err
	}
	d.print(rb.w)
	if lag := positionGaps(partitionVersions(bronzeSnap.Txns()), d.currentPositions); len(lag) > 0 {
		fmt.Fprintf(rb.w, "note: the current table and the bronze table read are at different Kafka positions (%s): "+
			"rows changed in between differ for that reason alone; compare again with the pipeline stopped or caught up\n", strings.Join(lag, ", "))
	}
	return d.equal(), nil
}

// partitionVersions maps txn application ids (<prefix>/<topic>/<partition>) to their
// topic/partition, keeping the highest version when several outputs wrote the table.
func partitionVersions(txns map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for id, v := range txns {
		parts := strings.Split(id, "/")
		if len(parts) < 2 {
			continue
		}
		tp := parts[len(parts)-2] + "/" + parts[len(parts)-1]
		if cur, ok := out[tp]; !ok || v > cur {
			out[tp] = v
		}
	}
	return out
}

// positionGaps lists the partitions at which two tables committed different last offsets.
func positionGaps(bronze, current map[string]int64) []string {
	all := map[string]bool{}
	for k := range bronze {
		all[k] = true
	}
	for k := range current {
		all[k] = true
	}
	var out []string
	for _, tp := range sortedKeys(all) {
		b, okB := bronze[tp]
		c, okC := current[tp]
		if okB != okC || b != c {
			out = append(out, fmt.Sprintf("%s: bronze %s, current %s", tp, offsetText(b, okB), offsetText(c, okC)))
		}
	}
	return out
}

func offsetText(v int64, ok bool) string {
	if !ok {
		return "none"
	}
	return strconv.FormatInt(v, 10)
}

// pickOutputs finds the merge output (by label, or the only one) and the bronze table that
// feeds it: the append output with the same contract, when there is exactly one.
func pickOutputs(conf *pipelineConf, label string) (deltaOutput, string, error) {
	outs := deltaOutputs(conf.root)
	var merges []deltaOutput
	for _, d := range outs {
		if label != "" && d.label == label {
			if d.mode != "merge" {
				return deltaOutput{}, "", fmt.Errorf("%s: output %s has mode %s: rebuild needs a mode: merge output", conf.file, label, d.mode)
			}
			merges = []deltaOutput{d}
			break
		}
		if label == "" && d.mode == "merge" {
			merges = append(merges, d)
		}
	}
	if len(merges) != 1 {
		var labels []string
		for _, d := range outs {
			labels = append(labels, fmt.Sprintf("%s (mode %s)", d.label, d.mode))
		}
		what := "exactly one delta_lake output with mode: merge"
		if label != "" {
			what = "a delta_lake output labelled " + label
		}
		return deltaOutput{}, "", fmt.Errorf("%s: expected %s; its delta_lake outputs are: %s", conf.file, what, strings.Join(labels, ", "))
	}
	var bronze []string
	for _, d := range outs {
		if d.mode == "append" && d.schemaFile == merges[0].schemaFile {
			bronze = append(bronze, d.path)
		}
	}
	if len(bronze) != 1 {
		return merges[0], "", nil
	}
	return merges[0], bronze[0], nil
}

// changeEvent is one bronze row turned back into the message the pipeline's output got.
type changeEvent struct {
	topic     string // "" when the row has no Kafka coordinates
	partition int32
	offset    int64
	pos       string // _source_pos, the order of rows without coordinates
	body      []byte
	// unknown and unknownTypes are the debezium_unknown_columns / _column_types metadata the
	// unwrap set: columns the contract lacks (added to bronze by schema evolution).
	unknown, unknownTypes string
}

// Bronze-only columns: written by the append output, not part of the change event.
var bronzeOnly = map[string]bool{"_ingested_at": true, "_ingest_date": true}

// rowMetaColumns are the metadata members of the unwrap's row format that bronze keeps.
var rowMetaColumns = map[string]bool{"_op": true, "_source_ts": true, "_source_pos": true, "_source_gtid": true,
	"_deleted": true, "_kafka_topic": true, "_kafka_partition": true, "_kafka_offset": true, "_before": true}

// readChangeLog reads a bronze table and returns its rows as change events in Kafka order
// (topic, partition, offset); rows without coordinates come first, in _source_pos order.
func readChangeLog(ctx context.Context, path string, contract *schemas.Table) ([]changeEvent, *delta.Snapshot, error) {
	cl, snap, err := spillChangeLog(ctx, path, contract, 0, "")
	if err != nil {
		return nil, nil, err
	}
	events := make([]changeEvent, 0, len(cl.mem))
	for _, ev := range cl.mem {
		events = append(events, ev.changeEvent)
	}
	return events, snap, nil
}

// rowConverter renders bronze rows as debezium_unwrap row JSON.
type rowConverter struct {
	names            []string
	keep             []bool
	evolved          []bool   // not a contract column: schema evolution added it
	types            []string // Delta type of each column
	before           int      // index of _before, or -1
	topic, part, off int
	pos              int
	buf              bytes.Buffer // reused: an event keeps an exact-size copy of its body
}

func newRowConverter(st *schema.StructType, contract *schemas.Table) (*rowConverter, error) {
	c := &rowConverter{before: st.Index("_before"), topic: st.Index("_kafka_topic"), part: st.Index("_kafka_partition"),
		off: st.Index("_kafka_offset"), pos: st.Index("_source_pos")}
	if st.Index("_op") < 0 {
		return nil, errors.New("the table has no _op column: it is not a bronze change log")
	}
	derived := ""
	if contract.Partition != nil {
		derived = contract.Partition.Column
		for _, col := range contract.Columns {
			if col.Name == derived {
				derived = "" // a real column, not one the output derives
			}
		}
	}
	inContract := map[string]bool{}
	for _, col := range contract.Columns {
		inContract[strings.ToLower(col.Name)] = true
	}
	for _, f := range st.Fields {
		keep := !bronzeOnly[f.Name] && f.Name != derived
		c.names = append(c.names, f.Name)
		c.keep = append(c.keep, keep)
		c.evolved = append(c.evolved, keep && !rowMetaColumns[f.Name] && !inContract[strings.ToLower(f.Name)])
		c.types = append(c.types, f.Type.String())
	}
	return c, nil
}

func (c *rowConverter) event(r []any) (changeEvent, error) {
	var ev changeEvent
	if c.topic >= 0 && c.part >= 0 && c.off >= 0 && r[c.topic] != nil && r[c.part] != nil && r[c.off] != nil {
		ev.topic, _ = r[c.topic].(string)
		p, ok1 := r[c.part].(int32)
		o, ok2 := r[c.off].(int64)
		if ev.topic == "" || !ok1 || !ok2 {
			return ev, fmt.Errorf("row with Kafka coordinates %v/%v/%v: expected a topic name, an int partition and a long offset", r[c.topic], r[c.part], r[c.off])
		}
		ev.partition, ev.offset = p, o
	}
	if c.pos >= 0 {
		ev.pos, _ = r[c.pos].(string)
	}
	b := &c.buf
	b.Reset()
	b.WriteByte('{')
	first := true
	for i, name := range c.names {
		if !c.keep[i] || (i == c.before && r[i] == nil) {
			continue // _before is present for updates only, as the unwrap writes it
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(name)
		b.Write(k)
		b.WriteByte(':')
		if i == c.before {
			s, _ := r[i].(string)
			if !json.Valid([]byte(s)) {
				return ev, fmt.Errorf("offset %s/%d/%d: _before is not JSON: %.80q", ev.topic, ev.partition, ev.offset, s)
			}
			b.WriteString(s)
			continue
		}
		if err := writeCell(b, r[i]); err != nil {
			return ev, fmt.Errorf("offset %s/%d/%d: column %s: %w", ev.topic, ev.partition, ev.offset, name, err)
		}
		if c.evolved[i] && r[i] != nil {
			ev.unknown += "," + name
			ev.unknownTypes += ";" + name + ":" + c.types[i]
		}
	}
	ev.unknown = strings.TrimPrefix(ev.unknown, ",")
	ev.unknownTypes = strings.TrimPrefix(ev.unknownTypes, ";")
	b.WriteByte('}')
	// A copy of the length, not the buffer: a grown buffer has up to twice the capacity,
	// which the sort's memory budget (counting lengths) would not see.
	ev.body = bytes.Clone(b.Bytes())
	return ev, nil
}

// writeCell writes a cell as the unwrap's row format has it: decimals as exact strings,
// dates "YYYY-MM-DD", timestamps "YYYY-MM-DDTHH:MM:SS.ffffffZ", binary as base64.
func writeCell(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int8:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int16:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int32:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("%v has no JSON form", x)
		}
		b.WriteString(strconv.FormatFloat(float64(x), 'g', -1, 32))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%v has no JSON form", x)
		}
		b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	case string:
		if !utf8.ValidString(x) {
			return fmt.Errorf("%.40q is not valid UTF-8", x) // JSON would replace bytes: a silent change
		}
		s, _ := json.Marshal(x)
		b.Write(s)
	case []byte:
		b.WriteString(`"` + base64.StdEncoding.EncodeToString(x) + `"`)
	case schema.Decimal:
		b.WriteString(`"` + x.String() + `"`)
	case schema.Date:
		b.WriteString(`"` + x.String() + `"`)
	case time.Time:
		b.WriteString(`"` + x.UTC().Format("2006-01-02T15:04:05.000000Z") + `"`)
	default:
		return fmt.Errorf("value of Go type %T: not a type a table contract produces", v)
	}
	return nil
}

// runMerge builds the table at into by sending the events through the pipeline's own
// delta_lake output config, path and dead-letter path changed.
func runMerge(ctx context.Context, out deltaOutput, into string, events []changeEvent, batchSize int, logLevel string) error {
	return runMergeFrom(ctx, out, into, func(fn func(*changeEvent) error) error {
		for i := range events {
			if err := fn(&events[i]); err != nil {
				return err
			}
		}
		return nil
	}, batchSize, logLevel)
}

// runMergeFrom is runMerge over the events each yields in order; it holds only the batches
// in flight.
func runMergeFrom(ctx context.Context, out deltaOutput, into string, each func(func(*changeEvent) error) error, batchSize int, logLevel string) error {
	conf := cloneNode(out.conf)
	setMapValue(conf, "path", into)
	setMapValue(conf, "dead_letter_path", into+"_dead_letters")
	// The change log is sent in batches of the configured count; a batching policy on top
	// would hold the last, partial batch until a period that the config may not have.
	deleteMapKey(conf, "batching")
	text, err := yaml.Marshal(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "delta_lake"}, conf}})
	if err != nil {
		return err
	}
	sb := service.NewStreamBuilder()
	if err := sb.SetLoggerYAML("level: " + logLevel); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	produce, err := sb.AddBatchProducerFunc()
	if err != nil {
		return err
	}
	if err := sb.AddOutputYAML(string(text)); err != nil {
		return fmt.Errorf("output %s: %w", out.label, err)
	}
	stream, err := sb.Build()
	if err != nil {
		return fmt.Errorf("output %s: %w", out.label, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- stream.Run(ctx) }()

	// A few batches in flight: the output decodes one while it commits another. It writes
	// them in order whatever order they arrive in, by kafka_prev_offset.
	const inFlight = 4
	sem := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	var errOnce sync.Once
	var firstErr error
	prev := map[[2]string]int64{}
	start := 0
	var batch service.MessageBatch
	send := func() {
		sem <- struct{}{}
		wg.Add(1)
		go func(start int, batch service.MessageBatch) {
			defer func() { <-sem; wg.Done() }()
			if err := produce(ctx, batch); err != nil {
				errOnce.Do(func() {
					firstErr = fmt.Errorf("writing changes %d to %d: %w", start, start+len(batch)-1, err)
					cancel()
				})
			}
		}(start, batch)
		start += len(batch)
		batch = nil
	}
	eachErr := each(func(ev *changeEvent) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if batch == nil {
			batch = make(service.MessageBatch, 0, batchSize)
		}
		m := service.NewMessage(ev.body)
		if ev.topic != "" {
			tp := [2]string{ev.topic, strconv.Itoa(int(ev.partition))}
			m.MetaSetMut("kafka_topic", ev.topic)
			m.MetaSetMut("kafka_partition", int64(ev.partition))
			m.MetaSetMut("kafka_offset", ev.offset)
			// The output writes a record only after its predecessor: tell it which row of
			// the change log came before (gaps are tombstones and dead letters).
			if p, ok := prev[tp]; ok {
				m.MetaSetMut("kafka_prev_offset", p)
			}
			prev[tp] = ev.offset
		}
		m.MetaSetMut("debezium_kind", "row")
		if ev.unknown != "" {
			m.MetaSetMut("debezium_unknown_columns", ev.unknown)
			m.MetaSetMut("debezium_unknown_column_types", ev.unknownTypes)
		}
		batch = append(batch, m)
		if len(batch) == batchSize {
			send()
		}
		return nil
	})
	if eachErr == nil && len(batch) > 0 && ctx.Err() == nil {
		send()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if eachErr != nil {
		return eachErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	stopCtx, stopCancel := context.WithTimeout(context.Background(), time.Minute)
	defer stopCancel()
	if err := stream.Stop(stopCtx); err != nil {
		return err
	}
	if err := <-runErr; err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func cloneNode(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = cloneNode(k)
	}
	return &c
}

func setMapValue(m *yaml.Node, key, value string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = &yaml.Node{Kind: yaml.ScalarNode, Value: value}
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, &yaml.Node{Kind: yaml.ScalarNode, Value: value})
}

func deleteMapKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

func countRows(ctx context.Context, path string) (int, error) {
	t := delta.OpenLocal(path)
	if ok, err := t.Exists(ctx); err != nil || !ok {
		return 0, err
	}
	snap, err := t.Snapshot(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	err = snap.Scan(ctx, func(_ *delta.Add, rows [][]any) error { // a file at a time
		n += len(rows)
		return nil
	})
	return n, err
}
