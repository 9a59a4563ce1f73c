package kafka

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	// The prometheus metrics exporter the binary uses.
	_ "github.com/ledgerflow/ledgerflow/metrics"
)

// lagMember is one group member: a stream with its own Prometheus exporter and HTTP
// endpoint, and a consumer that holds every batch while hold is set.
type lagMember struct {
	srv  *httptest.Server
	hold atomic.Bool
	seen *seen
	last []string // the kafka_consumergroup_lag lines of the last scrape
}

func startLagMember(t *testing.T, inputYAML string) *lagMember {
	t.Helper()
	m := &lagMember{seen: newSeen()}
	m.hold.Store(true)
	mux := http.NewServeMux()
	m.srv = httptest.NewServer(mux)
	t.Cleanup(m.srv.Close)
	sb := service.NewStreamBuilder()
	sb.SetHTTPMux(mux)
	require.NoError(t, sb.SetLoggerYAML("level: warn"))
	require.NoError(t, sb.SetMetricsYAML("prometheus:\n  add_go_metrics: false\n"))
	require.NoError(t, sb.AddInputYAML(inputYAML))
	require.NoError(t, sb.AddBatchConsumerFunc(func(ctx context.Context, b service.MessageBatch) error {
		for m.hold.Load() {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(10 * time.Millisecond):
			}
		}
		m.seen.addBatch(b)
		return nil
	}))
	stream, err := sb.Build()
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- stream.Run(context.Background()) }()
	t.Cleanup(func() {
		m.hold.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = stream.Stop(ctx)
		<-done
	})
	return m
}

var (
	lagLineRE  = regexp.MustCompile(`(?m)^kafka_consumergroup_lag\{([^}]*)\} (\S+)$`)
	lagLabelRE = regexp.MustCompile(`(\w+)="([^"]*)"`)
)

// lag scrapes /metrics and returns kafka_consumergroup_lag of group and topic by
// partition; a partition without a series is absent.
func (m *lagMember) lag(t *testing.T, group, topic string) map[int32]int64 {
	t.Helper()
	resp, err := http.Get(m.srv.URL + "/metrics")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	out := map[int32]int64{}
	m.last = m.last[:0]
	for _, l := range lagLineRE.FindAllStringSubmatch(string(body), -1) {
		m.last = append(m.last, l[0])
		labels := map[string]string{}
		for _, kv := range lagLabelRE.FindAllStringSubmatch(l[1], -1) {
			labels[kv[1]] = kv[2]
		}
		if labels["consumergroup"] != group || labels["topic"] != topic {
			continue
		}
		p, err := strconv.Atoi(labels["partition"])
		require.NoError(t, err, l[0])
		v, err := strconv.ParseFloat(l[2], 64)
		require.NoError(t, err, l[0])
		out[int32(p)] = int64(v)
	}
	return out
}

func waitLag(t *testing.T, m *lagMember, group, topic string, want map[int32]int64) {
	t.Helper()
	var got map[int32]int64
	deadline := time.Now().Add(30 * time.Second)
	for {
		if got = m.lag(t, group, topic); fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("kafka_consumergroup_lag of %s/%s: got %v, want %v (scraped for 30s)", group, topic, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestConsumerLagMetric scrapes kafka_consumergroup_lag{consumergroup,topic,partition}
// from the Prometheus exporter of a running stream: high watermark minus the group's
// committed offset, present from assignment for every assigned partition (0 for an
// empty one), following fetches while the output holds the records, 0 once they are
// committed, and 0 in a member that lost the partition to another, whose own series
// starts from the group's commit.
func TestConsumerLagMetric(t *testing.T) {
	const topic, group = "lag", "g-lag"
	c := newCluster(t, 3, []string{topic}, kfake.GroupMinSessionTimeout(time.Second))
	cl := newClient(t, c, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	adm := kadm.NewClient(cl)
	produceTo := func(p int32, n int) {
		recs := make([]*kgo.Record, n)
		for i := range recs {
			recs[i] = &kgo.Record{Topic: topic, Partition: p, Value: []byte("v")}
		}
		require.NoError(t, cl.ProduceSync(context.Background(), recs...).FirstErr())
	}
	produceTo(0, 100)
	produceTo(1, 40) // partition 2 stays empty

	in := inputYAML(seedsOf(c), topic, group, "revoke_ack_timeout: 200ms", "session_timeout: 3s", "rebalance_timeout: 3s")
	a := startLagMember(t, in)
	// Nothing acknowledged, nothing committed: the lag is what was fetched and is held.
	waitLag(t, a, group, topic, map[int32]int64{0: 100, 1: 40, 2: 0})
	t.Logf("scraped /metrics:\n%s", strings.Join(a.last, "\n"))

	a.hold.Store(false)
	waitLag(t, a, group, topic, map[int32]int64{0: 0, 1: 0, 2: 0})
	require.Equal(t, map[int32]int64{0: 100, 1: 40}, committed(t, adm, group, topic))

	a.hold.Store(true)
	produceTo(0, 20)
	produceTo(1, 20)
	produceTo(2, 20)
	waitLag(t, a, group, topic, map[int32]int64{0: 20, 1: 20, 2: 20})

	// A second member takes a partition over. The first zeroes the series of what it
	// lost (its records there were never acknowledged: the new owner re-reads them) and
	// keeps reporting the rest; the second counts from the group's commit.
	b := startLagMember(t, in)
	var moved, kept map[int32]int64
	eventually(t, 60*time.Second, "the second member to own a partition", func() bool {
		moved = b.lag(t, group, topic)
		return len(moved) > 0
	})
	want := map[int32]int64{}
	for p := range moved {
		want[p] = 20
	}
	waitLag(t, b, group, topic, want)
	kept = map[int32]int64{}
	for p := range int32(3) {
		kept[p] = 20
		if _, ok := moved[p]; ok {
			kept[p] = 0
		}
	}
	waitLag(t, a, group, topic, kept)

	a.hold.Store(false)
	b.hold.Store(false)
	for p := range moved {
		want[p] = 0
	}
	waitLag(t, b, group, topic, want)
	for p := range kept {
		kept[p] = 0
	}
	waitLag(t, a, group, topic, kept)
	assert.Equal(t, map[int32]int64{0: 120, 1: 60, 2: 20}, committed(t, adm, group, topic))
}
