package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/inputs/simulator"
	"github.com/ledgerflow/ledgerflow/pipelines"
)

// demoCommand runs the whole system on one machine without external services: an
// in-process Kafka-protocol cluster, a simulated bank producing Debezium events, and the
// real pipelines (a child `ledgerflow streams` process) writing the bronze Delta tables.
func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "Run a simulated bank, an in-process Kafka and the real pipelines into a local lakehouse",
		Description: `Starts a Kafka-protocol cluster in this process, a bank simulator that produces Debezium
MySQL change events (snapshot, inserts, updates, deletes with tombstones, a primary-key change,
duplicate deliveries, injected fraud patterns) and the pipelines in ./pipelines (or the copies
built into the binary) as a child process, waits until every event is in the bronze Delta
tables, and prints a summary.

Re-running with the same --out resumes: the Kafka log is kept in <out>/.demo/kafka, so offsets
continue and the tables' exactly-once versions stay valid; the run says so and how many rows
the tables already hold, and appends its events to them. --fresh starts over.

The pipelines' logs go to <out>/pipelines.log (appended to by each run). The progress line
shows the lag: events produced and not yet committed in every layer (bronze and silver, by
their exactly-once versions), and the produce rate over the last 5 seconds.`,
		Flags: []cli.Flag{
			&cli.Int64Flag{Name: "events", Value: 50000, Usage: "change events to produce, at least (a delete and its tombstone, or a fraud burst, are never split); 0: no limit, stop with --duration or Ctrl-C"},
			&cli.Float64Flag{Name: "rate", Value: 0, Usage: "events per second (0: as fast as possible)"},
			&cli.DurationFlag{Name: "duration", Usage: "stop producing after this long (0: no limit)"},
			&cli.StringFlag{Name: "out", Value: "./lakehouse", Usage: "lakehouse directory"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "simulator seed: the same seed gives the same events"},
			&cli.BoolFlag{Name: "fresh", Usage: "delete the lakehouse directory first"},
			&cli.IntFlag{Name: "kafka-port", Usage: "port of the in-process Kafka (0: any free port)"},
		},
		Action: func(c *cli.Context) error {
			d := &demo{
				events: c.Int64("events"), rate: c.Float64("rate"), duration: c.Duration("duration"),
				out: c.String("out"), seed: c.Uint64("seed"), fresh: c.Bool("fresh"), kafkaPort: c.Int("kafka-port"),
				w: c.App.Writer,
			}
			if d.events == 0 && d.duration == 0 {
				return errors.New("--events 0 needs --duration: otherwise the demo would never stop producing")
			}
			return d.run(c.Context)
		},
	}
}

type demo struct {
	events    int64
	rate      float64
	duration  time.Duration
	out       string
	seed      uint64
	fresh     bool
	kafkaPort int
	w         io.Writer

	stateDir string
	logPath  string
	sim      *simulator.Simulator
	topics   []string
	produce  *produceLog
	metrics  string // http://…/metrics of the child
}

// demoState is <out>/.demo/state.json: how many runs wrote into this lakehouse.
type demoState struct {
	Runs int    `json:"runs"`
	Seed uint64 `json:"seed"`
}

func (d *demo) run(ctx context.Context) error {
	out, err := filepath.Abs(d.out)
	if err != nil {
		return err
	}
	d.out = out
	if d.fresh {
		// Delete only what looks like a lakehouse: a mistyped --out must not cost a directory.
		entries, err := os.ReadDir(out)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("--fresh: %w", err)
		}
		for _, e := range entries {
			switch e.Name() {
			case ".demo", "bronze", "silver", "gold", "pipelines.log":
			default:
				return fmt.Errorf("--fresh would delete %s, but it holds %q, which is not a lakehouse directory "+
					"(.demo, bronze, silver, gold, pipelines.log): delete it yourself or choose another --out", out, e.Name())
			}
		}
		if err := os.RemoveAll(out); err != nil {
			return fmt.Errorf("--fresh: %w", err)
		}
	}
	d.stateDir = filepath.Join(out, ".demo")
	kafkaDir := filepath.Join(d.stateDir, "kafka")
	state, err := d.loadState(kafkaDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(d.stateDir, 0o755); err != nil {
		return err
	}
	d.logPath = filepath.Join(out, "pipelines.log")
	if err := demoPIIKey(d.stateDir); err != nil { // demo_pii.go
		return err
	}

	d.sim, err = simulator.New(simulator.Config{Seed: d.seed, Run: state.Runs})
	if err != nil {
		return err
	}
	d.topics = d.sim.Topics()
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(3, d.topics...), kfake.DataDir(kafkaDir),
		kfake.GroupMinSessionTimeout(500 * time.Millisecond)}
	if d.kafkaPort > 0 {
		opts = append(opts, kfake.Ports(d.kafkaPort))
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		return fmt.Errorf("starting the in-process Kafka (data in %s): %w", kafkaDir, err)
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]
	before, err := readTables(ctx, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.w, "LedgerFlow demo\n")
	if msg := resumeMessage(out, state.Runs+1, before); msg != "" {
		fmt.Fprintf(d.w, "  %s\n", msg)
	}
	fmt.Fprintf(d.w, "  Kafka (in-process) %s   while the demo runs: kcat -b %s -C -t %s -o beginning -e\n", broker, broker, d.topics[2])
	fmt.Fprintf(d.w, "                     (--rate 200 --events 0 --duration 10m keeps it running)\n")
	fmt.Fprintf(d.w, "  lakehouse          %s\n", out)
	fmt.Fprintf(d.w, "  pipeline logs      %s (the pipelines' own log lines go there, not here)\n", d.logPath)
	// Count this run before producing: whatever happens next, its events are in the Kafka
	// log, and the next run must use new keys and later binlog positions.
	if err := d.saveState(demoState{Runs: state.Runs + 1, Seed: d.seed}); err != nil {
		return err
	}
	child, err := d.startPipelines(ctx, broker)
	if err != nil {
		return err
	}
	defer child.stop()
	fmt.Fprintf(d.w, "  metrics            %s   (Prometheus text of the pipelines, while the demo runs)\n", d.metrics)

	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ProducerLinger(5*time.Millisecond),
		kgo.MaxBufferedRecords(20000), kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	if err != nil {
		return err
	}
	defer cl.Close()
	d.produce = newProduceLog()

	// Ctrl-C stops producing; what was produced is still waited for and summarised. From a
	// terminal the child gets the SIGINT too and shuts down cleanly, committing what it holds;
	// the summary then shows what landed.
	sigCtx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	prodCtx := sigCtx
	if d.duration > 0 {
		var cancel context.CancelFunc
		prodCtx, cancel = context.WithTimeout(prodCtx, d.duration)
		defer cancel()
	}
	start := time.Now()
	prodDone := make(chan error, 1)
	go func() { prodDone <- d.runProducer(prodCtx, cl) }()

	tty := isTerminal(os.Stdout)
	every := 5 * time.Second
	if tty {
		every = 500 * time.Millisecond
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var lastPrint time.Time
	var produceErr error
	producing := true
	lastProgress, lastCommitted := time.Now(), int64(-1)
	var prodEnd time.Time
	var m pipelineMetrics
	// Sampled every tick, printed less often: the window holds enough samples to be exact.
	rate := &slidingRate{window: rateWindow}
	curRate := rate.add(start, 0)
	line := func() string {
		layers, err := layerVersions(ctx, d.out)
		lag := int64(-1)
		if err == nil {
			lag = eventLag(d.produce.ranges(), layers)
		}
		return d.progress(start, m, lag, curRate)
	}
wait:
	for {
		select {
		case produceErr = <-prodDone:
			producing = false
			prodEnd = time.Now()
			if produceErr != nil {
				return fmt.Errorf("producing: %w", produceErr)
			}
			prodDone = nil
			continue
		case err := <-child.exited:
			if sigCtx.Err() != nil {
				fmt.Fprintf(d.w, "\ninterrupted: the pipelines stopped (%v); summarising what was committed (the rest is in Kafka and lands on the next run)\n", err)
				break wait
			}
			return fmt.Errorf("the pipelines exited early (%v); last log lines:\n%s", err, tail(d.logPath, 2000))
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
		m = d.scrape()
		produced, _ := d.produce.produced()
		curRate = rate.add(time.Now(), produced)
		if time.Since(lastPrint) >= every {
			lastPrint = time.Now()
			line := line()
			if tty {
				fmt.Fprintf(d.w, "\r%s\x1b[K", line)
			} else {
				fmt.Fprintln(d.w, line)
			}
		}
		if m.rows != lastCommitted {
			lastCommitted, lastProgress = m.rows, time.Now()
		} else if time.Since(lastProgress) > 2*time.Minute {
			return fmt.Errorf("no rows committed for 2 minutes; last log lines:\n%s", tail(d.logPath, 2000))
		}
		if producing {
			continue
		}
		if done, err := d.allCommitted(ctx); err != nil {
			return err
		} else if done {
			m = d.scrape()
			break
		}
	}
	end := time.Now()
	if tty {
		fmt.Fprintf(d.w, "\r%s\x1b[K\n", line())
	} else {
		fmt.Fprintln(d.w, line())
	}
	child.stop()
	if prodDone != nil {
		// Interrupted while producing: the producer stops at its context; the simulator
		// is its own until it returns.
		if err := <-prodDone; err != nil {
			fmt.Fprintf(d.w, "producing: %v\n", err)
		}
		prodEnd = time.Now()
	}
	after, err := readTables(ctx, out)
	if err != nil {
		return err
	}
	return d.summary(ctx, before, after, m, start, prodEnd, end)
}

// loadState decides between a fresh start and a resume. A lakehouse with tables but without
// the demo's Kafka log cannot be resumed: its exactly-once versions are offsets of another
// Kafka, and a new cluster's offsets would restart at 0 and be skipped as already written.
func (d *demo) loadState(kafkaDir string) (demoState, error) {
	var st demoState
	b, err := os.ReadFile(filepath.Join(d.stateDir, "state.json"))
	if err == nil {
		if err := json.Unmarshal(b, &st); err != nil {
			return st, fmt.Errorf("%s: %w (run with --fresh to start over)", filepath.Join(d.stateDir, "state.json"), err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return st, err
	}
	_, kerr := os.Stat(kafkaDir)
	hasKafka := kerr == nil
	for _, t := range simulator.Tables {
		if _, err := os.Stat(filepath.Join(d.out, "bronze", t, "_delta_log")); err == nil && (!hasKafka || st.Runs == 0) {
			return st, fmt.Errorf("%s holds Delta tables that this demo's Kafka log (%s) did not feed: their exactly-once "+
				"versions are offsets of another Kafka, so new events would be skipped as already written. "+
				"Run with --fresh to delete %s and start over, or choose another --out", d.out, kafkaDir, d.out)
		}
	}
	if st.Runs > 0 && !hasKafka {
		return st, fmt.Errorf("%s: state.json says %d runs but the Kafka log %s is missing; run with --fresh", d.stateDir, st.Runs, kafkaDir)
	}
	return st, nil
}

func (d *demo) saveState(st demoState) error {
	b, _ := json.Marshal(st)
	return os.WriteFile(filepath.Join(d.stateDir, "state.json"), b, 0o644)
}

// runProducer produces the simulator's events in order; the key partitioner keeps each key
// on one partition, so per-key order holds.
func (d *demo) runProducer(ctx context.Context, cl *kgo.Client) error {
	var (
		buf      []simulator.Event
		n        int64
		start    = time.Now()
		mu       sync.Mutex
		firstErr error
	)
	for ctx.Err() == nil && (d.events == 0 || n < d.events) {
		var err error
		buf, err = d.sim.Next(buf[:0])
		if err != nil {
			return err
		}
		for i := range buf {
			e := &buf[i]
			r := &kgo.Record{Topic: e.Topic, Key: e.Key, Value: e.Value}
			for _, h := range e.Headers {
				r.Headers = append(r.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
			}
			cl.Produce(context.Background(), r, func(r *kgo.Record, err error) {
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				d.produce.add(r)
			})
		}
		n += int64(len(buf))
		if d.rate > 0 {
			if ahead := time.Duration(float64(n)/d.rate*float64(time.Second)) - time.Since(start); ahead > 0 {
				select {
				case <-time.After(ahead):
				case <-ctx.Done():
				}
			}
		}
	}
	if err := cl.Flush(context.Background()); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	return firstErr
}

// produceLog records, per partition, the offsets produced in this run and when.
type produceLog struct {
	mu    sync.Mutex
	parts map[string]*partLog // "topic/partition"
	count int64
	rows  int64 // records with a value: row events (tombstones have none)
}

type partLog struct {
	base  int64   // first offset of this run
	times []int64 // produce timestamp (Unix µs) per offset from base
}

func newProduceLog() *produceLog { return &produceLog{parts: map[string]*partLog{}} }

func (p *produceLog) add(r *kgo.Record) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := r.Topic + "/" + strconv.Itoa(int(r.Partition))
	pl := p.parts[k]
	if pl == nil {
		pl = &partLog{base: r.Offset}
		p.parts[k] = pl
	}
	// Promises of one partition run in offset order.
	for int64(len(pl.times)) < r.Offset-pl.base {
		pl.times = append(pl.times, 0)
	}
	pl.times = append(pl.times, r.Timestamp.UnixMicro())
	p.count++
	if r.Value != nil {
		p.rows++
	}
}

// produced returns the records, and the row events among them, acknowledged so far.
func (p *produceLog) produced() (records, rows int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count, p.rows
}

// ranges returns the offsets produced in this run, per partition.
func (p *produceLog) ranges() map[string]partRange {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]partRange, len(p.parts))
	for k, pl := range p.parts {
		out[k] = partRange{base: pl.base, count: int64(len(pl.times))}
	}
	return out
}

// at returns the produce time of an offset of this run.
func (p *produceLog) at(topic string, partition int32, offset int64) (int64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pl := p.parts[topic+"/"+strconv.Itoa(int(partition))]
	if pl == nil || offset < pl.base || offset-pl.base >= int64(len(pl.times)) {
		return 0, false
	}
	t := pl.times[offset-pl.base]
	return t, t != 0
}

// allCommitted reports whether every produced record is covered, in every layer (bronze and
// silver), by the txn version of its partition in the layer's table or its dead-letter table:
// then every row event has landed everywhere.
func (d *demo) allCommitted(ctx context.Context) (bool, error) {
	layers, err := layerVersions(ctx, d.out)
	if err != nil {
		return false, err
	}
	return eventLag(d.produce.ranges(), layers) == 0, nil
}

// pipelineChild is the `ledgerflow streams` process running the pipelines.
type pipelineChild struct {
	cmd    *exec.Cmd
	exited chan error
	once   sync.Once
	log    *os.File
}

func (p *pipelineChild) stop() {
	p.once.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		p.log.Close()
	})
}

// startPipelines runs the three pipelines as `ledgerflow -c root.yaml streams --no-api`.
// Streams mode rejects process-level fields in stream files, so each pipeline's `http`
// section moves to the root config; everything else runs as written.
func (d *demo) startPipelines(ctx context.Context, broker string) (*pipelineChild, error) {
	dir, err := os.MkdirTemp("", "ledgerflow-demo-")
	if err != nil {
		return nil, err
	}
	var files []string
	for _, t := range simulator.Tables {
		name := t + ".yaml"
		src, err := os.ReadFile(filepath.Join("pipelines", name))
		if errors.Is(err, fs.ErrNotExist) {
			src, err = pipelines.FS.ReadFile(name)
		}
		if err != nil {
			return nil, err
		}
		stream, err := withoutKey(src, "http")
		if err != nil {
			return nil, fmt.Errorf("pipelines/%s: %w", name, err)
		}
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, stream, 0o644); err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	root := filepath.Join(dir, "root.yaml")
	if err := os.WriteFile(root, []byte("http:\n  address: ${LEDGERFLOW_HTTP_ADDRESS}\nlogger:\n  level: ${LOG_LEVEL:warn}\n"), 0o644); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	httpAddr := l.Addr().String()
	l.Close()
	d.metrics = "http://" + httpAddr + "/metrics"

	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	// A resumed run appends: the earlier runs' logs stay readable.
	logf, err := os.OpenFile(d.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(logf, "--- ledgerflow demo: pipelines started %s ---\n", time.Now().UTC().Format(time.RFC3339))
	cmd := exec.Command(exe, append([]string{"-c", root, "streams", "--no-api"}, files...)...)
	cmd.Env = append(os.Environ(),
		"KAFKA_BROKERS="+broker, "TOPIC_PREFIX=bank_server", "LAKEHOUSE="+d.out,
		"CONSUMER_GROUP_PREFIX=ledgerflow-demo", "START_FROM=earliest", "LEDGERFLOW_HTTP_ADDRESS="+httpAddr,
		"KAFKA_SESSION_TIMEOUT=6s", "KAFKA_REBALANCE_TIMEOUT=5s", "KAFKA_REVOKE_ACK_TIMEOUT=2s")
	cmd.Env = append(cmd.Env, demoMemoryEnv(os.LookupEnv)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	p := &pipelineChild{cmd: cmd, exited: make(chan error, 1), log: logf}
	go func() {
		err := cmd.Wait()
		os.RemoveAll(dir)
		p.exited <- err
		close(p.exited)
	}()
	return p, nil
}

// withoutKey removes a top-level key from a YAML document, keeping the rest as written.
func withoutKey(src []byte, key string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("expected a YAML mapping")
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			break
		}
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

type pipelineMetrics struct {
	rows, commits, dead int64
	ok                  bool
}

// scrape reads the delta_lake counters of the child, summed over streams and outputs.
func (d *demo) scrape() pipelineMetrics {
	var m pipelineMetrics
	cl := http.Client{Timeout: 2 * time.Second}
	resp, err := cl.Get(d.metrics)
	if err != nil {
		return m
	}
	defer resp.Body.Close()
	return parseMetrics(resp.Body)
}

// parseMetrics sums the delta_lake counters of a Prometheus text exposition. Lines it does
// not understand are skipped: the numbers are for the progress line only.
func parseMetrics(r io.Reader) pipelineMetrics {
	var m pipelineMetrics
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
			if j := strings.LastIndexByte(line, '}'); j >= 0 {
				rest = strings.TrimSpace(line[j+1:])
			}
		}
		f, _, _ := strings.Cut(rest, " ")
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			continue
		}
		switch name {
		case "delta_lake_rows_written_total":
			m.rows += int64(v)
		case "delta_lake_commits_total":
			m.commits += int64(v)
		case "delta_lake_dead_letters_total":
			m.dead += int64(v)
		}
	}
	m.ok = true
	return m
}

// progress is the line printed while the demo runs. lag is the events produced and not yet
// committed in every layer (-1: the tables could not be read); rate is events per second
// over the last rateWindow.
func (d *demo) progress(start time.Time, m pipelineMetrics, lag int64, rate float64) string {
	// The simulator belongs to the producer goroutine: count from Kafka's acknowledgements.
	produced, _ := d.produce.produced()
	el := time.Since(start).Seconds()
	lagText := strconv.FormatInt(lag, 10)
	if lag < 0 {
		lagText = "?"
	}
	metrics := fmt.Sprintf("rows committed %d  commits %d  lag %s events  dead letters %d", m.rows, m.commits, lagText, m.dead)
	if !m.ok {
		metrics = "pipelines starting…"
	}
	return fmt.Sprintf("[%5.1fs] produced %d events (%.0f/s over the last %s)  %s", el, produced, rate, rateWindow, metrics)
}

// tableInfo is a bronze table's state.
type tableInfo struct {
	exists         bool
	version        int64
	rows, files    int64
	deadRows       int64
	deadTableFound bool
}

func readTables(ctx context.Context, out string) (map[string]tableInfo, error) {
	res := map[string]tableInfo{}
	for _, t := range simulator.Tables {
		var ti tableInfo
		for i, p := range []string{filepath.Join(out, "bronze", t), filepath.Join(out, "bronze", t+"_dead_letters")} {
			tbl := delta.OpenLocal(p)
			if ok, _ := tbl.Exists(ctx); !ok {
				continue
			}
			snap, err := tbl.Snapshot(ctx)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			var rows int64
			for _, f := range snap.Files() {
				n, _ := f.NumRecords()
				rows += n
			}
			if i == 0 {
				ti.exists, ti.version, ti.rows, ti.files = true, snap.Version(), rows, int64(snap.NumFiles())
			} else {
				ti.deadTableFound, ti.deadRows = true, rows
			}
		}
		res[t] = ti
	}
	return res, nil
}

// freshness returns, for the rows of this run, the delays from the Kafka produce timestamp
// of the row's record to its _ingested_at (stamped by the delta_lake output when it builds
// the commit), sorted.
func (d *demo) freshness(ctx context.Context) ([]time.Duration, error) {
	var lat []time.Duration
	for _, t := range simulator.Tables {
		p := filepath.Join(d.out, "bronze", t)
		tbl := delta.OpenLocal(p)
		if ok, _ := tbl.Exists(ctx); !ok {
			continue
		}
		snap, err := tbl.Snapshot(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		st, err := snap.Schema()
		if err != nil {
			return nil, err
		}
		ti, pi, oi, ii := st.Index("_kafka_topic"), st.Index("_kafka_partition"), st.Index("_kafka_offset"), st.Index("_ingested_at")
		if ti < 0 || pi < 0 || oi < 0 || ii < 0 {
			return nil, fmt.Errorf("%s: missing _kafka_* or _ingested_at columns", p)
		}
		err = snap.Scan(ctx, func(_ *delta.Add, rows [][]any) error {
			for _, r := range rows {
				topic, _ := r[ti].(string)
				part, _ := r[pi].(int32)
				off, _ := r[oi].(int64)
				ing, _ := r[ii].(time.Time)
				if at, ok := d.produce.at(topic, part, off); ok {
					lat = append(lat, ing.Sub(time.UnixMicro(at)))
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat, nil
}

func (d *demo) summary(ctx context.Context, before, after map[string]tableInfo, m pipelineMetrics, start, prodEnd, end time.Time) error {
	st := d.sim.Stats()
	w := d.w
	fmt.Fprintf(w, "\nSummary\n")
	fmt.Fprintf(w, "  produced %d events in %.1fs: %d snapshot reads, %d deletes + %d tombstones, %d primary-key change, %d duplicate deliveries\n",
		st.Events, prodEnd.Sub(start).Seconds(), st.Snapshot, st.Deletes, st.Tombstones, st.PKChanges, st.Duplicates)
	fmt.Fprintf(w, "  %-13s %8s %12s %10s %8s\n", "bronze table", "version", "row events", "rows", "files")
	var dead int64
	for _, t := range simulator.Tables {
		a := after[t]
		fmt.Fprintf(w, "  %-13s %8d %12d %10d %8d\n", t, a.version, st.Rows[t], a.rows, a.files)
		dead += a.deadRows - before[t].deadRows
	}
	fmt.Fprintf(w, "  transaction row events produced: %d; bronze transactions rows added: %d\n",
		st.Rows["transactions"], after["transactions"].rows-before["transactions"].rows)
	fmt.Fprintf(w, "  dead letters: %d (metric delta_lake_dead_letters_total: %d)\n", dead, m.dead)
	if err := d.silverSummary(ctx); err != nil {
		return err
	}
	var kinds []string
	for _, k := range []string{simulator.FraudBurst, simulator.FraudNightLarge, simulator.FraudNewDeviceForeign} {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, st.Fraud[k]))
	}
	fmt.Fprintf(w, "  fraud patterns injected: %s (no fraud rules run yet: they are only injected)\n", strings.Join(kinds, ", "))
	lat, err := d.freshness(ctx)
	if err != nil {
		return err
	}
	if len(lat) > 0 {
		pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		fmt.Fprintf(w, "  freshness (Kafka produce timestamp -> _ingested_at, stamped at the Delta commit), %d rows: p50 %s, p99 %s, max %s\n",
			len(lat), pct(0.50).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
	}
	fmt.Fprintf(w, "  throughput: %.0f events/s end to end (%d events, first produce to last commit %.1fs)\n",
		float64(st.Events)/end.Sub(start).Seconds(), st.Events, end.Sub(start).Seconds())
	rel := d.out
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, d.out); err == nil && !strings.HasPrefix(r, "..") {
			rel = r
		}
	}
	fmt.Fprintf(w, "\nLook at the tables:\n")
	fmt.Fprintf(w, "  ledgerflow table show --limit 10 %s\n", filepath.Join(rel, "bronze", "transactions"))
	fmt.Fprintf(w, "  ledgerflow table show --limit 10 %s\n", filepath.Join(rel, "silver", "transactions"))
	fmt.Fprintf(w, "  ledgerflow table history %s\n", filepath.Join(rel, "silver", "customers"))
	fmt.Fprintf(w, "  ledgerflow table describe %s\n", filepath.Join(rel, "bronze", "transactions"))
	fmt.Fprintf(w, "  ledgerflow table history %s\n", filepath.Join(rel, "bronze", "accounts"))
	fmt.Fprintf(w, "Run again to add more events to the same tables, or with --fresh to start over.\n")
	return nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
