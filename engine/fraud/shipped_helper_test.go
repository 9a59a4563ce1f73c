package fraud

import "testing"

const shippedRules = "../../pipelines/rules/*.yaml"

// shippedDescription is the environment of the shipped rules: the transactions contract,
// the shipped features declaration and the enrichment fields of the fraud_rules example.
func shippedDescription(tb testing.TB) *Description {
	tb.Helper()
	d, err := LoadDescription(EnvironmentConfig{
		SchemaFile:   "../../schemas/transactions.yaml",
		FeaturesFile: "../../pipelines/features/transactions.yaml",
		Objects: map[string]map[string]string{
			"acct":  {"currency": "CHAR(3)", "status": "ENUM('active','frozen','closed')", "balance": "DECIMAL(18,2)", "created_at": "DATETIME(3)"},
			"merch": {"mcc": "CHAR(4)", "country": "CHAR(2)", "lat": "DOUBLE", "lon": "DOUBLE", "risk_tier": "ENUM('low','medium','high')"},
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return d
}
