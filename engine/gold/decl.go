package gold

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// Kind is an aggregate function.
type Kind int

// Aggregate functions.
const (
	Count Kind = iota + 1
	Sum
	Min
	Max
	CountDistinct
	Ratio
	Derived // expr: an exact expression over earlier aggregates
)

var kindKeys = map[string]Kind{"count": Count, "sum": Sum, "min": Min, "max": Max, "count_distinct": CountDistinct, "ratio": Ratio, "expr": Derived}

func (k Kind) String() string {
	for s, v := range kindKeys {
		if v == k {
			return s
		}
	}
	return "unknown"
}

// DefaultKeep is how many extreme values a min or max keeps per group (see Aggregate.Keep).
const DefaultKeep = 4

// Column is one column of the source rows a declaration reads.
type Column struct {
	Name     string
	Type     schema.Type
	Nullable bool
}

// Group is one group-by column.
type Group struct {
	Name string
	Type schema.Type
	Line int
	expr *program
}

// Aggregate is one aggregate column.
type Aggregate struct {
	Name   string
	Kind   Kind
	Type   schema.Type // the output column's type
	Output bool        // false: a component other columns read, not written
	// Keep bounds a min/max's state: the Keep smallest (largest) values of the group; 0
	// keeps them all. See State.NeedsRefill.
	Keep int
	Line int

	input, where *program // count (nil input: rows), sum, min, max, count_distinct
	num, den     *program // ratio
	derived      *program // expr
	inType       reflect.Type
	slot         int // state slot of its kind (counts, sums, extremes, distincts)
}

// Decl is a compiled gold declaration. It is immutable and safe for concurrent use.
type Decl struct {
	Table       string
	Description string
	File        string
	Source      string // the silver table
	Contract    *schemas.Table
	BackfillBy  string // a DATE group column, "" when the table backfills only whole
	Groups      []Group
	Aggregates  []Aggregate

	columns  []Column // the source row as expressions see it (rowSpec order)
	rowSpec  *envSpec
	aggSpec  *envSpec
	where    *program
	reads    []int // rowSpec indexes any expression reads
	backfill int   // index in Groups of BackfillBy, -1
	hash     string

	nCounts, nSums, nExt, nDist int
}

// Hash identifies the declaration's text: a gold table written under one declaration must
// be backfilled before another one writes it.
func (d *Decl) Hash() string { return d.hash }

// Columns lists the source columns the declaration's expressions can read, in the order of
// DefaultSchema.
func (d *Decl) Columns() []Column { return append([]Column(nil), d.columns...) }

// Reads lists the source columns the expressions read: the columns a scan of silver must
// project.
func (d *Decl) Reads() []string {
	out := make([]string, len(d.reads))
	for i, r := range d.reads {
		out[i] = d.columns[r].Name
	}
	return out
}

// OutputSchema is the gold table's schema: the group columns, then the output aggregates.
func (d *Decl) OutputSchema() *schema.StructType {
	var fs []schema.StructField
	for _, g := range d.Groups {
		nullable := true
		if g.expr.ident >= 0 {
			nullable = d.columns[g.expr.ident].Nullable
		}
		fs = append(fs, schema.StructField{Name: g.Name, Type: g.Type, Nullable: nullable})
	}
	for _, a := range d.Aggregates {
		if !a.Output {
			continue
		}
		nullable := a.Kind == Min || a.Kind == Max || a.Kind == Ratio || a.Kind == Derived
		fs = append(fs, schema.StructField{Name: a.Name, Type: a.Type, Nullable: nullable})
	}
	return &schema.StructType{Fields: fs}
}

// DefaultSchema is the silver row layout the declaration's columns have when no silver
// table is at hand (tests, lint): the contract's columns, its partition column, the declared
// extra columns, then _op, _source_ts and _source_pos. Bind a real silver schema instead
// when there is one.
func (d *Decl) DefaultSchema() *schema.StructType {
	fs := make([]schema.StructField, len(d.columns))
	for i, c := range d.columns {
		fs[i] = schema.StructField{Name: c.Name, Type: c.Type, Nullable: c.Nullable}
	}
	return &schema.StructType{Fields: fs}
}

// ContractLoader finds a table contract by the name or path a declaration gives.
type ContractLoader func(nameOrPath string) (*schemas.Table, error)

// Parse compiles a declaration; file names it in errors. Contracts are loaded with
// schemas.Load (embedded by bare name, else a file). On failure the error is an Errors
// listing every problem with its line and column.
func Parse(data []byte, file string) (*Decl, error) {
	return ParseWith(data, file, schemas.Load)
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

const maxNameLen = 128

// ParseWith is Parse with another contract loader.
func ParseWith(data []byte, file string, load ContractLoader) (*Decl, error) {
	p := &parser{d: &Decl{File: file, backfill: -1}, load: load}
	sum := sha256.Sum256(data)
	p.d.hash = hex.EncodeToString(sum[:8])
	root, err := decodeYAML(data)
	if err != nil {
		line := 0
		fmt.Sscanf(err.Error(), "yaml: line %d:", &line)
		p.add(&Error{Line: line, Message: err.Error()})
		return nil, p.errs
	}
	if root == nil {
		p.add(&Error{Line: 1, Message: "empty declaration: expected a mapping with table, source, group_by and aggregates"})
		return nil, p.errs
	}
	p.parse(root)
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return p.d, nil
}

type parser struct {
	d    *Decl
	load ContractLoader
	errs Errors
}

func (p *parser) add(e *Error) {
	if e == nil {
		return
	}
	e.File, e.Table = p.d.File, p.d.Table
	p.errs = append(p.errs, e)
}

func (p *parser) parse(root *node) {
	ms, e := members(root, "the declaration")
	if e != nil {
		p.add(e)
		return
	}
	byKey := map[string]member{}
	for _, m := range ms {
		switch m.key {
		case "table", "description", "source", "where", "backfill_by", "group_by", "aggregates":
			byKey[m.key] = m
		default:
			p.add(&Error{Line: m.line, Column: m.col, Message: fmt.Sprintf("unknown key %q (expected table, description, source, where, backfill_by, group_by, aggregates)", truncate(m.key, 40))})
		}
	}
	if m, ok := byKey["table"]; ok {
		if s, e := scalar(m.value, "table"); e != nil {
			p.add(e)
		} else if !nameRE.MatchString(s) || len(s) > maxNameLen {
			p.add(errAt(m.value, "table name %q: expected lower-case letters, digits and _ starting with a letter", truncate(s, 40)))
		} else {
			p.d.Table = s
		}
	} else {
		p.add(&Error{Line: root.Line, Column: root.Column, Message: "table is required"})
	}
	if m, ok := byKey["description"]; ok {
		if s, e := scalar(m.value, "description"); e != nil {
			p.add(e)
		} else {
			p.d.Description = s
		}
	}
	m, ok := byKey["source"]
	if !ok {
		p.add(&Error{Line: root.Line, Column: root.Column, Message: "source is required (source: {table: <silver table>})"})
		return
	}
	if !p.source(m.value) {
		return // without the source's columns no expression can be checked
	}
	if m, ok := byKey["where"]; ok {
		p.d.where = p.expr(m.value, p.d.rowSpec, "where", true)
	}
	if m, ok := byKey["group_by"]; ok {
		p.groups(m.value)
	} else {
		p.add(&Error{Line: root.Line, Column: root.Column, Message: "group_by is required"})
	}
	p.d.aggSpec = newEnvSpec()
	if m, ok := byKey["aggregates"]; ok {
		p.aggregates(m.value)
	} else {
		p.add(&Error{Line: root.Line, Column: root.Column, Message: "aggregates is required"})
	}
	if m, ok := byKey["backfill_by"]; ok {
		p.backfillBy(m.value)
	}
	p.collectReads()
}

func (p *parser) source(n *node) bool {
	ms, e := members(n, "source")
	if e != nil {
		p.add(e)
		return false
	}
	var table, contract string
	var extra *node
	for _, m := range ms {
		switch m.key {
		case "table":
			s, e := scalar(m.value, "source.table")
			p.add(e)
			table = s
		case "contract":
			s, e := scalar(m.value, "source.contract")
			p.add(e)
			contract = s
		case "columns":
			extra = m.value
		default:
			p.add(&Error{Line: m.line, Column: m.col, Field: "source", Message: fmt.Sprintf("unknown key %q (expected table, contract, columns)", truncate(m.key, 40))})
		}
	}
	if table == "" {
		p.add(&Error{Line: n.Line, Column: n.Column, Field: "source", Message: "table is required: the silver table the gold table aggregates"})
		return false
	}
	if !nameRE.MatchString(table) {
		p.add(errAt(n, "source.table %q: expected a table name", truncate(table, 40)))
		return false
	}
	p.d.Source = table
	if contract == "" {
		contract = table
	}
	t, err := p.load(contract)
	if err != nil {
		p.add(&Error{Line: n.Line, Column: n.Column, Field: "source", Message: fmt.Sprintf("contract %q: %v", truncate(contract, 80), err)})
		return false
	}
	p.d.Contract = t
	spec := newEnvSpec()
	addCol := func(c Column, enum []string) {
		rt, _ := exprTypeOf(c.Type)
		spec.add(c.Name, rt)
		if len(enum) > 0 {
			spec.enums[c.Name] = enum
		}
		p.d.columns = append(p.d.columns, c)
	}
	isKey := map[string]bool{}
	for _, k := range t.PrimaryKey {
		isKey[k] = true
	}
	for i := range t.Columns {
		c := &t.Columns[i]
		dt, err := deltaTypeOfSQL(c.SQL)
		if err != nil {
			p.add(&Error{Line: n.Line, Field: "source", Message: fmt.Sprintf("contract column %s: %v", c.Name, err)})
			continue
		}
		var enum []string
		if c.SQL.Kind == schemas.KindEnum {
			enum = c.SQL.Values
		}
		addCol(Column{Name: c.Name, Type: dt, Nullable: c.IsNullable() && !isKey[c.Name]}, enum)
	}
	if t.Partition != nil {
		addCol(Column{Name: t.Partition.Column, Type: schema.DateType, Nullable: t.Column(t.Partition.Source).IsNullable()}, nil)
	}
	if extra != nil {
		p.extraColumns(extra, spec, addCol)
	}
	addCol(Column{Name: schemas.ColOp, Type: schema.String}, []string{"c", "u", "d", "r"})
	addCol(Column{Name: schemas.ColSourceTS, Type: schema.Timestamp, Nullable: true}, nil)
	addCol(Column{Name: schemas.ColSourcePos, Type: schema.String, Nullable: true}, nil)
	p.d.rowSpec = spec
	return true
}

func (p *parser) extraColumns(n *node, spec *envSpec, addCol func(Column, []string)) {
	if n.Kind != nodeSeq {
		p.add(errAt(n, "source.columns must be a list of {name, type}, got %s", kindName(n)))
		return
	}
	for i, item := range n.Content {
		item = resolve(item)
		what := fmt.Sprintf("source.columns[%d]", i)
		ms, e := members(item, what)
		if e != nil {
			p.add(e)
			continue
		}
		var name, typ string
		nullable := true
		for _, m := range ms {
			switch m.key {
			case "name":
				s, e := scalar(m.value, what+".name")
				p.add(e)
				name = s
			case "type":
				s, e := scalar(m.value, what+".type")
				p.add(e)
				typ = s
			case "nullable":
				nullable = m.value.Value != "false"
			case "description":
			default:
				p.add(&Error{Line: m.line, Column: m.col, Field: what, Message: fmt.Sprintf("unknown key %q (expected name, type, nullable, description)", truncate(m.key, 40))})
			}
		}
		if name == "" || typ == "" {
			p.add(&Error{Line: item.Line, Column: item.Column, Field: what, Message: "name and type are required"})
			continue
		}
		if _, dup := spec.index[name]; dup || schemas.IsReservedColumn(name) {
			p.add(&Error{Line: item.Line, Column: item.Column, Field: what, Message: fmt.Sprintf("column %q is already a column of the source (or reserved)", truncate(name, 40))})
			continue
		}
		st, err := schemas.ParseSQLType(typ)
		var dt schema.Type
		if err == nil {
			dt, err = deltaTypeOfSQL(st)
		}
		if err != nil {
			p.add(&Error{Line: item.Line, Column: item.Column, Field: what + " " + name, Message: err.Error()})
			continue
		}
		addCol(Column{Name: name, Type: dt, Nullable: nullable}, st.Values)
	}
}

// expr compiles the scalar n against spec, reporting errors at their place in the file.
func (p *parser) expr(n *node, spec *envSpec, field string, asBool bool) *program {
	src, e := scalar(n, field)
	if e != nil {
		e.Field = ""
		p.add(e)
		return nil
	}
	prog, err := compileExpr(spec, src, asBool)
	if err != nil {
		ee, _ := err.(*exprError)
		line, col := n.Line, n.Column
		if ee != nil {
			if n.Style&(nodeLiteral|nodeFolded) != 0 {
				line += ee.line // a block scalar starts on the next line
				col = 0
			} else if ee.line <= 1 {
				col += ee.column
				if n.Style&(nodeDoubleQuoted|nodeSingleQuoted) != 0 {
					col++
				}
			} else {
				line += ee.line - 1
				col = ee.column
			}
		}
		p.add(&Error{Line: line, Column: col, Field: field, Expr: src, Message: err.Error()})
		return nil
	}
	return prog
}

func (p *parser) checkName(n *node, name, field string, taken map[string]int) bool {
	switch {
	case !nameRE.MatchString(name) || len(name) > maxNameLen:
		p.add(&Error{Line: n.Line, Column: n.Column, Field: field, Message: fmt.Sprintf("name %q: expected lower-case letters, digits and _ starting with a letter", truncate(name, 40))})
		return false
	case taken[name] > 0:
		p.add(&Error{Line: n.Line, Column: n.Column, Field: field, Message: fmt.Sprintf("name %q is already an output column (line %d)", name, taken[name])})
		return false
	}
	taken[name] = n.Line
	return true
}

func (p *parser) groups(n *node) {
	if n.Kind != nodeSeq || len(n.Content) == 0 {
		p.add(errAt(n, "group_by must be a non-empty list of {name, expr, type}, got %s", kindName(n)))
		return
	}
	taken := p.taken()
	for i, item := range n.Content {
		item = resolve(item)
		field := fmt.Sprintf("group_by[%d]", i)
		var name, typ string
		var exprNode, nameNode *node
		if item.Kind == nodeScalar {
			name, nameNode, exprNode = item.Value, item, item
		} else {
			ms, e := members(item, field)
			if e != nil {
				p.add(e)
				continue
			}
			for _, m := range ms {
				switch m.key {
				case "name":
					s, e := scalar(m.value, field+".name")
					p.add(e)
					name, nameNode = s, m.value
				case "expr":
					exprNode = m.value
				case "type":
					s, e := scalar(m.value, field+".type")
					p.add(e)
					typ = s
				case "description":
				default:
					p.add(&Error{Line: m.line, Column: m.col, Field: field, Message: fmt.Sprintf("unknown key %q (expected name, expr, type, description)", truncate(m.key, 40))})
				}
			}
		}
		if nameNode == nil || name == "" {
			p.add(&Error{Line: item.Line, Column: item.Column, Field: field, Message: "name is required"})
			continue
		}
		if !p.checkName(nameNode, name, field, taken) {
			continue
		}
		field += " " + name
		if exprNode == nil {
			exprNode = nameNode
		}
		prog := p.expr(exprNode, p.d.rowSpec, field+": expr", false)
		if prog == nil {
			continue
		}
		g := Group{Name: name, Line: nameNode.Line, expr: prog}
		var err error
		g.Type, err = p.outputType(prog, typ, field)
		if err != nil {
			p.add(&Error{Line: exprNode.Line, Column: exprNode.Column, Field: field, Message: err.Error()})
			continue
		}
		if prog.out == rtFloat {
			p.add(&Error{Line: exprNode.Line, Column: exprNode.Column, Field: field, Message: "a float cannot be a group key: equal amounts can differ in their last bit; group by a DECIMAL, integer, string or date"})
			continue
		}
		p.d.Groups = append(p.d.Groups, g)
	}
}

// taken lists the output names declared so far, with their lines.
func (p *parser) taken() map[string]int {
	m := map[string]int{}
	for _, g := range p.d.Groups {
		m[g.Name] = g.Line
	}
	for _, a := range p.d.Aggregates {
		m[a.Name] = a.Line
	}
	return m
}

// outputType is the output type of a value computed by prog: the declared type when given
// (it must suit the value), else the bare column's type, else the expression's.
func (p *parser) outputType(prog *program, declared, field string) (schema.Type, error) {
	var natural schema.Type
	if prog.ident >= 0 && prog.spec == p.d.rowSpec {
		natural = p.d.columns[prog.ident].Type
		if _, ok := natural.(schema.DecimalType); !ok {
			natural, _ = outputTypeFor(prog.out)
		}
	} else if t, ok := outputTypeFor(prog.out); ok {
		natural = t
	}
	if declared == "" {
		if natural == nil {
			if prog.out == rtMoney {
				return nil, fmt.Errorf("a decimal expression needs a type: DECIMAL(p,s)")
			}
			return nil, fmt.Errorf("an expression of type %s cannot be a column", prog.out)
		}
		return natural, nil
	}
	t, err := parseOutputType(declared)
	if err != nil {
		return nil, err
	}
	if !suits(prog.out, t) {
		return nil, fmt.Errorf("type %s does not hold the expression's %s values", sqlTypeName(t), typeWord(prog.out))
	}
	return t, nil
}

// suits reports whether values of expression type rt can be stored as t.
func suits(rt reflect.Type, t schema.Type) bool {
	if _, ok := t.(schema.DecimalType); ok {
		return rt == rtMoney || rt == rtInt
	}
	switch t {
	case schema.Long, schema.Integer:
		return rt == rtInt
	case schema.Double:
		return rt == rtFloat
	}
	nat, ok := outputTypeFor(rt)
	return ok && nat == t
}

func typeWord(rt reflect.Type) string {
	switch rt {
	case rtInt:
		return "integer"
	case rtMoney:
		return "decimal"
	case rtFloat:
		return "float"
	case rtString:
		return "string"
	case rtBool:
		return "boolean"
	case rtDate:
		return "date"
	case rtTime:
		return "timestamp"
	}
	if rt == nil {
		return "untyped"
	}
	return rt.String()
}

func (p *parser) backfillBy(n *node) {
	s, e := scalar(n, "backfill_by")
	if e != nil {
		p.add(e)
		return
	}
	for i, g := range p.d.Groups {
		if g.Name == s {
			if g.Type != schema.DateType {
				p.add(errAt(n, "backfill_by %q is a %s group column; it must be a DATE", s, sqlTypeName(g.Type)))
				return
			}
			p.d.BackfillBy, p.d.backfill = s, i
			return
		}
	}
	names := make([]string, len(p.d.Groups))
	for i, g := range p.d.Groups {
		names[i] = g.Name
	}
	p.add(errAt(n, "backfill_by %q is not a group_by column (have %s)", truncate(s, 40), strings.Join(names, ", ")))
}

// collectReads is the union of the source columns every row expression reads.
func (p *parser) collectReads() {
	seen := map[int]bool{}
	add := func(pr *program) {
		if pr == nil {
			return
		}
		for _, r := range pr.reads {
			seen[r] = true
		}
	}
	add(p.d.where)
	for _, g := range p.d.Groups {
		add(g.expr)
	}
	for _, a := range p.d.Aggregates {
		add(a.input)
		add(a.where)
	}
	for i := range p.d.columns {
		if seen[i] {
			p.d.reads = append(p.d.reads, i)
		}
	}
}
