package debezium

// connectField is one Kafka Connect schema, as JsonConverter writes it (schemas.enable=true).
// It is parsed with the package's scanner rather than encoding/json, whose field matching
// is case-insensitive and whose duplicate keys silently overwrite: a schema block must mean
// exactly one thing.
type connectField struct {
	Type       string
	Optional   bool
	Name       string
	Parameters map[string]string
	Field      string
	Fields     []connectField
	Items      *connectField
	Keys       *connectField
	Values     *connectField

	scale     int // Decimal "scale" parameter (negative allowed), when hasScale
	hasScale  bool
	precision int // Decimal "connect.decimal.precision" parameter; 0 when absent
}

var connectTypes = map[string]bool{
	"int8": true, "int16": true, "int32": true, "int64": true, "float32": true, "float64": true,
	"boolean": true, "string": true, "bytes": true, "array": true, "map": true, "struct": true,
}

// logicalBase gives the Connect type each logical type (schema name) we render must have;
// a Decimal declared as int32, say, is a broken schema, not something to guess about.
var logicalBase = map[string]string{
	"org.apache.kafka.connect.data.Decimal":   "bytes",
	"org.apache.kafka.connect.data.Date":      "int32",
	"org.apache.kafka.connect.data.Time":      "int32",
	"org.apache.kafka.connect.data.Timestamp": "int64",
	"io.debezium.data.VariableScaleDecimal":   "struct",
	"io.debezium.time.Date":                   "int32",
	"io.debezium.time.Time":                   "int32",
	"io.debezium.time.MicroTime":              "int64",
	"io.debezium.time.NanoTime":               "int64",
	"io.debezium.time.Timestamp":              "int64",
	"io.debezium.time.MicroTimestamp":         "int64",
	"io.debezium.time.NanoTimestamp":          "int64",
	"io.debezium.time.ZonedTimestamp":         "string",
	"io.debezium.time.Year":                   "int32",
	"io.debezium.data.Bits":                   "bytes",
}

// parseConnect reads the schema object at the cursor. path names it in errors ("schema",
// "schema.fields[2]"). The caller has validated the JSON (skip), so nesting is bounded.
func parseConnect(s *scanner, path string, inStruct bool) (connectField, error) {
	var f connectField
	if s.Peek() != '{' {
		return f, errAt(ReasonSchemaInvalid, path, s.valueText(), "a Connect schema object")
	}
	empty, err := s.objectStart()
	if err != nil {
		return f, withField(err, path)
	}
	var seen nameSet
	hasType, hasField, hasFields := false, false, false
	for more := !empty; more; {
		ka, ke, esc, err := s.key()
		if err != nil {
			return f, withField(err, path)
		}
		k := s.B[ka:ke]
		if esc {
			k = unquote(nil, k)
		}
		if dup, _ := seen.add(k, false); dup {
			return f, errAt(ReasonDuplicateField, path+"."+string(k), k, "each key once in a JSON object")
		}
		at := path + "." + string(k)
		switch string(k) {
		case "type":
			if f.Type, err = schemaString(s, at); err != nil {
				return f, err
			}
			hasType = true
		case "name":
			if s.isNull() {
				break
			}
			if f.Name, err = schemaString(s, at); err != nil {
				return f, err
			}
		case "field":
			if f.Field, err = schemaString(s, at); err != nil {
				return f, err
			}
			hasField = true
		case "doc":
			if s.isNull() {
				break
			}
			if _, err = schemaString(s, at); err != nil {
				return f, err
			}
		case "optional":
			switch s.Peek() {
			case 't':
				f.Optional = true
				err = s.lit("true")
			case 'f':
				err = s.lit("false")
			default:
				return f, errAt(ReasonSchemaInvalid, at, s.valueText(), "true or false")
			}
			if err != nil {
				return f, withField(err, at)
			}
		case "version":
			if s.isNull() {
				break
			}
			if _, txt, ok := s.readInt(false); !ok {
				if txt == nil {
					txt = s.valueText()
				}
				return f, errAt(ReasonSchemaInvalid, at, txt, "an integer schema version")
			}
		case "parameters":
			if s.isNull() {
				break
			}
			if f.Parameters, err = schemaParams(s, at); err != nil {
				return f, err
			}
		case "fields":
			hasFields = true
			if s.Peek() != '[' {
				return f, errAt(ReasonSchemaInvalid, at, s.valueText(), "an array of field schemas")
			}
			s.I++
			if s.Peek() == ']' {
				s.I++
				break
			}
			for n := 0; ; n++ {
				sub, err := parseConnect(s, path+".fields["+itoa(n)+"]", true)
				if err != nil {
					return f, err
				}
				f.Fields = append(f.Fields, sub)
				if s.Peek() == ',' {
					s.I++
					continue
				}
				if err := s.expect(']'); err != nil {
					return f, withField(err, at)
				}
				break
			}
		case "items", "keys", "values":
			sub, err := parseConnect(s, at, false)
			if err != nil {
				return f, err
			}
			switch string(k) {
			case "items":
				f.Items = &sub
			case "keys":
				f.Keys = &sub
			default:
				f.Values = &sub
			}
		default: // "default" and anything newer: not needed for typing
			if _, _, err := s.skip(); err != nil {
				return f, withField(err, at)
			}
		}
		if more, err = s.next(); err != nil {
			return f, withField(err, path)
		}
	}
	return f, f.validate(path, hasType, hasField, hasFields, inStruct)
}

func (f *connectField) validate(path string, hasType, hasField, hasFields, inStruct bool) error {
	invalid := func(what, value, expected string) error {
		return &Error{Reason: ReasonSchemaInvalid, Field: path + what, Value: value, Expected: expected}
	}
	switch {
	case !hasType:
		return invalid("", "(no type)", `a "type" member`)
	case !connectTypes[f.Type]:
		return invalid(".type", f.Type, "a Connect type: int8, int16, int32, int64, float32, float64, boolean, string, bytes, array, map or struct")
	case inStruct && (!hasField || f.Field == ""):
		return invalid(".field", "(missing)", "the field name of a struct member")
	case f.Type == "struct" && !hasFields:
		return invalid(".fields", "(missing)", "an array of field schemas for a struct")
	case f.Type != "struct" && hasFields:
		return invalid(".fields", f.Type, `"fields" only on a struct`)
	case f.Type == "array" && f.Items == nil:
		return invalid(".items", "(missing)", "the element schema of an array")
	case f.Type == "map" && (f.Keys == nil || f.Values == nil):
		return invalid(".keys", "(missing)", "the key and value schemas of a map")
	}
	if base, ok := logicalBase[f.Name]; ok && base != f.Type {
		return invalid(".type", f.Type, f.Name+" is a logical type of "+base)
	}
	var names nameSet
	for i := range f.Fields {
		if dup, _ := names.add([]byte(f.Fields[i].Field), false); dup {
			return invalid(".fields["+itoa(i)+"].field", f.Fields[i].Field, "each field name once in a struct")
		}
	}
	if f.Name == "org.apache.kafka.connect.data.Decimal" {
		if v, ok := f.Parameters["scale"]; ok {
			n, ok := atoiSigned(v)
			if !ok || n < -maxDecimalDigits || n > maxDecimalDigits {
				return invalid(".parameters.scale", v, "an integer scale in -"+itoa(maxDecimalDigits)+".."+itoa(maxDecimalDigits))
			}
			f.scale, f.hasScale = n, true
		}
		if v, ok := f.Parameters["connect.decimal.precision"]; ok {
			n, ok := atoiSigned(v)
			if !ok || n < 1 || n > maxDecimalDigits {
				return invalid(".parameters.connect.decimal.precision", v, "an integer precision in 1.."+itoa(maxDecimalDigits))
			}
			f.precision = n
		}
	}
	return nil
}

func schemaString(s *scanner, at string) (string, error) {
	if s.Peek() != '"' {
		return "", errAt(ReasonSchemaInvalid, at, s.valueText(), "a string")
	}
	a, e, esc, err := s.str()
	if err != nil {
		return "", withField(err, at)
	}
	if esc {
		return string(unquote(nil, s.B[a:e])), nil
	}
	return string(s.B[a:e]), nil
}

// schemaParams reads a Connect "parameters" object, whose values are all strings.
func schemaParams(s *scanner, at string) (map[string]string, error) {
	if s.Peek() != '{' {
		return nil, errAt(ReasonSchemaInvalid, at, s.valueText(), "an object of string parameters")
	}
	empty, err := s.objectStart()
	if err != nil {
		return nil, withField(err, at)
	}
	m := map[string]string{}
	for more := !empty; more; {
		ka, ke, esc, err := s.key()
		if err != nil {
			return nil, withField(err, at)
		}
		k := string(s.B[ka:ke])
		if esc {
			k = string(unquote(nil, s.B[ka:ke]))
		}
		if _, dup := m[k]; dup {
			return nil, errAt(ReasonDuplicateField, at+"."+k, []byte(k), "each key once in a JSON object")
		}
		if m[k], err = schemaString(s, at+"."+k); err != nil {
			return nil, err
		}
		if more, err = s.next(); err != nil {
			return nil, withField(err, at)
		}
	}
	return m, nil
}

// atoiSigned reads a small decimal integer with an optional sign.
func atoiSigned(s string) (int, bool) {
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg, s = s[0] == '-', s[1:]
	}
	if s == "" || len(s) > 6 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}
