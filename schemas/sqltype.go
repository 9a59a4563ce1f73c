package schemas

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is the family of a MySQL column type.
type Kind int

// Kinds of MySQL column types the contracts may use.
const (
	KindInvalid Kind = iota
	KindBool         // BOOL, BOOLEAN, BIT(1)
	KindTinyInt      // TINYINT, and TINYINT(1) which MySQL uses for BOOLEAN
	KindSmallInt
	KindMediumInt
	KindInt
	KindBigInt
	KindDecimal // DECIMAL(p,s), NUMERIC(p,s)
	KindFloat
	KindDouble
	KindChar
	KindVarchar
	KindText
	KindBinary
	KindVarBinary
	KindBlob
	KindDate
	KindTime
	KindDateTime
	KindTimestamp
	KindYear
	KindEnum
	KindSet
	KindJSON
	KindBit // BIT(n), n > 1
)

// SQLType is a parsed MySQL column type.
type SQLType struct {
	Kind      Kind
	Length    int // CHAR/VARCHAR/BINARY length, BIT width, TINYINT display width
	Precision int // DECIMAL precision
	Scale     int // DECIMAL scale; fractional-second digits of TIME/DATETIME/TIMESTAMP
	Unsigned  bool
	Values    []string // ENUM / SET members
}

// IsTinyIntOne reports TINYINT(1), the type MySQL stores BOOLEAN as.
func (t SQLType) IsTinyIntOne() bool { return t.Kind == KindTinyInt && t.Length == 1 }

var kindNames = map[string]Kind{
	"BOOL": KindBool, "BOOLEAN": KindBool, "TINYINT": KindTinyInt, "SMALLINT": KindSmallInt,
	"MEDIUMINT": KindMediumInt, "INT": KindInt, "INTEGER": KindInt, "BIGINT": KindBigInt,
	"DECIMAL": KindDecimal, "NUMERIC": KindDecimal, "DEC": KindDecimal, "FLOAT": KindFloat,
	"REAL": KindDouble, "DOUBLE": KindDouble, "CHAR": KindChar, "VARCHAR": KindVarchar,
	"TINYTEXT": KindText, "TEXT": KindText, "MEDIUMTEXT": KindText, "LONGTEXT": KindText,
	"BINARY": KindBinary, "VARBINARY": KindVarBinary, "TINYBLOB": KindBlob, "BLOB": KindBlob,
	"MEDIUMBLOB": KindBlob, "LONGBLOB": KindBlob, "DATE": KindDate, "TIME": KindTime,
	"DATETIME": KindDateTime, "TIMESTAMP": KindTimestamp, "YEAR": KindYear, "ENUM": KindEnum,
	"SET": KindSet, "JSON": KindJSON, "BIT": KindBit,
}

// ParseSQLType parses a MySQL column type such as "DECIMAL(18,2)", "DATETIME(3)",
// "INT UNSIGNED" or "ENUM('a','b')". It fails on types it does not know, naming them.
func ParseSQLType(s string) (SQLType, error) {
	src := strings.TrimSpace(s)
	if src == "" {
		return SQLType{}, fmt.Errorf("column type is empty")
	}
	name, args, rest := src, "", ""
	if i := strings.IndexByte(src, '('); i >= 0 {
		j := strings.LastIndexByte(src, ')')
		if j < i {
			return SQLType{}, fmt.Errorf("column type %q: unbalanced parentheses", s)
		}
		name, args, rest = src[:i], src[i+1:j], src[j+1:]
	} else if i := strings.IndexByte(src, ' '); i >= 0 {
		name, rest = src[:i], src[i:]
	}
	var t SQLType
	k, ok := kindNames[strings.ToUpper(strings.TrimSpace(name))]
	if !ok {
		return SQLType{}, fmt.Errorf("column type %q: unknown MySQL type %q", s, name)
	}
	t.Kind = k
	for _, mod := range strings.Fields(strings.ToUpper(rest)) {
		switch mod {
		case "UNSIGNED":
			t.Unsigned = true
		case "SIGNED", "ZEROFILL":
		default:
			return SQLType{}, fmt.Errorf("column type %q: unknown modifier %q", s, mod)
		}
	}
	switch k {
	case KindEnum, KindSet:
		vals, err := parseQuotedList(args)
		if err != nil {
			return SQLType{}, fmt.Errorf("column type %q: %w", s, err)
		}
		if len(vals) == 0 {
			return SQLType{}, fmt.Errorf("column type %q: no members", s)
		}
		t.Values = vals
		return t, nil
	case KindDecimal:
		t.Precision, t.Scale = 10, 0 // MySQL's default for a bare DECIMAL
		if args != "" {
			nums, err := parseInts(args)
			if err != nil || len(nums) > 2 {
				return SQLType{}, fmt.Errorf("column type %q: expected DECIMAL(precision[,scale])", s)
			}
			t.Precision = nums[0]
			if len(nums) == 2 {
				t.Scale = nums[1]
			}
		}
		if t.Precision < 1 || t.Precision > 65 || t.Scale < 0 || t.Scale > 30 || t.Scale > t.Precision {
			return SQLType{}, fmt.Errorf("column type %q: precision must be 1..65 and scale 0..min(30, precision)", s)
		}
		return t, nil
	}
	if args != "" {
		nums, err := parseInts(args)
		if err != nil || len(nums) != 1 {
			return SQLType{}, fmt.Errorf("column type %q: expected one integer argument", s)
		}
		switch k {
		case KindTime, KindDateTime, KindTimestamp:
			if nums[0] > 6 {
				return SQLType{}, fmt.Errorf("column type %q: fractional seconds precision must be 0..6", s)
			}
			t.Scale = nums[0]
		default:
			t.Length = nums[0]
		}
	}
	if k == KindBit && t.Length <= 1 {
		t.Kind, t.Length = KindBool, 1
	}
	if k == KindChar || k == KindBinary {
		if t.Length == 0 {
			t.Length = 1
		}
	}
	return t, nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// parseQuotedList reads 'a','b”c' as MySQL writes ENUM and SET members.
func parseQuotedList(s string) ([]string, error) {
	var out []string
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == ',') {
			i++
		}
		if i >= len(s) {
			break
		}
		if s[i] != '\'' {
			return nil, fmt.Errorf("member list: expected a quoted string at %q", s[i:])
		}
		i++
		var b strings.Builder
		for {
			if i >= len(s) {
				return nil, fmt.Errorf("member list: unterminated string")
			}
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					b.WriteByte('\'')
					i += 2
					continue
				}
				i++
				break
			}
			b.WriteByte(s[i])
			i++
		}
		out = append(out, b.String())
	}
	return out, nil
}
