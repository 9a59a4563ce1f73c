package gold

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/types"

	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// Go types of values in expressions.
var (
	rtInt    = reflect.TypeOf(0)
	rtFloat  = reflect.TypeOf(0.0)
	rtString = reflect.TypeOf("")
	rtBool   = reflect.TypeOf(true)
	rtMoney  = reflect.TypeOf(money.Money{})
	rtTime   = reflect.TypeOf(time.Time{})
	rtDate   = reflect.TypeOf(schema.Date(0))
)

// exprTypeOf is the expression type of a Delta column type: integers are int, decimals
// exact Money, dates schema.Date, timestamps time.Time. Nested types cannot be read.
func exprTypeOf(t schema.Type) (reflect.Type, bool) {
	switch t := t.(type) {
	case schema.DecimalType:
		return rtMoney, true
	case schema.PrimitiveType:
		switch t {
		case schema.Long, schema.Integer, schema.Short, schema.Byte:
			return rtInt, true
		case schema.Float, schema.Double:
			return rtFloat, true
		case schema.String, schema.Binary:
			return rtString, true
		case schema.Boolean:
			return rtBool, true
		case schema.DateType:
			return rtDate, true
		case schema.Timestamp, schema.TimestampNTZ:
			return rtTime, true
		}
	}
	return nil, false
}

func checkType(rt reflect.Type) types.Type { return types.TypeOf(reflect.Zero(rt).Interface()) }

// deltaTypeOfSQL maps a contract column type to the Delta type silver stores it as (the
// delta_lake output's mapping; TINYINT(1) stays an integer there too by default).
func deltaTypeOfSQL(t schemas.SQLType) (schema.Type, error) {
	switch t.Kind {
	case schemas.KindBool:
		return schema.Boolean, nil
	case schemas.KindTinyInt:
		if t.Unsigned {
			return schema.Short, nil
		}
		return schema.Byte, nil
	case schemas.KindSmallInt:
		if t.Unsigned {
			return schema.Integer, nil
		}
		return schema.Short, nil
	case schemas.KindMediumInt, schemas.KindYear:
		return schema.Integer, nil
	case schemas.KindInt:
		if t.Unsigned {
			return schema.Long, nil
		}
		return schema.Integer, nil
	case schemas.KindBigInt:
		if t.Unsigned {
			return schema.DecimalType{Precision: 20, Scale: 0}, nil
		}
		return schema.Long, nil
	case schemas.KindDecimal:
		if t.Precision > 38 {
			return nil, fmt.Errorf("DECIMAL precision %d is above Delta's 38", t.Precision)
		}
		return schema.DecimalType{Precision: t.Precision, Scale: t.Scale}, nil
	case schemas.KindFloat:
		return schema.Float, nil
	case schemas.KindDouble:
		return schema.Double, nil
	case schemas.KindChar, schemas.KindVarchar, schemas.KindText, schemas.KindEnum, schemas.KindSet, schemas.KindJSON, schemas.KindTime:
		return schema.String, nil
	case schemas.KindBinary, schemas.KindVarBinary, schemas.KindBlob, schemas.KindBit:
		return schema.Binary, nil
	case schemas.KindDate:
		return schema.DateType, nil
	case schemas.KindDateTime, schemas.KindTimestamp:
		return schema.Timestamp, nil
	}
	return nil, fmt.Errorf("type kind %d has no Delta mapping", t.Kind)
}

// parseOutputType reads an output column type: DECIMAL(p,s), BIGINT (LONG), INT, DOUBLE,
// STRING, DATE, TIMESTAMP, BOOLEAN (case-insensitive).
func parseOutputType(s string) (schema.Type, error) {
	u := strings.ToUpper(strings.Join(strings.Fields(s), ""))
	switch u {
	case "BIGINT", "LONG":
		return schema.Long, nil
	case "INT", "INTEGER":
		return schema.Integer, nil
	case "DOUBLE":
		return schema.Double, nil
	case "STRING":
		return schema.String, nil
	case "DATE":
		return schema.DateType, nil
	case "TIMESTAMP":
		return schema.Timestamp, nil
	case "BOOLEAN":
		return schema.Boolean, nil
	}
	if rest, ok := strings.CutPrefix(u, "DECIMAL("); ok && strings.HasSuffix(rest, ")") {
		ps := strings.Split(strings.TrimSuffix(rest, ")"), ",")
		if len(ps) == 2 {
			p, e1 := strconv.Atoi(ps[0])
			sc, e2 := strconv.Atoi(ps[1])
			if e1 == nil && e2 == nil && p >= 1 && p <= 38 && sc >= 0 && sc <= p {
				return schema.DecimalType{Precision: p, Scale: sc}, nil
			}
		}
		return nil, fmt.Errorf("type %q: expected DECIMAL(p,s) with 1 <= p <= 38 and 0 <= s <= p", truncate(s, 40))
	}
	return nil, fmt.Errorf("type %q: expected DECIMAL(p,s), BIGINT, INT, DOUBLE, STRING, DATE, TIMESTAMP or BOOLEAN", truncate(s, 40))
}

// sqlTypeName renders a Delta type the way declarations write it.
func sqlTypeName(t schema.Type) string {
	switch t := t.(type) {
	case schema.DecimalType:
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Precision, t.Scale)
	case schema.PrimitiveType:
		switch t {
		case schema.Long:
			return "BIGINT"
		case schema.Integer:
			return "INT"
		}
		return strings.ToUpper(string(t))
	}
	return t.String()
}

// outputTypeFor is the Delta type of a value of expression type rt, when it has one without
// a declared precision.
func outputTypeFor(rt reflect.Type) (schema.Type, bool) {
	switch rt {
	case rtInt:
		return schema.Long, true
	case rtString:
		return schema.String, true
	case rtBool:
		return schema.Boolean, true
	case rtDate:
		return schema.DateType, true
	case rtTime:
		return schema.Timestamp, true
	case rtFloat:
		return schema.Double, true
	}
	return nil, false
}

// exprTypeOfOutput is the expression type a column of Delta type t has when a later ratio
// or expression reads it.
func exprTypeOfOutput(t schema.Type) reflect.Type {
	rt, _ := exprTypeOf(t)
	return rt
}
