package kafka

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/bloblang"
	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestConsumeAndCommit(t *testing.T) {
	const topic, group, n = "bank_server.bank.transactions", "g-consume", 600
	c := newCluster(t, 3, []string{topic})
	cl := newClient(t, c)
	adm := kadm.NewClient(cl)
	produce(t, cl, topic, 0, n)

	s := newSeen()
	var batches atomic.Int64
	var mixed atomic.Bool
	stop := startStream(t, inputYAML(seedsOf(c), topic, group, "batch_max_records: 64"), func(_ context.Context, b service.MessageBatch) error {
		batches.Add(1)
		// A batch holds one partition in offset order.
		p0, _ := b[0].MetaGet(metaPartition)
		prev := int64(-1)
		for _, m := range b {
			p, _ := m.MetaGet(metaPartition)
			o, _ := m.MetaGetMut(metaOffset)
			if p != p0 || o.(int64) <= prev || len(b) > 64 {
				mixed.Store(true)
			}
			prev = o.(int64)
		}
		s.addBatch(b)
		return nil
	})
	eventually(t, 20*time.Second, "all records consumed", func() bool { return s.distinct() == n })
	eventually(t, 10*time.Second, "committed offsets to reach the end", func() bool { return sum(committed(t, adm, group, topic)) == n })
	stop()
	assert.False(t, mixed.Load(), "a batch mixed partitions, was out of offset order or exceeded batch_max_records")
	assert.Equal(t, endOffsets(t, adm, topic), committed(t, adm, group, topic))
	assert.Empty(t, s.missing(endOffsets(t, adm, topic)))
	t.Logf("%d records in %d batches", n, batches.Load())

	// A second run of the group starts after the commit: only new records arrive.
	produce(t, cl, topic, n, 30)
	s2 := newSeen()
	stop2 := startStream(t, inputYAML(seedsOf(c), topic, group), func(_ context.Context, b service.MessageBatch) error {
		s2.addBatch(b)
		return nil
	})
	eventually(t, 20*time.Second, "the 30 new records", func() bool { return s2.distinct() == 30 })
	eventually(t, 10*time.Second, "commit of the new records", func() bool { return sum(committed(t, adm, group, topic)) == n+30 })
	stop2()
	assert.Equal(t, 30, s2.distinct())
}

// TestRebalanceTwoConsumers runs two members of one group while records are produced;
// members join and leave mid-stream. Every record is processed at least once, the
// committed offsets never go backwards and end at the high watermark.
func TestRebalanceTwoConsumers(t *testing.T) {
	const topic, group = "rebalance", "g-rebalance"
	c := newCluster(t, 4, []string{topic})
	cl := newClient(t, c)
	adm := kadm.NewClient(cl)

	s := newSeen()
	var perMember [3]atomic.Int64
	member := func(i int) service.MessageBatchHandlerFunc {
		return func(_ context.Context, b service.MessageBatch) error {
			s.addBatch(b)
			perMember[i].Add(int64(len(b)))
			time.Sleep(2 * time.Millisecond) // keep batches in flight across rebalances
			return nil
		}
	}

	// Watch the group's commits: none may go backwards.
	var backwards []string
	var watchMu sync.Mutex
	watchCtx, stopWatch := context.WithCancel(context.Background())
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		last := map[int32]int64{}
		for watchCtx.Err() == nil {
			ctx, cancel := context.WithTimeout(watchCtx, 2*time.Second)
			resp, err := adm.FetchOffsets(ctx, group)
			cancel()
			if err == nil {
				for p, o := range resp[topic] {
					if o.Err == nil && o.At < last[p] {
						watchMu.Lock()
						backwards = append(backwards, fmt.Sprintf("p%d %d→%d", p, last[p], o.At))
						watchMu.Unlock()
					}
					if o.Err == nil && o.At > last[p] {
						last[p] = o.At
					}
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()

	produced := 0
	produceSome := func(k int) { produce(t, cl, topic, produced, k); produced += k }

	produceSome(400)
	stopA := startStream(t, inputYAML(seedsOf(c), topic, group, "batch_max_records: 10"), member(0))
	eventually(t, 20*time.Second, "A to start", func() bool { return s.distinct() > 50 })
	stopB := startStream(t, inputYAML(seedsOf(c), topic, group, "batch_max_records: 10"), member(1))
	// Keep producing until B took partitions over (the join is asynchronous).
	eventually(t, 20*time.Second, "B to get partitions", func() bool {
		produceSome(100)
		time.Sleep(50 * time.Millisecond)
		return perMember[1].Load() > 0 && produced >= 1400
	})
	stopA() // A leaves mid-stream: B takes its partitions over
	for range 5 {
		produceSome(100)
		time.Sleep(20 * time.Millisecond)
	}
	stopC := startStream(t, inputYAML(seedsOf(c), topic, group, "batch_max_records: 10"), member(2))
	eventually(t, 20*time.Second, "C to get partitions", func() bool {
		produceSome(50)
		time.Sleep(20 * time.Millisecond)
		return perMember[2].Load() > 0
	})
	end := endOffsets(t, adm, topic)
	require.Equal(t, int64(produced), sum(end))
	eventually(t, 60*time.Second, "every record processed", func() bool { return len(s.missing(end)) == 0 })
	eventually(t, 20*time.Second, "commits to reach the end offsets", func() bool { return sum(committed(t, adm, group, topic)) == int64(produced) })
	stopB()
	stopC()
	stopWatch()
	<-watchDone
	assert.Equal(t, end, committed(t, adm, group, topic))
	watchMu.Lock()
	assert.Empty(t, backwards, "committed offsets went backwards")
	watchMu.Unlock()
	dup := 0
	s.mu.Lock()
	for _, k := range s.m {
		dup += k - 1
	}
	s.mu.Unlock()
	t.Logf("%d records, %d duplicates across rebalances; per member A,B,C: %d %d %d", produced, dup, perMember[0].Load(), perMember[1].Load(), perMember[2].Load())
	for i := range perMember {
		assert.Positive(t, perMember[i].Load(), "member %d got no partition: no rebalance happened", i)
	}
}

// TestRestartBeforeAcks stops a pipeline whose output is failing (acks never land for
// later batches), then restarts the group: every record arrives at least once.
func TestRestartBeforeAcks(t *testing.T) {
	const topic, group, n = "restart", "g-restart", 500
	c := newCluster(t, 2, []string{topic})
	cl := newClient(t, c)
	adm := kadm.NewClient(cl)
	produce(t, cl, topic, 0, n)

	s := newSeen()
	var okBatches atomic.Int64
	stop := startStream(t, inputYAML(seedsOf(c), topic, group, "batch_max_records: 20"), func(_ context.Context, b service.MessageBatch) error {
		if okBatches.Load() >= 5 {
			return errors.New("output down") // nacked, retried forever, never acked
		}
		okBatches.Add(1)
		s.addBatch(b)
		return nil
	})
	eventually(t, 20*time.Second, "5 acked batches", func() bool { return okBatches.Load() >= 5 })
	time.Sleep(300 * time.Millisecond) // let a commit happen
	stop()
	first := committed(t, adm, group, topic)
	assert.LessOrEqual(t, sum(first), int64(100), "committed more than was acknowledged")
	assert.Less(t, sum(first), int64(n))

	stop2 := startStream(t, inputYAML(seedsOf(c), topic, group), func(_ context.Context, b service.MessageBatch) error {
		s.addBatch(b)
		return nil
	})
	end := endOffsets(t, adm, topic)
	eventually(t, 20*time.Second, "every record after restart", func() bool { return len(s.missing(end)) == 0 })
	eventually(t, 10*time.Second, "final commit", func() bool { return sum(committed(t, adm, group, topic)) == n })
	stop2()
	assert.Empty(t, s.missing(end))
}

func TestTombstonesAndHeaders(t *testing.T) {
	const topic, group = "meta", "g-meta"
	c := newCluster(t, 1, []string{topic})
	cl := newClient(t, c)
	ts := time.Date(2024, 5, 1, 12, 30, 45, 123000000, time.UTC)
	require.NoError(t, cl.ProduceSync(context.Background(),
		&kgo.Record{Topic: topic, Key: []byte(`{"id":7}`), Value: []byte(`{"op":"d"}`), Timestamp: ts,
			Headers: []kgo.RecordHeader{{Key: "__debezium.context.connectorName", Value: []byte("bank")}, {Key: "dup", Value: []byte("1")}, {Key: "dup", Value: []byte("2")}}},
		&kgo.Record{Topic: topic, Key: []byte(`{"id":7}`), Value: nil, Timestamp: ts},
		&kgo.Record{Topic: topic, Key: nil, Value: []byte{}, Timestamp: ts},
	).FirstErr())

	var mu sync.Mutex
	var got []*service.Message
	stop := startStream(t, inputYAML(seedsOf(c), topic, group), func(_ context.Context, b service.MessageBatch) error {
		mu.Lock()
		got = append(got, b...)
		mu.Unlock()
		return nil
	})
	eventually(t, 20*time.Second, "3 records", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 3 })
	stop()

	meta := func(m *service.Message, k string) string {
		v, ok := m.MetaGet(k)
		if !ok {
			return "<absent>"
		}
		return v
	}
	del, tomb, empty := got[0], got[1], got[2]
	body, _ := del.AsBytes()
	assert.Equal(t, `{"op":"d"}`, string(body))
	assert.Equal(t, topic, meta(del, "kafka_topic"))
	assert.Equal(t, "0", meta(del, "kafka_partition"))
	assert.Equal(t, "0", meta(del, "kafka_offset"))
	assert.Equal(t, "2024-05-01T12:30:45.123Z", meta(del, "kafka_timestamp"))
	assert.Equal(t, strconv.FormatInt(ts.UnixMilli(), 10), meta(del, "kafka_timestamp_ms"))
	assert.Equal(t, `{"id":7}`, meta(del, "kafka_key"))
	assert.Equal(t, "false", meta(del, "kafka_tombstone"))
	assert.Equal(t, "bank", meta(del, "kafka_header___debezium.context.connectorName"))
	assert.Equal(t, "2", meta(del, "kafka_header_dup"), "the last header of a repeated name wins")
	headers, ok := del.MetaGetMut("kafka_headers")
	require.True(t, ok, "kafka_headers set")
	assert.Equal(t, []any{
		map[string]any{"key": "__debezium.context.connectorName", "value": "bank"},
		map[string]any{"key": "dup", "value": "1"},
		map[string]any{"key": "dup", "value": "2"},
	}, headers, "every header in record order, repeats kept")
	// The mapping the input's documentation shows.
	dupExe, err := bloblang.Parse(`root = @kafka_headers.filter(h -> h.key == "dup").map_each(h -> h.value)`)
	require.NoError(t, err)
	dupRes, err := del.BloblangQuery(dupExe)
	require.NoError(t, err)
	dups, _ := dupRes.AsBytes()
	assert.Equal(t, `["1","2"]`, string(dups))
	off, _ := del.MetaGetMut("kafka_offset")
	assert.IsType(t, int64(0), off)
	exe, err := bloblang.Parse(`root = @kafka_offset + 1`)
	require.NoError(t, err)
	res, err := del.BloblangQuery(exe)
	require.NoError(t, err)
	next, _ := res.AsBytes()
	assert.Equal(t, "1", string(next), "typed metadata allows arithmetic in mappings")

	body, _ = tomb.AsBytes()
	assert.Empty(t, body)
	assert.Equal(t, "true", meta(tomb, "kafka_tombstone"))
	assert.Equal(t, `{"id":7}`, meta(tomb, "kafka_key"))
	assert.Equal(t, "1", meta(tomb, "kafka_offset"))
	noHeaders, ok := tomb.MetaGetMut("kafka_headers")
	assert.True(t, ok, "kafka_headers set on a record without headers")
	assert.Equal(t, []any{}, noHeaders)

	assert.Equal(t, "false", meta(empty, "kafka_tombstone"), "an empty value is not a null value")
	assert.Equal(t, "<absent>", meta(empty, "kafka_key"))
}

func TestStartFrom(t *testing.T) {
	const topic = "start"
	c := newCluster(t, 2, []string{topic})
	cl := newClient(t, c)
	old := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	recent := old.Add(30 * time.Minute)
	var recs []*kgo.Record
	for i := range 20 {
		ts := old
		if i >= 10 {
			ts = recent
		}
		recs = append(recs, &kgo.Record{Topic: topic, Value: fmt.Appendf(nil, "v%d", i), Timestamp: ts})
	}
	require.NoError(t, cl.ProduceSync(context.Background(), recs...).FirstErr())

	collect := func(group, startFrom string) func() []string {
		var mu sync.Mutex
		var vals []string
		startStream(t, inputYAML(seedsOf(c), topic, group, "start_from: "+strconv.Quote(startFrom)), func(_ context.Context, b service.MessageBatch) error {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range b {
				v, _ := m.AsBytes()
				vals = append(vals, string(v))
			}
			return nil
		})
		return func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), vals...) }
	}

	t.Run("timestamp", func(t *testing.T) {
		for name, sf := range map[string]string{"rfc3339": recent.Add(-time.Second).Format(time.RFC3339), "unix_ms": strconv.FormatInt(recent.UnixMilli(), 10)} {
			got := collect("g-ts-"+name, sf)
			eventually(t, 20*time.Second, "the 10 recent records", func() bool { return len(got()) >= 10 })
			time.Sleep(200 * time.Millisecond)
			assert.ElementsMatch(t, []string{"v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19"}, got(), name)
		}
	})
	t.Run("latest", func(t *testing.T) {
		got := collect("g-latest", "latest")
		// The group joins asynchronously: keep producing until something arrives.
		i := 0
		eventually(t, 20*time.Second, "a record produced after the join", func() bool {
			require.NoError(t, cl.ProduceSync(context.Background(), &kgo.Record{Topic: topic, Value: fmt.Appendf(nil, "new%d", i)}).FirstErr())
			i++
			return len(got()) > 0
		})
		for _, v := range got() {
			assert.Regexp(t, `^new\d+$`, v, "latest must skip records produced before the group started")
		}
	})
	t.Run("earliest", func(t *testing.T) {
		got := collect("g-earliest", "earliest")
		eventually(t, 20*time.Second, "all old records", func() bool { return len(got()) >= 20 })
	})
}
