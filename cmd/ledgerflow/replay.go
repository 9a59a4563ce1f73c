package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/inputs/kafka"
)

// replayCommand moves a pipeline's consumer group to an earlier (or later) position and
// runs the pipeline from there.
func replayCommand() *cli.Command {
	return &cli.Command{
		Name:      "replay",
		Usage:     "Run a pipeline from a Kafka timestamp or explicit offsets, into its own tables or another lakehouse",
		ArgsUsage: "[-- PIPELINE FLAGS]",
		Description: `Moves the consumer group of the pipeline's kafka input to the requested position, then runs
the pipeline as 'ledgerflow -c FILE' would (this process becomes the pipeline; stop it with
Ctrl-C or SIGTERM). Arguments after '--' are passed to that run, e.g. '-- --log.level warn'.

Position (exactly one):
  --from earliest|latest|<RFC3339 time>|<unix ms>
      every partition of the consumed topics starts at the first record stamped at or after the
      time (the log end when none is), or at the log start/end.
  --offsets topic:partition=offset[,...]
      the listed partitions start at these offsets (the next record to read); partitions not
      listed keep the group's committed offset (start_from applies when it has none).

Which tables are written:
  The Delta outputs are exactly once: every table remembers, per Kafka partition, the last
  offset it committed (a Delta txn action) and SKIPS records at or below it. Replaying into the
  same tables therefore writes nothing for offsets they already hold: it only fills what is
  missing (e.g. after a table was deleted or restored from a backup). Replay prints, per table,
  which partitions it will skip up to which offset.
  --lakehouse DIR writes into other tables instead: the pipeline runs with LAKEHOUSE=DIR (the
      shipped pipelines put every table under ${LAKEHOUSE}) and, so that the production
      pipeline's position is never touched, with CONSUMER_GROUP_PREFIX=<prefix>-replay unless
      --group-prefix says otherwise. Use it to check a rule or config change before promoting it
      (then compare tables with 'ledgerflow table show'). Tables there hold only what was
      replayed: a silver table replayed from a later position lacks the rows before it (to
      check a silver config against the whole history, use 'ledgerflow rebuild'). Later
      replays reuse the replay group: --from moves all its partitions, --offsets the listed ones.
  Replay refuses a --lakehouse run whose consumer group or table paths would still be the
  production ones (a pipeline file that does not use ${CONSUMER_GROUP_PREFIX} and ${LAKEHOUSE}).

The consumer group must have no active members: Kafka only lets offsets of an empty group be
moved. Stop the pipelines that use the group first (replay names the members it found). A
member that joins between the check and the commit makes Kafka reject the commit; nothing is
half moved then, run replay again.

Examples:
  ledgerflow replay -c pipelines/transactions.yaml --from 2024-05-01T00:00:00Z --lakehouse /tmp/lake-try
  ledgerflow replay -c pipelines/customers.yaml --offsets bank_server.bank.customers:0=1200 --dry-run
  ledgerflow replay -c pipelines/customers.yaml --offsets bank_server.bank.customers:0=0 --no-run`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Required: true, Usage: "the pipeline file, e.g. pipelines/transactions.yaml"},
			&cli.StringFlag{Name: "from", Usage: "start every partition at this position: earliest, latest, an RFC3339 time or unix milliseconds"},
			&cli.StringSliceFlag{Name: "offsets", Usage: "start these partitions at these offsets: topic:partition=offset, comma-separated or repeated"},
			&cli.StringFlag{Name: "lakehouse", Usage: "write into the tables under this directory instead (sets LAKEHOUSE, and a separate consumer group)"},
			&cli.StringFlag{Name: "group-prefix", Usage: "CONSUMER_GROUP_PREFIX for the run (default with --lakehouse: <current prefix>-replay)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "print what would be done and change nothing"},
			&cli.BoolFlag{Name: "no-run", Usage: "move the consumer group's offsets, then exit without running the pipeline"},
		},
		Action: func(c *cli.Context) error {
			r := &replay{
				file: c.String("config"), from: c.String("from"), offsets: c.StringSlice("offsets"),
				lakehouse: c.String("lakehouse"), groupPrefix: c.String("group-prefix"), groupPrefixSet: c.IsSet("group-prefix"),
				dryRun: c.Bool("dry-run"), noRun: c.Bool("no-run"), passArgs: c.Args().Slice(), w: c.App.Writer,
			}
			return r.run(c.Context)
		},
	}
}

type replay struct {
	file, from, lakehouse, groupPrefix string
	offsets, passArgs                  []string
	groupPrefixSet, dryRun, noRun      bool
	w                                  io.Writer

	env map[string]string // overrides for the pipeline run
}

func (r *replay) run(ctx context.Context) error {
	if (r.from == "") == (len(r.offsets) == 0) {
		return errors.New("replay: give exactly one of --from (a time, earliest or latest) and --offsets (topic:partition=offset,...)")
	}
	var start kafka.StartPoint
	var explicit map[string]map[int32]int64
	var err error
	if r.from != "" {
		if start, err = kafka.ParseStartPoint(r.from); err != nil {
			return fmt.Errorf("replay: --from: %w", err)
		}
	} else if explicit, err = parseOffsetList(r.offsets); err != nil {
		return fmt.Errorf("replay: --offsets: %w", err)
	}
	if err := r.setEnv(); err != nil {
		return err
	}

	prod, err := loadPipeline(r.file, os.LookupEnv)
	if err != nil {
		return err
	}
	conf, err := loadPipeline(r.file, r.lookup)
	if err != nil {
		return err
	}
	group, err := pipelineGroup(conf)
	if err != nil {
		return err
	}
	outputs := deltaOutputs(conf.root)
	if r.lakehouse != "" {
		if err := checkSeparate(prod, conf, group); err != nil {
			return err
		}
	}

	cl, err := kgo.NewClient(group.ClientOpts...)
	if err != nil {
		return fmt.Errorf("replay: kafka client for %v: %w", group.Seeds, err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	topics, err := resolveTopics(ctx, adm, group)
	if err != nil {
		return err
	}
	target, bounds, err := targetOffsets(ctx, adm, topics, start, explicit)
	if err != nil {
		return err
	}
	current, err := committedOffsets(ctx, adm, group.Name)
	if err != nil {
		return err
	}
	members, err := groupMembers(ctx, adm, group.Name)
	if err != nil {
		return err
	}

	fmt.Fprintf(r.w, "pipeline %s, consumer group %s\n", r.file, group.Name)
	if r.lakehouse != "" {
		fmt.Fprintf(r.w, "writing into LAKEHOUSE=%s with CONSUMER_GROUP_PREFIX=%s\n", r.env["LAKEHOUSE"], r.env["CONSUMER_GROUP_PREFIX"])
	}
	printPlan(r.w, target, current, bounds)
	printSkips(ctx, r.w, outputs, target)
	if len(members) > 0 {
		return fmt.Errorf("replay: consumer group %s has %d active member(s) (%s): stop the pipeline(s) using it first; Kafka moves the offsets of an empty group only",
			group.Name, len(members), strings.Join(members, ", "))
	}
	if r.dryRun {
		fmt.Fprintln(r.w, "dry run: nothing changed")
		return nil
	}
	if err := adm.CommitAllOffsets(ctx, group.Name, target); err != nil {
		return fmt.Errorf("replay: committing offsets of group %s: %w (a member may have joined the group: stop it and run replay again)", group.Name, err)
	}
	fmt.Fprintf(r.w, "committed the offsets above to group %s\n", group.Name)
	if r.noRun {
		return nil
	}
	cl.Close()
	return r.exec()
}

// setEnv decides the environment overrides of the run.
func (r *replay) setEnv() error {
	r.env = map[string]string{}
	if r.lakehouse != "" {
		abs, err := filepath.Abs(r.lakehouse)
		if err != nil {
			return err
		}
		r.env["LAKEHOUSE"] = abs
		if !r.groupPrefixSet {
			prefix := os.Getenv("CONSUMER_GROUP_PREFIX")
			if prefix == "" {
				prefix = "ledgerflow"
			}
			r.groupPrefix = prefix + "-replay"
		}
	}
	if r.groupPrefix != "" {
		r.env["CONSUMER_GROUP_PREFIX"] = r.groupPrefix
	} else if r.groupPrefixSet {
		return errors.New("replay: --group-prefix must not be empty")
	}
	return nil
}

func (r *replay) lookup(k string) (string, bool) {
	if v, ok := r.env[k]; ok {
		return v, true
	}
	return os.LookupEnv(k)
}

// exec replaces this process with `ledgerflow -c FILE [passArgs]` in the run's environment,
// so that signals, logs and the exit code are the pipeline's own.
func (r *replay) exec() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	env := os.Environ()
	for k, v := range r.env {
		env = setEnvVar(env, k, v)
	}
	args := append([]string{exe, "-c", r.file}, r.passArgs...)
	fmt.Fprintf(r.w, "running %s\n", strings.Join(args[1:], " "))
	return syscall.Exec(exe, args, env)
}

func setEnvVar(env []string, k, v string) []string {
	out := env[:0:0]
	for _, e := range env {
		if !strings.HasPrefix(e, k+"=") {
			out = append(out, e)
		}
	}
	return append(out, k+"="+v)
}

// parseOffsetList reads topic:partition=offset entries. The topic is everything before the
// last colon, so topic names with dots and dashes need no quoting.
func parseOffsetList(entries []string) (map[string]map[int32]int64, error) {
	out := map[string]map[int32]int64{}
	for _, raw := range entries {
		for _, e := range strings.Split(raw, ",") {
			e = strings.TrimSpace(e)
			if e == "" {
				continue
			}
			eq := strings.LastIndexByte(e, '=')
			colon := strings.LastIndexByte(e[:max(eq, 0)], ':')
			if eq < 0 || colon <= 0 {
				return nil, fmt.Errorf("%q: expected topic:partition=offset, e.g. bank_server.bank.customers:0=1200", e)
			}
			p, err := strconv.ParseInt(e[colon+1:eq], 10, 32)
			if err != nil || p < 0 {
				return nil, fmt.Errorf("%q: partition %q is not a non-negative integer", e, e[colon+1:eq])
			}
			off, err := strconv.ParseInt(e[eq+1:], 10, 64)
			if err != nil || off < 0 {
				return nil, fmt.Errorf("%q: offset %q is not a non-negative integer", e, e[eq+1:])
			}
			topic := e[:colon]
			if out[topic] == nil {
				out[topic] = map[int32]int64{}
			}
			if prev, dup := out[topic][int32(p)]; dup && prev != off {
				return nil, fmt.Errorf("%s:%d is given twice, with offsets %d and %d", topic, p, prev, off)
			}
			out[topic][int32(p)] = off
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no topic:partition=offset entry")
	}
	return out, nil
}

// pipelineConf is a pipeline file after environment interpolation and with every default
// filled in, exactly as Benthos would run it.
type pipelineConf struct {
	file string
	root *yaml.Node // the document's mapping node
}

// loadPipeline reads a pipeline file the way the Benthos core does: variables interpolated
// with lookup (`${VAR}`, `${VAR:default}`), linted, components parsed.
func loadPipeline(file string, lookup func(string) (string, bool)) (*pipelineConf, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	sb := service.NewStreamBuilder()
	sb.SetEnvVarLookupFunc(lookup)
	if err := sb.SetYAML(string(src)); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	text, err := sb.AsYAML()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: expected a YAML mapping", file)
	}
	return &pipelineConf{file: file, root: doc.Content[0]}, nil
}

// mapValue returns the value of key in a mapping node, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// findComponents walks n and returns every mapping that has key name (a component of that
// type), in document order.
func findComponents(n *yaml.Node, name string) []*yaml.Node {
	var out []*yaml.Node
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil {
			return
		}
		if n.Kind == yaml.MappingNode && mapValue(n, name) != nil {
			out = append(out, n)
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return out
}

func nodeYAML(n *yaml.Node) (string, error) {
	b, err := yaml.Marshal(n)
	return string(b), err
}

// pipelineGroup finds the pipeline's one kafka input and parses it as the input would.
func pipelineGroup(p *pipelineConf) (*kafka.Group, error) {
	found := findComponents(mapValue(p.root, "input"), "kafka")
	for _, res := range findComponents(mapValue(p.root, "input_resources"), "kafka") {
		found = append(found, res)
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("%s: replay needs exactly one kafka input, found %d", p.file, len(found))
	}
	text, err := nodeYAML(mapValue(found[0], "kafka"))
	if err != nil {
		return nil, err
	}
	g, err := kafka.ParseGroup(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.file, err)
	}
	return g, nil
}

// deltaOutput is one delta_lake output of a pipeline.
type deltaOutput struct {
	label, path, mode, schemaFile string
	conf                          *yaml.Node // the value of its delta_lake key
}

func deltaOutputs(root *yaml.Node) []deltaOutput {
	var out []deltaOutput
	for _, key := range []string{"output", "output_resources"} {
		for _, n := range findComponents(mapValue(root, key), "delta_lake") {
			c := mapValue(n, "delta_lake")
			d := deltaOutput{conf: c, mode: "append"}
			if l := mapValue(n, "label"); l != nil {
				d.label = l.Value
			}
			if v := mapValue(c, "path"); v != nil {
				d.path = v.Value
			}
			if v := mapValue(c, "mode"); v != nil {
				d.mode = v.Value
			}
			if v := mapValue(c, "schema_file"); v != nil {
				d.schemaFile = v.Value
			}
			out = append(out, d)
		}
	}
	return out
}

// checkSeparate refuses a --lakehouse run that would still touch production: the same
// consumer group (its offsets would move) or a table path that ignores LAKEHOUSE.
func checkSeparate(prod, replay *pipelineConf, group *kafka.Group) error {
	pg, err := pipelineGroup(prod)
	if err != nil {
		return err
	}
	if pg.Name == group.Name {
		return fmt.Errorf("replay: with --lakehouse the run would still use consumer group %s, the production pipeline's, and move its offsets: "+
			"the pipeline's consumer_group must use ${CONSUMER_GROUP_PREFIX} (see pipelines/*.yaml)", group.Name)
	}
	prodPaths := map[string]bool{}
	for _, d := range deltaOutputs(prod.root) {
		prodPaths[filepath.Clean(d.path)] = true
	}
	for _, d := range deltaOutputs(replay.root) {
		if prodPaths[filepath.Clean(d.path)] {
			return fmt.Errorf("replay: with --lakehouse, output %s would still write %s, a production table: its path must use ${LAKEHOUSE}", d.label, d.path)
		}
	}
	return nil
}

// resolveTopics lists the topics the input consumes; patterns are matched against the
// cluster's topics as the input would.
func resolveTopics(ctx context.Context, adm *kadm.Client, g *kafka.Group) ([]string, error) {
	details, err := adm.ListTopics(ctx)
	if err != nil {
		return nil, fmt.Errorf("replay: listing topics on %v: %w", g.Seeds, err)
	}
	var out []string
	if g.Regexp {
		for _, p := range g.Topics {
			re, err := regexp.Compile(p)
			if err != nil {
				return nil, err
			}
			for _, t := range details.Names() {
				if re.MatchString(t) {
					out = append(out, t)
				}
			}
		}
	} else {
		for _, t := range g.Topics {
			if !details.Has(t) {
				return nil, fmt.Errorf("replay: topic %s, which the pipeline consumes, does not exist on %v", t, g.Seeds)
			}
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("replay: no topic on %v matches %v", g.Seeds, g.Topics)
	}
	sort.Strings(out)
	return out, nil
}

// offsetRange is a partition's log: the first offset present and the next to be written.
type offsetRange struct{ start, end int64 }

// targetOffsets computes where each partition starts and checks explicit offsets against
// the logs.
func targetOffsets(ctx context.Context, adm *kadm.Client, topics []string, start kafka.StartPoint, explicit map[string]map[int32]int64) (kadm.Offsets, map[string]map[int32]offsetRange, error) {
	starts, err := adm.ListStartOffsets(ctx, topics...)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("replay: listing start offsets: %w", err)
	}
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("replay: listing end offsets: %w", err)
	}
	bounds := map[string]map[int32]offsetRange{}
	starts.Each(func(o kadm.ListedOffset) {
		if bounds[o.Topic] == nil {
			bounds[o.Topic] = map[int32]offsetRange{}
		}
		bounds[o.Topic][o.Partition] = offsetRange{start: o.Offset, end: ends[o.Topic][o.Partition].Offset}
	})
	target := kadm.Offsets{}
	if explicit != nil {
		for topic, parts := range explicit {
			tb, ok := bounds[topic]
			if !ok {
				return nil, nil, fmt.Errorf("replay: --offsets names topic %s, which the pipeline does not consume (it consumes %s)", topic, strings.Join(topics, ", "))
			}
			for p, off := range parts {
				b, ok := tb[p]
				if !ok {
					return nil, nil, fmt.Errorf("replay: --offsets names partition %d of %s, which has partitions 0 to %d", p, topic, len(tb)-1)
				}
				if off < b.start || off > b.end {
					return nil, nil, fmt.Errorf("replay: --offsets %s:%d=%d is outside the partition's log: expected %d (oldest record kept) to %d (the end)", topic, p, off, b.start, b.end)
				}
				target.AddOffset(topic, p, off, -1)
			}
		}
		return target, bounds, nil
	}
	var listed kadm.ListedOffsets
	switch {
	case start.Earliest:
		listed = starts
	case start.Latest:
		listed = ends
	default:
		if listed, err = adm.ListOffsetsAfterMilli(ctx, start.Milli, topics...); err == nil {
			err = listed.Error()
		}
		if err != nil {
			return nil, nil, fmt.Errorf("replay: listing offsets at %s: %w", time.UnixMilli(start.Milli).UTC().Format(time.RFC3339Nano), err)
		}
	}
	listed.Each(func(o kadm.ListedOffset) { target.AddOffset(o.Topic, o.Partition, o.Offset, -1) })
	return target, bounds, nil
}

func committedOffsets(ctx context.Context, adm *kadm.Client, group string) (kadm.OffsetResponses, error) {
	resp, err := adm.FetchOffsets(ctx, group)
	if err == nil {
		err = resp.Error()
	}
	if errors.Is(err, kerr.GroupIDNotFound) {
		return kadm.OffsetResponses{}, nil // a new group: nothing committed yet
	}
	if err != nil {
		return nil, fmt.Errorf("replay: reading committed offsets of group %s: %w", group, err)
	}
	return resp, nil
}

// groupMembers names the group's active members (client id and host), none for an empty
// or unknown group.
func groupMembers(ctx context.Context, adm *kadm.Client, group string) ([]string, error) {
	described, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("replay: describing group %s: %w", group, err)
	}
	g, ok := described[group]
	if !ok {
		return nil, nil
	}
	if errors.Is(g.Err, kerr.GroupIDNotFound) {
		return nil, nil // a new group
	}
	if g.Err != nil {
		return nil, fmt.Errorf("replay: describing group %s: %w", group, g.Err)
	}
	var out []string
	for _, m := range g.Members {
		out = append(out, fmt.Sprintf("%s on %s", m.ClientID, m.ClientHost))
	}
	return out, nil
}

func printPlan(w io.Writer, target kadm.Offsets, current kadm.OffsetResponses, bounds map[string]map[int32]offsetRange) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tPARTITION\tCOMMITTED\tSTART AT\tLOG\tTO READ")
	target.Each(func(o kadm.Offset) {
		cur := "-"
		if c, ok := current.Lookup(o.Topic, o.Partition); ok && c.Err == nil && c.At >= 0 {
			cur = strconv.FormatInt(c.At, 10)
		}
		b := bounds[o.Topic][o.Partition]
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d..%d\t%d\n", o.Topic, o.Partition, cur, o.At, b.start, b.end, b.end-o.At)
	})
	tw.Flush()
}

// printSkips says, per existing Delta table of the pipeline, which partitions it already
// holds beyond the start position: those records are skipped, not written again.
func printSkips(ctx context.Context, w io.Writer, outputs []deltaOutput, target kadm.Offsets) {
	for _, d := range outputs {
		t := delta.OpenLocal(d.path)
		if ok, err := t.Exists(ctx); err != nil || !ok {
			fmt.Fprintf(w, "table %s (%s): new, every replayed record is written\n", d.path, d.label)
			continue
		}
		snap, err := t.Snapshot(ctx)
		if err != nil {
			fmt.Fprintf(w, "table %s (%s): cannot read it: %v\n", d.path, d.label, err)
			continue
		}
		var skips []string
		txns := snap.Txns()
		for _, id := range sortedKeys(txns) {
			target.Each(func(o kadm.Offset) {
				if strings.HasSuffix(id, fmt.Sprintf("/%s/%d", o.Topic, o.Partition)) && txns[id] >= o.At {
					skips = append(skips, fmt.Sprintf("%s/%d up to offset %d", o.Topic, o.Partition, txns[id]))
				}
			})
		}
		if len(skips) == 0 {
			fmt.Fprintf(w, "table %s (%s): holds none of the replayed offsets, every replayed record is written\n", d.path, d.label)
			continue
		}
		fmt.Fprintf(w, "table %s (%s): already holds %s; those records are skipped (exactly once), not written again\n", d.path, d.label, strings.Join(skips, ", "))
	}
}
