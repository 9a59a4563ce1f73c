package scenario

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"gopkg.in/yaml.v3"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// Result is the outcome of one scenario.
type Result struct {
	File     string
	Scenario *Scenario
	// Failure says why the scenario failed (a table diff, an event that could not be sent,
	// a config error); empty when it passed.
	Failure  string
	Duration time.Duration
}

// Passed reports whether the scenario passed.
func (r *Result) Passed() bool { return r.Failure == "" }

// Runner runs scenarios. The zero value is ready to use. The pipeline's components come from
// Benthos' global environment: the program must register them first (import
// github.com/ledgerflow/ledgerflow/internal/plugins, as the ledgerflow binary does).
type Runner struct {
	// BatchTimeout bounds how long one batch may take to be acknowledged by the output
	// (default 30s); a batch the output never acknowledges fails the scenario instead of
	// hanging the run.
	BatchTimeout time.Duration
	// TempDir is where scenario tables are created (default: the system temp directory).
	// Each scenario's tables are removed when it ends.
	TempDir string
}

// RunFile runs every scenario of f, in order.
func (r *Runner) RunFile(ctx context.Context, f *File) []Result {
	var out []Result
	pl, perr := loadPipeline(f.Pipeline)
	for _, s := range f.Scenarios {
		start := time.Now()
		res := Result{File: f.Path, Scenario: s}
		if perr != nil {
			res.Failure = perr.Error()
		} else {
			res.Failure = r.run(ctx, pl, s)
		}
		res.Duration = time.Since(start)
		out = append(out, res)
	}
	return out
}

func (r *Runner) run(ctx context.Context, pl *pipeline, s *Scenario) string {
	dir, err := os.MkdirTemp(r.TempDir, "ledgerflow-scenario-")
	if err != nil {
		return err.Error()
	}
	defer os.RemoveAll(dir)
	tablePath := filepath.Join(dir, s.Output)
	outYAML, conf, err := pl.outputYAML(s.Output, tablePath, s.OutputConfig)
	if err != nil {
		return err.Error()
	}
	schemaFile := mappingValue(conf, "schema_file")
	if schemaFile == nil {
		return fmt.Sprintf("output %s has no schema_file: the scenario cannot know the table's columns", s.Output)
	}
	contract, err := schemas.Load(schemaFile.Value)
	if err != nil {
		return fmt.Sprintf("output %s: %v", s.Output, err)
	}
	gen, err := newGenerator(contract, s.TopicPrefix, s.Defaults)
	if err != nil {
		return err.Error()
	}
	var procs []string
	for _, p := range pl.processors {
		b, err := yaml.Marshal(p)
		if err != nil {
			return err.Error()
		}
		procs = append(procs, string(b))
	}

	var st *stream
	defer func() {
		if st != nil {
			st.stop()
		}
	}()
	for _, step := range s.Steps {
		if step.Restart {
			if st != nil {
				if err := st.stop(); err != nil {
					return fmt.Sprintf("line %d: restart: stopping the stream: %v%s", step.Line, err, st.logs())
				}
				st = nil
			}
			continue
		}
		var batch service.MessageBatch
		for _, e := range step.Events {
			rec, err := gen.event(e)
			if err != nil {
				return err.Error()
			}
			if st == nil {
				st = &stream{prev: map[int32]int64{}}
			}
			batch = append(batch, st.message(gen.enc.Topic, rec))
		}
		if st.s == nil {
			if err := st.start(ctx, procs, outYAML); err != nil {
				return fmt.Sprintf("starting the stream of pipeline %s with output %s: %v%s", pl.path, s.Output, err, st.logs())
			}
		}
		if err := st.send(ctx, batch, r.timeout()); err != nil {
			return fmt.Sprintf("line %d: the batch of %s was not acknowledged: %v%s", step.Line, plural(len(batch), "event"), err, st.logs())
		}
	}
	if st != nil {
		if err := st.stop(); err != nil {
			return fmt.Sprintf("stopping the stream: %v%s", err, st.logs())
		}
		st = nil
	}
	return check(ctx, s, tablePath)
}

func (r *Runner) timeout() time.Duration {
	if r.BatchTimeout > 0 {
		return r.BatchTimeout
	}
	return 30 * time.Second
}

// check compares the tables with the scenario's expectations.
func check(ctx context.Context, s *Scenario, tablePath string) string {
	var fails []string
	x := s.Expect
	if x.HasRows || x.Count != nil {
		st, rows, err := readTable(ctx, tablePath)
		if err != nil {
			return fmt.Sprintf("reading table %s: %v", s.Output, err)
		}
		if x.Count != nil && len(rows) != *x.Count {
			fails = append(fails, fmt.Sprintf("%s: expected count %d, found %s", s.Output, *x.Count, plural(len(rows), "row")))
		}
		if x.HasRows {
			if d := compareRows(s.Output, st, rows, x.Rows, nil); d != "" {
				fails = append(fails, d)
			}
		}
	}
	if x.HasDeadLetters || x.DeadLetterCount != nil {
		name := s.Output + "_dead_letters"
		st, rows, err := readTable(ctx, tablePath+"_dead_letters")
		if err != nil {
			return fmt.Sprintf("reading table %s: %v", name, err)
		}
		if x.DeadLetterCount != nil && len(rows) != *x.DeadLetterCount {
			fails = append(fails, fmt.Sprintf("%s: expected dead_letter_count %d, found %s", name, *x.DeadLetterCount, plural(len(rows), "row")))
		}
		if x.HasDeadLetters {
			if d := compareRows(name, st, rows, x.DeadLetters, map[string]bool{"reason": true}); d != "" {
				fails = append(fails, d)
			}
		}
	}
	return strings.Join(fails, "\n")
}

func readTable(ctx context.Context, path string) (*schema.StructType, [][]any, error) {
	snap, err := delta.OpenLocal(path).Snapshot(ctx)
	if err != nil {
		return nil, nil, err
	}
	st, err := snap.Schema()
	if err != nil {
		return nil, nil, err
	}
	rows, err := snap.Rows(ctx)
	return st, rows, err
}

// stream is one run of the pipeline's processors and output, fed by the scenario: what a
// ledgerflow process is between a start and a crash or shutdown.
type stream struct {
	s       *service.Stream
	produce service.MessageBatchHandlerFunc
	done    chan error
	log     *lockedBuffer
	// prev is the offset last delivered per partition in this run; the kafka input stamps it
	// as kafka_prev_offset and starts afresh after a restart.
	prev map[int32]int64
}

func (st *stream) message(topic string, rec record) *service.Message {
	m := service.NewMessage(rec.value)
	m.MetaSetMut("kafka_topic", topic)
	m.MetaSetMut("kafka_partition", int64(rec.partition))
	m.MetaSetMut("kafka_offset", rec.offset)
	ts := time.UnixMilli(rec.tsMs + 200).UTC()
	m.MetaSetMut("kafka_timestamp", ts.Format(time.RFC3339Nano))
	m.MetaSetMut("kafka_timestamp_ms", ts.UnixMilli())
	if rec.key != nil {
		m.MetaSetMut("kafka_key", string(rec.key))
	}
	m.MetaSetMut("kafka_tombstone", strconv.FormatBool(rec.value == nil))
	if p, ok := st.prev[rec.partition]; ok {
		m.MetaSetMut("kafka_prev_offset", p)
	}
	st.prev[rec.partition] = rec.offset
	return m
}

func (st *stream) start(ctx context.Context, procs []string, outYAML string) error {
	st.log = &lockedBuffer{}
	sb := service.NewStreamBuilder()
	sb.SetLogger(slog.New(slog.NewTextHandler(st.log, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err := sb.SetMetricsYAML("none: {}"); err != nil {
		return err
	}
	sb.SetThreads(1)
	for _, p := range procs {
		if err := sb.AddProcessorYAML(p); err != nil {
			return fmt.Errorf("processor: %w", err)
		}
	}
	if err := sb.AddOutputYAML(outYAML); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	produce, err := sb.AddBatchProducerFunc()
	if err != nil {
		return err
	}
	s, err := sb.Build()
	if err != nil {
		return err
	}
	st.s, st.produce, st.done = s, produce, make(chan error, 1)
	go func() { st.done <- s.Run(context.WithoutCancel(ctx)) }()
	return nil
}

// send delivers one batch and waits for the output's acknowledgement.
func (st *stream) send(ctx context.Context, batch service.MessageBatch, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res := make(chan error, 1)
	go func() { res <- st.produce(ctx, batch) }()
	select {
	case err := <-res:
		return err
	case err := <-st.done:
		st.done <- err
		if err == nil {
			err = errors.New("the stream ended")
		}
		return fmt.Errorf("the stream stopped: %w", err)
	case <-ctx.Done():
		return fmt.Errorf("no acknowledgement within %s", timeout)
	}
}

// stop shuts the stream down as a SIGTERM would: in-flight batches finish, the output closes.
func (st *stream) stop() error {
	if st.s == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := st.s.Stop(ctx)
	st.s = nil
	return err
}

// logs is the warnings and errors the components logged, for a failure report.
func (st *stream) logs() string {
	if st == nil || st.log == nil {
		return ""
	}
	s := strings.TrimSpace(st.log.String())
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > 15 {
		lines = append(lines[:15], fmt.Sprintf("... %d more log lines", len(lines)-15))
	}
	return "\n  logged:\n    " + strings.Join(lines, "\n    ")
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
