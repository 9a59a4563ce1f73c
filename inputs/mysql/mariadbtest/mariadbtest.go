// Package mariadbtest starts a private, throw-away MariaDB server for tests: its own temp
// datadir, socket and loopback port, a ROW/FULL binlog, no systemd, and the bank schema of
// deploy/mysql/init.sql loaded. Tests that need it call Start; when mariadbd is not
// installed (Debian: apt-get install mariadb-server) Start skips the test with a message.
package mariadbtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
)

// RootPassword is the password of root@localhost / root@127.0.0.1 on servers Start makes.
const RootPassword = "ledgerflow"

// Server is a running MariaDB. All fields are read-only.
type Server struct {
	Host    string // 127.0.0.1
	Port    int
	Socket  string
	DataDir string
	// DSN is root's address as the mysql_cdc input's dsn field takes it:
	// user:password@tcp(127.0.0.1:port)/
	DSN string

	tb  testing.TB
	cmd *exec.Cmd
}

// Options change how Start configures the server.
type Options struct {
	// ExtraArgs are appended to mariadbd's command line, e.g. "--binlog-row-metadata=FULL".
	ExtraArgs []string
	// SkipInitSQL leaves the server empty instead of loading deploy/mysql/init.sql.
	SkipInitSQL bool
}

// Start starts a server with default options. See StartWith.
func Start(tb testing.TB) *Server { return StartWith(tb, Options{}) }

// StartWith installs a fresh datadir under tb.TempDir(), runs mariadbd on a free loopback
// port until the test ends (tb.Cleanup stops it), waits until it accepts connections,
// gives root the password RootPassword and loads deploy/mysql/init.sql (found by walking
// up from the working directory to the module root). It skips the test when mariadbd or
// mariadb-install-db is missing and fails it when the server does not come up within 60s,
// printing the server's error log.
func StartWith(tb testing.TB, opt Options) *Server {
	tb.Helper()
	mariadbd, err := lookPath("mariadbd", "/usr/sbin/mariadbd")
	if err != nil {
		tb.Skip("mariadbtest: mariadbd is not installed (Debian: apt-get install mariadb-server); skipping MariaDB test")
	}
	install, err := lookPath("mariadb-install-db", "/usr/bin/mariadb-install-db")
	if err != nil {
		tb.Skip("mariadbtest: mariadb-install-db is not installed (Debian: apt-get install mariadb-server); skipping MariaDB test")
	}
	// Sockets must fit in sun_path (108 bytes); t.TempDir() paths can be longer.
	base, err := os.MkdirTemp("", "mdb")
	if err != nil {
		tb.Fatalf("mariadbtest: temp dir: %v", err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(base) })
	dataDir := filepath.Join(base, "data")
	socket := filepath.Join(base, "s.sock")
	errLog := filepath.Join(base, "error.log")

	args := []string{"--no-defaults", "--datadir=" + dataDir, "--auth-root-authentication-method=normal",
		"--skip-test-db", "--skip-name-resolve"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	if out, err := exec.Command(install, args...).CombinedOutput(); err != nil {
		tb.Fatalf("mariadbtest: %s %s: %v\n%s", install, strings.Join(args, " "), err, out)
	}

	port, err := freePort()
	if err != nil {
		tb.Fatalf("mariadbtest: free port: %v", err)
	}
	srvArgs := []string{
		"--no-defaults",
		"--datadir=" + dataDir,
		"--socket=" + socket,
		"--port=" + strconv.Itoa(port),
		"--bind-address=127.0.0.1",
		"--skip-name-resolve",
		"--server-id=1",
		"--log-bin=mysql-bin",
		"--binlog-format=ROW",
		"--binlog-row-image=FULL",
		"--log-error=" + errLog,
		"--pid-file=" + filepath.Join(base, "mariadbd.pid"),
		"--innodb-buffer-pool-size=64M",
		"--innodb-log-file-size=48M",
		"--innodb-flush-log-at-trx-commit=2",
		"--sync-binlog=0",
		"--default-time-zone=+00:00",
		"--character-set-server=utf8mb4",
		"--collation-server=utf8mb4_unicode_ci",
	}
	if os.Geteuid() == 0 {
		srvArgs = append(srvArgs, "--user=root")
	}
	srvArgs = append(srvArgs, opt.ExtraArgs...)
	cmd := exec.Command(mariadbd, srvArgs...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		tb.Fatalf("mariadbtest: start %s: %v", mariadbd, err)
	}
	s := &Server{Host: "127.0.0.1", Port: port, Socket: socket, DataDir: dataDir, tb: tb, cmd: cmd}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tb.Cleanup(func() { s.stop(exited) })

	// Root has no password yet and logs in over the socket (TCP root is root@127.0.0.1 too,
	// but only after skip-name-resolve grants exist; the socket is certain).
	deadline := time.Now().Add(60 * time.Second)
	var conn *client.Conn
	for {
		d := &net.Dialer{Timeout: time.Second}
		conn, err = client.ConnectWithDialer(context.Background(), "unix", socket, "root", "", "", d.DialContext)
		if err == nil {
			break
		}
		select {
		case werr := <-exited:
			tb.Fatalf("mariadbtest: mariadbd exited while starting: %v\n%s\n%s", werr, out.String(), readFile(errLog))
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("mariadbtest: mariadbd not ready after 60s: %v\n%s", err, readFile(errLog))
		}
		time.Sleep(100 * time.Millisecond)
	}
	defer conn.Close()
	for _, q := range []string{
		"ALTER USER 'root'@'localhost' IDENTIFIED BY '" + RootPassword + "'",
		"CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '" + RootPassword + "'",
		"ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '" + RootPassword + "'",
		"GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION",
		"FLUSH PRIVILEGES",
	} {
		if _, err := conn.Execute(q); err != nil {
			tb.Fatalf("mariadbtest: %s: %v", q, err)
		}
	}
	s.DSN = fmt.Sprintf("root:%s@tcp(127.0.0.1:%d)/", RootPassword, port)
	if !opt.SkipInitSQL {
		sqlText, err := os.ReadFile(InitSQLPath(tb))
		if err != nil {
			tb.Fatalf("mariadbtest: %v", err)
		}
		s.ExecScript(string(sqlText))
	}
	return s
}

// InitSQLPath returns the path of deploy/mysql/init.sql, found by walking up from the
// working directory to the directory holding go.mod. It fails the test when absent.
func InitSQLPath(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("mariadbtest: getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "deploy", "mysql", "init.sql")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			_, file, _, _ := runtime.Caller(0)
			tb.Fatalf("mariadbtest: no go.mod above %s (helper at %s)", dir, file)
		}
		dir = parent
	}
}

// Conn opens a new connection as root to db ("" for none). The test's cleanup closes it.
func (s *Server) Conn(db string) *client.Conn {
	s.tb.Helper()
	c, err := client.Connect(fmt.Sprintf("127.0.0.1:%d", s.Port), "root", RootPassword, db)
	if err != nil {
		s.tb.Fatalf("mariadbtest: connect: %v", err)
	}
	s.tb.Cleanup(func() { _ = c.Close() })
	return c
}

// Exec runs statements, each on the same fresh connection (so a session variable or a
// transaction spanning them works), failing the test on the first error.
func (s *Server) Exec(stmts ...string) {
	s.tb.Helper()
	c, err := client.Connect(fmt.Sprintf("127.0.0.1:%d", s.Port), "root", RootPassword, "")
	if err != nil {
		s.tb.Fatalf("mariadbtest: connect: %v", err)
	}
	defer c.Close()
	for _, q := range stmts {
		if _, err := c.Execute(q); err != nil {
			s.tb.Fatalf("mariadbtest: %s: %v", abbreviate(q), err)
		}
	}
}

// Query runs one query as root and returns its rows as strings (NULL as "NULL").
func (s *Server) Query(q string) [][]string {
	s.tb.Helper()
	c, err := client.Connect(fmt.Sprintf("127.0.0.1:%d", s.Port), "root", RootPassword, "")
	if err != nil {
		s.tb.Fatalf("mariadbtest: connect: %v", err)
	}
	defer c.Close()
	r, err := c.Execute(q)
	if err != nil {
		s.tb.Fatalf("mariadbtest: %s: %v", abbreviate(q), err)
	}
	defer r.Close()
	var rows [][]string
	for i := range r.Values {
		row := make([]string, len(r.Values[i]))
		for j, v := range r.Values[i] {
			if v.Type == mysql.FieldValueTypeNull {
				row[j] = "NULL"
				continue
			}
			row[j] = fmt.Sprint(v.Value())
			if b, ok := v.Value().([]byte); ok {
				row[j] = string(b)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// ExecScript runs a SQL script: statements separated by ";" at line ends, "--" comment
// lines skipped. It is meant for init.sql, not for arbitrary SQL (no DELIMITER support).
func (s *Server) ExecScript(script string) {
	s.tb.Helper()
	s.Exec(SplitScript(script)...)
}

// SplitScript splits a SQL script into statements at semicolons that end a line, dropping
// "--" comment lines and blank lines.
func SplitScript(script string) []string {
	var stmts []string
	var cur strings.Builder
	for _, line := range strings.Split(script, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			stmt := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")
			stmts = append(stmts, stmt)
			cur.Reset()
		}
	}
	if rest := strings.TrimSpace(cur.String()); rest != "" {
		stmts = append(stmts, rest)
	}
	return stmts
}

func (s *Server) stop(exited chan error) {
	if s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM) // mariadbd shuts down cleanly on SIGTERM
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-exited
	}
}

func lookPath(name, fallback string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	if _, err := os.Stat(fallback); err == nil {
		return fallback, nil
	}
	return "", errors.New(name + " not found")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

func abbreviate(q string) string {
	if len(q) > 200 {
		return q[:200] + "..."
	}
	return q
}
