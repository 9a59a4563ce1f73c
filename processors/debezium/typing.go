package debezium

import (
	"math"
	"strings"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// vkind is how a column's JSON value is read and rendered.
type vkind uint8

const (
	kRaw        vkind = iota // untyped: validated JSON copied as is
	kBool                    // true/false
	kBoolInt                 // TINYINT(1)/BOOL: true/false or 0/1 in, true/false out
	kInt                     // integer in [min, max]
	kFloat                   // any JSON number, copied
	kString                  // JSON string, copied (Enum, EnumSet, Json text, Xml, Uuid, Iso*)
	kBytes                   // base64 (or hex, per binary.handling.mode) string, copied
	kDecimal                 // exact decimal -> "123.45" at target scale
	kVarDecimal              // io.debezium.data.VariableScaleDecimal {scale, value}
	kDate                    // int days since epoch -> "YYYY-MM-DD"
	kTimeOfDay               // int units since midnight -> "HH:MM:SS.ffffff"
	kTimestamp               // int units since epoch -> "YYYY-MM-DDTHH:MM:SS.ffffffZ"
	kZoned                   // ISO-8601 string with offset -> UTC with Z
)

// colType is the compiled typing of one column.
type colType struct {
	kind      vkind
	unit      int64 // temporal: nanoseconds per unit (1e6 = ms, 1e3 = µs, 1 = ns)
	min, max  int64 // kInt range
	scale     int   // kDecimal: scale of base64 unscaled values; -1 unknown
	target    int   // kDecimal/kVarDecimal: output scale; -1 = keep the value's own
	precision int   // kDecimal: 0 = unbounded
	text      bool  // kDecimal: JSON strings are decimal text, not base64
	numOnly   bool  // kDecimal: only JSON numbers (Connect float64 in decimal.handling.mode=double)
	unknown   bool  // typed by the Connect schema, but the table contract lacks the column
	expect    string
}

// rowType types the columns of before/after images. Columns come in schema order on the
// wire, so lookups try the next position first and fall back to the name index.
type rowType struct {
	names  []string
	cols   []colType
	index  map[string]int
	strict bool // unknown columns are reported (a schema or contract describes the row)
}

func newRowType(n int, strict bool) *rowType {
	return &rowType{names: make([]string, 0, n), cols: make([]colType, 0, n), index: make(map[string]int, n), strict: strict}
}

func (rt *rowType) add(name string, c colType) {
	if _, dup := rt.index[name]; dup {
		return
	}
	rt.index[name] = len(rt.cols)
	rt.names = append(rt.names, name)
	rt.cols = append(rt.cols, c)
}

// lookup finds a column by raw name bytes, trying position hint first.
func (rt *rowType) lookup(name []byte, hint int) (int, bool) {
	if hint < len(rt.names) && rt.names[hint] == string(name) {
		return hint, true
	}
	i, ok := rt.index[string(name)]
	if !ok {
		i, ok = rt.index[strings.ToLower(string(name))]
	}
	return i, ok
}

func intRange(bits uint, unsigned bool) (int64, int64) {
	if unsigned {
		if bits >= 64 {
			return 0, math.MaxInt64
		}
		return 0, 1<<bits - 1
	}
	if bits >= 64 {
		return math.MinInt64, math.MaxInt64
	}
	return -(1 << (bits - 1)), 1<<(bits-1) - 1
}

// typingOptions are the config settings that affect typing.
type typingOptions struct {
	tinyint1AsBool bool
	decimalMode    string // precise | string | double (schemas disabled)
	timeMode       string // adaptive_time_microseconds | connect (schemas disabled)
}

// contractCol types a column from the table contract alone (Kafka Connect schemas disabled):
// the contract plus Debezium's documented default encodings decide.
func contractCol(c *schemas.Column, o typingOptions) colType {
	t := c.SQL
	switch t.Kind {
	case schemas.KindBool:
		return colType{kind: kBoolInt, expect: "a boolean (or 0/1) for " + c.Type}
	case schemas.KindTinyInt:
		if t.IsTinyIntOne() && o.tinyint1AsBool {
			return colType{kind: kBoolInt, expect: "a boolean (or 0/1) for " + c.Type}
		}
		lo, hi := intRange(8, t.Unsigned)
		return colType{kind: kInt, min: lo, max: hi, expect: "an integer for " + c.Type}
	case schemas.KindSmallInt:
		lo, hi := intRange(16, t.Unsigned)
		return colType{kind: kInt, min: lo, max: hi, expect: "an integer for " + c.Type}
	case schemas.KindMediumInt:
		lo, hi := intRange(24, t.Unsigned)
		return colType{kind: kInt, min: lo, max: hi, expect: "an integer for " + c.Type}
	case schemas.KindInt:
		lo, hi := intRange(32, t.Unsigned)
		return colType{kind: kInt, min: lo, max: hi, expect: "an integer for " + c.Type}
	case schemas.KindBigInt:
		lo, hi := intRange(64, t.Unsigned)
		return colType{kind: kInt, min: lo, max: hi, expect: "an integer for " + c.Type}
	case schemas.KindYear:
		return colType{kind: kInt, min: 0, max: 9999, expect: "an integer year for " + c.Type}
	case schemas.KindDecimal:
		return colType{kind: kDecimal, scale: t.Scale, target: t.Scale, precision: t.Precision,
			text: o.decimalMode == "string", expect: decimalExpect(o.decimalMode, t.Precision, t.Scale)}
	case schemas.KindFloat, schemas.KindDouble:
		return colType{kind: kFloat, expect: "a number for " + c.Type}
	case schemas.KindBinary, schemas.KindVarBinary, schemas.KindBlob, schemas.KindBit:
		return colType{kind: kBytes, expect: "a base64 string for " + c.Type}
	case schemas.KindDate:
		return colType{kind: kDate, expect: "an integer day count (io.debezium.time.Date) for " + c.Type}
	case schemas.KindTime:
		if o.timeMode == "connect" {
			return colType{kind: kTimeOfDay, unit: 1e6, expect: "integer milliseconds since midnight for " + c.Type}
		}
		return colType{kind: kTimeOfDay, unit: 1e3, expect: "integer microseconds since midnight (io.debezium.time.MicroTime) for " + c.Type}
	case schemas.KindDateTime:
		if o.timeMode == "connect" || t.Scale <= 3 {
			return colType{kind: kTimestamp, unit: 1e6, expect: "integer epoch milliseconds (io.debezium.time.Timestamp) for " + c.Type}
		}
		return colType{kind: kTimestamp, unit: 1e3, expect: "integer epoch microseconds (io.debezium.time.MicroTimestamp) for " + c.Type}
	case schemas.KindTimestamp:
		if o.timeMode == "connect" {
			return colType{kind: kTimestamp, unit: 1e6, expect: "integer epoch milliseconds for " + c.Type}
		}
		return colType{kind: kZoned, expect: "an ISO-8601 string with offset (io.debezium.time.ZonedTimestamp) for " + c.Type}
	default: // CHAR, VARCHAR, TEXT, ENUM, SET, JSON
		return colType{kind: kString, expect: "a string for " + c.Type}
	}
}

func decimalExpect(mode string, p, s int) string {
	d := "DECIMAL(" + itoa(p) + "," + itoa(s) + ")"
	switch mode {
	case "string":
		return "a decimal string for " + d
	case "double":
		return "a JSON number for " + d
	}
	return "a base64 Connect Decimal for " + d
}

// connectField is one field of a Kafka Connect schema, as JsonConverter writes it.
type connectField struct {
	Type       string            `json:"type"`
	Optional   bool              `json:"optional"`
	Name       string            `json:"name"`
	Parameters map[string]string `json:"parameters"`
	Field      string            `json:"field"`
	Fields     []connectField    `json:"fields"`
}

// connectCol types a column from its Kafka Connect schema, then lets the contract column
// (if any) refine it: TINYINT(1) to boolean, and the DECIMAL scale and precision.
func connectCol(f *connectField, c *schemas.Column, o typingOptions) colType {
	var ct colType
	switch f.Name {
	case "org.apache.kafka.connect.data.Decimal":
		ct = colType{kind: kDecimal, scale: -1, target: -1}
		if s, ok := f.Parameters["scale"]; ok {
			if n, ok := atoiSmall(s); ok {
				ct.scale, ct.target = n, n
			}
		}
		if p, ok := f.Parameters["connect.decimal.precision"]; ok {
			if n, ok := atoiSmall(p); ok {
				ct.precision = n
			}
		}
		ct.expect = "a base64 Connect Decimal (scale " + itoa(ct.scale) + ")"
	case "io.debezium.data.VariableScaleDecimal":
		ct = colType{kind: kVarDecimal, target: -1, expect: `{"scale":n,"value":base64} (VariableScaleDecimal)`}
	case "io.debezium.time.Date", "org.apache.kafka.connect.data.Date":
		ct = colType{kind: kDate, expect: "an integer day count (" + f.Name + ")"}
	case "io.debezium.time.Time", "org.apache.kafka.connect.data.Time":
		ct = colType{kind: kTimeOfDay, unit: 1e6, expect: "integer milliseconds since midnight (" + f.Name + ")"}
	case "io.debezium.time.MicroTime":
		ct = colType{kind: kTimeOfDay, unit: 1e3, expect: "integer microseconds since midnight (" + f.Name + ")"}
	case "io.debezium.time.NanoTime":
		ct = colType{kind: kTimeOfDay, unit: 1, expect: "integer nanoseconds since midnight (" + f.Name + ")"}
	case "io.debezium.time.Timestamp", "org.apache.kafka.connect.data.Timestamp":
		ct = colType{kind: kTimestamp, unit: 1e6, expect: "integer epoch milliseconds (" + f.Name + ")"}
	case "io.debezium.time.MicroTimestamp":
		ct = colType{kind: kTimestamp, unit: 1e3, expect: "integer epoch microseconds (" + f.Name + ")"}
	case "io.debezium.time.NanoTimestamp":
		ct = colType{kind: kTimestamp, unit: 1, expect: "integer epoch nanoseconds (" + f.Name + ")"}
	case "io.debezium.time.ZonedTimestamp":
		ct = colType{kind: kZoned, expect: "an ISO-8601 string with offset (" + f.Name + ")"}
	case "io.debezium.time.Year":
		ct = colType{kind: kInt, min: 0, max: 9999, expect: "an integer year (" + f.Name + ")"}
	case "io.debezium.data.Bits":
		ct = colType{kind: kBytes, expect: "a base64 string (" + f.Name + ")"}
	default:
		switch f.Type {
		case "int8":
			lo, hi := intRange(8, false)
			ct = colType{kind: kInt, min: lo, max: hi, expect: "an int8"}
		case "int16":
			lo, hi := intRange(16, false)
			ct = colType{kind: kInt, min: lo, max: hi, expect: "an int16"}
		case "int32":
			lo, hi := intRange(32, false)
			ct = colType{kind: kInt, min: lo, max: hi, expect: "an int32"}
		case "int64":
			lo, hi := intRange(64, false)
			ct = colType{kind: kInt, min: lo, max: hi, expect: "an int64"}
		case "float32", "float64":
			ct = colType{kind: kFloat, expect: "a " + f.Type + " number"}
		case "boolean":
			ct = colType{kind: kBool, expect: "a boolean"}
		case "string":
			ct = colType{kind: kString, expect: "a string"}
		case "bytes":
			ct = colType{kind: kBytes, expect: "a base64 string (bytes)"}
		default:
			ct = colType{kind: kRaw}
		}
	}
	if c == nil {
		return ct
	}
	switch c.SQL.Kind {
	case schemas.KindBool, schemas.KindTinyInt:
		if (c.SQL.Kind == schemas.KindBool || c.SQL.IsTinyIntOne()) && o.tinyint1AsBool && (ct.kind == kInt || ct.kind == kBool) {
			ct = colType{kind: kBoolInt, expect: "a boolean (or 0/1) for " + c.Type}
		}
	case schemas.KindDecimal:
		switch ct.kind {
		case kDecimal:
			if ct.scale < 0 {
				ct.scale = c.SQL.Scale
			}
			ct.target, ct.precision = c.SQL.Scale, c.SQL.Precision
		case kVarDecimal:
			ct.target = c.SQL.Scale
		case kString: // decimal.handling.mode=string
			ct = colType{kind: kDecimal, scale: c.SQL.Scale, target: c.SQL.Scale, precision: c.SQL.Precision, text: true, expect: decimalExpect("string", c.SQL.Precision, c.SQL.Scale)}
		case kFloat: // decimal.handling.mode=double: read the number's text exactly
			ct = colType{kind: kDecimal, scale: c.SQL.Scale, target: c.SQL.Scale, precision: c.SQL.Precision, numOnly: true, expect: decimalExpect("double", c.SQL.Precision, c.SQL.Scale)}
		}
	}
	return ct
}

func atoiSmall(s string) (int, bool) {
	if s == "" || len(s) > 4 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// deltaTypeName is the Delta type that holds every value this column renders, for a writer
// that adds the column when the source table gains it (schema evolution). Empty when the
// rendering says nothing certain (raw JSON, a decimal of unknown precision).
func (c *colType) deltaTypeName() string {
	switch c.kind {
	case kBool, kBoolInt:
		return "boolean"
	case kInt:
		switch {
		case c.min >= math.MinInt8 && c.max <= math.MaxInt8:
			return "byte"
		case c.min >= math.MinInt16 && c.max <= math.MaxInt16:
			return "short"
		case c.min >= math.MinInt32 && c.max <= math.MaxInt32:
			return "integer"
		}
		return "long"
	case kFloat:
		return "double"
	case kString, kTimeOfDay:
		return "string"
	case kBytes:
		return "binary"
	case kDecimal:
		if c.precision > 0 && c.precision <= 38 && c.target >= 0 {
			return "decimal(" + itoa(c.precision) + "," + itoa(c.target) + ")"
		}
	case kDate:
		return "date"
	case kTimestamp, kZoned:
		return "timestamp"
	}
	return ""
}

// splitUnknown separates the unknown columns collected while rendering (name, or name +
// "\x1f" + Delta type) into names and "name:type" pairs.
func splitUnknown(cols []string) (names, types []string) {
	if len(cols) == 0 {
		return nil, nil
	}
	names = make([]string, len(cols))
	for i, c := range cols {
		name, typ, _ := strings.Cut(c, "\x1f")
		names[i] = name
		if typ != "" {
			types = append(types, name+":"+typ)
		}
	}
	return names, types
}
