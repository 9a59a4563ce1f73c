package fraud

import (
	"github.com/redpanda-data/benthos/v4/public/service"
)

const (
	fRules          = "rules"
	fBands          = "bands"
	fBandName       = "name"
	fBandBelow      = "below"
	fEnvironment    = "environment"
	fSchemaFile     = "schema_file"
	fFeaturesFile   = "features_file"
	fObjects        = "objects"
	fReloadInterval = "reload_interval"
	fReloadOnSIGHUP = "reload_on_sighup"
	fEnvMetadata    = "env_metadata"
	fOps            = "ops"
)

// Metadata the processor reads and sets.
const (
	// MetaEnv is the default structured metadata key of the values upstream processors
	// (enrich, features) give the rules: map[string]map[string]any, object -> field -> value.
	MetaEnv = "ledgerflow_env"
	// MetaBand and MetaScore carry the result (a string and an int64).
	MetaBand  = "fraud_band"
	MetaScore = "fraud_score"
	// MetaRuleErrors lists, comma-separated, the rules that failed at run time on the message.
	MetaRuleErrors = "fraud_rules_errors"
	// MetaErrorReason is set, with the message's error, when the row could not be read:
	// invalid_row (not a JSON object).
	MetaErrorReason = "fraud_error_reason"
)

// ExampleConfig is the documented configuration of the shipped rules
// (pipelines/rules/*.yaml): their test (shipped_test.go) compiles them against exactly this
// environment, so the example cannot drift from what the rules need.
const ExampleConfig = `
pipeline:
  processors:
    - debezium_unwrap:
        schema_file: schemas/transactions.yaml
    # enrich and features processors go here; they put their values in ledgerflow_env.
    - fraud_rules:
        rules: [ pipelines/rules/*.yaml ]
        bands:
          - { name: low, below: 30 }
          - { name: review, below: 70 }
          - { name: block }
        environment:
          schema_file: schemas/transactions.yaml
          features_file: pipelines/features/transactions.yaml
          objects:
            # Columns of silver accounts (schemas/accounts.yaml) the enrichment brings.
            acct:
              currency: CHAR(3)
              status: ENUM('active','frozen','closed')
              balance: DECIMAL(18,2)
              created_at: DATETIME(3)
            # Merchants (no contract yet): the columns the geo and merchant rules read.
            merch:
              mcc: CHAR(4)
              country: CHAR(2)
              lat: DOUBLE
              lon: DOUBLE
              risk_tier: ENUM('low','medium','high')
        reload_interval: 5s
`

func objectsField() *service.ConfigField {
	var fields []*service.ConfigField
	for _, o := range []struct{ name, what string }{
		{"acct", "the account (enrichment columns of silver accounts)"},
		{"cust", "the customer (enrichment columns of silver customers; a `timezone` string field, when present, sets tx.local_hour)"},
		{"merch", "the merchant (enrichment columns of silver merchants)"},
		{"dev", "the device"},
		{"ip", "the IP address"},
		{"pair", "the account and merchant pair"},
	} {
		fields = append(fields, service.NewStringMapField(o.name).
			Description("Fields of "+o.what+": field name to MySQL column type (`DECIMAL(18,2)` becomes money, `DATETIME(3)` time, `DOUBLE` float, `CHAR(3)` string, …).").
			Optional())
	}
	return service.NewObjectField(fObjects, fields...).
		Description("Extra fields of the rule environment, by object, with their SQL column types: the enrichment columns, until the enrich processor declares them itself. They are always nullable (nil when the entity was not found). A name declared twice in one object (here and in the features declaration) is an error.").
		Optional()
}

func processorSpec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Beta().
		Categories("Integration").
		Summary("Scores each transaction row with the fraud rules of YAML rule files: score, band and the rules that fired with their reasons.").
		Description(`
Evaluates rule files (`+"`pipelines/rules/*.yaml`"+`) on each row that
`+"`debezium_unwrap`"+` produced and adds to the row:

- `+"`fraud_score`"+` (int): min(100, the sum of the weights of the rules that fired);
- `+"`fraud_band`"+` (string): the band of the score (`+"`bands`"+`);
- `+"`fraud_rules_hit`"+`: a list of `+"`{id, version, severity, weight, reason}`"+`, `+"`[]`"+` when none fired;
- `+"`fraud_rules_version`"+`: the hash of the rule set that scored it (16 hex digits).

It also sets metadata `+"`fraud_band`"+` and `+"`fraud_score`"+`, and `+"`fraud_rules_errors`"+` when a rule failed.
The members are appended to the row's JSON as it is: the row is not decoded into a map and
re-encoded.

### Rules

A rule has an `+"`id`"+`, a `+"`version`"+`, a `+"`description`"+`, a `+"`severity`"+` (low, medium, high,
critical), a `+"`weight`"+` (0–100), a `+"`when`"+` condition and a `+"`reason`"+` template, both in
[expr-lang](https://expr-lang.org), and `+"`tests`"+`:

`+"```yaml"+`
rules:
  - id: R1
    version: 1
    description: More than 5 transactions on one account within a minute (ecrypt velocity filter).
    severity: high
    weight: 30
    when: acct.count_1m >= 5
    reason: "{{ acct.count_1m + 1 }} transactions on account {{ tx.account_id }} within 1 minute"
    tests:
      - name: the sixth transaction in a minute fires
        given: { tx: { account_id: 7 }, acct: { count_1m: 5 } }
        expect: hit
      - name: the fifth does not
        given: { acct: { count_1m: 4 } }
        expect: no_hit
`+"```"+`

Every expression is compiled once, when the processor starts, against the typed
environment: an unknown field or a type error stops the pipeline from starting with an
error naming the file, line, rule id and expression. `+"`ledgerflow test ./pipelines`"+` runs the
rules' tests; a given field not listed is nil when nullable, else its type's zero value.

### The environment

- `+"`tx`"+`: the row's columns typed by `+"`environment.schema_file`"+` (DECIMAL as exact money, never a
  float: `+"`tx.amount >= 0.9 * acct.balance`"+` is exact), plus `+"`op`"+`, `+"`source_pos`"+`, `+"`event_time`"+` and
  `+"`local_hour`"+`.
- `+"`acct`"+`, `+"`cust`"+`, `+"`merch`"+`, `+"`dev`"+`, `+"`ip`"+`, `+"`pair`"+`: the features of `+"`environment.features_file`"+`
  under their key object, and the fields of `+"`environment.objects`"+`.

Values other than the row's are read from the structured metadata named by `+"`env_metadata`"+`
(default `+"`ledgerflow_env`"+`): a `+"`map[string]map[string]any`"+` (object → field → value) that the
enrich and features processors set with `+"`MetaSetMut`"+`, so nothing is re-encoded between them. A
value is converted to its field's type (money from `+"`money.Money`"+`, a decimal string or an
integer, never a float); one that does not convert is left nil and counted. A missing value
is nil: rules must test it (`+"`acct.last_tx_time != nil && …`"+`). `+"`geo_km(lat1, lon1, lat2, lon2)`"+` gives
the haversine distance in km.

### Reloading

The rule files are polled every `+"`reload_interval`"+` (modification time and size) and reread on
SIGHUP. A new set replaces the old one atomically, between two messages' evaluations; files
that do not compile are refused with an error in the log and the previous set stays in use.

### Errors and metrics

A rule that fails at run time (a nil compared with >, a division by zero) does not fire;
the message goes on with the rules that evaluated, lists the rule in `+"`fraud_rules_errors`"+`,
and `+"`fraud_rules_errors_total{rule}`"+` counts it. `+"`fraud_rules_hits_total{rule}`"+` counts the hits;
both start at 0 for every rule. A message that is not a JSON object is not scored: it keeps
its body, gets an error and `+"`fraud_error_reason: invalid_row`"+`, and
`+"`fraud_rules_input_errors_total{reason}`"+` counts it (also `+"`invalid_value`"+`, a row column or an
upstream value that does not fit its type). Messages that already carry an error, rows of an operation not in `+"`ops`"+` (deletes by default), and
non-row messages of `+"`debezium_unwrap`"+` (`+"`debezium_kind`"+` other than row), pass through untouched.
`+"`fraud_rules_reloads_total{result}`"+` counts reload attempts (ok, error).`).
		Fields(
			service.NewStringListField(fRules).
				Description("Rule files: paths, directories (their .yaml and .yml files) or globs. A glob or directory that matches nothing is an error.").
				Examples([]string{"pipelines/rules/*.yaml"}, []string{"pipelines/rules/velocity.yaml", "/etc/ledgerflow/rules"}),
			service.NewObjectListField(fBands,
				service.NewStringField(fBandName).Description("The band's name, the value of `fraud_band`."),
				service.NewIntField(fBandBelow).Description("Scores below this (and at or above the previous band's) are in the band. The last band has none and takes the rest up to 100.").Optional(),
			).
				Description("Score bands, in increasing order.").
				Default([]any{
					map[string]any{"name": "low", "below": 30},
					map[string]any{"name": "review", "below": 70},
					map[string]any{"name": "block"},
				}),
			service.NewObjectField(fEnvironment,
				service.NewStringField(fSchemaFile).
					Description("The transactions contract: an embedded contract name or a path. Types `tx`.").
					Default("schemas/transactions.yaml"),
				service.NewStringField(fFeaturesFile).
					Description("The features declaration whose fields the rules read (`acct.count_1m`, …). Its `time` column is `tx.event_time`.").
					Examples("pipelines/features/transactions.yaml").Optional(),
				objectsField(),
			).Description("Where the rule environment's description comes from."),
			service.NewStringListField(fOps).
				Description("The row operations (`_op`) that are scored: c (insert), u (update), r (snapshot read), d (delete). Rows of other operations, and rows without `_op`, pass through unscored, without the fraud members. A delete is not a new transaction, so it is not scored by default; an update is (a status change can make a rule fire).").
				Default([]string{"c", "u", "r"}).Advanced(),
			service.NewDurationField(fReloadInterval).
				Description("How often to check the rule files for changes; `0s` disables polling.").
				Default("5s"),
			service.NewBoolField(fReloadOnSIGHUP).
				Description("Reload the rule files when the process receives SIGHUP.").
				Default(true).Advanced(),
			service.NewStringField(fEnvMetadata).
				Description("The structured metadata key of the upstream values (object → field → value).").
				Default(MetaEnv).Advanced(),
		).
		Example("Score transactions with the shipped rules",
			"Unwrap Debezium events of bank.transactions and score them with pipelines/rules/*.yaml. The objects declare the enrichment columns the rules read.",
			ExampleConfig)
}
