package debezium

import (
	"math"
	"strings"
	"time"

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
	unit      int64  // temporal: nanoseconds per unit (1e6 = ms, 1e3 = µs, 1 = ns)
	min       int64  // kInt range (the Connect type's, or the widest for contract typing)
	max       uint64 // kInt: above MaxInt64 only for BIGINT UNSIGNED typed by the contract
	scale     int    // kDecimal: scale of base64 unscaled values (may be negative); unknown when !hasScale
	hasScale  bool
	target    int  // kDecimal/kVarDecimal: output scale (>= 0); -1 = keep the value's own
	precision int  // kDecimal: integer+fraction digits allowed by the Connect schema; 0 = unbounded
	text      bool // kDecimal: JSON strings are decimal text, not base64
	numOnly   bool // kDecimal: only JSON numbers (Connect float64 in decimal.handling.mode=double)
	strOnly   bool // kDecimal: only JSON strings (Connect string in decimal.handling.mode=string)
	iso       bool // kTimestamp/kZoned: ISO-8601 strings accepted (contract typing, schemas disabled)
	unknown   bool // typed by the Connect schema, but the table contract lacks the column
	// fromSchema: the Connect schema types the column, so a value of another JSON type
	// contradicts the schema (schema_payload_mismatch) rather than the contract.
	fromSchema bool
	required   bool // the Connect schema says optional: false, so null contradicts it
	rawOpen    byte // kRaw typed by the schema: '{' struct/map, '[' array; 0 any
	// badExpect non-empty: the column's name is refused, with reason badReason
	// (invalid_column_name, reserved_column) and this expectation. Set when a Connect
	// schema's field is compiled, so the known-column path checks one length.
	badExpect string
	badReason Reason
	// rule is the contract's check of the column (nil without a contract column); applied to
	// every decoded value, before any rendering or later processing changes it.
	rule *schemas.Rule
	// pii is the contract's pii tag of the column ("" for none): an error about its value
	// describes the value instead of quoting it (see withhold).
	pii    string
	zone   *time.Location // iso: the zone of zone-less strings (assume_time_zone); nil refuses them
	expect string
}

// mismatch is the reason for a value of the wrong JSON type.
func (c *colType) mismatch() Reason {
	if c.fromSchema {
		return ReasonSchemaPayloadMismatch
	}
	return ReasonTypeMismatch
}

// rowType types the columns of before/after images. Columns come in schema order on the
// wire, so lookups try the next position first and fall back to the name index.
type rowType struct {
	names  []string
	cols   []colType
	index  map[string]int
	lower  map[string]int // lower-cased names, to tell a case variant from a new column
	strict bool           // unknown columns are reported (a schema or contract describes the row)
	// fromSchema: a Connect schema lists the columns; the image must have exactly them.
	fromSchema bool
	// notNull indexes the contract's NOT NULL columns; absentNotNull names those the typing
	// (a Connect schema) lacks, so that no image can have them.
	notNull       []int
	absentNotNull []string
	// partition is the contract's derived partition column ("" without one): a source
	// column may not have its name.
	partition string
}

func newRowType(n int, strict bool) *rowType {
	return &rowType{names: make([]string, 0, n), cols: make([]colType, 0, n), index: make(map[string]int, n),
		lower: make(map[string]int, n), strict: strict}
}

// add appends a column; it reports false when the name is taken already.
func (rt *rowType) add(name string, c colType) bool {
	if _, dup := rt.index[name]; dup {
		return false
	}
	rt.index[name] = len(rt.cols)
	if _, ok := rt.lower[strings.ToLower(name)]; !ok {
		rt.lower[strings.ToLower(name)] = len(rt.cols)
	}
	if c.rule != nil && c.rule.NotNull {
		rt.notNull = append(rt.notNull, len(rt.cols))
	}
	rt.names = append(rt.names, name)
	rt.cols = append(rt.cols, c)
	return true
}

// lookup finds a column by its exact name bytes, trying position hint first. MySQL column
// names are case-insensitive, but a name whose case differs from the contract's is not
// silently mapped onto it: see caseVariant.
func (rt *rowType) lookup(name []byte, hint int) (int, bool) {
	if hint < len(rt.names) && rt.names[hint] == string(name) {
		return hint, true
	}
	i, ok := rt.index[string(name)]
	return i, ok
}

// lookupIn is lookup without a position hint, on a typing that may be nil (none).
func (rt *rowType) lookupIn(name []byte) (int, bool) {
	if rt == nil {
		return 0, false
	}
	return rt.lookup(name, 0)
}

// caseVariant reports a known column whose name equals name but for case.
func (rt *rowType) caseVariant(name []byte) (string, bool) {
	i, ok := rt.lower[string(lowerASCII(name))]
	if !ok {
		return "", false
	}
	return rt.names[i], true
}

func intRange(bits uint, unsigned bool) (int64, uint64) {
	if unsigned {
		if bits >= 64 {
			return 0, math.MaxUint64
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
// the contract plus Debezium's documented default encodings decide. The contract's own
// ranges are checked by the column's rule (contract_range), so the integer bounds here
// are only what the rendering can hold.
func contractCol(c *schemas.Column, o typingOptions) colType {
	ct := contractKind(c, o)
	ct.rule, ct.pii = schemas.NewRule(c), c.PII
	return ct
}

func contractKind(c *schemas.Column, o typingOptions) colType {
	t := c.SQL
	wide := func() colType {
		lo, hi := intRange(64, t.Unsigned)
		return colType{kind: kInt, min: lo, max: hi, expect: "an integer for " + c.Type}
	}
	switch t.Kind {
	case schemas.KindBool:
		return colType{kind: kBoolInt, expect: "a boolean (or 0/1) for " + c.Type}
	case schemas.KindTinyInt:
		if t.IsTinyIntOne() && o.tinyint1AsBool {
			return colType{kind: kBoolInt, expect: "a boolean (or 0/1) for " + c.Type}
		}
		return wide()
	case schemas.KindSmallInt, schemas.KindMediumInt, schemas.KindInt, schemas.KindBigInt:
		return wide()
	case schemas.KindYear:
		return colType{kind: kInt, min: 0, max: 9999, expect: "an integer year for " + c.Type}
	case schemas.KindDecimal:
		return colType{kind: kDecimal, scale: t.Scale, hasScale: true, target: t.Scale, precision: t.Precision,
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
			return colType{kind: kTimestamp, unit: 1e6, iso: true, expect: "integer epoch milliseconds (io.debezium.time.Timestamp) or an ISO-8601 string with a zone for " + c.Type}
		}
		return colType{kind: kTimestamp, unit: 1e3, iso: true, expect: "integer epoch microseconds (io.debezium.time.MicroTimestamp) or an ISO-8601 string with a zone for " + c.Type}
	case schemas.KindTimestamp:
		if o.timeMode == "connect" {
			return colType{kind: kTimestamp, unit: 1e6, iso: true, expect: "integer epoch milliseconds or an ISO-8601 string with a zone for " + c.Type}
		}
		return colType{kind: kZoned, iso: true, expect: "an ISO-8601 string with a zone (io.debezium.time.ZonedTimestamp) for " + c.Type}
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

// connectCol types a column from its Kafka Connect schema, then lets the contract column
// (if any) refine it: TINYINT(1) to boolean, and the DECIMAL scale and precision, and
// attaches the contract's rule.
func connectCol(f *connectField, c *schemas.Column, o typingOptions) colType {
	ct := connectKind(f)
	ct.fromSchema, ct.required = true, !f.Optional
	if c == nil {
		return ct
	}
	ct.rule = schemas.NewRule(c)
	switch c.SQL.Kind {
	case schemas.KindBool, schemas.KindTinyInt:
		if (c.SQL.Kind == schemas.KindBool || c.SQL.IsTinyIntOne()) && o.tinyint1AsBool && (ct.kind == kInt || ct.kind == kBool) {
			ct = colType{kind: kBoolInt, fromSchema: true, required: ct.required, rule: ct.rule, expect: "a boolean (or 0/1) for " + c.Type}
		}
	case schemas.KindDecimal:
		switch ct.kind {
		case kDecimal:
			// The contract's scale is what the column holds, not what the producer encoded
			// these bytes with: a Decimal schema without its scale stays unreadable.
			ct.target, ct.precision = c.SQL.Scale, c.SQL.Precision
		case kVarDecimal:
			ct.target = c.SQL.Scale
		case kString: // decimal.handling.mode=string
			ct = colType{kind: kDecimal, scale: c.SQL.Scale, hasScale: true, target: c.SQL.Scale, precision: c.SQL.Precision, text: true, strOnly: true,
				fromSchema: true, required: ct.required, rule: ct.rule, expect: decimalExpect("string", c.SQL.Precision, c.SQL.Scale)}
		case kFloat: // decimal.handling.mode=double: read the number's text exactly
			ct = colType{kind: kDecimal, scale: c.SQL.Scale, hasScale: true, target: c.SQL.Scale, precision: c.SQL.Precision, numOnly: true,
				fromSchema: true, required: ct.required, rule: ct.rule, expect: decimalExpect("double", c.SQL.Precision, c.SQL.Scale)}
		}
	}
	ct.pii = c.PII
	return ct
}

// connectKind types a value by its Connect schema alone.
func connectKind(f *connectField) colType {
	switch f.Name {
	case "org.apache.kafka.connect.data.Decimal":
		ct := colType{kind: kDecimal, target: -1}
		if f.hasScale {
			ct.scale, ct.hasScale, ct.target = f.scale, true, f.scale
			ct.precision = f.precision
			if f.scale < 0 {
				// DECIMAL(p, -s) holds p significant digits followed by s zeros: integers.
				ct.target = 0
				if ct.precision > 0 {
					ct.precision -= f.scale
				}
			}
			ct.expect = "a base64 Connect Decimal (scale " + itoa(f.scale) + ")"
		} else {
			ct.expect = "a base64 Connect Decimal (no scale given)"
		}
		return ct
	case "io.debezium.data.VariableScaleDecimal":
		return colType{kind: kVarDecimal, target: -1, expect: `{"scale":n,"value":base64} (VariableScaleDecimal)`}
	case "io.debezium.time.Date", "org.apache.kafka.connect.data.Date":
		return colType{kind: kDate, expect: "an integer day count (" + f.Name + ")"}
	case "io.debezium.time.Time", "org.apache.kafka.connect.data.Time":
		return colType{kind: kTimeOfDay, unit: 1e6, expect: "integer milliseconds since midnight (" + f.Name + ")"}
	case "io.debezium.time.MicroTime":
		return colType{kind: kTimeOfDay, unit: 1e3, expect: "integer microseconds since midnight (" + f.Name + ")"}
	case "io.debezium.time.NanoTime":
		return colType{kind: kTimeOfDay, unit: 1, expect: "integer nanoseconds since midnight (" + f.Name + ")"}
	case "io.debezium.time.Timestamp", "org.apache.kafka.connect.data.Timestamp":
		return colType{kind: kTimestamp, unit: 1e6, expect: "integer epoch milliseconds (" + f.Name + ")"}
	case "io.debezium.time.MicroTimestamp":
		return colType{kind: kTimestamp, unit: 1e3, expect: "integer epoch microseconds (" + f.Name + ")"}
	case "io.debezium.time.NanoTimestamp":
		return colType{kind: kTimestamp, unit: 1, expect: "integer epoch nanoseconds (" + f.Name + ")"}
	case "io.debezium.time.ZonedTimestamp":
		return colType{kind: kZoned, expect: "an ISO-8601 string with offset (" + f.Name + ")"}
	case "io.debezium.time.Year":
		lo, hi := intRange(32, false)
		return colType{kind: kInt, min: lo, max: hi, expect: "an integer year (" + f.Name + ")"}
	case "io.debezium.data.Bits":
		return colType{kind: kBytes, expect: "a base64 string (" + f.Name + ")"}
	}
	switch f.Type {
	case "int8", "int16", "int32", "int64":
		bits := map[string]uint{"int8": 8, "int16": 16, "int32": 32, "int64": 64}[f.Type]
		lo, hi := intRange(bits, false)
		return colType{kind: kInt, min: lo, max: hi, expect: "an " + f.Type + " (the Connect schema's type)"}
	case "float32", "float64":
		return colType{kind: kFloat, expect: "a " + f.Type + " number (the Connect schema's type)"}
	case "boolean":
		return colType{kind: kBool, expect: "a boolean (the Connect schema's type)"}
	case "string":
		return colType{kind: kString, expect: "a string (the Connect schema's type)"}
	case "bytes":
		return colType{kind: kBytes, expect: "a base64 string (Connect bytes)"}
	case "struct":
		return colType{kind: kRaw, rawOpen: '{', expect: "an object (Connect struct)"}
	case "array":
		return colType{kind: kRaw, rawOpen: '[', expect: "an array (Connect array)"}
	case "map":
		// JsonConverter writes string-keyed maps as objects, others as [[k,v],…].
		return colType{kind: kRaw, rawOpen: 'm', expect: "an object or an array of pairs (Connect map)"}
	}
	return colType{kind: kRaw}
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
		case c.max > math.MaxInt64:
			return "" // BIGINT UNSIGNED: no Delta integer holds it all
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
