// Package schema holds Delta Lake's table schema model (Spark's StructType JSON, as stored in
// metaData.schemaString) and the Go representation of cell values shared by the Delta reader,
// writer and the delta_lake output.
//
// Cell values, by Delta type (nil is SQL NULL everywhere):
//
//	boolean   bool          byte   int8     short  int16    integer int32   long int64
//	float     float32       double float64  string string   binary  []byte
//	date      Date (days since 1970-01-01)
//	timestamp time.Time (an instant, UTC location, microsecond precision)
//	timestamp_ntz time.Time (wall clock, UTC location, microsecond precision)
//	decimal(p,s) Decimal
//	struct    []any (one value per field, in field order)
//	array     []any
//	map       []MapEntry (in file order)
package schema

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Type is a Delta data type.
type Type interface {
	// String is the type's name in schemaString, e.g. "long" or "decimal(18,2)".
	String() string
	isType()
}

// PrimitiveType is a Delta primitive type, named as in schemaString.
type PrimitiveType string

// The primitive types of PROTOCOL.md §"Primitive Types".
const (
	String       PrimitiveType = "string"
	Long         PrimitiveType = "long"
	Integer      PrimitiveType = "integer"
	Short        PrimitiveType = "short"
	Byte         PrimitiveType = "byte"
	Float        PrimitiveType = "float"
	Double       PrimitiveType = "double"
	Boolean      PrimitiveType = "boolean"
	Binary       PrimitiveType = "binary"
	DateType     PrimitiveType = "date"
	Timestamp    PrimitiveType = "timestamp"
	TimestampNTZ PrimitiveType = "timestamp_ntz"
	Void         PrimitiveType = "void"
	Variant      PrimitiveType = "variant"
)

func (p PrimitiveType) String() string { return string(p) }
func (PrimitiveType) isType()          {}

// DecimalType is decimal(Precision,Scale), precision 1..38.
type DecimalType struct{ Precision, Scale int }

func (d DecimalType) String() string { return fmt.Sprintf("decimal(%d,%d)", d.Precision, d.Scale) }
func (DecimalType) isType()          {}

// ArrayType is an array of ElementType.
type ArrayType struct {
	ElementType  Type
	ContainsNull bool
}

func (a *ArrayType) String() string { return "array<" + a.ElementType.String() + ">" }
func (*ArrayType) isType()          {}

// MapType is a map from KeyType to ValueType.
type MapType struct {
	KeyType, ValueType Type
	ValueContainsNull  bool
}

func (m *MapType) String() string {
	return "map<" + m.KeyType.String() + "," + m.ValueType.String() + ">"
}
func (*MapType) isType() {}

// StructType is a struct; the table schema is one.
type StructType struct{ Fields []StructField }

func (s *StructType) String() string {
	parts := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		parts[i] = f.Name + ":" + f.Type.String()
	}
	return "struct<" + strings.Join(parts, ",") + ">"
}
func (*StructType) isType() {}

// StructField is one field of a struct. Metadata is kept verbatim (column mapping ids,
// invariants, generation expressions...) so a writer can check what it must honour.
type StructField struct {
	Name     string
	Type     Type
	Nullable bool
	Metadata map[string]any
}

// Index returns the position of the field named name (exact match first, then
// case-insensitive, as Delta column names are), or -1.
func (s *StructType) Index(name string) int {
	for i, f := range s.Fields {
		if f.Name == name {
			return i
		}
	}
	for i, f := range s.Fields {
		if strings.EqualFold(f.Name, name) {
			return i
		}
	}
	return -1
}

// Field returns the named field, or nil.
func (s *StructType) Field(name string) *StructField {
	if i := s.Index(name); i >= 0 {
		return &s.Fields[i]
	}
	return nil
}

// Parse decodes a schemaString. It fails on unknown type names, naming them.
func Parse(schemaString string) (*StructType, error) {
	var raw json.RawMessage = []byte(schemaString)
	t, err := parseType(raw)
	if err != nil {
		return nil, fmt.Errorf("schemaString: %w", err)
	}
	st, ok := t.(*StructType)
	if !ok {
		return nil, fmt.Errorf("schemaString: top level is %s, expected a struct", t)
	}
	return st, nil
}

type jsonField struct {
	Name     string          `json:"name"`
	Type     json.RawMessage `json:"type"`
	Nullable bool            `json:"nullable"`
	Metadata map[string]any  `json:"metadata"`
}

type jsonComplex struct {
	Type              string          `json:"type"`
	Fields            []jsonField     `json:"fields"`
	ElementType       json.RawMessage `json:"elementType"`
	ContainsNull      bool            `json:"containsNull"`
	KeyType           json.RawMessage `json:"keyType"`
	ValueType         json.RawMessage `json:"valueType"`
	ValueContainsNull bool            `json:"valueContainsNull"`
}

func parseType(raw json.RawMessage) (Type, error) {
	var name string
	if err := json.Unmarshal(raw, &name); err == nil {
		return parsePrimitive(name)
	}
	var c jsonComplex
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("type %s: %w", truncate(string(raw)), err)
	}
	switch c.Type {
	case "struct":
		st := &StructType{Fields: make([]StructField, 0, len(c.Fields))}
		for _, f := range c.Fields {
			ft, err := parseType(f.Type)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", f.Name, err)
			}
			st.Fields = append(st.Fields, StructField{Name: f.Name, Type: ft, Nullable: f.Nullable, Metadata: f.Metadata})
		}
		return st, nil
	case "array":
		et, err := parseType(c.ElementType)
		if err != nil {
			return nil, fmt.Errorf("array element: %w", err)
		}
		return &ArrayType{ElementType: et, ContainsNull: c.ContainsNull}, nil
	case "map":
		kt, err := parseType(c.KeyType)
		if err != nil {
			return nil, fmt.Errorf("map key: %w", err)
		}
		vt, err := parseType(c.ValueType)
		if err != nil {
			return nil, fmt.Errorf("map value: %w", err)
		}
		return &MapType{KeyType: kt, ValueType: vt, ValueContainsNull: c.ValueContainsNull}, nil
	}
	return nil, fmt.Errorf("unknown complex type %q", c.Type)
}

func parsePrimitive(name string) (Type, error) {
	switch PrimitiveType(name) {
	case String, Long, Integer, Short, Byte, Float, Double, Boolean, Binary, DateType, Timestamp, TimestampNTZ, Void, Variant:
		return PrimitiveType(name), nil
	}
	if strings.HasPrefix(name, "decimal") {
		if name == "decimal" {
			return DecimalType{Precision: 10, Scale: 0}, nil
		}
		inner := strings.TrimSuffix(strings.TrimPrefix(name, "decimal("), ")")
		p, s, ok := strings.Cut(inner, ",")
		if ok {
			pi, err1 := strconv.Atoi(strings.TrimSpace(p))
			si, err2 := strconv.Atoi(strings.TrimSpace(s))
			if err1 == nil && err2 == nil && pi >= 1 && pi <= 38 && si >= 0 && si <= pi {
				return DecimalType{Precision: pi, Scale: si}, nil
			}
		}
		return nil, fmt.Errorf("invalid decimal type %q (expected decimal(p,s), 1 <= p <= 38, 0 <= s <= p)", name)
	}
	return nil, fmt.Errorf("unknown type %q", name)
}

// MarshalJSON renders the schema exactly as schemaString expects it.
func (s *StructType) MarshalJSON() ([]byte, error) { return json.Marshal(typeJSON(s)) }

// JSON returns the schemaString form of s.
func (s *StructType) JSON() string {
	b, _ := s.MarshalJSON()
	return string(b)
}

type orderedField struct {
	Name     string         `json:"name"`
	Type     any            `json:"type"`
	Nullable bool           `json:"nullable"`
	Metadata map[string]any `json:"metadata"`
}

type orderedStruct struct {
	Type   string         `json:"type"`
	Fields []orderedField `json:"fields"`
}

type orderedArray struct {
	Type         string `json:"type"`
	ElementType  any    `json:"elementType"`
	ContainsNull bool   `json:"containsNull"`
}

type orderedMap struct {
	Type              string `json:"type"`
	KeyType           any    `json:"keyType"`
	ValueType         any    `json:"valueType"`
	ValueContainsNull bool   `json:"valueContainsNull"`
}

func typeJSON(t Type) any {
	switch v := t.(type) {
	case *StructType:
		fs := make([]orderedField, len(v.Fields))
		for i, f := range v.Fields {
			md := f.Metadata
			if md == nil {
				md = map[string]any{}
			}
			fs[i] = orderedField{Name: f.Name, Type: typeJSON(f.Type), Nullable: f.Nullable, Metadata: md}
		}
		return orderedStruct{Type: "struct", Fields: fs}
	case *ArrayType:
		return orderedArray{Type: "array", ElementType: typeJSON(v.ElementType), ContainsNull: v.ContainsNull}
	case *MapType:
		return orderedMap{Type: "map", KeyType: typeJSON(v.KeyType), ValueType: typeJSON(v.ValueType), ValueContainsNull: v.ValueContainsNull}
	default:
		return t.String()
	}
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
