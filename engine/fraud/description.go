package fraud

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/expr-lang/expr/types"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// Objects are the names a rule may use before a dot: the transaction, the entities it is
// joined with, and the keys features are computed for.
var Objects = []string{"tx", "acct", "cust", "merch", "dev", "ip", "pair"}

// Field is one typed field of an environment object.
type Field struct {
	Type Type
	// Nullable fields may be nil at run time; a rule test that does not list one gives it
	// nil, where a NOT NULL field gets its type's zero value.
	Nullable bool
	// Source says where the field was declared ("schemas/transactions.yaml",
	// "pipelines/features/transactions.yaml:14", "objects"), for duplicate-name errors.
	Source string
}

type fieldInfo struct {
	Field
	object, name string
	key          string // "object.name": the flat name a compiled rule reads
	idx          int    // position in Description.list
}

// Description is the rule environment's shape: object -> field -> type. Rules compile
// against it (an unknown field or a type mismatch is a compile error) and an Env holds
// values of one transaction for it. Build it with NewDescription and Add, or with
// LoadDescription from a contract, a features declaration and extra objects. A Description
// must not be changed once an Env or a RuleSet uses it (Add then fails).
type Description struct {
	objects map[string]map[string]*fieldInfo
	flat    map[string]*fieldInfo
	list    []*fieldInfo
	// timeColumn is the tx column event_time mirrors ("" when there is none).
	timeColumn string
	// Indices in list of the fields derive reads and writes, -1 when not declared.
	timeCol, eventTime, localHour, timezone int
	// columns maps a row's JSON member names to tx fields (a contract column, or _op and
	// _source_pos of the debezium_unwrap row).
	columns map[string]*fieldInfo
	check   types.Map

	layoutOnce sync.Once
	layout     reflect.Type // the run-time environment: one `any` field per declared field
}

// NewDescription returns an empty description.
func NewDescription() *Description {
	return &Description{objects: map[string]map[string]*fieldInfo{}, flat: map[string]*fieldInfo{}, columns: map[string]*fieldInfo{},
		timeCol: -1, eventTime: -1, localHour: -1, timezone: -1}
}

func knownObject(o string) bool {
	for _, k := range Objects {
		if k == o {
			return true
		}
	}
	return false
}

// Add declares object.field. It fails on an unknown object, a name that is not an
// identifier, or a name already declared in that object (naming both declarations).
func (d *Description) Add(object, field string, f Field) error {
	if d.layout != nil {
		return fmt.Errorf("%s.%s: the description is in use and can no longer change", object, field)
	}
	if !knownObject(object) {
		return fmt.Errorf("unknown object %q (expected one of %s)", object, strings.Join(Objects, ", "))
	}
	if !isIdent(field) {
		return fmt.Errorf("%s.%s: a field name must be a letter or _ followed by letters, digits or _", object, field)
	}
	if f.Type.Kind == KindInvalid {
		return fmt.Errorf("%s.%s: no type", object, field)
	}
	m := d.objects[object]
	if m == nil {
		m = map[string]*fieldInfo{}
		d.objects[object] = m
	}
	if prev, dup := m[field]; dup {
		return fmt.Errorf("%s.%s is declared twice: in %s and in %s", object, field, prev.Source, f.Source)
	}
	fi := &fieldInfo{Field: f, object: object, name: field, key: object + "." + field, idx: len(d.list)}
	m[field] = fi
	d.flat[fi.key] = fi
	d.list = append(d.list, fi)
	switch fi.key {
	case "tx.event_time":
		d.eventTime = fi.idx
	case "tx.local_hour":
		d.localHour = fi.idx
	case "cust.timezone":
		d.timezone = fi.idx
	}
	d.check = nil
	return nil
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
		case i > 0 && c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return true
}

// Field returns the declaration of object.field.
func (d *Description) Field(object, field string) (Field, bool) {
	fi, ok := d.objects[object][field]
	if !ok {
		return Field{}, false
	}
	return fi.Field, true
}

// Fields lists an object's field names, sorted.
func (d *Description) Fields(object string) []string {
	var out []string
	for n := range d.objects[object] {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// String lists the environment, one "object.field type" per line, for `ledgerflow lint`
// and error messages.
func (d *Description) String() string {
	var b strings.Builder
	for _, o := range Objects {
		for _, n := range d.Fields(o) {
			fi := d.objects[o][n]
			null := ""
			if fi.Nullable {
				null = " (nullable)"
			}
			fmt.Fprintf(&b, "%s.%s %s%s\n", o, n, fi.Type, null)
		}
	}
	return b.String()
}

// envLayout is the struct a compiled rule reads its values from: field i holds the value
// of d.list[i] as an `any`, tagged with its flat name ("tx.amount") so that expr-lang
// compiles a read to a field load by index. A struct of n interface fields is laid out as
// an [n]any (checked here), which lets an Env fill it as a slice.
func (d *Description) envLayout() reflect.Type {
	d.layoutOnce.Do(func() {
		anyType := reflect.TypeOf((*any)(nil)).Elem()
		fields := make([]reflect.StructField, len(d.list))
		for i, fi := range d.list {
			fields[i] = reflect.StructField{Name: "F" + strconv.Itoa(i), Type: anyType, Tag: reflect.StructTag(`expr:"` + fi.key + `"`)}
		}
		t := reflect.StructOf(fields)
		for i := range fields {
			if t.Field(i).Offset != uintptr(i)*unsafe.Sizeof(any(nil)) {
				panic("fraud: unexpected layout of the environment struct")
			}
		}
		d.layout = t
	})
	return d.layout
}

// checkEnv is the flat environment rules are type-checked against: "object.field" -> type.
func (d *Description) checkEnv() types.Map {
	if d.check == nil {
		m := types.Map{}
		for k, fi := range d.flat {
			m[k] = fi.Type.exprType()
		}
		d.check = m
	}
	return d.check
}

// AddContract declares the tx object from a table contract: every column, typed with
// TypeOfSQL and nullable as the contract says, plus the fields the debezium_unwrap row and
// the engine add: op (string: c, u, d or r), source_pos (string), event_time (time, the
// value of timeColumn) and local_hour (int 0–23 of event_time in cust.timezone when the
// environment has it and the value names a zone, else UTC).
func (d *Description) AddContract(t *schemas.Table, source, timeColumn string) error {
	for i := range t.Columns {
		c := &t.Columns[i]
		typ, err := TypeOfSQL(c.SQL)
		if err != nil {
			return fmt.Errorf("%s: column %s: %w", source, c.Name, err)
		}
		if err := d.Add("tx", c.Name, Field{Type: typ, Nullable: c.IsNullable(), Source: source}); err != nil {
			return err
		}
		d.columns[c.Name] = d.objects["tx"][c.Name]
	}
	derived := []struct {
		name, column string
		t            Type
		nullable     bool
	}{
		{"op", "_op", String, false},
		{"source_pos", "_source_pos", String, true},
		{"event_time", "", Time, false},
		{"local_hour", "", Int, false},
	}
	for _, f := range derived {
		if err := d.Add("tx", f.name, Field{Type: f.t, Nullable: f.nullable, Source: "the rule engine (derived from the row)"}); err != nil {
			return err
		}
		if f.column != "" {
			d.columns[f.column] = d.objects["tx"][f.name]
		}
	}
	if timeColumn != "" {
		c := t.Column(timeColumn)
		if c == nil {
			return fmt.Errorf("%s: event-time column %q is not a column", source, timeColumn)
		}
		if typ, _ := TypeOfSQL(c.SQL); typ != Time {
			return fmt.Errorf("%s: event-time column %q is %s, expected a DATE, DATETIME or TIMESTAMP", source, timeColumn, c.Type)
		}
		d.timeColumn = c.Name
		d.timeCol = d.objects["tx"][c.Name].idx
	}
	return nil
}

// EnvironmentConfig says where the parts of a Description come from.
type EnvironmentConfig struct {
	// SchemaFile is the transactions contract (schemas.Load: an embedded name or a path).
	SchemaFile string `yaml:"schema_file"`
	// FeaturesFile is an optional features declaration (see ParseFeatures).
	FeaturesFile string `yaml:"features_file"`
	// Objects declares extra fields, object -> field -> SQL column type, such as the
	// enrichment columns of acct, cust and merch. They are always nullable: an entity not
	// found by the enrichment leaves them nil.
	Objects map[string]map[string]string `yaml:"objects"`
}

// LoadDescription builds the environment of cfg: tx from the contract, the features of the
// declaration under their key objects, then the extra objects. A field declared twice in
// one object fails, naming both places.
func LoadDescription(cfg EnvironmentConfig) (*Description, error) {
	if cfg.SchemaFile == "" {
		return nil, fmt.Errorf("environment: schema_file (the transactions contract) is required")
	}
	t, err := schemas.Load(cfg.SchemaFile)
	if err != nil {
		return nil, fmt.Errorf("environment: schema_file: %w", err)
	}
	d := NewDescription()
	var feats *Features
	timeColumn := ""
	if t.Column("event_ts") != nil {
		timeColumn = "event_ts"
	}
	if cfg.FeaturesFile != "" {
		feats, err = LoadFeatures(cfg.FeaturesFile, t, cfg.Objects)
		if err != nil {
			return nil, err
		}
		timeColumn = feats.Time
	}
	if err := d.AddContract(t, cfg.SchemaFile, timeColumn); err != nil {
		return nil, err
	}
	objs := make([]string, 0, len(cfg.Objects))
	for o := range cfg.Objects {
		objs = append(objs, o)
	}
	sort.Strings(objs)
	for _, o := range objs {
		if o == "tx" {
			return nil, fmt.Errorf("environment: objects: tx comes from schema_file and cannot be extended here")
		}
		names := make([]string, 0, len(cfg.Objects[o]))
		for n := range cfg.Objects[o] {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			typ, err := objectFieldType(o, n, cfg.Objects[o][n])
			if err != nil {
				return nil, err
			}
			if err := d.Add(o, n, Field{Type: typ, Nullable: true, Source: "objects"}); err != nil {
				return nil, fmt.Errorf("environment: objects: %w", err)
			}
		}
	}
	if feats != nil {
		for _, f := range feats.Fields {
			if err := d.Add(f.Object, f.Name, f.Field); err != nil {
				return nil, fmt.Errorf("environment: %w", err)
			}
		}
	}
	return d, nil
}

func objectFieldType(object, field, sqlType string) (Type, error) {
	st, err := schemas.ParseSQLType(sqlType)
	if err != nil {
		return Type{}, fmt.Errorf("environment: objects: %s.%s: %w", object, field, err)
	}
	typ, err := TypeOfSQL(st)
	if err != nil {
		return Type{}, fmt.Errorf("environment: objects: %s.%s: %w", object, field, err)
	}
	return typ, nil
}
