package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// What the simulator's personal data looks like (inputs/simulator/bank.go): e-mails
// first.last.id@example.org, phones +CC and nine digits, devices dev-RUN-NNNNNN, hosts in
// 198.51.100.0/24. None may appear in clear in a data table.
var clearPII = map[string]*regexp.Regexp{
	"e-mail":       regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`),
	"phone":        regexp.MustCompile(`\+\d{11}`),
	"device id":    regexp.MustCompile(`dev-\d+-\d{6}`),
	"IP host":      regexp.MustCompile(`198\.51\.100\.[1-9]\d*`),
	"day of birth": regexp.MustCompile(`date_of_birth"\s*:\s*"\d{4}-(0[2-9]|1[0-2]|01-(0[2-9]|[12]\d|3[01]))`),
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// TestDemoWritesNoClearPersonalData runs the demo and reads every data table it writes
// (bronze, silver and gold, each column, the _before image included): no e-mail, phone,
// device id, IP host or day of birth in clear. The e-mail column must moreover be the HMAC,
// under the key the demo generated, of the address the simulator made for that customer.
// Dead-letter tables are excluded by design: they keep the original Kafka record for replay
// (README, "Personal data"); the demo writes none, which the summary reports.
func TestDemoWritesNoClearPersonalData(t *testing.T) {
	lake := filepath.Join(t.TempDir(), "lakehouse")
	out, _ := demoRun(t, "", "--events", "1500", "--out", lake, "--seed", "11")
	if !strings.Contains(out, "dead letters: 0") {
		t.Errorf("the demo wrote dead letters:\n%s", out)
	}
	keyFile := filepath.Join(lake, ".demo", "pii.key")
	fi, err := os.Stat(keyFile)
	if err != nil {
		t.Fatalf("the demo wrote no key file: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", keyFile, fi.Mode().Perm())
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(key)) == piiKey {
		t.Fatal("the demo used the environment's key, not its own")
	}
	cust := newPIIProtector(t, "customers", strings.TrimSpace(string(key)))

	ctx := context.Background()
	tables := 0
	err = filepath.WalkDir(lake, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() || d.Name() != "_delta_log" {
			return err
		}
		table := filepath.Dir(path)
		rel, _ := filepath.Rel(lake, table)
		if strings.HasSuffix(rel, "_dead_letters") {
			return filepath.SkipDir
		}
		tables++
		snap, err := delta.OpenLocal(table).Snapshot(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		st, err := snap.Schema()
		if err != nil {
			return err
		}
		rows, err := snap.Rows(ctx)
		if err != nil {
			return err
		}
		hashed := 0
		for _, r := range rows {
			for i, f := range st.Fields {
				checkNoClearPII(t, rel+"."+f.Name, f.Name, r[i])
			}
			if strings.HasSuffix(rel, "customers") && st.Index("email") >= 0 {
				first, last, id := r[st.Index("first_name")], r[st.Index("last_name")], r[st.Index("customer_id")]
				want := cust.value(t, "email", fmt.Sprintf("%v.%v.%v@example.org", first, last, id))
				if got := r[st.Index("email")]; got != want {
					t.Errorf("%s: customer %v: email is %v, want the HMAC of the simulated address %v", rel, id, got, want)
				} else {
					hashed++
				}
			}
		}
		t.Logf("%s: %d rows checked, %d e-mail hashes recomputed", rel, len(rows), hashed)
		if strings.HasSuffix(rel, "customers") && st.Index("email") >= 0 && hashed == 0 {
			t.Errorf("%s: no customer rows", rel)
		}
		return filepath.SkipDir
	})
	if err != nil {
		t.Fatal(err)
	}
	if tables < 6 {
		t.Errorf("read %d tables, want at least bronze and silver of customers, accounts, transactions", tables)
	}
}

// checkNoClearPII looks into one value of a table, recursively (struct, map and list
// columns such as _before).
func checkNoClearPII(t *testing.T, where, col string, v any) {
	t.Helper()
	switch x := v.(type) {
	case string:
		for what, re := range clearPII {
			if m := re.FindString(x); m != "" {
				t.Errorf("%s holds a clear %s: %q", where, what, m)
			}
		}
		switch col {
		case "email", "phone", "device_id":
			if !hex64.MatchString(x) {
				t.Errorf("%s is %q, want a 64-character HMAC", where, x)
			}
		case "ip_address":
			if !strings.HasSuffix(x, ".0") && !strings.HasSuffix(x, "::") && x != "***" {
				t.Errorf("%s is %q, want a masked network", where, x)
			}
		}
	case schema.Date:
		if col == "date_of_birth" {
			if d := time.Unix(int64(x)*86400, 0).UTC(); d.Month() != 1 || d.Day() != 1 {
				t.Errorf("%s holds a day of birth: %s", where, d.Format(time.DateOnly))
			}
		}
	case time.Time:
		if col == "date_of_birth" && (x.Month() != 1 || x.Day() != 1) {
			t.Errorf("%s holds a day of birth: %s", where, x.Format(time.DateOnly))
		}
	case map[string]any:
		for k, e := range x {
			checkNoClearPII(t, where+"."+k, k, e)
		}
	case []any:
		for i, e := range x {
			checkNoClearPII(t, fmt.Sprintf("%s[%d]", where, i), col, e)
		}
	}
}
