package fraud

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ledgerflow/ledgerflow/schemas"
)

func TestTheShippedEnvironment(t *testing.T) {
	d := shippedDescription(t)
	for key, want := range map[string]string{
		"tx.amount": "money", "tx.account_id": "int", "tx.merchant_id": "int (nullable)", "tx.event_ts": "time",
		"tx.event_time": "time", "tx.local_hour": "int", "tx.op": "string", "tx.source_pos": "string (nullable)",
		"tx.status": "string", "acct.count_1m": "int", "acct.sum_24h": "money", "acct.amount_60d_n": "int",
		"acct.amount_60d_mean": "float", "acct.amount_60d_std": "float", "acct.last_tx_time": "time (nullable)",
		"acct.last_amounts": "list<money>", "acct.seen_merchant": "bool", "acct.balance": "money (nullable)",
		"acct.created_at": "time (nullable)", "merch.lat": "float (nullable)", "acct.prev_lat_1h": "list<float>",
		"pair.last_amounts_48h": "list<money>", "cust.near_ctr_count_24h": "int", "merch.small_count_10m": "int",
	} {
		o, f, _ := cut(key)
		fd, ok := d.Field(o, f)
		require.True(t, ok, key)
		got := fd.Type.String()
		if fd.Nullable {
			got += " (nullable)"
		}
		assert.Equal(t, want, got, key)
	}
	assert.Contains(t, d.String(), "acct.count_1m int\n")
}

func TestANameDeclaredTwiceInAnObjectIsAnError(t *testing.T) {
	dir := t.TempDir()
	f := write(t, dir, "f.yaml", "time: event_ts\nkeys: { acct: account_id }\nfeatures:\n  - { name: balance, key: acct, agg: count, window: 1m }\n")
	_, err := LoadDescription(EnvironmentConfig{SchemaFile: "../../schemas/transactions.yaml", FeaturesFile: f,
		Objects: map[string]map[string]string{"acct": {"balance": "DECIMAL(18,2)"}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "acct.balance is declared twice: in objects and in "+f+":4")

	_, err = LoadDescription(EnvironmentConfig{SchemaFile: "../../schemas/transactions.yaml",
		Objects: map[string]map[string]string{"tx": {"extra": "INT"}}})
	assert.ErrorContains(t, err, "tx comes from schema_file")
	_, err = LoadDescription(EnvironmentConfig{SchemaFile: "../../schemas/transactions.yaml",
		Objects: map[string]map[string]string{"account": {"x": "INT"}}})
	assert.ErrorContains(t, err, `unknown object "account"`)
	_, err = LoadDescription(EnvironmentConfig{SchemaFile: "../../schemas/transactions.yaml",
		Objects: map[string]map[string]string{"acct": {"x": "MONEY"}}})
	assert.ErrorContains(t, err, "acct.x")
	_, err = LoadDescription(EnvironmentConfig{})
	assert.ErrorContains(t, err, "schema_file")

	tab, err := schemas.Parse([]byte("table: t\ncolumns:\n  - { name: op, type: INT }\n"))
	require.NoError(t, err)
	assert.ErrorContains(t, NewDescription().AddContract(tab, "t.yaml", ""), "tx.op is declared twice: in t.yaml and in the rule engine")
}

func TestFeaturesDeclarationErrorsAreLocated(t *testing.T) {
	tx, err := schemas.Load("../../schemas/transactions.yaml")
	require.NoError(t, err)
	objects := map[string]map[string]string{"merch": {"lat": "DOUBLE"}}
	head := "time: event_ts\nkeys:\n  acct: account_id\n  pair: [account_id, merchant_id]\nfeatures:\n"
	for feature, msg := range map[string]string{
		"  - { name: a, key: acct, agg: median, window: 1m }":                                                                  `f.yaml:6: feature a: unknown agg "median"`,
		"  - { name: a, key: acct, agg: count, window: 30s }":                                                                  `f.yaml:6: feature a: window "30s" must be a duration from 1m to 400d`,
		"  - { name: a, key: acct, agg: count, window: 401d }":                                                                 `window "401d"`,
		"  - { name: a, key: acct, agg: count }":                                                                               "window is required",
		"  - { name: a, key: acct, agg: sum, window: 1h }":                                                                     "agg sum needs of:",
		"  - { name: a, key: acct, agg: count, of: amount, window: 1h }":                                                       "agg count takes no of:",
		"  - { name: a, key: acct, agg: last_n, of: amount, window: 1h }":                                                      "agg last_n needs n: from 1 to 1000",
		"  - { name: a, key: acct, agg: seen, of: amount, n: 3, window: 1h }":                                                  "agg seen takes no n:",
		"  - { name: a, key: cust, agg: count, window: 1h }":                                                                   `key "cust" is not declared under keys`,
		"  - { name: a, key: acct, agg: sum, of: amout, window: 1h }":                                                          `"amout" is not a column of transactions`,
		"  - { name: a, key: acct, agg: sum, of: currency, window: 1h }":                                                       "sum of currency (string): expected a numeric column",
		"  - { name: a, key: acct, agg: sum, of: merch.lon, window: 1h }":                                                      `"merch.lon" is neither a column`,
		"  - { name: a, key: acct, agg: count, window: 1h, where: 'amount > \"x\"' }":                                          "where",
		"  - { name: a, key: acct, agg: count, window: 1h, where: 'amout > 1' }":                                               "unknown name amout",
		"  - { name: a-b, key: acct, agg: count, window: 1h }":                                                                 `name "a-b" must be an identifier`,
		"  - { name: a, key: acct, agg: count, window: 1h, colour: red }":                                                      `unknown key "colour"`,
		"  - { name: a, key: acct, agg: stats, of: amount, window: 1h }\n  - { name: a_n, key: acct, agg: count, window: 1h }": "acct.a_n is declared twice (first on line 6)",
	} {
		_, err := ParseFeatures("f.yaml", []byte(head+feature+"\n"), tx, objects)
		require.Error(t, err, feature)
		assert.Contains(t, err.Error(), msg, feature)
	}
	for doc, msg := range map[string]string{
		"keys: { acct: account_id }\nfeatures: []\n":                                                 "time (the event-time column) is required",
		"time: amount\nkeys: { acct: account_id }\nfeatures: []\n":                                   "column amount is DECIMAL(18,2), expected DATE, DATETIME or TIMESTAMP",
		"time: event_ts\nkeys: { tx: account_id }\nfeatures: []\n":                                   `unknown object "tx"`,
		"time: event_ts\nkeys: { acct: acct_id }\nfeatures: []\n":                                    `"acct_id" is not a column`,
		"time: event_ts\nkeys: { acct: account_id }\nwatermark: { max_delay: soon }\nfeatures: []\n": "watermark.max_delay",
		"time: event_ts\nkeys: { acct: account_id }\nfeatures: {}\n":                                 "features must be a list",
		"time: event_ts\nkeys: { acct: account_id }\nfeatures: []\nextra: 1\n":                       `unknown key "extra"`,
		"":          "empty features declaration",
		"time: [\n": "f.yaml",
	} {
		_, err := ParseFeatures("f.yaml", []byte(doc), tx, objects)
		require.Error(t, err, doc)
		assert.Contains(t, err.Error(), msg, doc)
	}
	f, err := ParseFeatures("f.yaml", []byte(head+"  - { name: lat, key: acct, agg: last_n, of: merch.lat, n: 1, window: 1h }\n  - { name: s, key: pair, agg: stats, of: amount, window: 60d }\n"), tx, objects)
	require.NoError(t, err)
	var names []string
	for _, ff := range f.Fields {
		names = append(names, ff.Object+"."+ff.Name+":"+ff.Type.String())
	}
	assert.Equal(t, "acct.lat:list<float> pair.s_n:int pair.s_mean:float pair.s_std:float", strings.Join(names, " "))
	assert.Equal(t, []string{"account_id", "merchant_id"}, f.Keys["pair"])
}
