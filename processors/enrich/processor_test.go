package enrich

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

func lookupsYAML(dir string) string {
	return fmt.Sprintf(`
lookups:
  - name: acct
    table: %[1]s/silver/accounts
    key: account_id
    columns: [ currency, status, balance, created_at, customer_id ]
  - name: cust
    table: %[1]s/silver/customers
    key: customer_id
    columns: [ country, risk_rating, kyc_status, created_at ]
  - name: merch
    table: %[1]s/silver/merchants
    key: merchant_id
    columns: [ mcc, country, lat, lon, risk_tier ]
`, dir)
}

func dec(v any) string {
	if d, ok := v.(schema.Decimal); ok {
		return d.String()
	}
	return fmt.Sprintf("not a decimal: %#v", v)
}

// TestEnrichesFromSilverTables: silver accounts (SCD2), customers (SCD1) and merchants (SCD2)
// written by the real delta_lake output; the processor puts typed values into
// ledgerflow_env, merges with what is there, and follows updates and deletes.
func TestEnrichesFromSilverTables(t *testing.T) {
	dir := t.TempDir()
	accts := newSilver(t, dir, "accounts", 2)
	custs := newSilver(t, dir, "customers", 1)
	merchs := newSilver(t, dir, "merchants", 2)
	accts.write("c", account(1, 7, "12.50", "active"), account(2, 8, "-3.00", "active"))
	custs.write("c", customer(7, "DE", 42, "verified"), customer(8, "GB", 90, "pending"))
	merchs.write("c", merchant(100, "5411", "DE", "52.520008", "13.404954", "low"), merchant(101, "7995", "MT", "null", "null", "high"))

	res, _ := enricher(t, "enrich_follow", lookupsYAML(dir)+"poll_interval: 5ms\nmax_wait: 0s\n")
	m := service.NewMessage([]byte(tx(1, 1, 7, 100)))
	m.MetaSetMut(MetaEnv, map[string]map[string]any{"acct": {"count_1m": int64(3)}, "dev": {"count_1h": int64(1)}})
	n := service.NewMessage([]byte(tx(2, 2, 8, nil)))
	out := process(t, res, "enrich_follow", m, n)

	env := envOf(t, out[0])
	a, c, mm := env["acct"], env["cust"], env["merch"]
	if a["status"] != "active" || a["currency"] != "EUR" || dec(a["balance"]) != "12.50" || a["customer_id"] != int64(7) {
		t.Fatalf("acct %v", a)
	}
	if ts, ok := a["created_at"].(time.Time); !ok || !ts.Equal(time.Date(2024, 4, 1, 9, 0, 0, 250000000, time.UTC)) {
		t.Fatalf("acct.created_at %#v", a["created_at"])
	}
	if a["count_1m"] != int64(3) || env["dev"]["count_1h"] != int64(1) {
		t.Fatalf("existing env lost: %v", env)
	}
	if c["country"] != "DE" || c["risk_rating"] != int64(42) || c["kyc_status"] != "verified" {
		t.Fatalf("cust %v", c)
	}
	if mm["mcc"] != "5411" || mm["risk_tier"] != "low" || dec(mm["lat"]) != "52.520008" || dec(mm["lon"]) != "13.404954" {
		t.Fatalf("merch %v", mm)
	}
	if missingOf(out[0]) != nil {
		t.Fatalf("enrich_missing set: %v", missingOf(out[0]))
	}
	// A transaction without a merchant: merch fields null, nothing missing.
	env2 := envOf(t, out[1])
	if len(env2["merch"]) != 5 || env2["merch"]["mcc"] != nil || missingOf(out[1]) != nil || dec(env2["acct"]["balance"]) != "-3.00" {
		t.Fatalf("no merchant: env %v missing %v", env2, missingOf(out[1]))
	}
	// The body is untouched without row_prefix / missing_field.
	if b, _ := out[0].AsBytes(); string(b) != tx(1, 1, 7, 100) {
		t.Fatalf("body changed: %s", b)
	}

	// Updates and deletes through the merge output are followed.
	accts.write("u", account(1, 7, "99.99", "frozen"))
	custs.write("u", customer(7, "FR", 43, "verified"))
	merchs.write("u", merchant(100, "5411", "DE", "52.520008", "13.404954", "high"))
	merchs.write("d", merchant(101, "7995", "MT", "null", "null", "high"))
	accts.write("c", account(3, 7, "0.01", "active"))
	guard := time.Now().Add(60 * time.Second)
	for {
		out = process(t, res, "enrich_follow", service.NewMessage([]byte(tx(3, 1, 7, 100))), service.NewMessage([]byte(tx(4, 3, 7, 101))))
		e0, e1 := envOf(t, out[0]), envOf(t, out[1])
		if e0["acct"]["status"] == "frozen" && e0["cust"]["country"] == "FR" && e0["merch"]["risk_tier"] == "high" &&
			e1["acct"]["status"] == "active" && e1["merch"]["mcc"] == nil {
			if dec(e0["acct"]["balance"]) != "99.99" || e0["cust"]["risk_rating"] != int64(43) {
				t.Fatalf("after updates: %v", e0)
			}
			if got := missingOf(out[1]); len(got) != 1 || got[0] != "merch" {
				t.Fatalf("deleted merchant: enrich_missing %v", got)
			}
			break
		}
		if time.Now().After(guard) {
			t.Fatalf("updates never became visible: %v / %v", e0, e1)
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, obj := range []string{"acct", "cust", "merch"} {
		if v, ok := sink.value("enrich_lookups_total", "enrich_follow", obj); !ok || v == 0 {
			t.Errorf("enrich_lookups_total{%s} = %d, %v", obj, v, ok)
		}
		if _, ok := sink.value("enrich_key_errors_total", "enrich_follow", obj); !ok {
			t.Errorf("enrich_key_errors_total{%s} not created at start", obj)
		}
	}
	if v, _ := sink.value("enrich_null_keys_total", "enrich_follow", "merch"); v != 1 {
		t.Errorf("null merchant keys counted %d, want 1", v)
	}
	if v, _ := sink.value("enrich_misses_total", "enrich_follow", "merch"); v == 0 {
		t.Error("the deleted merchant's miss was not counted")
	}
	if v, _ := sink.value("enrich_index_rows", "enrich_follow", "acct"); v != 3 {
		t.Errorf("enrich_index_rows{acct} = %d, want 3", v)
	}
	if v, _ := sink.value("enrich_index_bytes", "enrich_follow", "acct"); v <= 0 {
		t.Errorf("enrich_index_bytes{acct} = %d", v)
	}
	if v, _ := sink.value("enrich_table_version", "enrich_follow", "merch"); v < 3 {
		t.Errorf("enrich_table_version{merch} = %d", v)
	}
}

// TestWaitsThenContinuesFlagged: a transaction whose account reaches silver while it waits is
// enriched; one whose account never comes continues after max_wait with nulls, flagged in
// enrich_missing, in the row (missing_field) and in the metrics.
func TestWaitsThenContinuesFlagged(t *testing.T) {
	dir := t.TempDir()
	accts := newSilver(t, dir, "accounts", 2)
	accts.write("c", account(1, 7, "1.00", "active"))
	conf := fmt.Sprintf(`
lookups:
  - name: acct
    table: %s/silver/accounts
    key: account_id
    columns: [ status, balance ]
    row_prefix: acct_
poll_interval: 1h
wait_poll_interval: 5ms
max_wait: %%s
missing_field: enrich_missing
`, dir)
	// Catches up: max_wait is far beyond when the commit lands (a deadlock guard).
	res, _ := enricher(t, "enrich_wait", fmt.Sprintf(conf, "10m"))
	done := make(chan service.MessageBatch, 1)
	go func() {
		out, err := tryProcess(res, "enrich_wait", service.NewMessage([]byte(tx(1, 9, 7, nil))))
		if err != nil {
			t.Error(err)
		}
		done <- out
	}()
	guard := time.Now().Add(60 * time.Second)
	for v, _ := sink.value("enrich_waiting_rows", "enrich_wait", "acct"); v != 1; v, _ = sink.value("enrich_waiting_rows", "enrich_wait", "acct") {
		if time.Now().After(guard) {
			t.Fatal("the transaction never waited")
		}
		time.Sleep(2 * time.Millisecond)
	}
	accts.write("c", account(9, 7, "9.90", "active"))
	out := <-done
	env := envOf(t, out[0])
	if env["acct"]["status"] != "active" || missingOf(out[0]) != nil {
		t.Fatalf("after catching up: %v, missing %v", env, missingOf(out[0]))
	}
	row, _ := out[0].AsStructured()
	r := row.(map[string]any)
	if r["acct_balance"] != "9.90" || r["acct_status"] != "active" || r["enrich_missing"] != nil || r["transaction_id"] == nil {
		t.Fatalf("row %v", r)
	}
	if v, _ := sink.value("enrich_waits_total", "enrich_wait", "acct"); v != 1 {
		t.Fatalf("enrich_waits_total = %d", v)
	}

	// Does not catch up.
	res2, _ := enricher(t, "enrich_nowait", fmt.Sprintf(conf, "30ms"))
	out = process(t, res2, "enrich_nowait", service.NewMessage([]byte(tx(2, 404, 7, nil))), service.NewMessage([]byte(tx(3, 1, 7, nil))))
	if got := missingOf(out[0]); len(got) != 1 || got[0] != "acct" {
		t.Fatalf("enrich_missing %v", got)
	}
	env = envOf(t, out[0])
	if v, ok := env["acct"]["status"]; !ok || v != nil {
		t.Fatalf("missing account: %v", env)
	}
	row, _ = out[0].AsStructured()
	r = row.(map[string]any)
	if r["enrich_missing"] != "acct" || r["acct_status"] != nil {
		t.Fatalf("row %v", r)
	}
	if _, present := r["acct_balance"]; !present {
		t.Fatalf("the prefixed columns must be present as null: %v", r)
	}
	if envOf(t, out[1])["acct"]["status"] != "active" || missingOf(out[1]) != nil {
		t.Fatal("the found account of the same batch")
	}
	if v, _ := sink.value("enrich_misses_total", "enrich_nowait", "acct"); v != 1 {
		t.Fatalf("enrich_misses_total = %d", v)
	}
	if v, _ := sink.value("enrich_waits_total", "enrich_nowait", "acct"); v != 1 {
		t.Fatalf("enrich_waits_total = %d", v)
	}
}

// TestPassesThroughWhatItDoesNotEnrich: errored and non-row messages pass unchanged; a body
// that is not a JSON object is failed with a reason; a delete never waits.
func TestPassesThroughWhatItDoesNotEnrich(t *testing.T) {
	dir := t.TempDir()
	accts := newSilver(t, dir, "accounts", 1)
	accts.write("c", account(1, 7, "1.00", "active"))
	res, _ := enricher(t, "enrich_pass", fmt.Sprintf("lookups:\n  - { name: acct, table: %s/silver/accounts, key: account_id, columns: [status] }\nmax_wait: 10m\n", dir))
	failed := service.NewMessage([]byte(`not json`))
	failed.SetError(fmt.Errorf("earlier failure"))
	tomb := service.NewMessage(nil)
	tomb.MetaSetMut("debezium_kind", "tombstone")
	bad := service.NewMessage([]byte(`[1,2]`))
	del := service.NewMessage([]byte(strings.Replace(tx(5, 404, 7, nil), `"_op":"c"`, `"_op":"d","_deleted":true`, 1)))
	out := process(t, res, "enrich_pass", failed, tomb, bad, del)
	for i, m := range out[:2] {
		if _, ok := m.MetaGetMut(MetaEnv); ok {
			t.Errorf("message %d was enriched", i)
		}
	}
	if out[2].GetError() == nil {
		t.Fatal("a JSON array passed")
	}
	if r, _ := out[2].MetaGet(MetaErrorReason); r != "malformed_json" {
		t.Fatalf("reason %q", r)
	}
	if got := missingOf(out[3]); len(got) != 1 {
		t.Fatalf("the delete's missing account: %v", got)
	}
	if v, _ := sink.value("enrich_errors_total", "enrich_pass", "malformed_json"); v != 1 {
		t.Fatalf("enrich_errors_total = %d", v)
	}
	if v, _ := sink.value("enrich_waits_total", "enrich_pass", "acct"); v != 0 {
		t.Fatal("a delete waited")
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	accts := newSilver(t, dir, "accounts", 2)
	accts.write("c", account(1, 7, "1.00", "active"))
	table := dir + "/silver/accounts"
	cases := map[string]string{
		"lookups: []": "at least one lookup",
		"lookups:\n  - { name: acct, table: " + table + ", key: account_id, columns: [colour] }":                                                                               `no column "colour"`,
		"lookups:\n  - { name: acct, table: " + table + ", key: account_id, columns: [status] }\n  - { name: acct, table: " + table + ", key: account_id, columns: [status] }": "used twice",
		"lookups:\n  - { name: acct, table: " + table + ", key: 'account_id + 1', columns: [status] }":                                                                         "table_key",
		"lookups:\n  - { name: 1x, table: " + table + ", key: account_id, columns: [status] }":                                                                                 "identifier",
		"lookups:\n  - { name: acct, table: " + table + ", key: 'account_id +', columns: [status] }\n":                                                                         "expression",
		"lookups:\n  - { name: acct, table: " + table + ", key: account_id, columns: [status], row_prefix: '' }":                                                               "row_prefix",
		"lookups:\n  - { name: acct, table: " + table + ", key: account_id, columns: [status] }\npoll_interval: 0s":                                                            "poll_interval",
	}
	for conf, want := range cases {
		parsed, err := processorSpec().ParseYAML(conf, nil)
		if err == nil {
			var p service.BatchProcessor
			p, err = newProcessor(parsed, service.MockResources())
			if err == nil {
				_ = p.Close(context.Background())
			}
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("config\n%s\nerror %v, want one containing %q", conf, err, want)
		}
	}
}

// TestConcurrentBatches: pipeline threads process batches concurrently while silver
// changes (run with -race).
func TestConcurrentBatches(t *testing.T) {
	dir := t.TempDir()
	accts := newSilver(t, dir, "accounts", 2)
	for i := 1; i <= 20; i++ {
		accts.write("c", account(i, i, fmt.Sprintf("%d.00", i), "active"))
	}
	res, _ := enricher(t, "enrich_conc", fmt.Sprintf("lookups:\n  - { name: acct, table: %s/silver/accounts, key: account_id, columns: [status, balance, customer_id] }\npoll_interval: 1ms\nmax_wait: 0s\n", dir))
	// Benthos v4.60.0 builds a lazy resource on its first access under a read lock, so two
	// first accesses at once race inside Benthos (CI, -race). Build it here, once.
	if _, err := tryProcess(res, "enrich_conc", service.NewMessage([]byte(tx(0, 1, 1, nil)))); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 4)
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				id := 1 + k%20
				out, err := tryProcess(res, "enrich_conc", service.NewMessage([]byte(tx(k, id, id, nil))))
				if err != nil {
					errs <- err
					return
				}
				v, _ := out[0].MetaGetMut(MetaEnv)
				a := v.(map[string]map[string]any)["acct"]
				// Every version of account id has customer_id id and a balance of n*100 + id.
				if a["customer_id"] != int64(id) {
					errs <- fmt.Errorf("account %d: %v", id, a)
					return
				}
				if d, ok := a["balance"].(schema.Decimal); !ok || d.Unscaled.Int64()%10000 != int64(id*100%10000) {
					errs <- fmt.Errorf("account %d: torn balance %v", id, a["balance"])
					return
				}
			}
		}()
	}
	for n := 1; n <= 10; n++ {
		var rows []string
		for i := 1; i <= 20; i += 1 + n%3 {
			rows = append(rows, account(i, i, fmt.Sprintf("%d.00", n*100+i), []string{"active", "frozen"}[n%2]))
		}
		accts.write("u", rows...)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
