package plugins

// ours lists the components LedgerFlow itself implements, by kind, so that `ledgerflow docs`
// documents them and not the whole Benthos core.
var ours = map[string]map[string]bool{
	"input":     {"kafka": true, "mysql_cdc": true, "bank_simulator": true},
	"processor": {"debezium_unwrap": true, "fraud_rules": true, "features": true},
	"output":    {"delta_lake": true, "kafka": true},
	"metrics":   {"prometheus": true},
}

// IsOurs reports whether the component of that kind and name is one of LedgerFlow's own.
func IsOurs(kind, name string) bool { return ours[kind][name] }
