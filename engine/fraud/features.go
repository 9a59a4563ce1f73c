package fraud

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/types"
	"gopkg.in/yaml.v3"

	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// Aggregates of the features declaration.
var aggregates = map[string]struct{ needsOf, needsN bool }{
	"count": {}, "sum": {needsOf: true}, "min": {needsOf: true}, "max": {needsOf: true},
	"distinct": {needsOf: true}, "stats": {needsOf: true}, "last_time": {},
	"last_n": {needsOf: true, needsN: true}, "seen": {needsOf: true},
}

// Window bounds of a feature.
const (
	MinWindow = time.Minute
	MaxWindow = 400 * 24 * time.Hour
)

// Features is a parsed features declaration (the format of the design,
// pipelines/features/*.yaml). The rules engine reads it for the types of the fields it
// adds to the environment; the features engine computes the values.
type Features struct {
	Path      string
	Time      string              // the event-time column of the contract
	Keys      map[string][]string // object -> key column(s)
	Watermark Watermark
	Decls     []FeatureDecl
	// Fields are the environment fields the declaration adds, in declaration order.
	Fields []FeatureField
}

// Watermark holds the declaration's watermark settings.
type Watermark struct {
	MaxOutOfOrderness, IdleTimeout, MaxDelay time.Duration
}

// FeatureDecl is one entry of features:.
type FeatureDecl struct {
	Name, Key, Agg, Of, Where string
	Window                    time.Duration
	N                         int
	Line                      int
}

// FeatureField is an environment field a declaration produces.
type FeatureField struct {
	Object, Name string
	Field
}

// LoadFeatures reads and validates a features declaration against the transactions
// contract and the extra objects (object -> field -> SQL type), which an `of: merch.lat`
// may name.
func LoadFeatures(path string, tx *schemas.Table, objects map[string]map[string]string) (*Features, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("features: %w", err)
	}
	return ParseFeatures(path, data, tx, objects)
}

// ParseFeatures is LoadFeatures on data already read. Errors name path and line.
//
// Types of the fields (the contract with the features engine): count and distinct are int
// (0 without history); sum is the type of its column (money for DECIMAL, int, float) and 0
// without history; min and max have the column's type and are nil without history;
// stats adds <name>_n (int), <name>_mean and <name>_std (float: the mean and the sample
// standard deviation, 0 when there are fewer than 1 and 2 values); last_time is a time,
// nil without history; last_n is a list of the column's type, newest first, empty without
// history; seen is a bool.
func ParseFeatures(path string, data []byte, tx *schemas.Table, objects map[string]map[string]string) (*Features, error) {
	fail := func(line int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", path, line, fmt.Sprintf(format, args...))
	}
	root, err := decodeYAML(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if root == nil {
		return nil, fmt.Errorf("%s: empty features declaration", path)
	}
	top, err := members(root, "the features declaration")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f := &Features{Path: path, Keys: map[string][]string{}}
	var featNode *yaml.Node
	for _, m := range top {
		switch m.key {
		case "time":
			if f.Time, err = scalarString(m.value, "time"); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			c := tx.Column(f.Time)
			if c == nil {
				return nil, fail(m.line, "time: %q is not a column of %s", f.Time, tx.Name)
			}
			if typ, _ := TypeOfSQL(c.SQL); typ != Time {
				return nil, fail(m.line, "time: column %s is %s, expected DATE, DATETIME or TIMESTAMP", c.Name, c.Type)
			}
			f.Time = c.Name
		case "keys":
			keys, err := members(m.value, "keys")
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			for _, k := range keys {
				if !knownObject(k.key) || k.key == "tx" {
					return nil, fail(k.line, "keys: unknown object %q (expected acct, cust, merch, dev, ip or pair)", k.key)
				}
				var cols []string
				switch k.value.Kind {
				case yaml.ScalarNode:
					cols = []string{k.value.Value}
				case yaml.SequenceNode:
					for _, c := range k.value.Content {
						s, err := scalarString(resolve(c), "keys."+k.key)
						if err != nil {
							return nil, fmt.Errorf("%s: %w", path, err)
						}
						cols = append(cols, s)
					}
				default:
					return nil, fail(k.line, "keys.%s: expected a column or a list of columns", k.key)
				}
				if len(cols) == 0 {
					return nil, fail(k.line, "keys.%s: no column", k.key)
				}
				for _, c := range cols {
					if tx.Column(c) == nil {
						return nil, fail(k.line, "keys.%s: %q is not a column of %s", k.key, c, tx.Name)
					}
				}
				f.Keys[k.key] = cols
			}
		case "watermark":
			ws, err := members(m.value, "watermark")
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			for _, w := range ws {
				var dst *time.Duration
				switch w.key {
				case "max_out_of_orderness":
					dst = &f.Watermark.MaxOutOfOrderness
				case "idle_timeout":
					dst = &f.Watermark.IdleTimeout
				case "max_delay":
					dst = &f.Watermark.MaxDelay
				default:
					return nil, fail(w.line, "watermark: unknown setting %q (expected max_out_of_orderness, idle_timeout, max_delay)", w.key)
				}
				s, err := scalarString(w.value, "watermark."+w.key)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", path, err)
				}
				if *dst, err = ParseDuration(s); err != nil || *dst < 0 {
					return nil, fail(w.line, "watermark.%s: %q is not a non-negative duration", w.key, s)
				}
			}
		case "features":
			featNode = m.value
		default:
			return nil, fail(m.line, "unknown key %q (expected time, keys, watermark, features)", m.key)
		}
	}
	if f.Time == "" {
		return nil, fmt.Errorf("%s: time (the event-time column) is required", path)
	}
	if featNode == nil || featNode.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s: features must be a list", path)
	}
	whereEnv := types.Map{}
	for i := range tx.Columns {
		c := &tx.Columns[i]
		typ, err := TypeOfSQL(c.SQL)
		if err != nil {
			return nil, fmt.Errorf("%s: column %s: %w", path, c.Name, err)
		}
		whereEnv[c.Name] = typ.exprType()
	}
	names := map[string]int{} // object.field -> line
	for _, item := range featNode.Content {
		item = resolve(item)
		ms, err := members(item, "a feature")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		d := FeatureDecl{Line: item.Line}
		var windowText string
		for _, m := range ms {
			var s string
			if m.value.Kind == yaml.ScalarNode {
				s = m.value.Value
			}
			switch m.key {
			case "name":
				d.Name = s
			case "key":
				d.Key = s
			case "agg":
				d.Agg = s
			case "of":
				d.Of = s
			case "where":
				d.Where = s
			case "window":
				windowText = s
			case "n":
				if d.N, err = strconv.Atoi(s); err != nil {
					return nil, fail(m.line, "feature %s: n must be an integer, got %q", d.Name, s)
				}
			default:
				return nil, fail(m.line, "feature: unknown key %q (expected name, key, agg, of, where, window, n)", m.key)
			}
		}
		if !isIdent(d.Name) {
			return nil, fail(d.Line, "feature: name %q must be an identifier", d.Name)
		}
		if _, ok := f.Keys[d.Key]; !ok {
			return nil, fail(d.Line, "feature %s: key %q is not declared under keys", d.Name, d.Key)
		}
		spec, ok := aggregates[d.Agg]
		if !ok {
			return nil, fail(d.Line, "feature %s: unknown agg %q (expected count, sum, min, max, distinct, stats, last_time, last_n, seen)", d.Name, d.Agg)
		}
		if windowText == "" {
			return nil, fail(d.Line, "feature %s: window is required", d.Name)
		}
		if d.Window, err = ParseDuration(windowText); err != nil || d.Window < MinWindow || d.Window > MaxWindow {
			return nil, fail(d.Line, "feature %s: window %q must be a duration from 1m to 400d", d.Name, windowText)
		}
		if spec.needsOf != (d.Of != "") {
			if spec.needsOf {
				return nil, fail(d.Line, "feature %s: agg %s needs of: (the column it aggregates)", d.Name, d.Agg)
			}
			return nil, fail(d.Line, "feature %s: agg %s takes no of:", d.Name, d.Agg)
		}
		if spec.needsN != (d.N != 0) || (spec.needsN && (d.N < 1 || d.N > 1000)) {
			if spec.needsN {
				return nil, fail(d.Line, "feature %s: agg last_n needs n: from 1 to 1000", d.Name)
			}
			return nil, fail(d.Line, "feature %s: agg %s takes no n:", d.Name, d.Agg)
		}
		var ofType Type
		if d.Of != "" {
			if ofType, err = columnType(d.Of, tx, objects); err != nil {
				return nil, fail(d.Line, "feature %s: of: %v", d.Name, err)
			}
		}
		if d.Where != "" {
			opts := append([]expr.Option{expr.Env(whereEnv), expr.AsBool(), expr.DisableBuiltin("now")}, money.ExprOptions()...)
			if _, err := expr.Compile(d.Where, opts...); err != nil {
				return nil, fail(d.Line, "feature %s: where %q: %v", d.Name, d.Where, oneLine(err.Error()))
			}
		}
		src := fmt.Sprintf("%s:%d", path, d.Line)
		add := func(name string, t Type, nullable bool) error {
			k := d.Key + "." + name
			if prev, dup := names[k]; dup {
				return fail(d.Line, "feature %s: %s is declared twice (first on line %d)", d.Name, k, prev)
			}
			names[k] = d.Line
			f.Fields = append(f.Fields, FeatureField{Object: d.Key, Name: name, Field: Field{Type: t, Nullable: nullable, Source: src}})
			return nil
		}
		numeric := ofType.Kind == KindInt || ofType.Kind == KindMoney || ofType.Kind == KindFloat
		switch d.Agg {
		case "count", "distinct":
			err = add(d.Name, Int, false)
		case "sum":
			if !numeric {
				return nil, fail(d.Line, "feature %s: sum of %s (%s): expected a numeric column", d.Name, d.Of, ofType)
			}
			err = add(d.Name, ofType, false)
		case "min", "max":
			if !numeric && ofType.Kind != KindTime {
				return nil, fail(d.Line, "feature %s: %s of %s (%s): expected a numeric or time column", d.Name, d.Agg, d.Of, ofType)
			}
			err = add(d.Name, ofType, true)
		case "stats":
			if !numeric {
				return nil, fail(d.Line, "feature %s: stats of %s (%s): expected a numeric column", d.Name, d.Of, ofType)
			}
			if err = add(d.Name+"_n", Int, false); err == nil {
				if err = add(d.Name+"_mean", Float, false); err == nil {
					err = add(d.Name+"_std", Float, false)
				}
			}
		case "last_time":
			err = add(d.Name, Time, true)
		case "last_n":
			err = add(d.Name, ListOf(ofType), false)
		case "seen":
			err = add(d.Name, Bool, false)
		}
		if err != nil {
			return nil, err
		}
		f.Decls = append(f.Decls, d)
	}
	return f, nil
}

// columnType types an of: a contract column, or object.field of the extra objects.
func columnType(of string, tx *schemas.Table, objects map[string]map[string]string) (Type, error) {
	if obj, field, ok := strings.Cut(of, "."); ok {
		sqlType, found := objects[obj][field]
		if !found {
			return Type{}, fmt.Errorf("%q is neither a column of %s nor a field declared in objects", of, tx.Name)
		}
		return objectFieldType(obj, field, sqlType)
	}
	c := tx.Column(of)
	if c == nil {
		return Type{}, fmt.Errorf("%q is not a column of %s", of, tx.Name)
	}
	return TypeOfSQL(c.SQL)
}

// oneLine folds expr's multi-line error (message, snippet, caret) into one line.
func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}
