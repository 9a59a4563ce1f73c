package scenario

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// isNull reports a YAML null (null, ~ or nothing).
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// columnValue turns a scenario's scalar into the Go value the Debezium encoder takes for c.
// Numbers are read from their text, so money never passes through a float.
func columnValue(c *schemas.Column, n *yaml.Node) (any, error) {
	if isNull(n) {
		return nil, nil
	}
	s := n.Value
	switch c.SQL.Kind {
	case schemas.KindTinyInt, schemas.KindSmallInt, schemas.KindMediumInt, schemas.KindInt, schemas.KindBigInt:
		if c.SQL.IsTinyIntOne() && (s == "true" || s == "false") {
			return s == "true", nil
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("column %s (%s): %q: expected an integer", c.Name, c.Type, s)
		}
		return v, nil
	case schemas.KindDecimal:
		d, err := schema.ParseDecimal(s, c.SQL.Scale)
		if err != nil {
			return nil, fmt.Errorf("column %s (%s): %v", c.Name, c.Type, err)
		}
		return d, nil
	case schemas.KindChar, schemas.KindVarchar, schemas.KindText, schemas.KindEnum:
		return s, nil
	case schemas.KindDateTime:
		t, err := parseTime(s)
		if err != nil {
			return nil, fmt.Errorf("column %s (%s): %v", c.Name, c.Type, err)
		}
		return t, nil
	case schemas.KindDate:
		d, err := schema.ParseDate(s)
		if err != nil {
			return nil, fmt.Errorf("column %s (%s): %v", c.Name, c.Type, err)
		}
		return d, nil
	}
	return nil, fmt.Errorf("column %s: type %s cannot be given in a scenario yet; use a raw debezium: event", c.Name, c.Type)
}

// zeroValue is a NOT NULL column's value when neither the event nor the defaults give one.
func zeroValue(c *schemas.Column) any {
	if c.IsNullable() {
		return nil
	}
	switch c.SQL.Kind {
	case schemas.KindTinyInt, schemas.KindSmallInt, schemas.KindMediumInt, schemas.KindInt, schemas.KindBigInt:
		if c.SQL.IsTinyIntOne() {
			return false
		}
		return int64(0)
	case schemas.KindDecimal:
		d, _ := schema.ParseDecimal("0", c.SQL.Scale)
		return d
	case schemas.KindEnum:
		if len(c.SQL.Values) > 0 {
			return c.SQL.Values[0]
		}
		return ""
	case schemas.KindDateTime:
		return time.Unix(0, 0).UTC()
	case schemas.KindDate:
		return schema.Date(0)
	}
	return ""
}

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02"}

// parseTime reads RFC 3339 ("2024-05-01T10:00:00Z"), a zone-less "2024-05-01 10:00:00" (UTC,
// as the source DATETIME's wall clock) or a date.
func parseTime(s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: expected a time such as 2024-05-01T10:00:00Z", s)
}

// canonical is the text a table cell is compared and shown as.
func canonical(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case schema.Decimal:
		return x.String()
	case schema.Date:
		return x.String()
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case bool:
		return strconv.FormatBool(x)
	case int8, int16, int32, int64, int:
		return fmt.Sprint(x)
	case float32, float64:
		return fmt.Sprint(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// expectedText is the canonical text of an expected value for a column of type t, so that
// "12.5" equals a DECIMAL(18,2) 12.50 and "2024-05-01T00:00:00.000Z" equals the timestamp.
// A value that cannot be of that type keeps its text (it will not match) and the reason.
func expectedText(t schema.Type, n *yaml.Node) (string, string) {
	if isNull(n) {
		return "null", ""
	}
	s := n.Value
	switch tt := t.(type) {
	case schema.DecimalType:
		d, err := schema.ParseDecimal(s, tt.Scale)
		if err != nil {
			return s, fmt.Sprintf("not a %s: %v", tt, err)
		}
		return d.String(), ""
	case schema.PrimitiveType:
		switch tt {
		case schema.Timestamp, schema.TimestampNTZ:
			ts, err := parseTime(s)
			if err != nil {
				return s, err.Error()
			}
			return ts.Format(time.RFC3339Nano), ""
		case schema.DateType:
			d, err := schema.ParseDate(s)
			if err != nil {
				return s, err.Error()
			}
			return d.String(), ""
		case schema.Long, schema.Integer, schema.Short, schema.Byte:
			if _, err := strconv.ParseInt(s, 10, 64); err != nil {
				return s, "not an integer"
			}
		case schema.Boolean:
			if b, err := strconv.ParseBool(s); err == nil {
				return strconv.FormatBool(b), ""
			}
			return s, "not a boolean"
		}
	}
	return s, ""
}

// rawValue renders a debezium: value: a string is sent as is, a mapping or list as JSON with
// keys in file order and numbers as written.
func rawValue(n *yaml.Node) ([]byte, error) {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []byte(n.Value), nil
	}
	var buf bytes.Buffer
	if err := nodeJSON(&buf, n); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func nodeJSON(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.AliasNode:
		return nodeJSON(buf, n.Alias)
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				buf.WriteByte(',')
			}
			k, _ := json.Marshal(n.Content[i].Value)
			buf.Write(k)
			buf.WriteByte(':')
			if err := nodeJSON(buf, n.Content[i+1]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := nodeJSON(buf, c); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			buf.WriteString("null")
		case "!!int", "!!float", "!!bool":
			if !json.Valid([]byte(n.Value)) {
				return fmt.Errorf("line %d: %q is not a JSON value; quote it", n.Line, n.Value)
			}
			buf.WriteString(n.Value)
		default:
			s, _ := json.Marshal(n.Value)
			buf.Write(s)
		}
	default:
		return fmt.Errorf("line %d: unsupported YAML node", n.Line)
	}
	return nil
}

// mappingKeys lists a mapping node's keys in file order.
func mappingKeys(n *yaml.Node) []string {
	var out []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, n.Content[i].Value)
	}
	return out
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
