package fraud

import (
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"

	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
)

// EarthRadiusKm is the mean Earth radius (IUGG) geo_km uses.
const EarthRadiusKm = 6371.0088

// GeoKm is the great-circle (haversine) distance in km between two points given in
// decimal degrees.
func GeoKm(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * EarthRadiusKm * math.Asin(math.Min(1, math.Sqrt(a)))
}

// functionOptions are the functions of the rule language besides expr-lang's builtins:
//
//	geo_km(lat1, lon1, lat2, lon2) float   haversine distance in km; the arguments are
//	                                       float, int or money (coordinates stored as
//	                                       DECIMAL); nil or out-of-range degrees fail
func functionOptions() []expr.Option {
	num := []reflect.Type{reflect.TypeOf(0.0), reflect.TypeOf(0), reflect.TypeOf(money.Money{})}
	f64 := reflect.TypeOf(0.0)
	var sigs []any
	for _, a := range num {
		for _, b := range num {
			for _, c := range num {
				for _, d := range num {
					ft := reflect.FuncOf([]reflect.Type{a, b, c, d}, []reflect.Type{f64}, false)
					sigs = append(sigs, reflect.New(ft).Interface())
				}
			}
		}
	}
	return []expr.Option{expr.Function("geo_km", geoKm, sigs...)}
}

func geoKm(args ...any) (any, error) {
	if len(args) != 4 {
		return nil, fmt.Errorf("geo_km takes 4 arguments, got %d", len(args))
	}
	var v [4]float64
	for i, a := range args {
		f, err := degrees(a)
		if err != nil {
			return nil, fmt.Errorf("geo_km argument %d: %w", i+1, err)
		}
		limit := 180.0
		if i%2 == 0 {
			limit = 90
		}
		if math.IsNaN(f) || math.Abs(f) > limit {
			return nil, fmt.Errorf("geo_km argument %d: %v is not a %s in degrees", i+1, f, [2]string{"latitude", "longitude"}[i%2])
		}
		v[i] = f
	}
	return GeoKm(v[0], v[1], v[2], v[3]), nil
}

// fastGeo turns geo_km(a, b, c, d) into a call of a func([]any) any with the arguments as
// one array, a signature expr-lang calls directly; a four-argument function would go
// through its per-run argument buffer (see money.FastCalls).
type fastGeo struct{}

var geoFast = func(args []any) any {
	v, err := geoKm(args...)
	if err != nil {
		panic(err)
	}
	return v
}

func (fastGeo) Visit(node *ast.Node) {
	c, ok := (*node).(*ast.CallNode)
	if !ok {
		return
	}
	id, ok := c.Callee.(*ast.IdentifierNode)
	if !ok || id.Value != "geo_km" || len(c.Arguments) != 4 {
		return
	}
	arr := &ast.ArrayNode{Nodes: c.Arguments}
	arr.SetType(reflect.TypeOf([]any{}))
	arr.SetLocation(c.Location())
	callee := &ast.ConstantNode{Value: geoFast}
	callee.SetType(reflect.TypeOf(geoFast))
	callee.SetLocation(id.Location())
	c.Callee, c.Arguments = callee, []ast.Node{arr}
}

func degrees(a any) (float64, error) {
	switch x := a.(type) {
	case float64:
		return x, nil
	case int:
		return float64(x), nil
	case money.Money:
		return x.Float64(), nil
	case nil:
		return 0, fmt.Errorf("nil (a missing coordinate: test it with != nil first)")
	}
	return 0, fmt.Errorf("%T is not a number", a)
}

// fastBuiltins rewrites, just before code generation, builtins that expr-lang would call
// through its per-run argument buffer: duration("1m") with a constant text becomes the
// constant, and max/min of two values a direct call with expr's own ordering.
type fastBuiltins struct{}

var (
	fastMax = func(a, b any) any {
		if runtime.Less(a, b) {
			return b
		}
		return a
	}
	fastMin = func(a, b any) any {
		if runtime.Less(b, a) {
			return b
		}
		return a
	}
)

func (fastBuiltins) Visit(node *ast.Node) {
	b, ok := (*node).(*ast.BuiltinNode)
	if !ok {
		return
	}
	switch {
	case b.Name == "duration" && len(b.Arguments) == 1:
		s, ok := b.Arguments[0].(*ast.StringNode)
		if !ok {
			return
		}
		d, err := time.ParseDuration(s.Value)
		if err != nil {
			return // left to fail at run time with expr's own message
		}
		c := &ast.ConstantNode{Value: d}
		c.SetType(reflect.TypeOf(d))
		ast.Patch(node, c)
	case (b.Name == "max" || b.Name == "min") && len(b.Arguments) == 2:
		for _, a := range b.Arguments {
			switch a.Type().Kind() {
			case reflect.Int, reflect.Float64, reflect.Interface:
			default:
				return // arrays and other kinds keep expr's builtin
			}
		}
		fn := fastMax
		if b.Name == "min" {
			fn = fastMin
		}
		callee := &ast.ConstantNode{Value: fn}
		callee.SetType(reflect.TypeOf(fn))
		call := &ast.CallNode{Callee: callee, Arguments: b.Arguments}
		call.SetType(b.Type())
		ast.Patch(node, call)
	}
}
