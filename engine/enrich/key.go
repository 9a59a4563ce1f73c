package enrich

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// keyExpr computes a lookup key from a row: a bare column name reads that column; anything
// else is an expr-lang expression over the row's columns (bare names).
type keyExpr struct {
	src    string
	column string
	prog   *vm.Program
}

func compileKey(src string) (*keyExpr, error) {
	if identRe.MatchString(src) {
		return &keyExpr{src: src, column: src}, nil
	}
	prog, err := expr.Compile(src, expr.Env(map[string]any{}), expr.AllowUndefinedVariables())
	if err != nil {
		return nil, fmt.Errorf("key %q is neither a column name nor a valid expr-lang expression: %v", src, err)
	}
	return &keyExpr{src: src, prog: prog}, nil
}

// eval returns the key value of row; nil means the row has no key (SQL NULL). A bare column
// the row lacks altogether is an error rather than a null: it is a misnamed key far more
// often than a partial row.
func (k *keyExpr) eval(row map[string]any) (any, error) {
	if k.column != "" {
		v, ok := row[k.column]
		if !ok {
			return nil, fmt.Errorf("row has no column %q", k.column)
		}
		return v, nil
	}
	v, err := expr.Run(k.prog, row)
	if err != nil {
		return nil, fmt.Errorf("key expression %q: %v", k.src, err)
	}
	return v, nil
}

func describe(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return fmt.Sprintf("%q (%T)", s, v)
}

// toInt64 converts a key value to an integer key exactly: integers in range, floats and
// decimals only when integral, JSON numbers and strings only when they are integer text.
func toInt64(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), nil
		}
	case uint:
		if uint64(x) <= math.MaxInt64 {
			return int64(x), nil
		}
	case float64:
		if x == math.Trunc(x) && x >= -(1<<63) && x < 1<<63 {
			return int64(x), nil
		}
	case float32:
		f := float64(x)
		if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
			return int64(f), nil
		}
	case json.Number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return n, nil
		}
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return n, nil
		}
	case schema.Decimal:
		if d, err := x.Rescale(0); err == nil && d.Unscaled.IsInt64() {
			return d.Unscaled.Int64(), nil
		}
	}
	return 0, fmt.Errorf("key value %s is not an integer that fits 64 bits", describe(v))
}

// toStringKey converts a key value to a string key: strings as they are, integers and JSON
// numbers as their decimal text.
func toStringKey(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return string(x), nil
	case int64, int, int32, int16, int8, uint64, uint32, uint16, uint8, uint:
		return fmt.Sprint(x), nil
	}
	return "", fmt.Errorf("key value %s is not a string", describe(v))
}
