package kafka

import (
	"fmt"
	"strings"
	"time"

	"github.com/redpanda-data/benthos/v4/public/bloblang"
	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ledgerflow/ledgerflow/kafkaclient"
)

// outputConfig is the parsed, validated configuration of one kafka output.
type outputConfig struct {
	seeds           []string
	topic           *service.InterpolatedString
	key             *service.InterpolatedString
	partitioner     kgo.Partitioner
	headers         *service.MetadataFilter // nil: no headers
	tombstoneWhen   *bloblang.Executor
	clientID        string
	compression     kgo.CompressionCodec
	maxMessageBytes int32
	timeout         time.Duration
	security        kafkaclient.Security
}

func parseOutputConfig(conf *service.ParsedConfig) (*outputConfig, error) {
	var c outputConfig
	seeds, err := conf.FieldStringList(fieldSeedBrokers)
	if err != nil {
		return nil, err
	}
	if c.seeds = kafkaclient.SplitList(seeds); len(c.seeds) == 0 {
		return nil, fmt.Errorf("field %s: at least one host:port is required, got %q", fieldSeedBrokers, seeds)
	}
	if c.topic, err = conf.FieldInterpolatedString(fieldTopic); err != nil {
		return nil, err
	}
	if c.key, err = conf.FieldInterpolatedString(fieldKey); err != nil {
		return nil, err
	}
	part, err := conf.FieldString(fieldPartitioner)
	if err != nil {
		return nil, err
	}
	if c.partitioner, err = parsePartitioner(part); err != nil {
		return nil, err
	}
	if conf.Contains(fieldMetadataHeaders) {
		if c.headers, err = conf.FieldMetadataFilter(fieldMetadataHeaders); err != nil {
			return nil, err
		}
	}
	if c.tombstoneWhen, err = conf.FieldBloblang(fieldTombstoneWhen); err != nil {
		return nil, err
	}
	if c.clientID, err = conf.FieldString(fieldClientID); err != nil {
		return nil, err
	}
	comp, err := conf.FieldString(fieldCompression)
	if err != nil {
		return nil, err
	}
	if c.compression, err = parseCompression(comp); err != nil {
		return nil, err
	}
	mmb, err := conf.FieldInt(fieldMaxMessageBytes)
	if err != nil {
		return nil, err
	}
	if mmb < 1024 || mmb > 1<<30 {
		return nil, fmt.Errorf("field %s: %d is out of range: expected 1024 to 1073741824 bytes", fieldMaxMessageBytes, mmb)
	}
	c.maxMessageBytes = int32(mmb)
	if c.timeout, err = conf.FieldDuration(fieldTimeout); err != nil {
		return nil, err
	}
	if c.timeout < 100*time.Millisecond {
		return nil, fmt.Errorf("field %s: %v is out of range: expected at least 100ms", fieldTimeout, c.timeout)
	}
	if c.security, err = kafkaclient.ParseSecurity(conf); err != nil {
		return nil, err
	}
	return &c, nil
}

// parsePartitioner maps the partitioner field to kgo's. StickyKeyPartitioner(nil) hashes
// keys with Kafka's murmur2 (positive hash mod partitions), as the Java client does.
func parsePartitioner(v string) (kgo.Partitioner, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case partitionerMurmur2:
		return kgo.StickyKeyPartitioner(nil), nil
	case partitionerRoundRobin:
		return kgo.RoundRobinPartitioner(), nil
	}
	return nil, fmt.Errorf("field %s: %q is not a partitioner: expected %s or %s", fieldPartitioner, v, partitionerMurmur2, partitionerRoundRobin)
}

func parseCompression(v string) (kgo.CompressionCodec, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "none":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.CompressionCodec{}, fmt.Errorf("field %s: %q is not a codec: expected none, gzip, snappy, lz4 or zstd", fieldCompression, v)
}

// batchExec evaluates the topic, key and tombstone_when of a batch's messages. The
// executors are built once per batch: MessageBatch's per-index helpers rebuild the
// whole batch on every call, which made a batch quadratic.
type batchExec struct {
	c     *outputConfig
	batch service.MessageBatch
	topic *service.MessageBatchInterpolationExecutor
	key   *service.MessageBatchInterpolationExecutor
	tomb  *service.MessageBatchBloblangExecutor
}

func (c *outputConfig) exec(batch service.MessageBatch) *batchExec {
	return &batchExec{
		c: c, batch: batch,
		topic: batch.InterpolationExecutor(c.topic),
		key:   batch.InterpolationExecutor(c.key),
		tomb:  batch.BloblangExecutor(c.tombstoneWhen),
	}
}

// record builds the record of message i of the batch; the error names the field that
// could not be evaluated and why.
func (e *batchExec) record(i int) (*kgo.Record, error) {
	c := e.c
	topic, err := e.topic.TryString(i)
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", fieldTopic, err)
	}
	if topic == "" {
		return nil, fmt.Errorf("field %s: interpolated to an empty topic name", fieldTopic)
	}
	key, err := e.key.TryBytes(i)
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", fieldKey, err)
	}
	if len(key) == 0 {
		key = nil // a null key, not an empty one: Kafka partitions them differently
	}
	tomb, err := e.tomb.QueryValue(i)
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", fieldTombstoneWhen, err)
	}
	isTomb, ok := tomb.(bool)
	if !ok {
		return nil, fmt.Errorf("field %s: returned %T (%v), expected a boolean", fieldTombstoneWhen, tomb, tomb)
	}
	m := e.batch[i]
	r := &kgo.Record{Topic: topic, Key: key}
	if !isTomb {
		v, err := m.AsBytes()
		if err != nil {
			return nil, fmt.Errorf("message body: %w", err)
		}
		if v == nil {
			v = []byte{} // an empty body is an empty value; only tombstones are null
		}
		r.Value = v
	}
	if c.headers != nil {
		_ = c.headers.Walk(m, func(k, v string) error {
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
			return nil
		})
	}
	return r, nil
}
