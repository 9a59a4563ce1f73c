package enrich

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/engine/enrich"
)

const (
	fLookups          = "lookups"
	fName             = "name"
	fTable            = "table"
	fKey              = "key"
	fTableKey         = "table_key"
	fColumns          = "columns"
	fRowPrefix        = "row_prefix"
	fPollInterval     = "poll_interval"
	fWaitPollInterval = "wait_poll_interval"
	fMaxWait          = "max_wait"
	fMissTTL          = "miss_ttl"
	fMissingField     = "missing_field"
)

// Metadata keys the processor sets.
const (
	// MetaEnv is the structured metadata holding the rule environment's objects:
	// map[string]map[string]any keyed by object name (acct, cust, merch).
	MetaEnv = "ledgerflow_env"
	// MetaMissing is the structured metadata ([]any of object names) listing the lookups that
	// found nothing; absent when every lookup found its row.
	MetaMissing = "enrich_missing"
	// MetaErrorReason is set, with the message's error, on a message that is not a JSON
	// object.
	MetaErrorReason = "enrich_error_reason"
)

func processorSpec() *service.ConfigSpec {
	return service.NewConfigSpec().
		Beta().
		Categories("Integration").
		Summary("Joins each row (a transaction) with the current rows of silver Delta tables — accounts, customers, merchants — held in memory and kept current by following each table's Delta log.").
		Description(`
Place it after `+"`debezium_unwrap`"+` in the transactions pipeline, before `+"`features`"+` and
`+"`fraud_rules`"+`. For every row and every lookup it computes the key (a column of the row, or an
expr-lang expression over it), finds the table's current row for that key, and puts the
selected columns into the structured metadata `+"`ledgerflow_env`"+`, under the lookup's `+"`name`"+`:

`+"```"+`
ledgerflow_env: { acct: { currency: EUR, status: active, balance: 1234.50, … }, cust: { … }, merch: { … } }
`+"```"+`

The metadata is a `+"`map[string]map[string]any`"+`; objects another processor put there already
(the `+"`features`"+` processor's `+"`acct.count_1m`"+`) are kept, and fields are merged into them.
Values are typed as the rule environment types them: integers `+"`int64`"+`, decimals exact
decimals (never floats), strings, booleans, floats `+"`float64`"+`, DATE, DATETIME and TIMESTAMP
columns `+"`time.Time`"+` (UTC), null `+"`nil`"+`. Every selected column is present, as `+"`nil`"+` when the row
has no key or the key was not found. Bloblang sees the metadata as `+"`@ledgerflow_env`"+`.

### What is held in memory

Only the selected columns of the table's current rows: every row of an SCD type 1 silver
table, and the rows whose `+"`__end_at`"+` is null of an SCD type 2 one (the shipped accounts and
customers pipelines write SCD type 2). Columns are stored typed, one packed record per row
(strings as codes into a dictionary per column, decimals as unscaled 64-bit integers), so 1M
accounts + 1M customers + 100k merchants with the columns the shipped rules read take about
140 MB of heap and 300 MB of RSS (measured; `+"`enrich_index_bytes`"+` estimates each table). The index is built
from the table's snapshot when the pipeline starts (the pipeline starts once it is built); a
table that does not exist yet is not an error: its lookups miss (and wait, below) until it
appears.

### Following the tables

Each table's Delta log is polled every `+"`poll_interval`"+`; new commits are applied as they land,
by reading only the data files they added (selected columns only) and dropping the rows of the
files they removed. The merge output's copy-on-write rewrites, deletes (the key disappears),
SCD type 2 versions, compactions by other writers and checkpoints are all followed without
reading the table again. Metrics: `+"`enrich_index_rows{object}`"+`, `+"`enrich_index_bytes{object}`"+`,
`+"`enrich_table_version{object}`"+`, `+"`enrich_log_lag_versions{object}`"+` (how many versions the last poll
found the index behind), `+"`enrich_waiting_rows{object}`"+` (rows waiting for a key right now) and
`+"`enrich_poll_errors_total{object}`"+`. A poll that fails (an unreadable
file, storage errors) keeps the last state, is logged and retried; a table using deletion
vectors is refused that way.

**Consistency: the lookup sees silver as of the last poll, not as of the transaction's event
time.** A transaction replayed from yesterday is enriched with today's account status; an
account frozen a second after a transaction may already be seen frozen. For point-in-time
joins (training data, audits) use the SCD type 2 dimensions in gold, not this processor.

### Missing keys wait, then continue flagged

A transaction can overtake its account: the accounts pipeline lags, or the account was opened
a moment before. A key that is not in the index waits up to `+"`max_wait`"+` for the table to
catch up: the table is polled at once and every `+"`wait_poll_interval`"+` meanwhile, and the key
is looked up after every poll. All missing keys of a batch share one deadline, so a batch
waits at most `+"`max_wait`"+` in total; other batches (pipeline threads) are not held up. If the key
is still missing, the row continues with that object's fields null and its name in the
structured metadata `+"`enrich_missing`"+` (for example `+"`[acct]`"+`), and in the row field
`+"`missing_field`"+` when that is set. Rows are never dropped and never wait longer. A key whose
wait ran out is not waited for again for `+"`miss_ttl`"+` (it is still looked up each time), so
references to rows the table will never have do not slow every transaction down. Deletes
(`+"`_op`"+` `+"`d`"+`) are looked up but never wait. A null key (a transfer has no merchant) is not
looked up and not reported missing; its fields are null. A key that cannot be computed (the row
lacks the key column, the expression fails, the value is not an integer for an integer key) is
reported missing and counted in `+"`enrich_key_errors_total{object}`"+`; the row goes on.

Counters per object: `+"`enrich_lookups_total`"+` (rows with a key), `+"`enrich_misses_total`"+` (not found,
after any wait), `+"`enrich_waits_total`"+` (rows that waited), `+"`enrich_null_keys_total`"+`,
`+"`enrich_key_errors_total`"+`; `+"`enrich_wait_latency_ns`"+` times batches that waited.

### Rows it does not touch

Messages carrying an error and non-row messages (`+"`debezium_kind`"+` other than `+"`row`"+`) pass
unchanged. A message that is not a JSON object gets an error and `+"`enrich_error_reason`"+`
`+"`malformed_json`"+` (the delta_lake output dead-letters it; `+"`enrich_errors_total{reason}`"+`).`).
		Fields(
			service.NewObjectListField(fLookups,
				service.NewStringField(fName).
					Description("Object name in `ledgerflow_env` and in the rules (`acct.currency`): letters, digits and underscores.").
					Examples("acct", "cust", "merch"),
				service.NewStringField(fTable).
					Description("Root directory of the silver Delta table.").
					Examples("${LAKEHOUSE:./lakehouse}/silver/accounts"),
				service.NewStringField(fKey).
					Description("The row's column holding the key, or an expr-lang expression over the row's columns (bare names; numbers are JSON numbers, use `int(x)` or `string(x)` to convert). A null result means no key.").
					Examples("account_id", "merchant_id", `int(account_ref) + 0`),
				service.NewStringField(fTableKey).
					Description("The table's key column (integer or string). Default: `key`, when `key` is a column name; required when `key` is an expression.").
					Optional().
					Examples("account_id"),
				service.NewStringListField(fColumns).
					Description("Table columns to bring. Only these are held in memory.").
					Example([]string{"currency", "status", "balance", "created_at", "customer_id"}),
				service.NewStringField(fRowPrefix).
					Description("Also write the values into the row, as columns named `<row_prefix><column>` (decimals as exact strings, timestamps as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, dates as `YYYY-MM-DD`), so they are stored with the transaction. Off when unset: the values then only travel in the metadata. Note that the silver transactions table gains these columns through schema evolution.").
					Optional().
					Examples("acct_"),
			).Description("The tables to join, one object each."),
			service.NewDurationField(fPollInterval).
				Description("How often each table's Delta log is polled for new commits. Each poll reads the commit files written since the last one (one object-store read when nothing changed).").
				Default("1s"),
			service.NewDurationField(fMaxWait).
				Description("How long a batch waits for keys missing from a table before continuing with the fields null and the object listed in `enrich_missing`. `0s` never waits.").
				Default("2s"),
			service.NewDurationField(fWaitPollInterval).
				Description("How often a table is polled while a row waits for one of its keys.").
				Default("20ms").
				Advanced(),
			service.NewDurationField(fMissTTL).
				Description("How long a key whose wait ran out is not waited for again (it is still looked up every time). `0s` waits every time.").
				Default("1m").
				Advanced(),
			service.NewStringField(fMissingField).
				Description("When set, the row gets this column: the names of the objects that were not found, comma-separated (`acct,merch`), or null when every lookup found its row.").
				Optional().
				Examples("enrich_missing"),
		).
		Example("Transactions with their account, customer and merchant", "The columns the shipped fraud rules read. Values go to `ledgerflow_env` only.", `
pipeline:
  processors:
    - debezium_unwrap:
        schema_file: schemas/transactions.yaml
    - enrich:
        lookups:
          - name: acct
            table: ${LAKEHOUSE:./lakehouse}/silver/accounts
            key: account_id
            columns: [ currency, status, balance, created_at, customer_id ]
          - name: cust
            table: ${LAKEHOUSE:./lakehouse}/silver/customers
            key: customer_id
            columns: [ country, risk_rating, kyc_status, created_at ]
          - name: merch
            table: ${LAKEHOUSE:./lakehouse}/silver/merchants
            key: merchant_id
            columns: [ mcc, country, lat, lon, risk_tier ]
        max_wait: 2s
`).
		Example("Stored with the transaction", "The merchant's risk tier and country are also written into the row (`merch_risk_tier`, `merch_country`), with a flag column naming what was missing.", `
pipeline:
  processors:
    - enrich:
        lookups:
          - name: merch
            table: ./lakehouse/silver/merchants
            key: merchant_id
            columns: [ risk_tier, country ]
            row_prefix: merch_
        missing_field: enrich_missing
`)
}

func init() {
	service.MustRegisterBatchProcessor("enrich", processorSpec(), newProcessor)
}

type lookupConf struct {
	name, prefix string
	dates        map[string]bool // columns of Delta type date (rendered YYYY-MM-DD in the row)
}

type processor struct {
	e            *enrich.Enricher
	lookups      []lookupConf
	missingField string
	toRow        bool
	m            *metrics
	log          *service.Logger
	keyErrOnce   []sync.Once
}

func newProcessor(conf *service.ParsedConfig, res *service.Resources) (service.BatchProcessor, error) {
	opts := enrich.DefaultOptions()
	var err error
	if opts.PollInterval, err = conf.FieldDuration(fPollInterval); err != nil {
		return nil, err
	}
	if opts.WaitPollInterval, err = conf.FieldDuration(fWaitPollInterval); err != nil {
		return nil, err
	}
	if opts.MaxWait, err = conf.FieldDuration(fMaxWait); err != nil {
		return nil, err
	}
	if opts.MissTTL, err = conf.FieldDuration(fMissTTL); err != nil {
		return nil, err
	}
	p := &processor{log: res.Logger()}
	if conf.Contains(fMissingField) {
		if p.missingField, err = conf.FieldString(fMissingField); err != nil {
			return nil, err
		}
		p.toRow = p.missingField != ""
	}
	lconfs, err := conf.FieldObjectList(fLookups)
	if err != nil {
		return nil, err
	}
	if len(lconfs) == 0 {
		return nil, fmt.Errorf("enrich: %s is empty; configure at least one lookup", fLookups)
	}
	var confs []enrich.Config
	var names []string
	for i, lc := range lconfs {
		var c enrich.Config
		if c.Name, err = lc.FieldString(fName); err != nil {
			return nil, err
		}
		if c.Table, err = lc.FieldString(fTable); err != nil {
			return nil, err
		}
		if c.Key, err = lc.FieldString(fKey); err != nil {
			return nil, err
		}
		if lc.Contains(fTableKey) {
			if c.TableKey, err = lc.FieldString(fTableKey); err != nil {
				return nil, err
			}
		}
		if c.Columns, err = lc.FieldStringList(fColumns); err != nil {
			return nil, err
		}
		l := lookupConf{name: c.Name}
		if lc.Contains(fRowPrefix) {
			if l.prefix, err = lc.FieldString(fRowPrefix); err != nil {
				return nil, err
			}
			if l.prefix == "" {
				return nil, fmt.Errorf("enrich: lookups[%d].%s is empty; leave it out to keep the values out of the row", i, fRowPrefix)
			}
			p.toRow = true
		}
		confs = append(confs, c)
		names = append(names, c.Name)
		p.lookups = append(p.lookups, l)
	}
	p.keyErrOnce = make([]sync.Once, len(confs))
	p.m = newMetrics(res.Metrics(), names)
	opts.Logger = res.Logger()
	opts.OnPoll = p.m.onPoll
	p.e, err = enrich.New(context.Background(), confs, opts)
	if err != nil {
		return nil, fmt.Errorf("enrich: %w", err)
	}
	fields := p.e.Fields()
	for i := range p.lookups {
		l := &p.lookups[i]
		l.dates = map[string]bool{}
		for _, f := range fields[l.name] {
			if f.Type.String() == "date" {
				l.dates[f.Name] = true
			}
		}
	}
	return p, nil
}

// target is a message of the batch that is enriched.
type target struct {
	msg *service.Message
	row map[string]any
}

func (p *processor) ProcessBatch(ctx context.Context, batch service.MessageBatch) ([]service.MessageBatch, error) {
	targets := make([]target, 0, len(batch))
	rows := make([]enrich.Row, 0, len(batch))
	for _, msg := range batch {
		if msg.GetError() != nil {
			continue
		}
		if kind, ok := msg.MetaGet("debezium_kind"); ok && kind != "row" {
			continue
		}
		v, err := msg.AsStructured()
		row, isObj := v.(map[string]any)
		if err != nil || !isObj {
			p.m.errors.Incr(1, "malformed_json")
			msg.MetaSetMut(MetaErrorReason, "malformed_json")
			if err == nil {
				err = fmt.Errorf("the message is a JSON %T, expected an object (a row)", v)
			}
			msg.SetError(fmt.Errorf("enrich: %w", err))
			continue
		}
		op, _ := row["_op"].(string)
		deleted, _ := row["_deleted"].(bool)
		targets = append(targets, target{msg, row})
		rows = append(rows, enrich.Row{Values: row, NoWait: op == "d" || deleted})
	}
	if len(rows) == 0 {
		return []service.MessageBatch{batch}, nil
	}
	start := time.Now()
	results := p.e.Enrich(ctx, rows)
	waited := false
	for i, res := range results {
		if p.count(res) {
			waited = true
		}
		p.apply(targets[i], res)
	}
	if waited {
		p.m.waitLatency.Timing(time.Since(start).Nanoseconds())
	}
	return []service.MessageBatch{batch}, nil
}

// count updates the counters for one row and reports whether it waited.
func (p *processor) count(res enrich.Result) bool {
	waited := false
	for j, st := range res.Status {
		name := p.lookups[j].name
		switch st {
		case enrich.NullKey:
			p.m.nullKeys.Incr(1, name)
			continue
		case enrich.KeyError:
			p.m.keyErrors.Incr(1, name)
			p.keyErrOnce[j].Do(func() {
				p.log.Warnf("enrich %s: %v (further key errors of this lookup are only counted in enrich_key_errors_total)", name, res.Errs[j])
			})
		case enrich.Missing:
			p.m.misses.Incr(1, name)
		case enrich.MissingAfterWait:
			p.m.misses.Incr(1, name)
			p.m.waits.Incr(1, name)
			waited = true
		case enrich.FoundAfterWait:
			p.m.waits.Incr(1, name)
			waited = true
		}
		p.m.lookups.Incr(1, name)
	}
	return waited
}

// apply merges the row's objects into ledgerflow_env and, when configured, into the row.
func (p *processor) apply(t target, res enrich.Result) {
	env := map[string]map[string]any{}
	if old, ok := t.msg.MetaGetMut(MetaEnv); ok {
		// Copied, never changed in place: a fan-out may share the value between messages.
		switch o := old.(type) {
		case map[string]map[string]any:
			for k, v := range o {
				env[k] = v
			}
		case map[string]any:
			for k, v := range o {
				if m, ok := v.(map[string]any); ok {
					env[k] = m
				}
			}
		}
	}
	for j, obj := range res.Objects {
		name := p.lookups[j].name
		if prev, ok := env[name]; ok {
			merged := make(map[string]any, len(prev)+len(obj))
			for k, v := range prev {
				merged[k] = v
			}
			for k, v := range obj {
				merged[k] = v
			}
			obj = merged
		}
		env[name] = obj
	}
	t.msg.MetaSetMut(MetaEnv, env)
	if len(res.Missing) > 0 {
		missing := make([]any, len(res.Missing))
		for i, n := range res.Missing {
			missing[i] = n
		}
		t.msg.MetaSetMut(MetaMissing, missing)
	} else {
		t.msg.MetaDelete(MetaMissing)
	}
	if !p.toRow {
		return
	}
	row := make(map[string]any, len(t.row)+8)
	for k, v := range t.row {
		row[k] = v
	}
	for j, obj := range res.Objects {
		l := &p.lookups[j]
		if l.prefix == "" {
			continue
		}
		for col, v := range obj {
			row[l.prefix+col] = rowValue(v, l.dates[col])
		}
	}
	if p.missingField != "" {
		if len(res.Missing) > 0 {
			row[p.missingField] = strings.Join(res.Missing, ",")
		} else {
			row[p.missingField] = nil
		}
	}
	t.msg.SetStructuredMut(row)
}

func (p *processor) Close(context.Context) error {
	p.e.Close()
	return nil
}
