package debezium

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An error about a column the contract tags pii: never quotes the value (the message ends
// up in the dead-letter reason and in logs); it says what JSON type and how long it was.
func TestPIIValuesWithheldFromErrors(t *testing.T) {
	u := hostileUnwrapper(t, "", "customers", "transactions")
	cust := `{"customer_id":7,"first_name":"Ada","last_name":"Lovelace","email":"ada@example.org","phone":null,"date_of_birth":-56270,` +
		`"country":"GB","kyc_status":"verified","risk_rating":200,"created_at":1714521600000,"updated_at":null}`
	custEv := func(after string) string {
		return `{"before":null,"after":` + after + `,"source":{"db":"bank","table":"customers","file":"mysql-bin.000001","pos":4,"row":0,"ts_ms":1},"op":"c"}`
	}
	secret := "sekrit" + strings.Repeat("x", 289) + "@b.c" // 299 characters
	cases := []struct {
		name, body, reason, secret string
		want                       []string
	}{
		{"contract_length on email", custEv(set(cust, "email", `"`+secret+`"`)), "contract_length", "sekrit",
			[]string{"after.email", "got a string of 299 characters (value withheld: pii contact)", "at most 255 characters for VARCHAR(255)"}},
		{"multibyte characters are counted as characters", custEv(set(cust, "phone", `"`+strings.Repeat("☎", 33)+`"`)), "contract_length", "☎",
			[]string{"after.phone", "a string of 33 characters (value withheld: pii contact)"}},
		{"escapes are counted decoded", custEv(set(cust, "phone", `"`+strings.Repeat(`\u260e`, 33)+`"`)), "contract_length", `\u260e`,
			[]string{"a string of 33 characters"}},
		{"type_mismatch on email", custEv(set(cust, "email", `4915112345678`)), "type_mismatch", "4915112345678",
			[]string{"after.email", "got a number of 13 characters (value withheld: pii contact)", "expected a string"}},
		{"an object in a name", custEv(set(cust, "first_name", `{"real":"Ada"}`)), "type_mismatch", "Ada",
			[]string{"after.first_name", "got an object of 14 characters (value withheld: pii name)"}},
		{"contract_range on date_of_birth", custEv(set(cust, "date_of_birth", `-400000`)), "contract_range", "400000",
			[]string{"after.date_of_birth", "got a number of 7 characters (value withheld: pii identity)"}},
		{"invalid_utf8 in last_name", custEv(set(cust, "last_name", "\"Lov\xffelace\"")), "invalid_utf8", "Lov",
			[]string{"after.last_name", "(value withheld: pii name)"}},
		{"pii columns with fitting values pass", txCreate(set(set(txGood, "device_id", `"dev-42-secret"`), "ip_address", `"10.1.2.3"`)), "", "", nil},
		{"contract_length on device_id", txCreate(set(txGood, "device_id", `"`+strings.Repeat("d", 60)+`-secret"`)), "contract_length", "secret",
			[]string{"after.device_id", "a string of 67 characters (value withheld: pii device)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := u.Unwrap([]byte(c.body), Meta{})
			if c.reason == "" {
				require.NoError(t, err)
				return
			}
			e := requireReason(t, err, Reason(c.reason))
			assert.NotContains(t, err.Error(), c.secret, "the value is quoted")
			assert.NotContains(t, e.Value, c.secret)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	// Columns without a pii tag keep quoting the value: the operator needs it.
	_, err := u.Unwrap([]byte(custEv(set(cust, "country", `"GBR"`))), Meta{})
	requireReason(t, err, ReasonContractLength)
	assert.Contains(t, err.Error(), "got GBR")

	// With Connect schemas the contract's tags hold too.
	good := string(txEvent(1, "c", true))
	bad := strings.Replace(good, `"device_id":"dev-`, `"device_id":"`+strings.Repeat("s", 70)+`-`, 1)
	require.NotEqual(t, good, bad)
	_, err = u.Unwrap([]byte(bad), Meta{})
	requireReason(t, err, ReasonContractLength)
	assert.NotContains(t, err.Error(), "ssss")
	assert.Contains(t, err.Error(), "(value withheld: pii device)")

	// A key column tagged pii: the key_mismatch quotes neither the key's nor the row's value.
	pk := hostileUnwrapper(t, "", "table: p\ndatabase: d\nprimary_key: [email]\ncolumns:\n  - {name: email, type: VARCHAR(100), nullable: false, pii: contact}\n")
	ev := `{"before":null,"after":{"email":"row@example.org"},"source":{"db":"d","table":"p","file":"b.000001","pos":4,"row":0},"op":"c"}`
	_, err = pk.Unwrap([]byte(ev), Meta{Key: `{"email":"key@example.org"}`, HasKey: true})
	requireReason(t, err, ReasonKeyMismatch)
	assert.NotContains(t, err.Error(), "example.org")
	assert.Contains(t, err.Error(), "a string of 15 characters (value withheld: pii contact)")
	_, err = pk.Unwrap([]byte(ev), Meta{Key: `{"email":"row@example.org"}`, HasKey: true})
	require.NoError(t, err)
}
