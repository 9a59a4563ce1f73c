package kafka

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestMurmur2Vectors pins the test's murmur2 to the values of Kafka's own UtilsTest.
func TestMurmur2Vectors(t *testing.T) {
	for s, want := range map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	} {
		assert.Equal(t, want, murmur2([]byte(s)), s)
	}
}

// TestProduce checks values, keys, headers, topic interpolation and that keyed records
// land on Kafka's default partition for their key.
func TestProduce(t *testing.T) {
	const parts = 6
	c := newCluster(t, parts, "ta", "tb")
	out := newOutput(t, c, `
topic: '${! meta("t") }'
metadata_headers: { include_prefixes: [ h_ ] }
`)
	const n = 300
	var batch service.MessageBatch
	for i := range n {
		meta := []string{"t", []string{"ta", "tb"}[i%2], "h_seq", strconv.Itoa(i), "other", "x"}
		if i%10 != 0 {
			meta = append(meta, "kafka_key", fmt.Sprintf(`{"transaction_id":%d}`, i%37))
		}
		batch = append(batch, msg(fmt.Sprintf(`{"seq":%d}`, i), meta...))
	}
	require.NoError(t, out.WriteBatch(context.Background(), batch))

	recs := consume(t, c, n, "ta", "tb")
	kgoPart := kgo.StickyKeyPartitioner(nil).ForTopic("ta")
	seen := map[int]bool{}
	for _, r := range recs {
		require.Len(t, r.Headers, 1, "only h_ metadata becomes a header")
		require.Equal(t, "h_seq", r.Headers[0].Key)
		i, err := strconv.Atoi(string(r.Headers[0].Value))
		require.NoError(t, err)
		seen[i] = true
		assert.Equal(t, fmt.Sprintf(`{"seq":%d}`, i), string(r.Value))
		assert.Equal(t, []string{"ta", "tb"}[i%2], r.Topic)
		if i%10 == 0 {
			assert.Nil(t, r.Key, "no kafka_key: null key")
			continue
		}
		assert.Equal(t, fmt.Sprintf(`{"transaction_id":%d}`, i%37), string(r.Key))
		assert.Equal(t, javaPartition(r.Key, parts), r.Partition, "Kafka's default partition for %s", r.Key)
		assert.Equal(t, int32(kgoPart.Partition(r, parts)), r.Partition)
	}
	assert.Len(t, seen, n)
}

// TestRoundRobinAndKeyField: round_robin spreads one key over partitions; an explicit key.
func TestRoundRobinAndKeyField(t *testing.T) {
	c := newCluster(t, 4, "t")
	out := newOutput(t, c, "topic: t\nkey: 'k-${! meta(\"id\") }'\npartitioner: round_robin")
	var batch service.MessageBatch
	for i := range 40 {
		batch = append(batch, msg("v", "id", "same"))
		_ = i
	}
	require.NoError(t, out.WriteBatch(context.Background(), batch))
	parts := map[int32]bool{}
	for _, r := range consume(t, c, 40, "t") {
		assert.Equal(t, "k-same", string(r.Key))
		parts[r.Partition] = true
	}
	assert.Greater(t, len(parts), 1, "round_robin ignores the key")
}

// TestTombstones: kafka_tombstone "true" gives a null value whatever the body; an empty
// body that is no tombstone stays an empty, non-null value.
func TestTombstones(t *testing.T) {
	c := newCluster(t, 1, "t")
	out := newOutput(t, c, "topic: t")
	batch := service.MessageBatch{
		msg(`{"op":"d"}`, "kafka_key", "k1", "kafka_tombstone", "false", "n", "0"),
		msg(`ignored body`, "kafka_key", "k1", "kafka_tombstone", "true"),
		msg(``, "kafka_key", "k2"),
		msg(``, "kafka_key", "k3", "kafka_tombstone", "true"),
	}
	require.NoError(t, out.WriteBatch(context.Background(), batch))
	recs := consume(t, c, 4, "t")
	assert.Equal(t, `{"op":"d"}`, string(recs[0].Value))
	assert.Nil(t, recs[1].Value, "tombstone")
	assert.Equal(t, "k1", string(recs[1].Key))
	assert.NotNil(t, recs[2].Value, "empty body is not a tombstone")
	assert.Empty(t, recs[2].Value)
	assert.Nil(t, recs[3].Value, "tombstone")
}

// TestOrderPerKeyAcrossBatches writes many batches one after another (max_in_flight 1):
// every key's records arrive in the order written, on one partition.
func TestOrderPerKeyAcrossBatches(t *testing.T) {
	c := newCluster(t, 8, "t")
	out := newOutput(t, c, "topic: t")
	const batches, per, keys = 60, 50, 13
	seq := make([]int, keys)
	for b := range batches {
		var batch service.MessageBatch
		for i := range per {
			k := (b*per + i*7) % keys
			batch = append(batch, msg(strconv.Itoa(seq[k]), "kafka_key", "key-"+strconv.Itoa(k)))
			seq[k]++
		}
		require.NoError(t, out.WriteBatch(context.Background(), batch))
	}
	next := map[string]int{}
	part := map[string]int32{}
	for _, r := range consume(t, c, batches*per, "t") {
		k := string(r.Key)
		if p, ok := part[k]; ok {
			require.Equal(t, p, r.Partition, "key %s moved partitions", k)
		}
		part[k] = r.Partition
		require.Equal(t, strconv.Itoa(next[k]), string(r.Value), "key %s out of order", k)
		next[k]++
	}
	for k := range keys {
		assert.Equal(t, seq[k], next["key-"+strconv.Itoa(k)])
	}
}

// TestUnknownTopicFails: records for a topic that does not exist (auto creation off)
// fail with the topic named; the other records of the batch are written.
func TestUnknownTopicFails(t *testing.T) {
	c := newCluster(t, 1, "t")
	out := newOutput(t, c, "topic: '${! meta(\"t\").or(\"\") }'\ntimeout: 3s")
	batch := service.MessageBatch{msg("a", "t", "t"), msg("b", "t", "missing"), msg("c", "t", "t"), msg("d")}
	err := out.WriteBatch(context.Background(), batch)
	require.Error(t, err)
	failed := failedIndexes(t, batch, err)
	require.Len(t, failed, 2, "%v", failed)
	assert.ErrorContains(t, failed[1], `topic "missing"`)
	assert.ErrorIs(t, failed[1], kerrUnknownTopic())
	assert.ErrorContains(t, failed[3], "field topic: interpolated to an empty topic name")
	assert.Contains(t, err.Error(), "2 of 4 messages not written")
	recs := consume(t, c, 2, "t")
	assert.Equal(t, "a", string(recs[0].Value))
	assert.Equal(t, "c", string(recs[1].Value))
}

// TestBrokerDownFails: with the cluster gone a write fails after about `timeout` with
// every message marked failed, never a silent success or a hang.
func TestBrokerDownFails(t *testing.T) {
	c := newCluster(t, 1, "t")
	out := newOutput(t, c, "topic: t\ntimeout: 1s")
	require.NoError(t, out.WriteBatch(context.Background(), service.MessageBatch{msg("warm-up")}))
	c.Close()
	batch := service.MessageBatch{msg("a"), msg("b"), msg("c")}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := out.WriteBatch(ctx, batch)
	require.Error(t, err)
	require.NoError(t, ctx.Err(), "the write must fail by itself, not by the caller's deadline")
	failed := failedIndexes(t, batch, err)
	assert.Len(t, failed, 3)
	for _, e := range failed {
		assert.ErrorContains(t, e, `producing to topic "t"`)
	}
	t.Logf("error: %v", err)
}

// TestBadTombstoneQuery: a tombstone_when that returns no boolean fails that message.
func TestBadTombstoneQuery(t *testing.T) {
	c := newCluster(t, 1, "t")
	out := newOutput(t, c, "topic: t\ntombstone_when: 'meta(\"tomb\")'")
	batch := service.MessageBatch{msg("a", "tomb", "yes"), msg("b")}
	failed := failedIndexes(t, batch, out.WriteBatch(context.Background(), batch))
	require.Len(t, failed, 2)
	assert.ErrorContains(t, failed[0], "field tombstone_when: returned string (yes), expected a boolean")
	assert.ErrorContains(t, failed[1], "field tombstone_when")
}

// TestNotConnected: before Connect, writes ask Benthos to connect.
func TestNotConnected(t *testing.T) {
	conf, err := kafkaOutputSpec().ParseYAML("seed_brokers: [localhost:1]\ntopic: t", nil)
	require.NoError(t, err)
	out, err := newKafkaOutput(conf, service.MockResources().Logger())
	require.NoError(t, err)
	assert.ErrorIs(t, out.WriteBatch(context.Background(), service.MessageBatch{msg("a")}), service.ErrNotConnected)
}

// TestPlainMetaKeyPrintsNull pins why the default key has .or(""): without it a message
// with no kafka_key would be keyed "null".
func TestPlainMetaKeyPrintsNull(t *testing.T) {
	is, err := service.NewInterpolatedString(`${! meta("kafka_key") }`)
	require.NoError(t, err)
	assert.Equal(t, "null", is.String(service.NewMessage(nil)))
}
