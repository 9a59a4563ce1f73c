package tests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"gopkg.in/yaml.v3"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/inputs/mysql/mariadbtest"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// The real-database end-to-end test: MariaDB (ROW binlog, full images) with the bank schema
// of deploy/mysql/init.sql; `ledgerflow` running mysql_cdc → kafka output into an in-process
// Kafka-protocol cluster (kfake); a second `ledgerflow streams` process running the three
// pipelines of pipelines/ (kafka → debezium_unwrap → bronze + silver); random DML from
// several connections. After draining, every silver table must equal its MariaDB table row
// for row and column for column.
//
// Knobs (environment): LEDGERFLOW_MARIADB_STATEMENTS (default 100000, 10000 with -short),
// LEDGERFLOW_MARIADB_KILLS (SIGKILLs of the pipelines in the second test, default 10),
// LEDGERFLOW_MARIADB_SEED (workload seed; logged, so that a failing run can be repeated),
// LEDGERFLOW_MARIADB_CDC_KILLS (the second test also SIGKILLs mysql_cdc this many times,
// default 0), LEDGERFLOW_MARIADB_LOGS (a directory for the children's logs),
// LEDGERFLOW_MARIADB_KEEP (where to keep the lakehouse of a failed run).
// At 100k statements a run takes several minutes on a loaded 2-core machine: use -timeout 30m.

var mdbBankTables = []string{"customers", "accounts", "transactions"}

// TestMariaDBSilverEqualsSource: the pipelines run undisturbed.
func TestMariaDBSilverEqualsSource(t *testing.T) {
	runMariaDBSilver(t, 0)
}

// TestMariaDBSilverEqualsSourceUnderSIGKILL: the pipelines process is SIGKILLed at random
// moments while the DML runs and restarted each time.
func TestMariaDBSilverEqualsSourceUnderSIGKILL(t *testing.T) {
	kills := 10
	if k := os.Getenv("LEDGERFLOW_MARIADB_KILLS"); k != "" {
		kills, _ = strconv.Atoi(k)
	}
	runMariaDBSilver(t, kills)
}

func mdbEnvInt(t *testing.T, name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("%s=%q: expected an integer", name, v)
		}
		return n
	}
	return def
}

func runMariaDBSilver(t *testing.T, kills int) {
	cdcKills := 0
	if kills > 0 {
		cdcKills = mdbEnvInt(t, "LEDGERFLOW_MARIADB_CDC_KILLS", 0)
	}
	statements := 100_000
	if testing.Short() {
		statements = 10_000
	}
	statements = mdbEnvInt(t, "LEDGERFLOW_MARIADB_STATEMENTS", statements)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("LEDGERFLOW_MARIADB_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	const workers = 4
	t.Logf("workload seed %d (LEDGERFLOW_MARIADB_SEED=%d repeats each connection's statements)", seed, seed)

	srv := mariadbtest.Start(t) // skips when mariadbd is not installed
	started := time.Now()
	ws := make([]*mdbWorker, workers)
	for i := range ws {
		c := srv.Conn("")
		for _, q := range []string{
			// No gap locks: workers own disjoint keys and must never wait on each other.
			"SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
			"SET SESSION time_zone = '+00:00'",
		} {
			if _, err := c.Execute(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		ws[i] = mdbNewWorker(i, workers, seed, c)
		// Rows present before capture starts arrive as snapshot reads.
		if err := ws[i].seed(50, 100, 500); err != nil {
			t.Fatal(err)
		}
	}

	topics := make([]string, len(mdbBankTables))
	for i, tb := range mdbBankTables {
		topics[i] = "bank_server.bank." + tb
	}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topics...), kfake.GroupMinSessionTimeout(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]

	dir := t.TempDir()
	lake := filepath.Join(dir, "lakehouse")
	ckpt := filepath.Join(dir, "cdc-checkpoint.json")
	cdcConf := writeFile(t, filepath.Join(dir, "cdc.yaml"), fmt.Sprintf(`
http:
  enabled: false
logger:
  level: %s
input:
  mysql_cdc:
    dsn: "debezium:dbz@tcp(127.0.0.1:%d)/"
    flavor: mariadb
    server_id: 4242
    tables: [ bank.* ]
    checkpoint_file: %s
    checkpoint_interval: 200ms
output:
  kafka:
    seed_brokers: [ %q ]
    topic: '${! meta("debezium_topic") }'
    metadata_headers: { include_prefixes: [ debezium_op ] }
    batching: { count: 2000, period: 20ms }
`, logLevel(), srv.Port, ckpt, broker))

	var cdcLog, pipeLog lockedLog
	cdc := &mdbChild{t: t, args: []string{"-c", cdcConf}, log: &cdcLog}
	cdc.start()
	defer cdc.stop()

	pipes := mdbNewPipelines(t, dir, []string{
		"KAFKA_BROKERS=" + broker, "TOPIC_PREFIX=bank_server", "LAKEHOUSE=" + lake,
		"CONSUMER_GROUP_PREFIX=mariadb-e2e", "START_FROM=earliest", "LEDGERFLOW_HTTP_ADDRESS=127.0.0.1:0",
		"LOG_LEVEL=" + logLevel(), // batching as the pipelines default it (BATCH_COUNT, BATCH_PERIOD)
	}, &pipeLog)
	// Group timeouts: without kills, generous ones (on a loaded machine a 1s session expires
	// while the process is busy, and the rebalances that follow stall the pipelines); with
	// kills, short enough that a restarted process takes the partitions over within seconds.
	if kills > 0 {
		pipes.env = append(pipes.env, "KAFKA_SESSION_TIMEOUT=3s", "KAFKA_REBALANCE_TIMEOUT=3s", "KAFKA_REVOKE_ACK_TIMEOUT=1s")
	} else {
		pipes.env = append(pipes.env, "KAFKA_SESSION_TIMEOUT=10s", "KAFKA_REBALANCE_TIMEOUT=5s", "KAFKA_REVOKE_ACK_TIMEOUT=2s")
	}
	pipes.start()
	defer pipes.stop()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("mysql_cdc logs (tail):\n%s", cdcLog.tail(3000))
			t.Logf("pipelines logs (tail):\n%s", pipeLog.tail(6000))
		}
		if d := os.Getenv("LEDGERFLOW_MARIADB_LOGS"); d != "" {
			_ = os.WriteFile(filepath.Join(d, t.Name()+".cdc.log"), []byte(cdcLog.tail(1<<30)), 0o644)
			_ = os.WriteFile(filepath.Join(d, t.Name()+".pipelines.log"), []byte(pipeLog.tail(1<<30)), 0o644)
		}
	})

	// The DML, from every worker at once. With kills, the run is stretched to at least
	// 1.2 s per kill, so that the kills fall while statements are being captured.
	var done atomic.Int64
	minDur := time.Duration(kills) * 1200 * time.Millisecond
	dmlStart := time.Now()
	pace := func() {
		if minDur == 0 {
			return
		}
		for {
			allowed := int64(float64(statements) * float64(time.Since(dmlStart)) / float64(minDur))
			if done.Load() < allowed+200 {
				done.Add(1)
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i, w := range ws {
		budget := statements / workers
		if i < statements%workers {
			budget++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.run(budget, pace); err != nil {
				errs <- err
			}
		}()
	}
	dmlDone := make(chan struct{})
	go func() { wg.Wait(); close(dmlDone) }()

	rng := rand.New(rand.NewPCG(seed, 99))
	killed := 0
	killedDuringDML := 0
	for killed < kills {
		time.Sleep(time.Duration(400+rng.IntN(1200)) * time.Millisecond)
		select {
		case <-dmlDone:
		default:
			killedDuringDML++
		}
		pipes.kill()
		if killed < cdcKills {
			cdc.kill() // mysql_cdc resumes from its checkpoint: Kafka gets some events twice
			cdc.start()
		}
		killed++
		pipes.start()
	}
	<-dmlDone
	dmlSecs := time.Since(dmlStart).Seconds()
	close(errs)
	for err := range errs {
		t.Fatalf("DML: %v", err)
	}
	var total mdbWorkerStats
	total.kinds = map[string]int{}
	for _, w := range ws {
		total.statements += w.stats.statements
		total.rolledBack += w.stats.rolledBack
		total.txns += w.stats.txns
		total.rollbacks += w.stats.rollbacks
		total.rowsChanged += w.stats.rowsChanged
		for k, v := range w.stats.kinds {
			total.kinds[k] += v
		}
	}
	t.Logf("DML: %d statements in %.1fs (%.0f/s) from %d connections; %d explicit transactions committed, %d rolled back (%d statements); %d rows affected; by kind %v",
		total.statements, dmlSecs, float64(total.statements)/dmlSecs, workers, total.txns, total.rollbacks, total.rolledBack, total.rowsChanged, total.kinds)
	if kills > 0 {
		t.Logf("pipelines SIGKILLed %d times (%d while the DML ran); mysql_cdc SIGKILLed %d times", killed, killedDuringDML, min(cdcKills, killed))
	}

	// Drain: mysql_cdc's checkpoint reaches the end of the binlog (every event acknowledged
	// by Kafka), then each silver table's txn versions reach the end offsets.
	drainStart := time.Now()
	master := srv.Query("SHOW MASTER STATUS")[0]
	masterPos, _ := strconv.ParseUint(master[1], 10, 32)
	// The checkpoint is written at most every checkpoint_interval, when an acknowledgement or
	// a commit arrives: writes to a table mysql_cdc does not capture keep commits coming
	// after the DML, as Debezium's heartbeat.action.query does.
	srv.Exec("CREATE DATABASE e2e_heartbeat", "CREATE TABLE e2e_heartbeat.beat (id INT PRIMARY KEY, at DATETIME(6))",
		"INSERT INTO e2e_heartbeat.beat VALUES (1, NOW(6))")
	beat := srv.Conn("")
	lastLog := time.Now()
	mdbWaitFor(t, 3*time.Minute, "mysql_cdc checkpoint to reach "+master[0]+":"+master[1], cdc.exited, func() bool {
		if _, err := beat.Execute("UPDATE e2e_heartbeat.beat SET at = NOW(6) WHERE id = 1"); err != nil {
			t.Fatalf("heartbeat: %v", err)
		}
		p, ok := mdbReadCDCCheckpoint(ckpt)
		if time.Since(lastLog) > 10*time.Second {
			lastLog = time.Now()
			t.Logf("mysql_cdc checkpoint at %s:%d, binlog ends at %s:%s", p.File, p.Pos, master[0], master[1])
		}
		return ok && (p.File > master[0] || p.File == master[0] && uint64(p.Pos) >= masterPos)
	})
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(context.Background(), topics...)
	if err != nil {
		t.Fatal(err)
	}
	events := int64(0)
	want := map[string]int64{} // topic/partition → last offset
	ends.Each(func(o kadm.ListedOffset) {
		events += o.Offset
		if o.Offset > 0 {
			want[o.Topic+"/"+strconv.Itoa(int(o.Partition))] = o.Offset - 1
		}
	})
	// No fixed deadline for the silver tables (their speed is measured, not asserted), but
	// two minutes without a commit fail the test.
	lastApplied, lastProgress := int64(-1), time.Now()
	mdbWaitFor(t, 30*time.Minute, "silver tables to commit every Kafka offset", pipes.exited, func() bool {
		ok, applied := mdbSilverCaughtUp(lake, want)
		if applied != lastApplied {
			lastApplied, lastProgress = applied, time.Now()
		} else if time.Since(lastProgress) > 2*time.Minute {
			logs := pipeLog.tail(1 << 30)
			t.Fatalf("silver tables stuck at %d of %d Kafka records for 2 minutes; the pipelines logged %d batches held back past max_hold (%d records waiting for a predecessor)",
				applied, events, strings.Count(logs, "level=error msg=\"delta_lake "), strings.Count(logs, "never reached this output"))
		}
		if time.Since(lastLog) > 15*time.Second {
			lastLog = time.Now()
			t.Logf("silver tables have committed %d of %d Kafka records", applied, events)
		}
		return ok
	})
	drainSecs := time.Since(drainStart).Seconds()
	pipes.stop()
	if logs := pipeLog.tail(1 << 30); strings.Contains(logs, "held back") {
		t.Logf("pipelines log: %d batches held back past max_hold (%d records that waited for a predecessor), %d group membership errors",
			strings.Count(logs, "level=error msg=\"delta_lake "), strings.Count(logs, "never reached this output"), strings.Count(logs, "UNKNOWN_MEMBER_ID"))
	}
	t.Logf("events: %d Kafka records (row events and tombstones) over %d topics; drained %.1fs after the last statement; total %.1fs since MariaDB was up",
		events, len(topics), drainSecs, time.Since(started).Seconds())

	// Compare.
	for _, tb := range mdbBankTables {
		contract, err := schemas.Load(tb)
		if err != nil {
			t.Fatal(err)
		}
		src := mdbSourceImage(t, srv, contract)
		silver, metas := mdbSilverImage(t, filepath.Join(lake, "silver", tb), contract, src.columns)
		mdbCheckPartitionColumn(t, filepath.Join(lake, "silver", tb), contract)
		d := mdbCompareImages(tb, src, silver, metas, 15)
		if !d.ok() {
			t.Errorf("silver %s differs from MariaDB: %d MariaDB rows, %d current silver rows; %d missing, %d extra, %d cells differ in %d rows:\n%s",
				tb, d.sourceRows, d.rows, len(d.missing), len(d.extra), d.cellDiffs, len(d.rowsWithDiffs), strings.Join(d.lines, "\n"))
			keys := append(append(append([]int64{}, d.rowsWithDiffs...), d.missing...), d.extra...)
			if len(keys) > 4 {
				keys = keys[:4]
			}
			t.Logf("bronze history of %v:\n%s", keys, mdbBronzeHistory(t, lake, contract, keys, nil))
			continue
		}
		t.Logf("silver %s equals MariaDB: %d rows × %d columns", tb, d.sourceRows, len(src.columns))
	}
	for _, layer := range []string{"bronze", "silver"} {
		for _, tb := range mdbBankTables {
			if n, reasons := mdbDeadLetters(t, filepath.Join(lake, layer, tb+"_dead_letters")); n > 0 {
				t.Errorf("%s/%s_dead_letters holds %d rows: %v", layer, tb, n, reasons)
			}
		}
	}
	if t.Failed() && os.Getenv("LEDGERFLOW_MARIADB_KEEP") != "" {
		keep := os.Getenv("LEDGERFLOW_MARIADB_KEEP")
		_ = os.RemoveAll(keep)
		if err := os.Rename(lake, keep); err != nil {
			t.Logf("keeping the lakehouse: %v", err)
		} else {
			t.Logf("lakehouse kept in %s", keep)
		}
	}
}

// mdbWaitFor polls cond every 200ms until it holds; it fails the test after timeout or when
// the process whose exit channel is given exits.
func mdbWaitFor(t *testing.T, timeout time.Duration, what string, exited <-chan error, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		select {
		case err := <-exited:
			t.Fatalf("waiting for %s: the process exited: %v", what, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not done after %s", what, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// mdbCdcPosition is the position in mysql_cdc's checkpoint file (its documented JSON form).
type mdbCdcPosition struct {
	File string `json:"file"`
	Pos  uint32 `json:"pos"`
}

func mdbReadCDCCheckpoint(path string) (mdbCdcPosition, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return mdbCdcPosition{}, false
	}
	var f struct {
		Position mdbCdcPosition `json:"position"`
	}
	if json.Unmarshal(b, &f) != nil {
		return mdbCdcPosition{}, false
	}
	return f.Position, f.Position.File != ""
}

// mdbSilverCaughtUp reports whether every silver table's txn versions (appId …/<topic>/<partition>)
// reached the given last offsets, and how many records they cover.
func mdbSilverCaughtUp(lake string, want map[string]int64) (bool, int64) {
	have := map[string]int64{}
	for _, tb := range mdbBankTables {
		tbl := delta.OpenLocal(filepath.Join(lake, "silver", tb))
		if ok, _ := tbl.Exists(context.Background()); !ok {
			return false, 0
		}
		snap, err := tbl.Snapshot(context.Background())
		if err != nil {
			return false, 0
		}
		for app, v := range snap.Txns() {
			parts := strings.Split(app, "/")
			if len(parts) < 2 {
				continue
			}
			have[parts[len(parts)-2]+"/"+parts[len(parts)-1]] = v
		}
	}
	caughtUp, applied := true, int64(0)
	for k, last := range want {
		v, ok := have[k]
		if ok {
			applied += v + 1
		}
		if !ok || v < last {
			caughtUp = false
		}
	}
	return caughtUp, applied
}

// mdbCheckPartitionColumn checks the derived partition column (event_date = day of event_ts)
// of every row of a silver table that has one.
func mdbCheckPartitionColumn(t *testing.T, dir string, contract *schemas.Table) {
	t.Helper()
	if contract.Partition == nil {
		return
	}
	snap, err := delta.OpenLocal(dir).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, _ := snap.Schema()
	pc, sc := st.Index(contract.Partition.Column), st.Index(contract.Partition.Source)
	if pc < 0 || sc < 0 {
		t.Errorf("silver %s is not partitioned by the contract's %s (partition columns %v); pipelines/%s.yaml relies on the default", contract.Name, contract.Partition.Column, snap.PartitionColumns(), contract.Name)
		return
	}
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for _, r := range rows {
		ts, _ := r[sc].(time.Time)
		if d, ok := r[pc].(schema.Date); !ok || d != schema.DateOf(ts) {
			if bad++; bad <= 3 {
				t.Errorf("silver %s: %s %v for %s %v", contract.Name, contract.Partition.Column, r[pc], contract.Partition.Source, ts)
			}
		}
	}
}

// mdbDeadLetters counts the rows of a dead-letter table (0 when it does not exist) and returns
// a few of their reasons.
func mdbDeadLetters(t *testing.T, dir string) (int, []string) {
	t.Helper()
	tbl := delta.OpenLocal(dir)
	if ok, _ := tbl.Exists(context.Background()); !ok {
		return 0, nil
	}
	snap, err := tbl.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, _ := snap.Schema()
	rows, err := snap.Rows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, r := range rows {
		if len(reasons) < 5 {
			var parts []string
			for i, f := range st.Fields {
				if strings.Contains(f.Name, "reason") || strings.Contains(f.Name, "error") {
					parts = append(parts, fmt.Sprintf("%s=%v", f.Name, r[i]))
				}
			}
			reasons = append(reasons, strings.Join(parts, " "))
		}
	}
	return len(rows), reasons
}

// mdbChild is a ledgerflow child process that the test starts, SIGKILLs and restarts.
type mdbChild struct {
	t      *testing.T
	args   []string
	env    []string
	log    *lockedLog
	cmd    *exec.Cmd
	exited chan error
}

// mdbNewPipelines is the `ledgerflow streams` child running the three pipelines, as the
// demo runs them: each pipeline file without its http section, one root config for the
// process.
func mdbNewPipelines(t *testing.T, dir string, env []string, log *lockedLog) *mdbChild {
	t.Helper()
	root := writeFile(t, filepath.Join(dir, "streams", "root.yaml"),
		"http:\n  address: ${LEDGERFLOW_HTTP_ADDRESS}\nlogger:\n  level: ${LOG_LEVEL:warn}\n")
	args := []string{"-c", root, "streams", "--no-api"}
	for _, tb := range mdbBankTables {
		src, err := os.ReadFile(filepath.Join(repoRoot, "pipelines", tb+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		stream, err := mdbDropTopLevelKey(src, "http")
		if err != nil {
			t.Fatalf("pipelines/%s.yaml: %v", tb, err)
		}
		args = append(args, writeFile(t, filepath.Join(dir, "streams", tb+".yaml"), string(stream)))
	}
	return &mdbChild{t: t, args: args, env: env, log: log}
}

func (p *mdbChild) start() {
	p.t.Helper()
	cmd := exec.Command(binary, p.args...)
	cmd.Dir = repoRoot // the pipelines name their schema files relative to the repository
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.cmd, p.exited = cmd, make(chan error, 1)
	go func(c *exec.Cmd, ch chan error) { ch <- c.Wait() }(cmd, p.exited)
}

func (p *mdbChild) kill() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
	p.cmd = nil
}

func (p *mdbChild) stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.cmd = nil
}

// mdbDropTopLevelKey removes a top-level key from a YAML mapping document.
func mdbDropTopLevelKey(src []byte, key string) ([]byte, error) {
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
	return yaml.Marshal(&doc)
}
