package debezium

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// TestEagerTypingMatchesSpanTyping: the first event of a schema/contract is typed from spans
// after the source block is read, later ones eagerly in one pass; both must render the same.
func TestEagerTypingMatchesSpanTyping(t *testing.T) {
	tx, err := schemas.Load("transactions")
	require.NoError(t, err)
	for _, withSchema := range []bool{false, true} {
		for _, op := range []string{"c", "u", "d", "r"} {
			o := DefaultOptions()
			o.Contracts = []*schemas.Table{tx}
			u := mustNew(t, o)
			ev := txEvent(11, op, withSchema)
			first, err := u.Unwrap(ev, Meta{})
			require.NoError(t, err)
			second, err := u.Unwrap(ev, Meta{})
			require.NoError(t, err)
			assert.Equal(t, string(first.Body), string(second.Body))
			assert.Contains(t, string(first.Body), `"amount":"`)
		}
	}
}

// TestEagerMispredictionFallsBack: a schemaless event of another table after a typed one
// must not be typed with the previous table's contract.
func TestEagerMispredictionFallsBack(t *testing.T) {
	tx, err := schemas.Load("transactions")
	require.NoError(t, err)
	acc, err := schemas.Load("accounts")
	require.NoError(t, err)
	o := DefaultOptions()
	o.Contracts = []*schemas.Table{tx, acc}
	u := mustNew(t, o)
	_, err = u.Unwrap(txEvent(1, "c", false), Meta{})
	require.NoError(t, err)
	accEv := `{"before":null,"after":{"account_id":5,"customer_id":1,"account_type":"checking","currency":"EUR","balance":"AJg=","status":"active","overdraft_allowed":0,"created_at":0,"amount":"x"},` +
		`"source":{"db":"bank","table":"accounts","file":"mysql-bin.000001","pos":1,"row":0},"op":"c"}`
	r, err := u.Unwrap([]byte(accEv), Meta{})
	require.NoError(t, err, "amount is not an accounts column, so it is not typed as the transactions decimal")
	assert.Contains(t, string(r.Body), `"balance":"1.52","status":"active","overdraft_allowed":false,"created_at":"1970-01-01T00:00:00.000000Z","amount":"x"`)
	assert.Equal(t, []string{"amount"}, r.UnknownColumns)
	// A wrong value is still reported with the right contract's expectation.
	_, err = u.Unwrap([]byte(strings.Replace(accEv, `"overdraft_allowed":0`, `"overdraft_allowed":"no"`, 1)), Meta{})
	e := requireReason(t, err, ReasonTypeMismatch)
	assert.Equal(t, "after.overdraft_allowed", e.Field)
}
