// Package kafka is LedgerFlow's Kafka consumer-group input for Benthos, written on
// franz-go. Offsets are committed only after the pipeline's outputs acknowledged the
// records (at-least-once), per partition and only up to the contiguous acknowledged
// prefix; batches hold records of one partition in offset order.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ledgerflow/ledgerflow/kafkaclient"
)

const (
	fieldSeedBrokers       = "seed_brokers"
	fieldTopics            = "topics"
	fieldRegexpTopics      = "regexp_topics"
	fieldConsumerGroup     = "consumer_group"
	fieldStartFrom         = "start_from"
	fieldClientID          = "client_id"
	fieldRackID            = "rack_id"
	fieldFetchMaxBytes     = "fetch_max_bytes"
	fieldBatchMaxRecords   = "batch_max_records"
	fieldMaxUnackedRecords = "max_unacked_records"
	fieldCommitPeriod      = "commit_period"
	fieldRevokeAckTimeout  = "revoke_ack_timeout"
	fieldSessionTimeout    = "session_timeout"
	fieldRebalanceTimeout  = "rebalance_timeout"
)

func kafkaInputSpec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Beta().
		Categories("Services").
		Summary("Consumes Kafka topics in a consumer group and commits offsets only after the outputs acknowledged the records.").
		Description(`
Built on franz-go. Every record becomes one message; its value is the body.

### Delivery guarantees

At-least-once. Offsets are never auto-committed: a partition's offset is committed, every
`+"`commit_period`"+` and when the partition is revoked, only up to the last record of the
contiguous prefix of batches the outputs acknowledged. Batches are acknowledged out of order
(pipeline threads, output retries, `+"`max_in_flight`"+`), so a later batch acknowledged before an
earlier one waits for it. A failed (nacked) batch is retried with back-off until the outputs take
it; it never moves the committed offset. After a crash or a rebalance the records after the
committed offset are read again, so outputs must tolerate duplicates (the Delta output skips
them by its per-partition transaction versions).

### Batches

A batch holds records of one partition, in offset order, at most `+"`batch_max_records`"+` of them,
so outputs can keep per-partition positions. An output's batching policy may merge batches of
several partitions into one write; such an output must group by `+"`kafka_partition`"+` itself.

### Rebalancing

On revocation the input stops handing out the partition's records, waits up to
`+"`revoke_ack_timeout`"+` for batches in flight to be acknowledged, commits what was, and forgets the
partition; the next owner resumes from the committed offset. Partitions lost to an expired
session are dropped without committing.

### Metadata

- `+"`kafka_topic`"+`, `+"`kafka_partition`"+`, `+"`kafka_offset`"+`
- `+"`kafka_timestamp`"+` (RFC3339 with nanoseconds, UTC) and `+"`kafka_timestamp_ms`"+` (unix milliseconds)
- `+"`kafka_key`"+` (absent when the record has no key)
- `+"`kafka_tombstone`"+`: `+"`\"true\"`"+` when the value is null, else `+"`\"false\"`"+`. Tombstones (Debezium writes
  one after each delete) are passed on with an empty body, never dropped.
- `+"`kafka_header_<name>`"+` for each record header; when a name repeats, the last value wins.
- `+"`kafka_headers`"+`: every header in record order, repeats kept, as an array of
  `+"`{\"key\": ..., \"value\": ...}`"+` objects (strings; empty array when the record has none), e.g.
  `+"`@kafka_headers.filter(h -> h.key == \"dup\").map_each(h -> h.value)`"+`.

Numbers are typed: `+"`@kafka_offset + 1`"+` works in a mapping, `+"`${! meta(\"kafka_offset\") }`"+` prints digits.

Transactional producers: only committed records are read (read_committed).

### Connecting

While no broker can be reached (refused, timed out, unknown host) the input keeps trying and
logs one warning per broker, `+"`cannot reach Kafka at host:port: <cause>; retrying in 8s`"+`, the interval
doubling from 1s to 30s; franz-go's own retries in between are logged at debug only. It
connects as soon as a broker answers. A broker that answers but refuses the client (TLS, SASL)
is an error naming the brokers, retried with the same back-off.

### Metrics

`+"`kafka_consumergroup_lag{consumergroup,topic,partition}`"+`, as kafka_exporter names it: the
partition's high watermark minus the group's committed offset, updated from every fetch
response and after every commit. Every assigned partition has a series from its assignment (0
when caught up; a partition the group never committed counts from the first record this
member read). When a partition is revoked or lost its series is set to 0, not removed (the
metrics API cannot remove one): its new owner reports the lag, so `+"`sum`"+` or
`+"`max by (partition)`"+` over all members is the group's lag.
`).
		Fields(
			service.NewStringListField(fieldSeedBrokers).
				Description("Brokers to bootstrap from, `host:port`. An entry may hold several, comma-separated.").
				Example([]string{"localhost:9092"}).
				Example([]string{"kafka-1:9092,kafka-2:9092"}),
			service.NewStringListField(fieldTopics).
				Description("Topics to consume. An entry may hold several, comma-separated. With `regexp_topics` each entry is a regular expression.").
				Example([]string{"bank_server.bank.transactions"}).
				Example([]string{`^bank_server\.bank\..*`}),
			service.NewBoolField(fieldRegexpTopics).
				Description("Treat `topics` as regular expressions (Go syntax, matched anywhere in the name unless anchored) and consume every matching topic, including ones created later.").
				Default(false),
			service.NewStringField(fieldConsumerGroup).
				Description("Consumer group to join. Partitions are shared among the group's members and offsets are committed to it. Required: without a group there is nowhere to resume from.").
				Example("ledgerflow-transactions"),
			service.NewStringField(fieldStartFrom).
				Description("Where to start a partition the group has no committed offset for: `earliest` (the default, right for change data capture: never skip history), `latest` (only records produced from now on), an RFC3339 timestamp or unix milliseconds (the first record stamped at or after it). A partition with a committed offset always resumes from it. If a committed offset is no longer in the log (retention), the partition restarts at the oldest record still present.").
				Default("earliest").
				Example("latest").
				Example("2024-05-01T00:00:00Z").
				Example("1714521600000"),
			service.NewStringField(fieldClientID).
				Description("Client ID sent to the brokers, for their logs and quotas.").
				Default("ledgerflow"),
			service.NewStringField(fieldRackID).
				Description("Rack (availability zone) of this process; brokers with a rack-aware replica selector then serve fetches from a replica in the same rack.").
				Default("").
				Advanced(),
			service.NewIntField(fieldFetchMaxBytes).
				Description("Maximum bytes a fetch response may hold across all partitions (1 KiB to 1 GiB). Bounds the memory of fetched, not yet processed records.").
				Default(50<<20).
				Advanced(),
			service.NewIntField(fieldBatchMaxRecords).
				Description("Maximum records per batch. A batch never spans partitions; it holds what one fetch returned for one partition, up to this many.").
				Default(1024),
			service.NewIntField(fieldMaxUnackedRecords).
				Description("Records handed to the pipeline and not yet acknowledged by the outputs, at most; reading waits while that many are out (a batch larger than this passes alone). Bounds memory when catching up on a backlog: otherwise the outputs' batching and `max_in_flight` decide how much of it is held at once. Keep it at least twice the outputs' batch count, so one batch fills while another commits. 0: no limit.").
				Default(0).
				Advanced(),
			service.NewDurationField(fieldCommitPeriod).
				Description("How often acknowledged offsets are committed. A crash re-delivers at most about this much work; revocation and shutdown commit at once.").
				Default("1s"),
			service.NewDurationField(fieldRevokeAckTimeout).
				Description("On a rebalance, how long to wait for batches of revoked partitions that are in flight to be acknowledged before letting the partitions go (their records are then re-read by the next owner). Keep it well below the group's rebalance timeout (60s).").
				Default("10s").
				Advanced(),
			service.NewDurationField(fieldSessionTimeout).
				Description("How long the group waits for a silent member (crashed, killed, partitioned) before giving its partitions to others; heartbeats go every tenth of it, at most every 3s. Must lie within the brokers' group.min/max.session.timeout.ms (6s to 30m by default). Shorter means faster takeover after a crash, longer tolerates longer pauses.").
				Default("45s").
				Advanced(),
			service.NewDurationField(fieldRebalanceTimeout).
				Description("How long the group waits, during a rebalance, for every member to rejoin before it goes on without the laggards. It bounds how long partitions stay unassigned when a member died mid-rebalance. Must exceed `revoke_ack_timeout`, since a member revoking partitions first waits for their in-flight batches.").
				Default("60s").
				Advanced(),
			kafkaclient.TLSField(),
			kafkaclient.SASLField(),
		).
		Example("Debezium change events of one table", "Consume a Debezium topic from its beginning in the group that owns the pipeline.", `
input:
  kafka:
    seed_brokers: [ "${KAFKA_BROKERS:localhost:9092}" ]
    topics: [ bank_server.bank.transactions ]
    consumer_group: ledgerflow-transactions
    sasl:
      mechanism: SCRAM-SHA-512
      user: ledgerflow
      password: ${KAFKA_PASSWORD}
`)
}

func init() {
	service.MustRegisterBatchInput("kafka", kafkaInputSpec(),
		func(conf *service.ParsedConfig, mgr *service.Resources) (service.BatchInput, error) {
			in, err := newKafkaInput(conf, mgr)
			if err != nil {
				return nil, err
			}
			// Always retried, never toggled: an input that let a nack through could only
			// stall the partition's watermark or skip the records, and skipping a bank's
			// change event is never right. Retries narrow to the failed messages.
			return service.AutoRetryNacksBatched(in), nil
		})
}

// kafkaInput is the BatchInput. Connect builds the client; a poll goroutine feeds
// batches to ReadBatch; a commit goroutine commits acknowledged watermarks.
type kafkaInput struct {
	conf   *inputConfig
	log    *service.Logger
	assign *assignment
	budget *unackedBudget

	mu      sync.Mutex
	cl      *kgo.Client
	batches chan fetched
	stop    context.CancelFunc
	done    chan struct{} // closed when both goroutines have ended
	pollErr error         // why the poll loop ended, read after done
	closed  bool

	connectFails int // consecutive Connect failures other than unreachable brokers
}

func newKafkaInput(conf *service.ParsedConfig, mgr *service.Resources) (*kafkaInput, error) {
	c, err := parseConfig(conf)
	if err != nil {
		return nil, err
	}
	log := mgr.Logger()
	return &kafkaInput{conf: c, log: log, assign: newAssignment(log, mgr.Metrics(), c.group, c.revokeWait), budget: newUnackedBudget(c.maxUnacked)}, nil
}

func (in *kafkaInput) clientOpts() []kgo.Opt {
	c := in.conf
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.seeds...),
		kgo.ClientID(c.clientID),
		kgo.ConsumerGroup(c.group),
		kgo.ConsumeTopics(c.topics...),
		kgo.ConsumeStartOffset(c.start),
		// An out-of-range commit (retention overtook us) restarts at the oldest record
		// still there, whatever start_from says: skipping ahead would lose changes.
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxBytes(c.fetchMaxBytes),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsAssigned(in.assign.onAssigned),
		kgo.OnPartitionsRevoked(in.assign.onRevoked),
		kgo.OnPartitionsLost(in.assign.onLost),
		kgo.SessionTimeout(c.sessionTimeout),
		kgo.RebalanceTimeout(c.rebalanceTimeout),
		kgo.HeartbeatInterval(min(c.sessionTimeout/10, 3*time.Second)),
	}
	if c.regex {
		opts = append(opts, kgo.ConsumeRegex())
	}
	if c.rack != "" {
		opts = append(opts, kgo.Rack(c.rack))
	}
	opts = append(opts, kafkaclient.LogOpts(in.log)...)
	return append(opts, c.security.Opts()...)
}

// Connect creates the client and waits until a seed broker answers (authenticating,
// when SASL is set). While no broker can be reached it keeps trying and does not return:
// a Warn line `cannot reach Kafka at host:port: <cause>; retrying in 8s` reports it, at
// most once per back-off step (1s doubling to 30s), so a pipeline started before Kafka
// waits for it without an error every second. It returns ctx's error when ctx ends
// first, and other failures (TLS, SASL: a broker answered but refused us) as errors
// naming the brokers, which Benthos logs before calling Connect again after the same
// back-off.
func (in *kafkaInput) Connect(ctx context.Context) error {
	in.mu.Lock()
	closed, connected := in.closed, in.cl != nil
	in.mu.Unlock()
	if closed {
		return service.ErrEndOfInput
	}
	if connected {
		return nil
	}
	cl, err := kgo.NewClient(in.clientOpts()...)
	if err != nil {
		return fmt.Errorf("kafka: creating client for %v: %w", in.conf.seeds, err)
	}
	// Not under in.mu: Close must not wait for Kafka to come up.
	if err := kafkaclient.Reach(ctx, cl, 15*time.Second); err != nil {
		cl.Close()
		if ctx.Err() != nil {
			return err
		}
		in.mu.Lock()
		in.connectFails++
		wait := min(time.Second<<min(in.connectFails-1, 5), 30*time.Second)
		in.mu.Unlock()
		return service.NewErrBackOff(fmt.Errorf("kafka: no seed broker of %v accepted the connection%s: %w", in.conf.seeds, in.conf.security.AuthHint(), err), wait)
	}

	in.mu.Lock()
	defer in.mu.Unlock()
	in.connectFails = 0
	if in.closed || in.cl != nil {
		cl.Close()
		if in.closed {
			return service.ErrEndOfInput
		}
		return nil
	}
	runCtx, stop := context.WithCancel(context.Background())
	batches := make(chan fetched, 8)
	done := make(chan struct{})
	in.cl, in.batches, in.stop, in.done, in.pollErr = cl, batches, stop, done, nil

	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		err := in.pollLoop(runCtx, cl, batches)
		if err != nil {
			in.mu.Lock()
			in.pollErr = err
			in.mu.Unlock()
		}
		stop() // a dead poll loop ends the committer too
	}()
	go func() {
		defer wg.Done()
		in.commitLoop(runCtx, cl)
	}()
	go func() { wg.Wait(); close(done) }()
	in.log.Infof("kafka: consuming %v from %v as group %s", in.conf.topics, in.conf.seeds, in.conf.group)
	return nil
}

func (in *kafkaInput) commitLoop(ctx context.Context, cl *kgo.Client) {
	t := time.NewTicker(in.conf.commitPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			switch err := in.assign.commit(ctx, cl); {
			case err == nil || ctx.Err() != nil:
			case kafkaclient.Unreachable(err):
				// Retried at the next tick; the unreachable broker is reported, with
				// back-off, by the client's connection log.
				in.log.Debugf("kafka: %v", err)
			default:
				in.log.Errorf("kafka: %v", err)
			}
		}
	}
}

// ReadBatch returns the next batch of one partition. Its AckFunc moves the partition's
// watermark when called with a nil error; it is never called with an error because the
// input is wrapped in AutoRetryNacksBatched, which retries nacked messages itself.
func (in *kafkaInput) ReadBatch(ctx context.Context) (service.MessageBatch, service.AckFunc, error) {
	in.mu.Lock()
	batches, done := in.batches, in.done
	in.mu.Unlock()
	if batches == nil {
		return nil, nil, service.ErrNotConnected
	}
	// Reserve a whole batch before taking one, so that a batch taken is never dropped for
	// want of budget; the unused part is given back at once.
	if err := in.budget.acquire(ctx, in.conf.batchMaxRecords); err != nil {
		return nil, nil, err
	}
	for {
		select {
		case <-ctx.Done():
			in.budget.release(in.conf.batchMaxRecords)
			return nil, nil, ctx.Err()
		case <-done:
			in.budget.release(in.conf.batchMaxRecords)
			return nil, nil, in.lostConnection()
		case f := <-batches:
			if !f.part.cp.handOut(f.span) {
				continue // revoked while queued
			}
			n := len(f.batch)
			in.budget.release(in.conf.batchMaxRecords - n)
			cp, sp := f.part.cp, f.span
			var once sync.Once
			return f.batch, func(_ context.Context, err error) error {
				// Acknowledged or given up: either way the pipeline no longer holds them.
				once.Do(func() { in.budget.release(n) })
				if err != nil {
					// Not expected behind AutoRetryNacksBatched; leaving the span
					// unacknowledged holds the watermark, so the records are redelivered.
					in.log.Errorf("kafka: batch nacked, its offsets stay uncommitted: %v", err)
					return nil
				}
				cp.ack(sp)
				return nil
			}, nil
		}
	}
}

// lostConnection tears down a client whose poll loop ended, so that the next Connect
// builds a fresh one.
func (in *kafkaInput) lostConnection() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return service.ErrEndOfInput
	}
	if in.cl != nil {
		in.log.Errorf("kafka: consumer for %v stopped, reconnecting: %v", in.conf.seeds, in.pollErr)
		in.cl.CloseAllowingRebalance()
		in.assign.reset()
		in.cl, in.batches, in.done = nil, nil, nil
	}
	return service.ErrNotConnected
}

// Close stops fetching, commits what was acknowledged and leaves the group. Benthos
// calls it after in-flight batches were acknowledged, so the final commit covers them.
func (in *kafkaInput) Close(ctx context.Context) error {
	in.mu.Lock()
	in.closed = true
	cl, stop, done := in.cl, in.stop, in.done
	in.cl, in.batches = nil, nil
	in.mu.Unlock()
	if cl == nil {
		return nil
	}
	stop()
	select {
	case <-done:
	case <-ctx.Done():
	}
	in.assign.mu.Lock()
	in.assign.closing = true
	in.assign.mu.Unlock()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := in.assign.commit(cctx, cl)
	if err != nil {
		in.log.Errorf("kafka: final commit: %v", err)
	}
	cl.CloseAllowingRebalance() // leaves the group; onRevoked commits anything acknowledged since
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
