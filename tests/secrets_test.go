package tests

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// TestSecretsNeverShow runs the shipped customers pipeline with a SASL password written in
// the config and the pii key in the environment, against a Kafka that requires SASL: echo,
// lint, a run that writes rows (debug logs), its /metrics, and a run with a wrong password
// (authentication errors). Neither secret may appear in any of their output.
func TestSecretsNeverShow(t *testing.T) {
	const saslPass = "Sasl-Pa55word-must-never-show-7f3a"
	const wrongPass = "Wrong-Pa55word-must-never-show-c41d"
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, custTopic), kfake.GroupMinSessionTimeout(time.Second),
		kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "ledgerflow", saslPass))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	src, err := os.ReadFile(filepath.Join(repoRoot, "pipelines", "customers.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	conf := func(name, pass string) string {
		s := strings.Replace(string(src), "    client_id: ledgerflow-customers\n",
			"    client_id: ledgerflow-customers\n    sasl:\n      mechanism: SCRAM-SHA-512\n      user: ledgerflow\n      password: "+pass+"\n", 1)
		if s == string(src) {
			t.Fatal("pipelines/customers.yaml: the kafka input's client_id line moved; update this test")
		}
		return writeFile(t, filepath.Join(t.TempDir(), name), "logger:\n  level: DEBUG\n"+s)
	}
	good := conf("customers.yaml", saslPass)
	var seen strings.Builder
	secretsAbsent := func(what, out string) {
		t.Helper()
		seen.WriteString(out)
		for name, s := range map[string]string{"SASL password": saslPass, "wrong SASL password": wrongPass, "pii key": piiKey} {
			if strings.Contains(out, s) {
				t.Errorf("%s shows the %s:\n%s", what, name, out)
			}
		}
	}

	for _, args := range [][]string{{"echo", good}, {"-c", good, "echo"}} {
		out, code := run(t, "", time.Minute, nil, args...)
		if code != 0 || !strings.Contains(out, "SCRAM-SHA-512") || !strings.Contains(out, "pii:") || !strings.Contains(out, "SECRET_SCRUBBED") {
			t.Errorf("ledgerflow %v (exit %d) does not print the config with the password scrubbed:\n%s", args, code, out)
		}
		secretsAbsent("ledgerflow echo", out)
	}
	out, code := run(t, "", time.Minute, nil, "lint", good)
	if code != 0 {
		t.Errorf("lint exit %d:\n%s", code, out)
	}
	secretsAbsent("ledgerflow lint", out)
	// A lint error in the sasl object: the message must not quote the password either.
	bad := writeFile(t, filepath.Join(t.TempDir(), "bad.yaml"), strings.Replace(mustRead(t, good), "      user: ledgerflow\n", "      user: ledgerflow\n      nonsense: 1\n", 1))
	out, code = run(t, "", time.Minute, nil, "lint", bad)
	if code == 0 {
		t.Errorf("lint accepted an unknown sasl field:\n%s", out)
	}
	secretsAbsent("ledgerflow lint (an error)", out)

	// A run that writes rows.
	producer, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...),
		kgo.SASL(scram.Auth{User: "ledgerflow", Pass: saslPass}.AsSha512Mechanism()))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	produceCustomers(t, producer, []int64{1, 2}, [][]byte{debeziumCustomer(1, "c", 100, "+4930123456"), debeziumCustomer(2, "c", 200, "")}, time.Now())
	lake := t.TempDir()
	port := itoa(freePort(t))
	env := append(pipelineEnv(c, lake), "LEDGERFLOW_HTTP_ADDRESS=127.0.0.1:"+port)
	ch := startChild(t, env, "-c", good)
	waitRows(t, ch, filepath.Join(lake, "bronze", "customers"), 2)
	resp, err := http.Get("http://127.0.0.1:" + port + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "pii_errors_total") {
		t.Errorf("/metrics has no pii counters:\n%s", body)
	}
	secretsAbsent("/metrics", string(body))
	ch.stop(t)
	logs := ch.logs.tail(1 << 24)
	if !strings.Contains(logs, "personal data kept in clear by configuration") {
		t.Errorf("the run's logs do not show the pii processor starting:\n%s", logs)
	}
	secretsAbsent("the run's logs", logs)

	// A wrong password: the authentication errors must not quote it.
	wrong := conf("wrong.yaml", wrongPass)
	ch = startChild(t, append(pipelineEnv(c, t.TempDir()), "CONSUMER_GROUP_PREFIX=wrong"), "-c", wrong)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil && !strings.Contains(strings.ToLower(ch.logs.tail(1<<20)), "sasl") {
		time.Sleep(200 * time.Millisecond)
	}
	ch.stop(t)
	logs = ch.logs.tail(1 << 24)
	if !strings.Contains(strings.ToLower(logs), "sasl") {
		t.Errorf("a wrong password logged no SASL error:\n%s", logs)
	}
	secretsAbsent("the logs of a run with a wrong password", logs)
	t.Logf("%d bytes of output checked", seen.Len())
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
