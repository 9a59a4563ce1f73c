package pii

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ledgerflow/ledgerflow/schemas"
)

func TestPlanAcceptsTheRolloutPolicies(t *testing.T) {
	p, err := NewPlan(load(t, "customers"), customerPolicies)
	require.NoError(t, err)
	assert.Equal(t, map[string]Policy{"email": Hash, "phone": Hash, "date_of_birth": Year}, p.Rules())
	assert.Equal(t, []string{"first_name (name)", "last_name (name)"}, p.Kept)
	assert.True(t, p.NeedsKey())

	p, err = NewPlan(load(t, "transactions"), map[string]string{"ip_address": "mask", "device_id": "hash"})
	require.NoError(t, err)
	assert.Equal(t, maskIP, p.byName["ip_address"].mask)
}

// A pii-tagged column without a policy refuses to start: there is no implicit keep.
func TestPlanRefusesUnlistedPIIColumns(t *testing.T) {
	_, err := NewPlan(load(t, "customers"), map[string]string{"email": "hash", "phone": "hash", "date_of_birth": "year"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "first_name (pii: name), last_name (pii: name)")
	assert.Contains(t, err.Error(), "no policy")

	// A contract without pii columns (accounts) needs no policy at all.
	p, err := NewPlan(load(t, "accounts"), map[string]string{})
	require.NoError(t, err)
	assert.False(t, p.NeedsKey())
}

func TestPlanRejectsPoliciesThatDoNotFit(t *testing.T) {
	base := map[string]string{"first_name": "keep", "last_name": "keep", "email": "hash", "phone": "hash", "date_of_birth": "year"}
	cases := map[string]struct {
		col, policy, want string
	}{
		"unknown column":        {"e_mail", "hash", `column "e_mail" is not in contract customers`},
		"hash on a number":      {"risk_rating", "hash", "policy hash needs a CHAR, VARCHAR, TEXT, ENUM or SET column; TINYINT UNSIGNED"},
		"mask on a date":        {"date_of_birth", "mask", "policy mask needs a CHAR"},
		"year on a string":      {"email", "year", "policy year needs a DATE, DATETIME or TIMESTAMP column, not VARCHAR(255)"},
		"drop on NOT NULL":      {"email", "drop", "policy drop on a NOT NULL column"},
		"drop on the key":       {"customer_id", "drop", "primary key"},
		"unknown policy":        {"phone", "hsh", `policy "hsh" is not one of keep, hash, mask, drop, year`},
		"empty policy":          {"phone", "", `policy "" is not one of`},
		"year on a datetime ok": {"created_at", "year", ""},
		"drop on nullable ok":   {"phone", "drop", ""},
		"mask on an enum ok":    {"kyc_status", "mask", ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			pol := map[string]string{}
			for k, v := range base {
				pol[k] = v
			}
			pol[c.col] = c.policy
			_, err := NewPlan(load(t, "customers"), pol)
			if c.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// Keys are case-insensitive like MySQL's names: two spellings of one column conflict.
func TestPlanColumnNamesAreCaseInsensitive(t *testing.T) {
	p, err := NewPlan(load(t, "transactions"), map[string]string{"IP_Address": "mask", "device_id": "hash"})
	require.NoError(t, err)
	assert.Equal(t, map[string]Policy{"ip_address": Mask, "device_id": Hash}, p.Rules(), "the contract's spelling")

	_, err = NewPlan(load(t, "transactions"), map[string]string{"ip_address": "mask", "IP_ADDRESS": "keep", "device_id": "hash"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "are the same column ip_address")
}

func TestPlanKeyColumns(t *testing.T) {
	tb, err := schemas.Parse([]byte(`
table: users
primary_key: [login]
columns:
  - { name: login, type: VARCHAR(64), nullable: false, pii: contact }
  - { name: born, type: DATE, pii: identity }
`))
	require.NoError(t, err)
	for pol, want := range map[string]string{"hash": "", "keep": "", "mask": "merge into one row", "drop": "primary key"} {
		_, err := NewPlan(tb, map[string]string{"login": pol, "born": "keep"})
		if want == "" {
			assert.NoError(t, err, pol)
		} else if assert.Error(t, err, pol) {
			assert.Contains(t, err.Error(), want)
		}
	}
}

// Every problem is reported in one go, so that a config is fixed in one round.
func TestPlanReportsAllProblems(t *testing.T) {
	_, err := NewPlan(load(t, "customers"), map[string]string{"nope": "hash", "email": "year", "phone": "x"})
	require.Error(t, err)
	for _, want := range []string{`"nope"`, "column email: policy year", `column phone: policy "x"`, "first_name (pii: name)", "date_of_birth (pii: identity)"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestMaskKindFollowsTheContractClass(t *testing.T) {
	for class, want := range map[string]maskKind{"network": maskIP, "contact": maskContact, "name": maskName, "identity": maskRedact, "device": maskRedact, "": maskRedact, "Network": maskIP} {
		assert.Equal(t, want, maskFor(class), class)
	}
}
