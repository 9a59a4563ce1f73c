package delta

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/ledgerflow/ledgerflow/debezium/jsonscan"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// Schema evolution modes (Flink CDC's names).
const (
	evolveApply     = "evolve"
	evolveTry       = "try_evolve"
	evolveLenient   = "lenient"
	evolveIgnore    = "ignore"
	evolveException = "exception"
)

// withColumns is the layout with extra nullable columns after all others: where Delta's
// ADD COLUMNS puts them, so a table written before the change keeps its column order.
func (l *layout) withColumns(extra []schema.StructField) *layout {
	n := *l
	n.schema = &schema.StructType{Fields: append(append([]schema.StructField(nil), l.schema.Fields...), extra...)}
	n.byName, n.byLowerName = map[string]int{}, map[string]int{}
	for i, f := range n.schema.Fields {
		n.byName[f.Name] = i
		n.byLowerName[strings.ToLower(f.Name)] = i
	}
	return &n
}

// adoptTableColumns extends the layout with the table's columns it lacks (added by an
// earlier schema evolution), so that their values keep being stored after a restart.
func (o *output) adoptTableColumns(ts *schema.StructType) {
	var extra []schema.StructField
	for _, f := range ts.Fields {
		if _, ok := o.layout.fieldIndex(f.Name); !ok && f.Nullable {
			extra = append(extra, f)
		}
	}
	if len(extra) > 0 {
		o.layout = o.layout.withColumns(extra)
	}
}

func (o *output) currentLayout() *layout {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.layout
}

// evolve looks for columns the events carry and the table lacks (debezium_unwrap names them
// in debezium_unknown_columns, with their Delta types from the Connect schema when it has
// one) and, per schema_evolution, adds them to the table in a metadata-only commit before
// the batch is decoded. It returns the layout to decode the batch with.
//
// It fails in mode exception (any new column), and in mode evolve when a column cannot be
// added (its name differs only in case from an existing column: Delta names are
// case-insensitive); the batch is then retried, so the pipeline stops until the
// configuration or the source is fixed. try_evolve and lenient leave such columns out (the
// value is not stored and a warning names it); ignore never adds columns.
func (o *output) evolve(ctx context.Context, batch service.MessageBatch) (*layout, error) {
	l := o.currentLayout()
	if o.evolution == evolveIgnore {
		return l, nil
	}
	var fields []schema.StructField
	seen := map[string]bool{}
	for _, m := range batch {
		names, ok := m.MetaGet("debezium_unknown_columns")
		if !ok || names == "" {
			continue
		}
		hints := map[string]string{}
		if types, ok := m.MetaGet("debezium_unknown_column_types"); ok {
			for _, pair := range strings.Split(types, ";") {
				if n, t, ok := strings.Cut(pair, ":"); ok {
					hints[n] = t
				}
			}
		}
		for _, name := range strings.Split(names, ",") {
			if _, known := l.fieldIndex(name); known || seen[strings.ToLower(name)] {
				continue
			}
			if o.evolution == evolveException {
				return nil, schemaChangeErr("delta_lake %s: schema_evolution is exception and the events carry a new column %q (offset %s of %s/%s); the pipeline stops here until the source or schema_evolution is changed", o.path, name, metaString(m, "kafka_offset"), metaString(m, "kafka_topic"), metaString(m, "kafka_partition"))
			}
			t, err := newColumnType(name, hints[name], m)
			if err != nil {
				return nil, fmt.Errorf("delta_lake %s: %w", o.path, err)
			}
			if t == nil {
				continue // only nulls so far: nothing says its type yet
			}
			seen[strings.ToLower(name)] = true
			fields = append(fields, schema.StructField{Name: name, Type: t, Nullable: true,
				Metadata: map[string]any{"comment": "added by schema evolution"}})
		}
	}
	if len(fields) == 0 {
		return l, nil
	}
	return o.addColumns(ctx, fields)
}

// addColumns commits the new columns to the table and switches the output's layout to it.
func (o *output) addColumns(ctx context.Context, fields []schema.StructField) (*layout, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for attempt := 0; ; attempt++ {
		ts, err := o.snap.Schema()
		if err != nil {
			return nil, err
		}
		var add []schema.StructField
		for _, f := range fields {
			if i := ts.Index(f.Name); i >= 0 {
				if ts.Fields[i].Name != f.Name && o.evolution == evolveApply {
					return nil, schemaChangeErr("delta_lake %s: new column %q clashes with existing column %q (Delta column names are case-insensitive); the pipeline stops here until the source or schema_evolution is changed", o.path, f.Name, ts.Fields[i].Name)
				}
				continue // added meanwhile (another batch or writer)
			}
			add = append(add, f)
		}
		if len(add) > 0 {
			md := o.snap.Metadata()
			next := &schema.StructType{Fields: append(append([]schema.StructField(nil), ts.Fields...), add...)}
			md.SchemaString = next.JSON()
			tx := o.snap.NewTransaction("ADD COLUMNS")
			tx.UpdateMetadata(md)
			tx.SetCommitInfo("pipeline", o.pipeline)
			names := make([]string, len(add))
			for i, f := range add {
				names[i] = f.Name + " " + f.Type.String()
			}
			tx.SetCommitInfo("addedColumns", names)
			res, err := tx.Commit(ctx)
			if err != nil && attempt < 5 {
				if snap, uerr := o.snap.Update(ctx); uerr == nil {
					o.snap = snap
				}
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("delta_lake %s: adding columns %v: %w", o.path, names, err)
			}
			o.log.Infof("delta_lake %s: schema evolution added %s", o.path, strings.Join(names, ", "))
			if o.merge != nil && o.merge.index != nil && o.merge.index.version == res.Version-1 {
				o.merge.index.version = res.Version // a metadata change moves no rows
			}
		}
		snap, err := o.snap.Update(ctx)
		if err != nil {
			return nil, err
		}
		nts, err := snap.Schema()
		if err != nil {
			return nil, err
		}
		o.adoptTableColumns(nts)
		if err := o.adopt(snap); err != nil {
			return nil, err
		}
		return o.layout, nil
	}
}

// newColumnType is the Delta type of a new column: the unwrap's hint (from the Connect
// schema), else what its JSON value is. Decimals arrive as JSON strings without a schema,
// so without a hint they become strings: never a float, never a guessed precision.
func newColumnType(name, hint string, m *service.Message) (schema.Type, error) {
	if hint != "" {
		st, err := schema.Parse(`{"type":"struct","fields":[{"name":"x","type":` + strconv.Quote(hint) + `,"nullable":true,"metadata":{}}]}`)
		if err != nil {
			return nil, fmt.Errorf("new column %q: type %q: %v", name, hint, err)
		}
		return st.Fields[0].Type, nil
	}
	body, err := m.AsBytes()
	if err != nil {
		return nil, err
	}
	var val []byte
	_ = jsonscan.EachMember(body, func(key []byte, _ bool, v []byte) error {
		if string(key) == name {
			val = v
		}
		return nil
	})
	switch {
	case len(val) == 0 || isNull(val):
		return nil, nil
	case val[0] == '"' || val[0] == '{' || val[0] == '[':
		return schema.String, nil
	case string(val) == "true" || string(val) == "false":
		return schema.Boolean, nil
	}
	if _, err := strconv.ParseInt(string(val), 10, 64); err == nil {
		return schema.Long, nil
	}
	return schema.Double, nil
}
