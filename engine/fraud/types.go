package fraud

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/expr-lang/expr/types"

	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// Kind is the type of a value in the rule environment.
type Kind uint8

// Kinds of environment values and the Go type a rule sees for each.
const (
	KindInvalid  Kind = iota
	KindInt           // int (64-bit)
	KindMoney         // money.Money
	KindFloat         // float64
	KindString        // string
	KindBool          // bool
	KindTime          // time.Time
	KindDuration      // time.Duration
)

var kindNames = [...]string{KindInvalid: "invalid", KindInt: "int", KindMoney: "money", KindFloat: "float",
	KindString: "string", KindBool: "bool", KindTime: "time", KindDuration: "duration"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// Type is a Kind, or a list of it (a []any whose elements have that Kind).
type Type struct {
	Kind Kind
	List bool
}

// Scalar types, for building descriptions in code.
var (
	Int      = Type{Kind: KindInt}
	MoneyT   = Type{Kind: KindMoney}
	Float    = Type{Kind: KindFloat}
	String   = Type{Kind: KindString}
	Bool     = Type{Kind: KindBool}
	Time     = Type{Kind: KindTime}
	Duration = Type{Kind: KindDuration}
)

// ListOf returns the list type of t's kind.
func ListOf(t Type) Type { return Type{Kind: t.Kind, List: true} }

func (t Type) String() string {
	if t.List {
		return "list<" + t.Kind.String() + ">"
	}
	return t.Kind.String()
}

// ParseType reads a type name as String writes it: int, money, float, string, bool, time,
// duration, or list<one of these>.
func ParseType(s string) (Type, error) {
	s = strings.TrimSpace(s)
	list := false
	if strings.HasPrefix(s, "list<") && strings.HasSuffix(s, ">") {
		list, s = true, strings.TrimSpace(s[5:len(s)-1])
	}
	for k, n := range kindNames {
		if k != int(KindInvalid) && n == s {
			return Type{Kind: Kind(k), List: list}, nil
		}
	}
	return Type{}, fmt.Errorf("unknown type %q (expected int, money, float, string, bool, time, duration or list<…>)", s)
}

// TypeOfSQL maps a contract column type to the environment type: integer types and YEAR
// to int, DECIMAL to money, FLOAT/DOUBLE to float, BOOL/TINYINT(1) to bool, DATE, DATETIME
// and TIMESTAMP to time, TIME to duration, and the text, enum, set, JSON, binary and bit
// types to string (as debezium_unwrap renders them).
func TypeOfSQL(st schemas.SQLType) (Type, error) {
	switch st.Kind {
	case schemas.KindBool:
		return Bool, nil
	case schemas.KindTinyInt:
		if st.IsTinyIntOne() {
			return Bool, nil
		}
		return Int, nil
	case schemas.KindSmallInt, schemas.KindMediumInt, schemas.KindInt, schemas.KindYear:
		return Int, nil
	case schemas.KindBigInt:
		return Int, nil
	case schemas.KindDecimal:
		return MoneyT, nil
	case schemas.KindFloat, schemas.KindDouble:
		return Float, nil
	case schemas.KindChar, schemas.KindVarchar, schemas.KindText, schemas.KindEnum, schemas.KindSet,
		schemas.KindJSON, schemas.KindBinary, schemas.KindVarBinary, schemas.KindBlob, schemas.KindBit:
		return String, nil
	case schemas.KindDate, schemas.KindDateTime, schemas.KindTimestamp:
		return Time, nil
	case schemas.KindTime:
		return Duration, nil
	}
	return Type{}, fmt.Errorf("column type kind %d has no rule environment type", st.Kind)
}

var (
	rtMoney    = reflect.TypeOf(money.Money{})
	rtTime     = reflect.TypeOf(time.Time{})
	rtDuration = reflect.TypeOf(time.Duration(0))
)

// exprType is the expr-lang checker type of t.
func (t Type) exprType() types.Type {
	var e types.Type
	switch t.Kind {
	case KindInt:
		e = types.Int
	case KindMoney:
		e = types.TypeOf(money.Money{})
	case KindFloat:
		e = types.Float64
	case KindString:
		e = types.String
	case KindBool:
		e = types.Bool
	case KindTime:
		e = types.TypeOf(time.Time{})
	case KindDuration:
		e = types.TypeOf(time.Duration(0))
	default:
		e = types.Any
	}
	if t.List {
		return types.Array(e)
	}
	return e
}

// zero returns the zero value a rule test gives a NOT NULL field it does not list.
func (t Type) zero() any {
	if t.List {
		return []any{}
	}
	switch t.Kind {
	case KindInt:
		return 0
	case KindMoney:
		return money.Money{}
	case KindFloat:
		return 0.0
	case KindString:
		return ""
	case KindBool:
		return false
	case KindTime:
		return time.Time{}
	case KindDuration:
		return time.Duration(0)
	}
	return nil
}
