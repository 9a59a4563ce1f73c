// Package kafka is LedgerFlow's Kafka batch output for Benthos, written on franz-go: an
// idempotent producer with acks=all that writes each batch synchronously, so a batch is
// acknowledged to the input only when the brokers hold every record of it.
package kafka

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ledgerflow/ledgerflow/kafkaclient"
)

const (
	fieldSeedBrokers     = "seed_brokers"
	fieldTopic           = "topic"
	fieldKey             = "key"
	fieldPartitioner     = "partitioner"
	fieldMetadataHeaders = "metadata_headers"
	fieldTombstoneWhen   = "tombstone_when"
	fieldClientID        = "client_id"
	fieldCompression     = "compression"
	fieldMaxMessageBytes = "max_message_bytes"
	fieldTimeout         = "timeout"
	fieldBatching        = "batching"

	partitionerMurmur2    = "murmur2_hash"
	partitionerRoundRobin = "round_robin"
)

func kafkaOutputSpec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Beta().
		Categories("Services").
		Summary("Produces messages to Kafka with an idempotent, acks=all producer; a batch is acknowledged only when the brokers hold every record of it.").
		Description(`
Built on franz-go. The message body is the record value, the interpolated `+"`key`"+` its key,
selected metadata its headers.

### Delivery guarantees

At-least-once. Each batch is produced in one synchronous call: the write returns only when
every record was acknowledged by all in-sync replicas (acks=all), so an input that commits
after the output's acknowledgement (mysql_cdc, kafka) never moves past a record the brokers
do not hold. Records that fail (broker down past `+"`timeout`"+`, unknown topic, record too
large, a topic or key that cannot be interpolated) are reported per message, naming the topic
and the error; the other records of the batch count as written, and the input retries only
the failed ones. The producer is idempotent: broker-side retries never duplicate or reorder a
record, but a batch retried by the pipeline after a failure may write records twice.

### Ordering

Records of a batch are produced in batch order and the producer keeps order per partition,
so records with the same key stay in order. With the default `+"`max_in_flight: 1`"+` batches are
written one after the other, so the order also holds across batches; a larger value lets
batches overlap and may interleave records of one key. When a record of a partition fails,
every later record of that partition in flight fails with it, so no record lands after a gap.
The pipeline retries failed messages after later batches may have been written, so a failure
can still reorder (or duplicate) a key's records: consumers must tolerate that.

The default `+"`key`"+` uses `+"`.or(\"\")`"+` because `+"`${! meta(\"kafka_key\") }`"+` alone prints `+"`null`"+` for a
message without the metadata, which would key every such record "null".

### Tombstones

A message for which `+"`tombstone_when`"+` is true is produced with a null value (a Kafka tombstone,
which compaction uses to delete the key), whatever its body. mysql_cdc marks the tombstone it
emits after each delete with `+"`kafka_tombstone: \"true\"`"+`, which the default checks.
`).
		Fields(
			service.NewStringListField(fieldSeedBrokers).
				Description("Brokers to bootstrap from, `host:port`. An entry may hold several, comma-separated.").
				Example([]string{"localhost:9092"}).
				Example([]string{"kafka-1:9092,kafka-2:9092"}),
			service.NewInterpolatedStringField(fieldTopic).
				Description("Topic to produce each message to. A message whose topic interpolates to an empty string fails.").
				Example(`${! meta("debezium_topic") }`).
				Example("bank_server.bank.transactions"),
			service.NewInterpolatedStringField(fieldKey).
				Description("Record key. An empty result gives a null key (partitioned by `partitioner`'s rule for keyless records). The default keeps the key mysql_cdc and the kafka input put in `kafka_key`, and a null key when that is absent.").
				Default(`${! meta("kafka_key").or("") }`),
			service.NewStringEnumField(fieldPartitioner, partitionerMurmur2, partitionerRoundRobin).
				Description("How records are spread over a topic's partitions. `murmur2_hash`: a keyed record goes to murmur2(key) mod partitions, exactly as Kafka's Java client (and so Debezium) places it, keyless records stick to one partition per batch; `round_robin`: records go to partitions in turn, ignoring the key (per-key order is then lost).").
				Default(partitionerMurmur2),
			service.NewMetadataFilterField(fieldMetadataHeaders).
				Description("Metadata keys to send as record headers (values as strings). None by default.").
				Example(map[string]any{"include_prefixes": []string{"debezium_", "mysql_"}}).
				Optional(),
			service.NewBloblangField(fieldTombstoneWhen).
				Description("A Bloblang query: when it returns true the record is produced with a null value (a tombstone). It must return a boolean; anything else fails the message.").
				Default(`meta("kafka_tombstone") == "true"`),
			service.NewStringField(fieldClientID).
				Description("Client ID sent to the brokers, for their logs and quotas.").
				Default("ledgerflow"),
			service.NewStringEnumField(fieldCompression, "none", "gzip", "snappy", "lz4", "zstd").
				Description("Compression of record batches.").
				Default("snappy").
				Advanced(),
			service.NewIntField(fieldMaxMessageBytes).
				Description("Largest record batch, in bytes, the producer sends; a single record larger than this fails. Keep it at most the topic's `max.message.bytes` (1 MiB by default).").
				Default(1000012).
				Advanced(),
			service.NewDurationField(fieldTimeout).
				Description("How long a batch may take to be acknowledged, retries included. Records not acknowledged by then fail (and are retried by the pipeline); a broker that is down makes the write fail after this long, never hang.").
				Default("10s"),
			kafkaclient.TLSField(),
			kafkaclient.SASLField(),
			service.NewOutputMaxInFlightField().Default(1),
			service.NewBatchPolicyField(fieldBatching),
		).
		Example("Change data capture into Kafka", "Write mysql_cdc's Debezium change events where Debezium would, keyed and partitioned as Debezium would.", `
input:
  mysql_cdc:
    dsn: "debezium:${MYSQL_PASSWORD}@tcp(mysql:3306)/"
    tables: [ bank.transactions ]
output:
  kafka:
    seed_brokers: [ "${KAFKA_BROKERS:localhost:9092}" ]
    topic: '${! meta("debezium_topic") }'
    metadata_headers:
      include_prefixes: [ debezium_op ]
    batching:
      count: 1000
      period: 50ms
`)
}

func init() {
	service.MustRegisterBatchOutput("kafka", kafkaOutputSpec(),
		func(conf *service.ParsedConfig, mgr *service.Resources) (service.BatchOutput, service.BatchPolicy, int, error) {
			var pol service.BatchPolicy
			out, err := newKafkaOutput(conf, mgr.Logger())
			if err != nil {
				return nil, pol, 0, err
			}
			if pol, err = conf.FieldBatchPolicy(fieldBatching); err != nil {
				return nil, pol, 0, err
			}
			mif, err := conf.FieldMaxInFlight()
			if err != nil {
				return nil, pol, 0, err
			}
			return out, pol, mif, nil
		})
}

// kafkaOutput is the BatchOutput: Connect builds the producer, WriteBatch produces a batch
// synchronously, Close closes the producer.
type kafkaOutput struct {
	conf *outputConfig
	log  *service.Logger

	mu sync.RWMutex
	cl *kgo.Client
}

func newKafkaOutput(conf *service.ParsedConfig, log *service.Logger) (*kafkaOutput, error) {
	c, err := parseOutputConfig(conf)
	if err != nil {
		return nil, err
	}
	return &kafkaOutput{conf: c, log: log}, nil
}

func (o *kafkaOutput) clientOpts() []kgo.Opt {
	c := o.conf
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.seeds...),
		kgo.ClientID(c.clientID),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordPartitioner(c.partitioner),
		kgo.ProducerBatchCompression(c.compression),
		kgo.ProducerBatchMaxBytes(c.maxMessageBytes),
		kgo.RecordDeliveryTimeout(c.timeout),
		// The topic is the operator's: a typo must fail, not create a topic with broker defaults.
		kgo.UnknownTopicRetries(3),
	}
	opts = append(opts, kafkaclient.LogOpts(o.log)...)
	return append(opts, c.security.Opts()...)
}

// Connect creates the producer and waits until a seed broker answers (authenticating,
// when SASL is set). While no broker can be reached it keeps trying, reported by a Warn
// line `cannot reach Kafka at host:port: <cause>; retrying in 8s` at most once per
// back-off step (1s doubling to 30s), and returns only when ctx ends. Other failures
// (TLS, SASL) fail here with the brokers named; Benthos logs the error and calls Connect
// again with back-off.
func (o *kafkaOutput) Connect(ctx context.Context) error {
	o.mu.RLock()
	connected := o.cl != nil
	o.mu.RUnlock()
	if connected {
		return nil
	}
	cl, err := kgo.NewClient(o.clientOpts()...)
	if err != nil {
		return fmt.Errorf("kafka: creating producer for %v: %w", o.conf.seeds, err)
	}
	// Not under o.mu: Close must not wait for Kafka to come up.
	if err := kafkaclient.Reach(ctx, cl, o.conf.timeout); err != nil {
		cl.Close()
		return fmt.Errorf("kafka: no seed broker of %v answered%s: %w", o.conf.seeds, o.conf.security.AuthHint(), err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.cl != nil {
		cl.Close()
		return nil
	}
	o.cl = cl
	o.log.Infof("kafka: producing to %v", o.conf.seeds)
	return nil
}

// WriteBatch produces the batch in order and waits until every record is acknowledged or
// failed. It returns nil when all were acknowledged, a *service.BatchError naming each
// failed message (its topic and why) when some were not, and ErrNotConnected before
// Connect. Messages that cannot become a record (bad topic, key or tombstone_when) are
// failed without being produced; the others are still produced.
func (o *kafkaOutput) WriteBatch(ctx context.Context, batch service.MessageBatch) error {
	o.mu.RLock()
	cl := o.cl
	o.mu.RUnlock()
	if cl == nil {
		return service.ErrNotConnected
	}
	recs := make([]*kgo.Record, 0, len(batch))
	idx := make([]int, 0, len(batch))
	type failure struct {
		i   int
		err error
	}
	var failed []failure
	ex := o.conf.exec(batch)
	for i := range batch {
		r, err := ex.record(i)
		if err != nil {
			failed = append(failed, failure{i, err})
			continue
		}
		recs = append(recs, r)
		idx = append(idx, i)
	}
	if len(recs) > 0 {
		for j, err := range o.produce(ctx, cl, recs) {
			if err != nil {
				failed = append(failed, failure{idx[j], fmt.Errorf("kafka: producing to topic %q: %w", recs[j].Topic, err)})
			}
		}
	}
	if len(failed) == 0 {
		return nil
	}
	// The headline is what Benthos logs: the count and the first cause.
	bErr := service.NewBatchError(batch, fmt.Errorf("kafka: %d of %d messages not written, first: %w", len(failed), len(batch), failed[0].err))
	for _, f := range failed {
		bErr.Failed(f.i, f.err)
	}
	return bErr
}

// produce hands the records to the client in order and waits until each is acknowledged
// or failed, returning one error (or nil) per record. RecordDeliveryTimeout fails records
// only between requests, and a client that cannot reach a broker makes none, so after
// `timeout` the records still buffered are aborted: they fail (ErrAborted) instead of the
// write hanging, and can no longer reach the broker after being reported failed.
func (o *kafkaOutput) produce(ctx context.Context, cl *kgo.Client, recs []*kgo.Record) []error {
	var mu sync.Mutex
	errs := make([]error, len(recs))
	settled := make([]bool, len(recs))
	left := len(recs)
	done := make(chan struct{})
	for j, r := range recs {
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			mu.Lock()
			defer mu.Unlock()
			if settled[j] {
				return // reported failed already (gave up waiting)
			}
			errs[j], settled[j] = err, true
			if left--; left == 0 {
				close(done)
			}
		})
	}
	// Stop lingering, as ProduceSync does: the caller waits for these records. The flush
	// ends with this call, so a dead broker leaks no goroutine.
	fctx, fcancel := context.WithCancel(ctx)
	defer fcancel()
	go func() { _ = cl.Flush(fctx) }()
	t := time.NewTimer(o.conf.timeout)
	defer t.Stop()
	select {
	case <-done:
		return errs
	case <-ctx.Done():
	case <-t.C:
	}
	o.log.Warnf("kafka: records not acknowledged within %v, aborting the buffered records", o.conf.timeout)
	actx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	go func() { _ = cl.AbortBufferedRecords(actx) }()
	select {
	case <-done:
	case <-actx.Done():
	}
	mu.Lock()
	defer mu.Unlock()
	// A record kgo still holds (in a request to a broker that never answered) is reported
	// failed; should it reach the broker later, the pipeline's retry duplicates it, which
	// at-least-once allows.
	for j := range recs {
		if !settled[j] {
			settled[j] = true
			errs[j] = fmt.Errorf("not acknowledged within timeout %v (broker unreachable?)", o.conf.timeout)
		}
	}
	return errs
}

// Close closes the producer. WriteBatch returns only once its records are settled, so
// nothing is buffered by then.
func (o *kafkaOutput) Close(context.Context) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.cl != nil {
		o.cl.Close()
		o.cl = nil
	}
	return nil
}
