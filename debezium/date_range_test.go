package debezium

import (
	"strings"
	"testing"
)

// DATE and DATETIME hold MySQL's documented supported range, 1000-01-01 .. 9999-12-31
// (23:59:59.999999): the values next to the limits pass, one day or millisecond beyond
// fails contract_range.
func TestDateTimeRange(t *testing.T) {
	u := hostileUnwrapper(t, "", "customers", "accounts", "transactions")
	cust := `{"customer_id":7,"first_name":"Ada","last_name":"Lovelace","email":"ada@example.org","phone":null,"date_of_birth":-56270,` +
		`"country":"GB","kyc_status":"verified","risk_rating":200,"created_at":1714521600000,"updated_at":null}`
	custEv := func(after string) string {
		return `{"before":null,"after":` + after + `,"source":{"db":"bank","table":"customers","file":"mysql-bin.000001","pos":4,"row":0,"ts_ms":1},"op":"c"}`
	}
	runHostile(t, u, []hostileCase{
		{"DATE 1000-01-01", custEv(set(cust, "date_of_birth", `-354285`)), nil, "", []string{`"date_of_birth":"1000-01-01"`}},
		{"DATE 0999-12-31 (found by the hostile corpus)", custEv(set(cust, "date_of_birth", `-354286`)), nil, "contract_range", []string{"after.date_of_birth", "1000-01-01 .. 9999-12-31"}},
		{"DATE 0000-01-01", custEv(set(cust, "date_of_birth", `-719528`)), nil, "contract_range", nil},
		{"DATE 9999-12-31", custEv(set(cust, "date_of_birth", `2932896`)), nil, "", []string{`"date_of_birth":"9999-12-31"`}},
		{"DATE 10000-01-01", custEv(set(cust, "date_of_birth", `2932897`)), nil, "contract_range", nil},
		{"DATETIME 1000-01-01 00:00:00.000", custEv(set(cust, "created_at", `-30610224000000`)), nil, "", []string{`"created_at":"1000-01-01T00:00:00.000000Z"`}},
		{"DATETIME one ms before 1000 (found by the hostile corpus)", custEv(set(cust, "created_at", `-30610224000001`)), nil, "contract_range", []string{"after.created_at", "1000-01-01 00:00:00 .. 9999-12-31 23:59:59.999999"}},
		{"DATETIME 9999-12-31 23:59:59.999", custEv(set(cust, "created_at", `253402300799999`)), nil, "", nil},
		{"DATETIME 10000-01-01", custEv(set(cust, "created_at", `253402300800000`)), nil, "contract_range", nil},
		{"DATETIME ISO 0999-12-31T23:59:59.999Z", txCreate(set(txGood, "event_ts", `"0999-12-31T23:59:59.999Z"`)), nil, "contract_range", nil},
		{"DATETIME ISO 1000-01-01T00:00:00Z", txCreate(set(txGood, "event_ts", `"1000-01-01T00:00:00Z"`)), nil, "", nil},
		{"DATETIME ISO with offset back over the limit", txCreate(set(txGood, "event_ts", `"1000-01-01T00:30:00+01:00"`)), nil, "contract_range", nil},
	})
	// With Connect schemas the contract's range holds too.
	good := string(txEvent(1, "c", true))
	at := func(v string) string {
		return strings.Replace(good, `"event_ts":1731327659137`, `"event_ts":`+v, 1)
	}
	if at("1") == good {
		t.Fatal("fixture changed: no event_ts to replace")
	}
	runHostile(t, u, []hostileCase{
		{"schema: DATETIME 1000-01-01", at("-30610224000000"), nil, "", nil},
		{"schema: DATETIME one ms before 1000", at("-30610224000001"), nil, "contract_range", nil},
	})
}
