package features

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ledgerflow/ledgerflow/schemas"
)

func txContract(t testing.TB) *schemas.Table {
	t.Helper()
	tx, err := schemas.Load("transactions")
	require.NoError(t, err)
	return tx
}

var testObjects = map[string]map[string]string{"merch": {"lat": "DECIMAL(9,6)", "lon": "DECIMAL(9,6)"}}

func loadDesign(t testing.TB) *Decl {
	t.Helper()
	d, err := Load("testdata/design.yaml", txContract(t), nil)
	require.NoError(t, err)
	return d
}

func TestParseDesignDeclaration(t *testing.T) {
	d := loadDesign(t)
	require.Equal(t, "event_ts", d.Time)
	require.Len(t, d.Keys, 6)
	require.Equal(t, []string{"account_id", "merchant_id"}, d.Keys[5].Columns)
	require.Equal(t, Watermark{MaxOutOfOrderness: 5e9, IdleTimeout: 10e9, MaxDelay: 30e9}, d.Watermark)
	var names []string
	for _, f := range d.Fields {
		names = append(names, f.Object+"."+f.Name+":"+f.Type)
	}
	require.Contains(t, names, "acct.amount_60d_n:int")
	require.Contains(t, names, "acct.amount_60d_mean:float")
	require.Contains(t, names, "acct.amount_60d_std:float")
	require.Contains(t, names, "acct.sum_24h:money")
	require.Contains(t, names, "acct.last_amounts:list<money>")
	require.Contains(t, names, "acct.last_tx_time:time")
	require.Contains(t, names, "acct.seen_merchant:bool")
	require.Contains(t, names, "acct.min_amount_24h:money")
	require.Contains(t, names, "ip.distinct_accounts_1h:int")
}

// The rules helper's declaration (pipelines/features/transactions.yaml in its worktree),
// which names enrichment fields (of: merch.lat).
func TestParseFraudDeclaration(t *testing.T) {
	path := filepath.Join("..", "..", "pipelines", "features", "transactions.yaml")
	if _, err := os.Stat(path); err != nil {
		path = "/work/h-fraud/pipelines/features/transactions.yaml"
	}
	if _, err := os.Stat(path); err != nil {
		t.Skip("no pipelines/features/transactions.yaml yet (written by the rules work)")
	}
	d, err := Load(path, txContract(t), testObjects)
	require.NoError(t, err)
	require.NotEmpty(t, d.Features)
	_, err = Load(path, txContract(t), nil)
	require.ErrorContains(t, err, `"merch.lat" is neither a column of transactions nor a field declared in objects`)
}

func TestParseErrorsNameTheLine(t *testing.T) {
	base := "time: event_ts\nkeys:\n  acct: account_id\nfeatures:\n"
	cases := []struct{ yaml, want string }{
		{base + "  - { name: c, key: acct, agg: count, window: 30s }\n", "x.yaml:5: feature c: window \"30s\" must be a duration from 1m to 400d"},
		{base + "  - { name: c, key: acct, agg: count, window: 401d }\n", "x.yaml:5: feature c: window \"401d\""},
		{base + "  - { name: c, key: acct, agg: avg, window: 1m }\n", "x.yaml:5: feature c: unknown agg \"avg\""},
		{base + "  - { name: c, key: merch, agg: count, window: 1m }\n", "x.yaml:5: feature c: key \"merch\" is not declared under keys"},
		{base + "  - { name: c, key: acct, agg: sum, window: 1m }\n", "x.yaml:5: feature c: agg sum needs of:"},
		{base + "  - { name: c, key: acct, agg: sum, of: amout, window: 1m }\n", "x.yaml:5: feature c: of: \"amout\" is not a column of transactions"},
		{base + "  - { name: c, key: acct, agg: sum, of: status, window: 1m }\n", "expected an integer or DECIMAL column"},
		{base + "  - { name: c, key: acct, agg: count, window: 1m, where: 'stat == \"failed\"' }\n", "x.yaml:5: feature c: where \"stat == \\\"failed\\\"\": unknown name stat"},
		{base + "  - { name: c, key: acct, agg: count, window: 1m, where: 'amount' }\n", "x.yaml:5: feature c: where"},
		{base + "  - { name: c, key: acct, agg: count, window: 1m }\n  - { name: c, key: acct, agg: count, window: 2m }\n", "x.yaml:6: feature c: acct.c is declared twice (first on line 5)"},
		{base + "  - { name: c, key: acct, agg: last_n, of: amount, window: 1m }\n", "x.yaml:5: feature c: agg last_n needs n: from 1 to 1000"},
		{base + "  - { name: c, key: acct, agg: count, window: 1m, n: 3 }\n", "x.yaml:5: feature c: agg count takes no n:"},
		{base + "  - { name: c, key: acct, agg: count, window: 1m, colour: red }\n", "x.yaml:5: feature c: unknown key \"colour\""},
		{"time: event_ts\nkeys:\n  acct: acount_id\nfeatures:\n  - { name: c, key: acct, agg: count, window: 1m }\n", "x.yaml:3: keys.acct: \"acount_id\" is not a column"},
		{"time: event_ts\nkeys:\n  user: account_id\n", "x.yaml:3: keys: unknown object \"user\""},
		{"time: amount\nkeys:\n  acct: account_id\nfeatures:\n  - { name: c, key: acct, agg: count, window: 1m }\n", "x.yaml:1: time: column amount is DECIMAL(18,2), expected DATE, DATETIME or TIMESTAMP"},
		{base + "watermark:\n  max_delay: soon\n", "watermark.max_delay: \"soon\" is not a duration"},
		{"keys:\n  acct: account_id\n", "time (the event-time column) is required"},
		{"time: event_ts\nkeys:\n  acct: account_id\nfeatures: []\n", "features must be a non-empty list"},
		{"time: event_ts\nzones: 1\n", "x.yaml:2: unknown key \"zones\""},
		{"time: [\n", "x.yaml: yaml:"},
	}
	for _, c := range cases {
		_, err := Parse("x.yaml", []byte(c.yaml), txContract(t), nil)
		require.Error(t, err, c.yaml)
		require.Contains(t, err.Error(), c.want, c.yaml)
		require.False(t, strings.Contains(err.Error(), "\n"), "one-line error: %q", err)
	}
}

func TestWatermarkDefaults(t *testing.T) {
	d, err := Parse("x.yaml", []byte("time: event_ts\nkeys: {acct: account_id}\nwatermark: {max_delay: 2m}\nfeatures:\n  - {name: c, key: acct, agg: count, window: 1m}\n"), txContract(t), nil)
	require.NoError(t, err)
	require.Equal(t, Watermark{MaxOutOfOrderness: 5 * time.Second, IdleTimeout: 10 * time.Second, MaxDelay: 2 * time.Minute}, d.Watermark)
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]string{"90s": "1m30s", "1h30m": "1h30m0s", "60d": "1440h0m0s", "2w": "336h0m0s", "250ms": "250ms", "0": "0s"} {
		d, err := ParseDuration(in)
		require.NoError(t, err, in)
		require.Equal(t, want, d.String(), in)
	}
	for _, in := range []string{"", "d", "5", "5y", "-5s", "1.5h", "99999999999999d"} {
		_, err := ParseDuration(in)
		require.Error(t, err, in)
	}
}

func TestDecExact(t *testing.T) {
	mustDec := func(s string) Dec { d, err := ParseDec(s); require.NoError(t, err); return d }
	require.Equal(t, 0, mustDec("1.50").Cmp(mustDec("1.5")))
	r, err := mustDec("1234.50").Rem(Dec{U: 1000})
	require.NoError(t, err)
	require.Equal(t, "234.50", r.String())
	f, err := decFromFloat(0.9)
	require.NoError(t, err)
	require.Equal(t, 0, f.Cmp(mustDec("0.9")))
	require.Equal(t, "-0.05", Dec{U: -5, Scale: 2}.String())
	_, err = Dec{U: 1 << 62}.Mul(Dec{U: 4})
	require.ErrorIs(t, err, errDecOverflow)
	// An unscaled value that cannot be rescaled still compares exactly.
	require.Equal(t, 1, Dec{U: 1 << 62}.Cmp(Dec{U: 5, Scale: 2}))
}
