package kafka

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
)

func needKcat(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat (librdkafka) is not on PATH: install it with `apt-get install -y kcat` to run the interop tests")
	}
	return p
}

// TestKcatProducesWeConsume: librdkafka writes keyed Debezium-like events, our input
// reads them with keys, values and coordinates intact.
func TestKcatProducesWeConsume(t *testing.T) {
	kcat := needKcat(t)
	const topic, group, n = "bank_server.bank.accounts", "g-kcat-in", 200
	c := newCluster(t, 3, []string{topic})
	adm := kadm.NewClient(newClient(t, c))

	var in bytes.Buffer
	want := map[string]string{}
	for i := range n {
		// -K: splits at the first colon, so the key is colon-free; the value is JSON.
		key := fmt.Sprintf("acct-%d", i)
		val := fmt.Sprintf(`{"before":null,"after":{"id":%d,"balance":"AZ0="},"source":{"db":"bank","table":"accounts","pos":%d},"op":"c","ts_ms":1714521600000}`, i, 4000+i)
		want[key] = val
		fmt.Fprintf(&in, "%s:%s\n", key, val)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat, "-P", "-K:", "-b", seedsOf(c), "-t", topic)
	cmd.Stdin = &in
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "kcat -P: %s", out)

	var mu sync.Mutex
	got := map[string]string{}
	perPartition := map[string]int{}
	stop := startStream(t, inputYAML(seedsOf(c), topic, group), func(_ context.Context, b service.MessageBatch) error {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range b {
			k, _ := m.MetaGet(metaKey)
			v, _ := m.AsBytes()
			p, _ := m.MetaGet(metaPartition)
			got[k] = string(v)
			perPartition[p]++
			assert.True(t, json.Valid(v), "value of %s is not JSON", k)
		}
		return nil
	})
	eventually(t, 20*time.Second, "all kcat records", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == n })
	eventually(t, 10*time.Second, "commit", func() bool { return sum(committed(t, adm, group, topic)) == n })
	stop()
	assert.Equal(t, want, got)
	t.Logf("records per partition (librdkafka's partitioner): %v", perPartition)
}

// TestWeProduceKcatConsumes: a franz-go producer writes, librdkafka consumes in a
// consumer group and sees every record.
func TestWeProduceKcatConsumes(t *testing.T) {
	kcat := needKcat(t)
	const topic, n = "bank_server.bank.customers", 150
	c := newCluster(t, 2, []string{topic})
	cl := newClient(t, c)
	adm := kadm.NewClient(cl)
	produce(t, cl, topic, 0, n)
	end := endOffsets(t, adm, topic)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat, "-C", "-G", "g-kcat-out", "-b", seedsOf(c),
		"-X", "auto.offset.reset=earliest", "-e", "-q", "-f", "%p:%o:%k\n", topic)
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	s := newSeen()
	keys := map[string]bool{}
	// kcat -G does not exit at the end of every partition; stop it once all is read.
	eventually(t, 25*time.Second, "kcat to print every record", func() bool {
		lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
		return len(lines) >= n
	})
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		parts := strings.SplitN(line, ":", 3)
		require.Len(t, parts, 3, "kcat line %q (stderr %s)", line, stderr.String())
		s.m[parts[0]+":"+parts[1]]++
		keys[parts[2]] = true
	}
	assert.Empty(t, s.missing(end))
	assert.True(t, keys[`{"id":0}`] && keys[fmt.Sprintf(`{"id":%d}`, n-1)], "keys as written")
}

// lockedBuffer is written by exec's copying goroutine while the test reads it.
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
