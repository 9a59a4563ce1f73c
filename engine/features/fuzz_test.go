package features

import (
	"os"
	"strings"
	"testing"
)

// FuzzParse: any input either parses into a declaration or fails with a one-line error
// naming the file; it never panics.
func FuzzParse(f *testing.F) {
	design, err := os.ReadFile("testdata/design.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(design))
	f.Add("time: event_ts\nkeys: {acct: account_id}\nfeatures:\n  - {name: c, key: acct, agg: count, window: 1m, where: 'amount % 3 == 1'}\n")
	f.Add("time: event_ts\nkeys: &k {acct: account_id}\nx: *k\n")
	f.Add("keys: [")
	tx := txContract(f)
	f.Fuzz(func(t *testing.T, src string) {
		d, err := Parse("f.yaml", []byte(src), tx, testObjects)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if len(d.Features) == 0 || len(d.Fields) < len(d.Features) {
			t.Fatalf("parsed a declaration without features: %+v", d)
		}
	})
}

// FuzzVersion: any row either becomes a version or fails with a RowError; never a panic.
// A version that parses is registered and scored without panicking.
func FuzzVersion(f *testing.F) {
	f.Add(`{"transaction_id":1,"account_id":7,"customer_id":1,"merchant_id":5,"amount":"12.50","currency":"EUR","status":"failed","transaction_type":"purchase","device_id":"d","ip_address":"1.2.3.4","event_ts":"2026-01-01T00:00:00.000000Z","_op":"c","_source_ts":"2026-01-01T00:00:01.000Z","_source_pos":"0000000001:00000000000000001000:000000","_kafka_topic":"t","_kafka_partition":0,"_kafka_offset":1,"_before":{"a":[1,2,{"b":null}]}}`)
	f.Add(`{"transaction_id":2,"account_id":7,"customer_id":1,"amount":-3,"event_ts":"2026-01-01T00:00:00Z","_op":"u","_source_ts":null,"_source_pos":"x"}`)
	f.Add(`{"transaction_id":"3"}`)
	f.Add(`[1,2]`)
	d, err := Load("testdata/design.yaml", txContract(f), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, row string) {
		v, err := d.Version([]byte(row), map[string]map[string]any{"merch": {"lat": row}})
		if err != nil {
			if _, ok := err.(*RowError); !ok {
				t.Fatalf("not a RowError: %T %v", err, err)
			}
			return
		}
		e := New(d, Options{Mode: OnArrival})
		tk, _ := e.Submit(t0, []Version{v, v})
		_ = tk[1].Result()
	})
}
