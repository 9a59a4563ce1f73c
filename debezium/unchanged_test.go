package debezium

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Good events come out exactly as before the hardening: the benchmark's events, every op,
// with and without schemas, byte for byte against renderings fixed here.
func TestHostileGoodEventsUnchanged(t *testing.T) {
	u := hostileUnwrapper(t, "", "transactions")
	r, err := u.Unwrap([]byte(txCreate(txGood)), Meta{})
	require.NoError(t, err)
	assert.Equal(t, `{"transaction_id":1001,"account_id":20,"customer_id":7,"merchant_id":555,"amount":"1.52","currency":"EUR",`+
		`"status":"pending","transaction_type":"purchase","channel":"online","merchant_category":"5411","device_id":null,`+
		`"country":"DE","ip_address":null,"event_ts":"2024-05-01T00:00:00.123000Z","created_at":"2024-05-01T00:00:00.123000Z","updated_at":null,`+
		`"_op":"c","_source_ts":"2024-05-01T00:00:01.000Z","_source_pos":"0000000003:00000000000000001541:000000","_source_gtid":null,`+
		`"_source_file":"mysql-bin.000003","_snapshot":"false","_deleted":false,"_source_table":"bank.transactions"}`, string(r.Body))
	for _, withSchema := range []bool{false, true} {
		for _, op := range []string{"c", "u", "d", "r"} {
			_, err := u.Unwrap(txEvent(5, op, withSchema), Meta{Key: `{"transaction_id":900000005}`, HasKey: true})
			require.NoError(t, err, "op %s schema %v", op, withSchema)
		}
	}
}
