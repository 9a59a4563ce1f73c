package tests

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ledgerflow/ledgerflow/delta"
)

const txTopic = "bank_server.bank.transactions"

// debeziumTransaction is a schemas-disabled Debezium 3 create event for bank.transactions,
// as the MySQL connector writes it (precise decimals, DATETIME(3) as epoch ms).
func debeziumTransaction(id int64, pos int64) []byte {
	cents := id*37%100000 - 20000 // some negative amounts, e.g. refunds
	amount := base64.StdEncoding.EncodeToString(twosComplement(cents))
	ts := int64(1714521600000) + id*1000
	return fmt.Appendf(nil, `{"before":null,"after":{"transaction_id":%d,"account_id":%d,"customer_id":%d,"merchant_id":%d,"amount":"%s","currency":"EUR","status":"pending","transaction_type":"purchase","channel":"online","merchant_category":"5411","device_id":"dev-%d","country":"DE","ip_address":null,"event_ts":%d,"created_at":%d,"updated_at":null},"source":{"version":"3.0.1.Final","connector":"mysql","name":"bank_server","ts_ms":%d,"snapshot":"false","db":"bank","sequence":null,"table":"transactions","server_id":1,"gtid":null,"file":"mysql-bin.000003","pos":%d,"row":0,"thread":7,"query":null},"op":"c","ts_ms":%d,"transaction":null}`,
		id, id%5000, id%3000, id%700, amount, id%97, ts, ts, ts/1000*1000, pos, ts+5)
}

// twosComplement is the minimal big-endian two's-complement encoding Kafka Connect uses for
// Decimal values, computed independently of our decoder.
func twosComplement(n int64) []byte {
	v := big.NewInt(n)
	if n >= 0 {
		b := v.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	for l := 1; ; l++ {
		mod := new(big.Int).Lsh(big.NewInt(1), uint(8*l))
		if v.Cmp(new(big.Int).Neg(new(big.Int).Rsh(mod, 1))) >= 0 {
			b := new(big.Int).Add(v, mod).Bytes()
			for len(b) < l {
				b = append([]byte{0xff}, b...)
			}
			return b
		}
	}
}

// TestBronzeExactlyOnceUnderSIGKILL produces Debezium events to a Kafka-protocol cluster
// while the real transactions pipeline is SIGKILLed at random moments, 20 times, then lets it
// finish. The bronze table must hold every event exactly once, checked by Kafka offset.
func TestBronzeExactlyOnceUnderSIGKILL(t *testing.T) {
	total := int64(100_000)
	kills := 20
	if testing.Short() {
		total, kills = 10_000, 5
	}
	if k := os.Getenv("LEDGERFLOW_EO_KILLS"); k != "" {
		kills, _ = strconv.Atoi(k)
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, txTopic), kfake.GroupMinSessionTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()

	lake := t.TempDir()
	env := []string{
		"KAFKA_BROKERS=" + c.ListenAddrs()[0], "LAKEHOUSE=" + lake, "KAFKA_SESSION_TIMEOUT=1s", "KAFKA_REBALANCE_TIMEOUT=3s", "KAFKA_REVOKE_ACK_TIMEOUT=1s",
		"LEDGERFLOW_HTTP_ADDRESS=127.0.0.1:0", "BATCH_PERIOD=50ms", "BATCH_COUNT=2000",
	}
	var logs lockedLog
	start := func() *exec.Cmd {
		cmd := exec.Command(binary, "-c", "pipelines/transactions.yaml", "--log.level", logLevel())
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), env...)
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ledgerflow logs (tail):\n%s", logs.tail(4000))
			if p := os.Getenv("LEDGERFLOW_TEST_LOG"); p != "" {
				_ = os.WriteFile(p, []byte(logs.tail(1<<30)), 0o644)
			}
		}
	})

	// Every tenth chunk goes through kcat (librdkafka), an independent Kafka client, when it
	// is installed (.ci/run installs it): the pipeline must not care who produced.
	kcat, _ := exec.LookPath("kcat")
	if kcat == "" {
		t.Log("kcat not installed: every event is produced with franz-go")
	}
	var produced, viaKcat atomic.Int64
	done := make(chan error, 1)
	go func() {
		const chunk = 500
		for n := int64(0); n < total; n += chunk {
			recs := make([]*kgo.Record, 0, chunk)
			for id := n; id < n+chunk && id < total; id++ {
				recs = append(recs, &kgo.Record{Topic: txTopic, Key: fmt.Appendf(nil, `{"transaction_id":%d}`, id), Value: debeziumTransaction(id, 1000+id*100)})
			}
			var err error
			if kcat != "" && (n/chunk)%10 == 3 {
				err = produceWithKcat(kcat, c.ListenAddrs()[0], recs)
				viaKcat.Add(int64(len(recs)))
			} else {
				err = cl.ProduceSync(context.Background(), recs...).FirstErr()
			}
			if err != nil {
				done <- err
				return
			}
			produced.Add(int64(len(recs)))
			time.Sleep(time.Duration(total/chunk/5) * time.Microsecond * 100) // spread production over the kills
		}
		done <- nil
	}()

	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	for i := 0; i < kills; i++ {
		cmd := start()
		time.Sleep(time.Duration(300+rng.IntN(1700)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
	}
	if err := <-done; err != nil {
		t.Fatalf("producing: %v", err)
	}
	cmd := start()
	bronze := filepath.Join(lake, "bronze", "transactions")
	deadline := time.Now().Add(3 * time.Minute)
	var counts map[string]int
	for time.Now().Before(deadline) {
		counts = offsetCounts(t, bronze)
		if int64(len(counts)) >= total {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()

	counts = offsetCounts(t, bronze)
	dups := 0
	for k, n := range counts {
		if n != 1 {
			dups++
			if dups < 10 {
				t.Errorf("offset %s is in the table %d times", k, n)
			}
		}
	}
	// Every produced offset is present: compare with the partitions' end offsets.
	adm := kadm.NewClient(cl)
	ends, err := adm.ListEndOffsets(context.Background(), txTopic)
	if err != nil {
		t.Fatal(err)
	}
	missing := 0
	ends.Each(func(o kadm.ListedOffset) {
		for off := int64(0); off < o.Offset; off++ {
			if counts[fmt.Sprintf("%d/%d", o.Partition, off)] == 0 {
				missing++
			}
		}
	})
	if missing > 0 || int64(len(counts)) != total {
		t.Fatalf("%d offsets missing; %d distinct offsets in bronze, %d produced", missing, len(counts), total)
	}
	t.Logf("%d events (%d produced by kcat), %d SIGKILLs: every offset exactly once (%d duplicate offsets)", total, viaKcat.Load(), kills, dups)
}

// produceWithKcat produces records with kcat, keys and values separated by a tab.
func produceWithKcat(kcat, broker string, recs []*kgo.Record) error {
	var in bytes.Buffer
	for _, r := range recs {
		in.Write(r.Key)
		in.WriteByte('\t')
		in.Write(r.Value)
		in.WriteByte('\n')
	}
	cmd := exec.Command(kcat, "-P", "-b", broker, "-t", recs[0].Topic, "-K", "\t")
	cmd.Stdin = &in
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("kcat: %v: %s", err, out)
	}
	return nil
}

// offsetCounts reads the bronze table with our reader and counts rows per partition/offset.
func offsetCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	out := map[string]int{}
	tbl := delta.OpenLocal(path)
	if ok, _ := tbl.Exists(context.Background()); !ok {
		return out
	}
	snap, err := tbl.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, _ := snap.Schema()
	pi, oi := st.Index("_kafka_partition"), st.Index("_kafka_offset")
	err = snap.Scan(context.Background(), func(_ *delta.Add, rows [][]any) error {
		for _, r := range rows {
			out[strconv.Itoa(int(r[pi].(int32)))+"/"+strconv.FormatInt(r[oi].(int64), 10)]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func logLevel() string {
	if l := os.Getenv("LEDGERFLOW_TEST_LOG_LEVEL"); l != "" {
		return l
	}
	return "warn"
}
