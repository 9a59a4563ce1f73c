package deploy

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeConnect stands in for Kafka Connect's REST API (POST /connectors, GET
// /connectors/<name>/status), answering from a script of status bodies.
type fakeConnect struct {
	mu       sync.Mutex
	postCode int
	statuses []string // successive status bodies; the last one repeats
	posted   []byte
	polls    int
}

func (f *fakeConnect) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/connectors":
		f.posted, _ = io.ReadAll(r.Body)
		if r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, `{"message":"need application/json"}`, http.StatusUnsupportedMediaType)
			return
		}
		w.WriteHeader(f.postCode)
		io.WriteString(w, `{"error_code":`+http.StatusText(f.postCode)+`}`)
	case r.Method == http.MethodGet && r.URL.Path == "/connectors/bank-connector/status":
		i := min(f.polls, len(f.statuses)-1)
		f.polls++
		io.WriteString(w, f.statuses[i])
	default:
		http.NotFound(w, r)
	}
}

const (
	statusStarting = `{"name":"bank-connector","connector":{"state":"RUNNING","worker_id":"w"},"tasks":[],"type":"source"}`
	statusRunning  = `{"name":"bank-connector","connector":{"state":"RUNNING","worker_id":"w"},"tasks":[{"id":0,"state":"RUNNING","worker_id":"w"}],"type":"source"}`
	statusFailed   = `{"name":"bank-connector","connector":{"state":"RUNNING","worker_id":"w"},"tasks":[{"id":0,"state":"FAILED","trace":"Access denied"}],"type":"source"}`
)

func runRegister(t *testing.T, f *fakeConnect) (string, error) {
	t.Helper()
	srv := httptest.NewServer(f)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", registerScript, connectorFile)
	cmd.Env = append(os.Environ(), "CONNECT_URL="+srv.URL, "CONNECTOR_NAME=bank-connector", "REGISTER_TIMEOUT_SECONDS=3", "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// The registration script is run for real (sh + curl, as in the curl image) against the
// stand-in API.
func TestRegisterScript(t *testing.T) {
	for _, tool := range []string{"sh", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	want := readFile(t, connectorFile)
	cases := []struct {
		name     string
		postCode int
		statuses []string
		ok       bool
		output   string
	}{
		{"created then running", http.StatusCreated, []string{statusStarting, statusRunning}, true, "is running"},
		{"already exists", http.StatusConflict, []string{statusRunning}, true, "already exists"},
		{"refused", http.StatusBadRequest, []string{statusRunning}, false, "HTTP 400"},
		{"task fails", http.StatusCreated, []string{statusStarting, statusFailed}, false, "Access denied"},
		{"never runs", http.StatusCreated, []string{statusStarting}, false, "not running after 3s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeConnect{postCode: c.postCode, statuses: c.statuses}
			out, err := runRegister(t, f)
			if (err == nil) != c.ok {
				t.Fatalf("exit error = %v, want success=%v\n%s", err, c.ok, out)
			}
			if !strings.Contains(out, c.output) {
				t.Errorf("output does not mention %q:\n%s", c.output, out)
			}
			if !bytes.Equal(f.posted, want) {
				t.Errorf("posted body differs from %s:\n%s", connectorFile, f.posted)
			}
		})
	}
}

// The connector logs in with the user, password and grants that init.sql creates.
func TestInitSQLMatchesConnector(t *testing.T) {
	sql := string(readFile(t, requireRepoFile(t, "deploy/mysql/init.sql")))
	c := loadConnector(t, connectorFile)
	user := regexp.QuoteMeta(c.Config["database.user"])
	m := regexp.MustCompile(`(?i)CREATE USER[^;]*'` + user + `'@'[^']*'\s+IDENTIFIED BY\s+'([^']*)'`).FindStringSubmatch(sql)
	if m == nil {
		t.Fatalf("init.sql does not create the connector's user %q", c.Config["database.user"])
	}
	p := mustLoadCompose(t)
	if pw := p.Services["connect"].Environment["DEBEZIUM_DB_PASSWORD"]; pw == nil || *pw != m[1] {
		t.Errorf("connect's default DEBEZIUM_DB_PASSWORD differs from the password init.sql sets")
	}
	grants := regexp.MustCompile(`(?is)GRANT\s+(.*?)\s+ON\s+\*\.\*\s+TO\s+'` + user + `'`).FindStringSubmatch(sql)
	if grants == nil {
		t.Fatal("init.sql grants the connector's user nothing on *.*")
	}
	for _, g := range []string{"SELECT", "RELOAD", "SHOW DATABASES", "REPLICATION SLAVE", "REPLICATION CLIENT"} {
		if !strings.Contains(strings.ToUpper(grants[1]), g) {
			t.Errorf("init.sql does not grant %s, which Debezium's MySQL connector needs", g)
		}
	}
}
