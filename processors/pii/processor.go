package pii

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/schemas"
)

const (
	fSchemaFile = "schema_file"
	fColumns    = "columns"
	fKeyEnv     = "key_env"
	fKeyFile    = "key_file"
)

// MetaErrorReason is the metadata key holding the Reason of a row the processor failed.
const MetaErrorReason = "pii_error_reason"

func processorSpec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Beta().
		Categories("Utility").
		Summary("Protects personal data in debezium_unwrap rows before anything is written: per column, keep, hash (HMAC-SHA256), mask, drop, or reduce a date to its year.").
		Description(`
Place it right after `+"`debezium_unwrap`"+`, before the outputs, so that no table (bronze, silver,
gold) ever holds the clear values. Each column named in `+"`columns`"+` gets one policy; the same
policy applies to the column inside `+"`_before`"+` (the before image of updates). Deletes are rows
too (the before image) and are treated the same. Members without a policy are copied byte for
byte: the row is not decoded and re-encoded.

| policy | what a value becomes | columns |
|---|---|---|
| `+"`keep`"+` | unchanged | any |
| `+"`hash`"+` | lower-case hex HMAC-SHA256 of the value's text under the key (64 characters) | CHAR, VARCHAR, TEXT, ENUM, SET |
| `+"`mask`"+` | a shape that depends on the column's `+"`pii:`"+` class (below) | CHAR, VARCHAR, TEXT, ENUM, SET |
| `+"`drop`"+` | removed from the row (NULL in the tables) | nullable, not in the primary key |
| `+"`year`"+` | January 1st of its year, same type: `+"`1990-05-17`"+` → `+"`1990-01-01`"+`, `+"`1990-05-17T10:11:12.345000Z`"+` → `+"`1990-01-01T00:00:00.000000Z`"+` | DATE, DATETIME, TIMESTAMP |

NULL stays NULL under every policy; an absent column stays absent.

### hash

HMAC-SHA256 with a secret key: equal values hash equal in every table and pipeline that uses
the same key, so joins on a hashed column still work, and nobody without the key can recompute
a hash from a guessed value (a plain SHA-256 of an e-mail address is reversed by hashing a
list of addresses). The hash is of the exact text: `+"`Ada@Example.org`"+` and `+"`ada@example.org`"+`
hash differently. Numbers and booleans in a string column are hashed as their JSON text.

The key comes from an environment variable (`+"`key_env`"+`) or a file (`+"`key_file`"+`; leading and
trailing white space, such as the newline `+"`echo`"+` writes, is removed), never from the config
itself. It must be at least 32 bytes: generate one with `+"`openssl rand -hex 32`"+`. A missing,
empty or short key stops the pipeline at start; there is no default key. Changing the key
changes every hash: keep it with the same care as the data, and rebuild the tables if you
rotate it. The key never appears in logs, errors, lint output or metrics. The published test key
that `+"`ledgerflow test`"+` uses when `+"`LEDGERFLOW_PII_KEY`"+` is unset (so that tests can expect fixed
hashes) is refused everywhere else: anyone could recompute hashes made with it.

### mask

The mask kept depends on the column's `+"`pii:`"+` class in the contract, never on the value, so
every row of a column is masked alike. What is not kept is replaced by `+"`***`"+`, which does not
reveal the length.

| class | keeps | example |
|---|---|---|
| `+"`network`"+` | the IPv4 /24 or IPv6 /48 network (zone removed; IPv4-mapped IPv6 keeps the IPv4 /24) | `+"`192.168.1.77`"+` → `+"`192.168.1.0`"+`, `+"`2001:db8:85a3::8a2e:370:7334`"+` → `+"`2001:db8:85a3::`"+` |
| `+"`contact`"+` | an e-mail's domain; a phone number's (digits, spaces, `+"`+ - . ( )`"+`, at least 6 digits) last two digits | `+"`ada@example.org`"+` → `+"`***@example.org`"+`, `+"`+44 20 7946 0958`"+` → `+"`***58`"+` |
| `+"`name`"+` | the first letter | `+"`Lovelace`"+` → `+"`L***`"+` |
| any other | nothing | `+"`***`"+` |

A value without the shape its class keeps (an IP column holding `+"`unknown`"+`) becomes `+"`***`"+`
and is counted in `+"`pii_mask_fallbacks_total{column}`"+`. An empty string stays empty.

### Checked against the contract at start

`+"`schema_file`"+` is the table contract (`+"`schemas/*.yaml`"+`). The pipeline does not start when a
column in `+"`columns`"+` is not in the contract, when a policy does not fit the column's type
(`+"`hash`"+` on a BIGINT, `+"`year`"+` on a VARCHAR), when `+"`drop`"+` would empty a NOT NULL column (every row
would fail silver's NOT NULL check), when `+"`mask`"+`, `+"`year`"+` or `+"`drop`"+` is given to a primary key
column (distinct keys would merge), or when **a column the contract tags `+"`pii:`"+` has no
policy**. There is no implicit `+"`keep`"+`: a bank wants to be told when a contract change adds
personal data, not find it in the lakehouse later. Keeping a pii column in clear is a decision
written in the config (`+"`first_name: keep`"+`), and the processor lists those columns in its
start-up log. Columns unknown to the contract (added upstream, see the delta_lake output's
schema evolution) and the unwrap's `+"`add_fields`"+` copies (`+"`__source_query`"+` holds the SQL text, values
included) are not covered: add such columns to the contract, and do not copy the query.

### Rows it does not touch, and errors

Messages that already carry an error (an event the unwrap could not decode) and non-row
messages (`+"`debezium_kind`"+` other than `+"`row`"+`: tombstones, truncates, schema changes, …) pass
unchanged. A row fails, keeps its original body and is flagged with an error (the delta_lake
output writes it to the dead-letter table, never to a data table) with metadata
`+"`pii_error_reason`"+` and the counter `+"`pii_errors_total{reason}`"+` (created at 0 for every reason)
when: the body is not a JSON object or `+"`_before`"+` is neither an object nor null
(`+"`malformed_json`"+`); a value is an object or array, or `+"`year`"+` meets a boolean
(`+"`type_mismatch`"+`); `+"`year`"+` meets something that is not a date or timestamp (`+"`invalid_value`"+`);
`+"`_source_table`"+` names another table than the contract's (`+"`table_mismatch`"+`: the policies were
not written for it). Error messages name the column, the policy and the value's JSON type and
length, never the value.

Note that dead-letter tables hold the original message for replay, personal data included:
restrict access to `+"`*_dead_letters`"+` tables as you would to the source database.`).
		Fields(
			service.NewStringField(fSchemaFile).
				Description("Table contract the policies are checked against: an embedded contract name such as `customers` or a path such as `schemas/customers.yaml` (the same value as the unwrap's `schema_file`).").
				Examples("schemas/customers.yaml", "transactions"),
			service.NewStringMapField(fColumns).
				Description("Policy per column: `keep`, `hash`, `mask`, `drop` or `year`. Column names are case-insensitive. Every column the contract tags `pii:` must be listed.").
				Example(map[string]any{"email": "hash", "phone": "hash", "date_of_birth": "year", "first_name": "keep", "last_name": "keep"}).
				Example(map[string]any{"ip_address": "mask", "device_id": "hash"}),
			service.NewStringField(fKeyEnv).
				Description("Name of the environment variable holding the hash key (not the key itself). Needed when a column is hashed; set this or `key_file`.").
				Examples("LEDGERFLOW_PII_KEY").Optional(),
			service.NewStringField(fKeyFile).
				Description("Path of a file holding the hash key, e.g. a mounted secret. Needed when a column is hashed; set this or `key_env`.").
				Examples("/run/secrets/ledgerflow_pii_key").Optional(),
		).
		// Only core Bloblang methods: the rule is parsed when this package initialises,
		// possibly before the pure plugin methods (concat, …) are registered.
		LintRule(`
let policies = ["keep", "hash", "mask", "drop", "year"]
let bad = if this.columns.type() == "object" {
  this.columns.key_values().filter(kv -> !$policies.contains(kv.value)).map_each(kv -> "columns.%s: policy %q is not one of keep, hash, mask, drop, year".format(kv.key, kv.value.string()))
} else { [] }
root = if this.key_env.or("") != "" && this.key_file.or("") != "" { $bad.append("set key_env or key_file, not both") } else { $bad }
`).
		Example("Customers", "E-mail and phone hashed, the date of birth reduced to its year, names kept (a recorded decision). The key is read from the environment variable LEDGERFLOW_PII_KEY.", `
pipeline:
  processors:
    - debezium_unwrap:
        schema_file: schemas/customers.yaml
    - pii:
        schema_file: schemas/customers.yaml
        key_env: LEDGERFLOW_PII_KEY
        columns:
          email: hash
          phone: hash
          date_of_birth: year
          first_name: keep
          last_name: keep
`).
		Example("Transactions", "The IP address masked to its network, the device id hashed (so a device can still be followed across transactions), the key from a mounted secret.", `
pipeline:
  processors:
    - debezium_unwrap:
        schema_file: schemas/transactions.yaml
    - pii:
        schema_file: schemas/transactions.yaml
        key_file: /run/secrets/ledgerflow_pii_key
        columns:
          ip_address: mask
          device_id: hash
`)
}

func init() {
	service.MustRegisterProcessor("pii", processorSpec(), newProcessor)
}

type processor struct {
	e    *Engine
	errs *service.MetricCounter
}

func newProcessor(conf *service.ParsedConfig, res *service.Resources) (service.Processor, error) {
	file, err := conf.FieldString(fSchemaFile)
	if err != nil {
		return nil, err
	}
	table, err := schemas.Load(file)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", fSchemaFile, file, err)
	}
	cols, err := conf.FieldStringMap(fColumns)
	if err != nil {
		return nil, err
	}
	plan, err := NewPlan(table, cols)
	if err != nil {
		return nil, fmt.Errorf("pii policies for %s: %w", file, err)
	}
	var src KeySource
	if conf.Contains(fKeyEnv) {
		if src.Env, err = conf.FieldString(fKeyEnv); err != nil {
			return nil, err
		}
	}
	if conf.Contains(fKeyFile) {
		if src.File, err = conf.FieldString(fKeyFile); err != nil {
			return nil, err
		}
	}
	var key []byte
	// A configured key is checked even when no column is hashed yet: a pipeline that names a
	// key it cannot read is misconfigured, and would fail the day a hash policy is added.
	if plan.NeedsKey() || src.Env != "" || src.File != "" {
		if key, err = OSKeySource(src); err != nil {
			return nil, err
		}
		if err = checkNotTestKey(key); err != nil {
			return nil, err
		}
	}
	mFallback := res.Metrics().NewCounter("pii_mask_fallbacks_total", "column")
	e, err := NewEngine(plan, key, func(col string) { mFallback.Incr(1, col) })
	if err != nil {
		return nil, err
	}
	p := &processor{e: e, errs: res.Metrics().NewCounter("pii_errors_total", "reason")}
	for _, r := range Reasons {
		p.errs.Incr(0, string(r))
	}
	rules := plan.Rules()
	names := make([]string, 0, len(rules))
	for c, pol := range rules {
		if pol == Mask {
			mFallback.Incr(0, c)
		}
		names = append(names, c+"="+string(pol))
	}
	sort.Strings(names)
	msg := "pii: table " + table.Name + ": " + strings.Join(names, ", ")
	if len(names) == 0 {
		msg += "no column changes"
	}
	if len(plan.Kept) > 0 {
		msg += "; personal data kept in clear by configuration: " + strings.Join(plan.Kept, ", ")
	}
	res.Logger().Info(msg)
	return p, nil
}

func (p *processor) Process(_ context.Context, msg *service.Message) (service.MessageBatch, error) {
	if msg.GetError() != nil {
		return service.MessageBatch{msg}, nil
	}
	if kind, ok := msg.MetaGet("debezium_kind"); ok && kind != "row" {
		return service.MessageBatch{msg}, nil
	}
	body, err := msg.AsBytes()
	if err != nil {
		return nil, err
	}
	out, err := p.e.Apply(body)
	if err != nil {
		reason := string(ReasonMalformedJSON)
		var e *Error
		if errors.As(err, &e) {
			reason = string(e.Reason)
		}
		p.errs.Incr(1, reason)
		msg.MetaSetMut(MetaErrorReason, reason)
		msg.SetError(err)
		return service.MessageBatch{msg}, nil
	}
	msg.SetBytes(out)
	return service.MessageBatch{msg}, nil
}

func (p *processor) Close(context.Context) error { return nil }
