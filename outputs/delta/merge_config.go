package delta

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
)

const (
	fieldKey               = "key"
	fieldSequenceBy        = "sequence_by"
	fieldApplyAsDeletes    = "apply_as_deletes"
	fieldApplyAsTruncates  = "apply_as_truncates"
	fieldIgnoreNullUpdates = "ignore_null_updates"
	fieldColumns           = "columns"
	fieldExceptColumns     = "except_columns"
	fieldTombstoneRetain   = "tombstone_retention"
	fieldSCDType           = "stored_as_scd_type"
	fieldSchemaEvolution   = "schema_evolution"
	fieldTargetFileRows    = "target_file_rows"
)

// mergeFields are the fields of mode: merge, named as Databricks AUTO CDC names them.
func mergeFields() []*service.ConfigField {
	return []*service.ConfigField{
		service.NewStringListField(fieldKey).
			Description("Merge mode: the columns that identify a row. Default: the contract's `primary_key`.").
			Optional().
			Example([]string{"transaction_id"}),
		service.NewStringField(fieldSequenceBy).
			Description("Merge mode: the column that orders changes of one key. A change is applied only if it is newer than the stored row and the key's last delete; `_source_pos` (the binlog position) is the source's own commit order. At equal values a streamed change beats a snapshot read (`_op = r`), and an equal change is a duplicate. Truncates are ordered only when this is `_source_pos`.").
			Default(colSourcePos),
		service.NewStringField(fieldApplyAsDeletes).
			Description("Merge mode: an expr-lang condition over the row's columns that marks a change as a delete. Use it for soft deletes, e.g. `_op == \"d\" || status == \"closed\"`. Decimals are seen as exact text.").
			Default(`_op == "d"`),
		service.NewStringField(fieldApplyAsTruncates).
			Description("Merge mode: the condition, evaluated on Debezium truncate events (`debezium_kind: truncate`, `_op` = `t`), under which a truncate empties the table. `false` ignores truncates.").
			Default(`_op == "t"`),
		service.NewBoolField(fieldIgnoreNullUpdates).
			Description("Merge mode: a null in an update keeps the stored value instead of overwriting it (for sources that send partial rows).").
			Default(false),
		service.NewStringListField(fieldColumns).
			Description("Merge mode: store only these contract columns (key columns are always kept).").
			Optional(),
		service.NewStringListField(fieldExceptColumns).
			Description("Merge mode: store every contract column except these (PII columns, for example).").
			Optional().
			Example([]string{"phone", "email"}),
		service.NewDurationField(fieldTombstoneRetain).
			Description("Merge mode: how long a deleted key remembers its delete position, so that a late older change cannot bring it back. Tombstones live in the Delta table `<path>/_ledgerflow_tombstones` (readers of the silver table never see them). Must exceed how late an event can arrive.").
			Default("168h"),
		service.NewIntField(fieldSCDType).
			Description("Merge mode: 1 keeps the current row per key; 2 keeps every version with `__start_at` (inclusive) and `__end_at` (exclusive, null while current), the source commit times, for as-of queries: `WHERE __start_at <= T AND (__end_at > T OR __end_at IS NULL)`.").
			Default(1),
		service.NewStringEnumField(fieldSchemaEvolution, "evolve", "try_evolve", "lenient", "ignore", "exception").
			Description("Merge and append modes: what a new column in the events does (Flink CDC's modes). `evolve` adds it to the table (nullable; old rows read null) and stops on a change it cannot apply; `try_evolve` adds it and sends events with an incompatible change to the dead-letter table; `lenient` is `try_evolve` that also tolerates a column missing from events (stored as null); `ignore` stores only known columns; `exception` stops on any new column. Types are never changed in place: a value that does not fit its column is a dead letter, never a silent null.").
			Default("try_evolve"),
		service.NewIntField(fieldTargetFileRows).
			Description("Merge mode: roll data files at this many rows. A merge rewrites the files that hold the changed keys, so smaller files mean less rewriting per change; recent keys cluster in recent files.").
			Default(20000).
			Advanced(),
	}
}

// mergeOptions is the parsed merge configuration.
type mergeOptions struct {
	key                    []string
	sequenceBy             string
	deletes, truncates     string
	ignoreNullUpdates      bool
	columns, exceptColumns []string
	tombstoneRetention     time.Duration
	scd2                   bool
	targetFileRows         int
}

func parseMergeOptions(conf *service.ParsedConfig) (*mergeOptions, error) {
	m := &mergeOptions{}
	var err error
	if conf.Contains(fieldKey) {
		if m.key, err = conf.FieldStringList(fieldKey); err != nil {
			return nil, err
		}
	}
	if m.sequenceBy, err = conf.FieldString(fieldSequenceBy); err != nil {
		return nil, err
	}
	if m.deletes, err = conf.FieldString(fieldApplyAsDeletes); err != nil {
		return nil, err
	}
	if m.truncates, err = conf.FieldString(fieldApplyAsTruncates); err != nil {
		return nil, err
	}
	if m.ignoreNullUpdates, err = conf.FieldBool(fieldIgnoreNullUpdates); err != nil {
		return nil, err
	}
	if conf.Contains(fieldColumns) {
		if m.columns, err = conf.FieldStringList(fieldColumns); err != nil {
			return nil, err
		}
	}
	if conf.Contains(fieldExceptColumns) {
		if m.exceptColumns, err = conf.FieldStringList(fieldExceptColumns); err != nil {
			return nil, err
		}
	}
	if m.tombstoneRetention, err = conf.FieldDuration(fieldTombstoneRetain); err != nil {
		return nil, err
	}
	scd, err := conf.FieldInt(fieldSCDType)
	if err != nil {
		return nil, err
	}
	if scd != 1 && scd != 2 {
		return nil, fmt.Errorf("delta_lake: %s must be 1 or 2, got %d", fieldSCDType, scd)
	}
	m.scd2 = scd == 2
	if m.targetFileRows, err = conf.FieldInt(fieldTargetFileRows); err != nil {
		return nil, err
	}
	if m.targetFileRows < 1 {
		return nil, fmt.Errorf("delta_lake: %s must be at least 1, got %d", fieldTargetFileRows, m.targetFileRows)
	}
	return m, nil
}

// mergeOnlyDefaults are the fields only mode merge reads, with their defaults (nil: an
// optional list). In mode append a field set to anything else is a mistake the user should
// hear about: it would be ignored.
var mergeOnlyDefaults = map[string]any{
	fieldKey:               nil,
	fieldSequenceBy:        colSourcePos,
	fieldApplyAsDeletes:    `_op == "d"`,
	fieldApplyAsTruncates:  `_op == "t"`,
	fieldIgnoreNullUpdates: false,
	fieldColumns:           nil,
	fieldExceptColumns:     nil,
	fieldTombstoneRetain:   "168h",
	fieldSCDType:           1,
	fieldTargetFileRows:    20000,
}

// mergeOnlyFieldsSet names, sorted, the merge-only fields of conf that differ from their
// defaults. (A parsed config holds every default, so presence alone says nothing.)
func mergeOnlyFieldsSet(conf *service.ParsedConfig) []string {
	var set []string
	for name, def := range mergeOnlyDefaults {
		if !conf.Contains(name) {
			continue
		}
		changed := false
		switch d := def.(type) {
		case nil:
			l, err := conf.FieldStringList(name)
			changed = err != nil || len(l) > 0
		case string:
			if name == fieldTombstoneRetain {
				v, err := conf.FieldDuration(name)
				want, _ := time.ParseDuration(d)
				changed = err != nil || v != want
			} else {
				v, err := conf.FieldString(name)
				changed = err != nil || v != d
			}
		case bool:
			v, err := conf.FieldBool(name)
			changed = err != nil || v != d
		case int:
			v, err := conf.FieldInt(name)
			changed = err != nil || v != d
		}
		if changed {
			set = append(set, name)
		}
	}
	sort.Strings(set)
	return set
}

// mergeOnlyLint is the ConfigSpec lint rule with the same verdict as mergeOnlyFieldsSet, so
// that `ledgerflow lint` reports it before anything runs.
func mergeOnlyLint() string {
	defaults := map[string]any{}
	for k, v := range mergeOnlyDefaults {
		if v == nil {
			v = []any{}
		}
		defaults[k] = v
	}
	b, err := json.Marshal(defaults)
	if err != nil {
		panic(err)
	}
	return `let defaults = ` + string(b) + `
let set = if this.mode.or("append") == "append" {
  $defaults.keys().filter(k -> this.get(k) != null && this.get(k) != $defaults.get(k) && this.get(k).string() != $defaults.get(k).string()).sort()
} else { [] }
root = if $set.length() > 0 {
  [ "mode append does not use the merge-only field(s) %s: they would be ignored; remove them, or set mode: merge".format($set.join(", ")) ]
}`
}
