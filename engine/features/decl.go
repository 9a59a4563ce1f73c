package features

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// Objects are the key objects a declaration may use, as the rule environment names them.
var Objects = []string{"acct", "cust", "merch", "dev", "ip", "pair"}

// Window bounds of a feature.
const (
	MinWindow = time.Minute
	MaxWindow = 400 * 24 * time.Hour
)

// Decl is a parsed, validated features declaration (pipelines/features/*.yaml). It is
// immutable once parsed and may be shared by several engines.
type Decl struct {
	Path      string
	Time      string // the event-time column of the contract
	Keys      []Key  // in declaration order
	Watermark Watermark
	Features  []Feature
	// Fields are the output fields, in declaration order (stats expands to _n, _mean, _std).
	Fields []Field

	cols     []column // value slots: stored ones first (keys, of:), then where-only columns
	nStored  int
	timeSlot int
	wheres   []*where
	types    []colType // of cols
	// slotByName maps a row member (contract column) to its slot.
	slotByName map[string]int
	idColumn   string
}

func (d *Decl) colTypes() []colType { return d.types }

// Key is one keys: entry: an object and the column(s) its key is made of.
type Key struct {
	Object  string
	Columns []string
	Line    int

	slots     []int
	features  []int // indexes into Decl.Features
	maxWindow time.Duration
}

// Watermark holds the declaration's watermark settings (defaults 5s, 10s, 30s).
type Watermark struct {
	MaxOutOfOrderness, IdleTimeout, MaxDelay time.Duration
}

// Feature is one entry of features:.
type Feature struct {
	Name, Key, Agg, Of, Where string
	Window                    time.Duration
	N                         int
	Line                      int

	agg      aggKind
	window   int64 // µs
	key      int   // index into Decl.Keys
	ofSlot   int   // -1 without of:
	ofType   colType
	whereBit int // -1 without where:
	field    int // index of its first output field
}

// Field is one output field: <object>.<name> in the rule environment.
type Field struct {
	Object, Name string
	// Type is the value's type: int, money, float, string, bool, time, or list<elem>.
	Type    string
	feature int
	part    int // stats: 0 n, 1 mean, 2 std
}

// column is one value slot: a contract column, or an object.field an earlier processor
// (enrich) put in the ledgerflow_env metadata.
type column struct {
	name   string // "amount" or "merch.lat"
	object string // "" for a contract column
	field  string
	typ    colType
}

type aggKind uint8

const (
	aggCount aggKind = iota
	aggSum
	aggMin
	aggMax
	aggDistinct
	aggStats
	aggLastTime
	aggLastN
	aggSeen
)

var aggKinds = map[string]aggKind{"count": aggCount, "sum": aggSum, "min": aggMin, "max": aggMax, "distinct": aggDistinct,
	"stats": aggStats, "last_time": aggLastTime, "last_n": aggLastN, "seen": aggSeen}

var aggSpecs = map[string]struct{ needsOf, needsN bool }{
	"count": {}, "sum": {needsOf: true}, "min": {needsOf: true}, "max": {needsOf: true},
	"distinct": {needsOf: true}, "stats": {needsOf: true}, "last_time": {},
	"last_n": {needsOf: true, needsN: true}, "seen": {needsOf: true},
}

// Load reads and validates a declaration file. tx is the transactions contract; objects
// types the enrichment fields an `of: merch.lat` may name (object -> field -> SQL type).
func Load(path string, tx *schemas.Table, objects map[string]map[string]string) (*Decl, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("features declaration: %w", err)
	}
	return Parse(path, data, tx, objects)
}

// Parse is Load on data already read. Every error names path:line and the offending value.
func Parse(path string, data []byte, tx *schemas.Table, objects map[string]map[string]string) (*Decl, error) {
	// Defaults when watermark: omits a setting: the fraud design's values.
	d := &Decl{Path: path, Watermark: Watermark{MaxOutOfOrderness: 5 * time.Second, IdleTimeout: 10 * time.Second, MaxDelay: 30 * time.Second}}
	p := &parser{path: path, tx: tx, objects: objects, d: d, slotOf: map[string]int{}}
	if err := p.parse(data); err != nil {
		return nil, err
	}
	return p.d, nil
}

type parser struct {
	path    string
	tx      *schemas.Table
	objects map[string]map[string]string
	d       *Decl
	slotOf  map[string]int
}

func (p *parser) errf(line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", p.path, line, fmt.Sprintf(format, args...))
}

func (p *parser) parse(data []byte) error {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("%s: %w", p.path, err)
	}
	if len(doc.Content) == 0 {
		return fmt.Errorf("%s: empty features declaration", p.path)
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return p.errf(root.Line, "expected a mapping with time, keys, watermark and features")
	}
	d := p.d
	var featNode *yaml.Node
	var timeLine int
	seenTop := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], resolve(root.Content[i+1])
		if seenTop[k.Value] {
			return p.errf(k.Line, "%s is given twice", k.Value)
		}
		seenTop[k.Value] = true
		switch k.Value {
		case "time":
			d.Time, timeLine = v.Value, k.Line
		case "keys":
			if err := p.parseKeys(v); err != nil {
				return err
			}
		case "watermark":
			if err := p.parseWatermark(v); err != nil {
				return err
			}
		case "features":
			featNode = v
		default:
			return p.errf(k.Line, "unknown key %q (expected time, keys, watermark, features)", k.Value)
		}
	}
	if d.Time == "" {
		return fmt.Errorf("%s: time (the event-time column) is required", p.path)
	}
	c := p.tx.Column(d.Time)
	if c == nil {
		return p.errf(timeLine, "time: %q is not a column of %s", d.Time, p.tx.Name)
	}
	if ct, err := sqlColType(c.SQL); err != nil || ct.kind != kTime {
		return p.errf(timeLine, "time: column %s is %s, expected DATE, DATETIME or TIMESTAMP", c.Name, c.Type)
	}
	d.Time = c.Name
	if len(d.Keys) == 0 {
		return fmt.Errorf("%s: keys is required (object -> key column or columns)", p.path)
	}
	if featNode == nil || featNode.Kind != yaml.SequenceNode || len(featNode.Content) == 0 {
		line := 0
		if featNode != nil {
			line = featNode.Line
		}
		return p.errf(line, "features must be a non-empty list")
	}
	// Stored slots first: key columns and of: columns; where-only columns after them.
	for ki := range d.Keys {
		k := &d.Keys[ki]
		for _, col := range k.Columns {
			s, err := p.slot(col)
			if err != nil {
				return p.errf(k.Line, "keys.%s: %v", k.Object, err)
			}
			k.slots = append(k.slots, s)
		}
	}
	fields := map[string]int{}
	for _, item := range featNode.Content {
		if err := p.parseFeature(resolve(item), fields); err != nil {
			return err
		}
	}
	d.nStored = len(d.cols)
	for fi := range d.Features {
		f := &d.Features[fi]
		if f.Where == "" {
			continue
		}
		if len(d.wheres) == 64 {
			return p.errf(f.Line, "feature %s: more than 64 distinct where predicates", f.Name)
		}
		w, err := compileWhere(f.Where, p.contractTypes(), func(name string) int { s, _ := p.slot(name); return s })
		if err != nil {
			return p.errf(f.Line, "feature %s: where %q: %v", f.Name, f.Where, err)
		}
		// One bit per distinct predicate text: two features with the same where share it.
		f.whereBit = -1
		for bi, ow := range d.wheres {
			if ow.src == f.Where {
				f.whereBit = bi
			}
		}
		if f.whereBit < 0 {
			f.whereBit = len(d.wheres)
			d.wheres = append(d.wheres, w)
		}
	}
	d.timeSlot, _ = p.slot(d.Time)
	d.slotByName = map[string]int{}
	for i, c := range d.cols {
		d.types = append(d.types, c.typ)
		if c.object == "" {
			d.slotByName[c.name] = i
		}
	}
	if len(p.tx.PrimaryKey) != 1 {
		return fmt.Errorf("%s: contract %s must have a single-column primary key (the transaction id), has %v", p.path, p.tx.Name, p.tx.PrimaryKey)
	}
	idc := p.tx.Column(p.tx.PrimaryKey[0])
	if ct, _ := sqlColType(idc.SQL); ct.kind != kInt {
		return fmt.Errorf("%s: primary key %s of %s must be an integer column, is %s", p.path, idc.Name, p.tx.Name, idc.Type)
	}
	d.idColumn = idc.Name
	return nil
}

func (p *parser) contractTypes() map[string]colType {
	m := make(map[string]colType, len(p.tx.Columns))
	for i := range p.tx.Columns {
		c := &p.tx.Columns[i]
		if ct, err := sqlColType(c.SQL); err == nil {
			m[c.Name] = ct
		}
	}
	return m
}

// slot returns the value slot of a contract column or object.field, allocating it.
func (p *parser) slot(name string) (int, error) {
	var col column
	if obj, field, ok := strings.Cut(name, "."); ok {
		sqlType, found := p.objects[obj][field]
		if !found {
			return 0, fmt.Errorf("%q is neither a column of %s nor a field declared in objects", name, p.tx.Name)
		}
		st, err := schemas.ParseSQLType(sqlType)
		if err != nil {
			return 0, fmt.Errorf("%s: %v", name, err)
		}
		ct, err := sqlColType(st)
		if err != nil {
			return 0, fmt.Errorf("%s: %v", name, err)
		}
		col = column{name: name, object: obj, field: field, typ: ct}
	} else {
		c := p.tx.Column(name)
		if c == nil {
			return 0, fmt.Errorf("%q is not a column of %s", name, p.tx.Name)
		}
		ct, err := sqlColType(c.SQL)
		if err != nil {
			return 0, fmt.Errorf("%s: %v", name, err)
		}
		col = column{name: c.Name, typ: ct}
	}
	if s, ok := p.slotOf[col.name]; ok {
		return s, nil
	}
	p.slotOf[col.name] = len(p.d.cols)
	p.d.cols = append(p.d.cols, col)
	return len(p.d.cols) - 1, nil
}

func (p *parser) parseKeys(v *yaml.Node) error {
	if v.Kind != yaml.MappingNode {
		return p.errf(v.Line, "keys: expected a mapping of object -> key column(s)")
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], resolve(v.Content[i+1])
		if !isObject(k.Value) {
			return p.errf(k.Line, "keys: unknown object %q (expected %s)", k.Value, strings.Join(Objects, ", "))
		}
		for _, prev := range p.d.Keys {
			if prev.Object == k.Value {
				return p.errf(k.Line, "keys: %s is declared twice (first on line %d)", k.Value, prev.Line)
			}
		}
		key := Key{Object: k.Value, Line: k.Line}
		switch val.Kind {
		case yaml.ScalarNode:
			key.Columns = []string{val.Value}
		case yaml.SequenceNode:
			for _, c := range val.Content {
				if c.Kind != yaml.ScalarNode {
					return p.errf(c.Line, "keys.%s: expected a column name", k.Value)
				}
				key.Columns = append(key.Columns, c.Value)
			}
		default:
			return p.errf(val.Line, "keys.%s: expected a column or a list of columns", k.Value)
		}
		if len(key.Columns) == 0 || len(key.Columns) > 4 {
			return p.errf(val.Line, "keys.%s: expected 1 to 4 columns, got %d", k.Value, len(key.Columns))
		}
		for ci, c := range key.Columns {
			col := p.tx.Column(c)
			if col == nil {
				return p.errf(val.Line, "keys.%s: %q is not a column of %s", k.Value, c, p.tx.Name)
			}
			key.Columns[ci] = col.Name
		}
		p.d.Keys = append(p.d.Keys, key)
	}
	return nil
}

func (p *parser) parseWatermark(v *yaml.Node) error {
	if v.Kind != yaml.MappingNode {
		return p.errf(v.Line, "watermark: expected a mapping (max_out_of_orderness, idle_timeout, max_delay)")
	}
	w := &p.d.Watermark
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], resolve(v.Content[i+1])
		var dst *time.Duration
		switch k.Value {
		case "max_out_of_orderness":
			dst = &w.MaxOutOfOrderness
		case "idle_timeout":
			dst = &w.IdleTimeout
		case "max_delay":
			dst = &w.MaxDelay
		default:
			return p.errf(k.Line, "watermark: unknown setting %q (expected max_out_of_orderness, idle_timeout, max_delay)", k.Value)
		}
		d, err := ParseDuration(val.Value)
		if err != nil || val.Kind != yaml.ScalarNode {
			return p.errf(val.Line, "watermark.%s: %q is not a duration (e.g. 5s, 10m)", k.Value, truncate(val.Value))
		}
		*dst = d
	}
	return nil
}

func (p *parser) parseFeature(item *yaml.Node, fields map[string]int) error {
	d := p.d
	if item.Kind != yaml.MappingNode {
		return p.errf(item.Line, "a feature must be a mapping ({ name, key, agg, window, ... })")
	}
	f := Feature{Line: item.Line, ofSlot: -1, whereBit: -1}
	var windowText, nText string
	given := map[string]bool{}
	for i := 0; i+1 < len(item.Content); i += 2 {
		k, v := item.Content[i], resolve(item.Content[i+1])
		if given[k.Value] {
			return p.errf(k.Line, "feature: %s is given twice", k.Value)
		}
		given[k.Value] = true
		if v.Kind != yaml.ScalarNode {
			return p.errf(v.Line, "feature: %s must be a scalar", k.Value)
		}
		switch k.Value {
		case "name":
			f.Name = v.Value
		case "key":
			f.Key = v.Value
		case "agg":
			f.Agg = v.Value
		case "of":
			f.Of = v.Value
		case "where":
			f.Where = v.Value
		case "window":
			windowText = v.Value
		case "n":
			nText = v.Value
		default:
			return p.errf(k.Line, "feature %s: unknown key %q (expected name, key, agg, of, where, window, n)", f.Name, k.Value)
		}
	}
	if !isIdent(f.Name) {
		return p.errf(f.Line, "feature: name %q must be an identifier (letters, digits, _)", truncate(f.Name))
	}
	f.key = -1
	for ki := range d.Keys {
		if d.Keys[ki].Object == f.Key {
			f.key = ki
		}
	}
	if f.key < 0 {
		return p.errf(f.Line, "feature %s: key %q is not declared under keys", f.Name, f.Key)
	}
	spec, ok := aggSpecs[f.Agg]
	if !ok {
		return p.errf(f.Line, "feature %s: unknown agg %q (expected count, sum, min, max, distinct, stats, last_time, last_n, seen)", f.Name, f.Agg)
	}
	if windowText == "" {
		return p.errf(f.Line, "feature %s: window is required", f.Name)
	}
	w, err := ParseDuration(windowText)
	if err != nil || w < MinWindow || w > MaxWindow {
		return p.errf(f.Line, "feature %s: window %q must be a duration from 1m to 400d", f.Name, truncate(windowText))
	}
	f.Window, f.window = w, w.Microseconds()
	f.agg = aggKinds[f.Agg]
	if spec.needsOf != (f.Of != "") {
		if spec.needsOf {
			return p.errf(f.Line, "feature %s: agg %s needs of: (the column it aggregates)", f.Name, f.Agg)
		}
		return p.errf(f.Line, "feature %s: agg %s takes no of:", f.Name, f.Agg)
	}
	if spec.needsN {
		n, err := strconv.Atoi(nText)
		if err != nil || n < 1 || n > 1000 {
			return p.errf(f.Line, "feature %s: agg last_n needs n: from 1 to 1000, got %q", f.Name, truncate(nText))
		}
		f.N = n
	} else if nText != "" {
		return p.errf(f.Line, "feature %s: agg %s takes no n:", f.Name, f.Agg)
	}
	if f.Of != "" {
		s, err := p.slot(f.Of)
		if err != nil {
			return p.errf(f.Line, "feature %s: of: %v", f.Name, err)
		}
		f.ofSlot, f.ofType = s, d.cols[s].typ
	}
	k := f.ofType.kind
	exact := k == kInt || k == kDec
	switch f.Agg {
	case "sum", "stats":
		if !exact {
			return p.errf(f.Line, "feature %s: %s of %s (%s): expected an integer or DECIMAL column (a float has no exact sum)", f.Name, f.Agg, f.Of, k)
		}
	case "min", "max":
		if !exact && k != kFloat && k != kTime {
			return p.errf(f.Line, "feature %s: %s of %s (%s): expected a numeric or time column", f.Name, f.Agg, f.Of, k)
		}
	}
	f.field = len(d.Fields)
	add := func(name, typ string, part int) error {
		full := f.Key + "." + name
		if prev, dup := fields[full]; dup {
			return p.errf(f.Line, "feature %s: %s is declared twice (first on line %d)", f.Name, full, prev)
		}
		fields[full] = f.Line
		d.Fields = append(d.Fields, Field{Object: f.Key, Name: name, Type: typ, feature: len(d.Features), part: part})
		return nil
	}
	ofName := typeName(f.ofType)
	switch f.Agg {
	case "count", "distinct":
		err = add(f.Name, "int", 0)
	case "sum", "min", "max":
		err = add(f.Name, ofName, 0)
	case "stats":
		err = errors.Join(add(f.Name+"_n", "int", 0), add(f.Name+"_mean", "float", 1), add(f.Name+"_std", "float", 2))
	case "last_time":
		err = add(f.Name, "time", 0)
	case "last_n":
		err = add(f.Name, "list<"+ofName+">", 0)
	case "seen":
		err = add(f.Name, "bool", 0)
	}
	if err != nil {
		return err
	}
	key := &d.Keys[f.key]
	key.features = append(key.features, len(d.Features))
	key.maxWindow = max(key.maxWindow, f.Window)
	d.Features = append(d.Features, f)
	return nil
}

func typeName(t colType) string {
	switch t.kind {
	case kInt:
		return "int"
	case kDec:
		return "money"
	case kFloat:
		return "float"
	case kString:
		return "string"
	case kBool:
		return "bool"
	case kTime:
		return "time"
	}
	return ""
}

// sqlColType maps a contract type to the engine's value kinds.
func sqlColType(t schemas.SQLType) (colType, error) {
	switch t.Kind {
	case schemas.KindTinyInt, schemas.KindSmallInt, schemas.KindMediumInt, schemas.KindInt, schemas.KindBigInt, schemas.KindYear, schemas.KindBit:
		if t.Kind == schemas.KindBigInt && t.Unsigned {
			return colType{}, fmt.Errorf("BIGINT UNSIGNED does not fit an int64")
		}
		return colType{kind: kInt}, nil
	case schemas.KindBool:
		return colType{kind: kBool}, nil
	case schemas.KindDecimal:
		if t.Precision > 18 {
			return colType{}, fmt.Errorf("DECIMAL(%d,%d) has more than 18 digits", t.Precision, t.Scale)
		}
		return colType{kind: kDec, scale: int32(t.Scale)}, nil
	case schemas.KindFloat, schemas.KindDouble:
		return colType{kind: kFloat}, nil
	case schemas.KindDate, schemas.KindDateTime, schemas.KindTimestamp:
		return colType{kind: kTime}, nil
	}
	return colType{kind: kString}, nil
}

func isObject(s string) bool {
	for _, o := range Objects {
		if o == s {
			return true
		}
	}
	return false
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return false
	}
	return true
}

// resolve follows YAML aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode && depth < 16; depth++ {
		n = n.Alias
	}
	return n
}
