package parquetio

import (
	"fmt"
	"math/big"
	"reflect"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// orderedGroup is a Parquet group whose fields keep the Delta schema's order; parquet.Group
// is a map and would sort them by name.
type orderedGroup struct{ fields []parquet.Field }

func (g *orderedGroup) ID() int                     { return 0 }
func (g *orderedGroup) String() string              { return "group" }
func (g *orderedGroup) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g *orderedGroup) Optional() bool              { return false }
func (g *orderedGroup) Repeated() bool              { return false }
func (g *orderedGroup) Required() bool              { return true }
func (g *orderedGroup) Leaf() bool                  { return false }
func (g *orderedGroup) Fields() []parquet.Field     { return g.fields }
func (g *orderedGroup) Encoding() encoding.Encoding { return nil }
func (g *orderedGroup) Compression() compress.Codec { return nil }
func (g *orderedGroup) GoType() reflect.Type        { return reflect.TypeFor[map[string]any]() }
func (g *orderedGroup) add(name string, n parquet.Node) {
	g.fields = append(g.fields, &namedField{n, name})
}

type namedField struct {
	parquet.Node
	name string
}

func (f *namedField) Name() string                      { return f.name }
func (f *namedField) Value(reflect.Value) reflect.Value { return reflect.Value{} }

// decimalBytes is the minimal FIXED_LEN_BYTE_ARRAY width holding any unscaled value of the
// given precision in two's complement (9 bytes for p=20, 16 for p=38), as Spark sizes it.
func decimalBytes(precision int) int {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(precision)), nil)
	for n := 1; ; n++ {
		if new(big.Int).Lsh(big.NewInt(1), uint(8*n-1)).Cmp(limit) >= 0 {
			return n
		}
	}
}

// parquetNode maps a Delta type to its Parquet node per PROTOCOL.md's type mapping table.
func parquetNode(t schema.Type, nullable bool, path string) (parquet.Node, error) {
	var n parquet.Node
	switch tt := t.(type) {
	case schema.PrimitiveType:
		switch tt {
		case schema.Boolean:
			n = parquet.Leaf(parquet.BooleanType)
		case schema.Byte:
			n = parquet.Int(8)
		case schema.Short:
			n = parquet.Int(16)
		case schema.Integer:
			n = parquet.Int(32)
		case schema.Long:
			n = parquet.Int(64)
		case schema.Float:
			n = parquet.Leaf(parquet.FloatType)
		case schema.Double:
			n = parquet.Leaf(parquet.DoubleType)
		case schema.String:
			n = parquet.Encoded(parquet.String(), &parquet.RLEDictionary)
		case schema.Binary:
			n = parquet.Leaf(parquet.ByteArrayType)
		case schema.DateType:
			n = parquet.Date()
		case schema.Timestamp:
			n = parquet.TimestampAdjusted(parquet.Microsecond, true)
		case schema.TimestampNTZ:
			n = parquet.TimestampAdjusted(parquet.Microsecond, false)
		default:
			return nil, fmt.Errorf("column %q: Delta type %s cannot be written to Parquet by this writer", path, tt)
		}
	case schema.DecimalType:
		if tt.Precision < 1 || tt.Precision > 38 || tt.Scale < 0 || tt.Scale > tt.Precision {
			return nil, fmt.Errorf("column %q: invalid %s", path, tt)
		}
		switch {
		case tt.Precision <= 9:
			n = parquet.Decimal(tt.Scale, tt.Precision, parquet.Int32Type)
		case tt.Precision <= 18:
			n = parquet.Decimal(tt.Scale, tt.Precision, parquet.Int64Type)
		default:
			n = parquet.Decimal(tt.Scale, tt.Precision, parquet.FixedLenByteArrayType(decimalBytes(tt.Precision)))
		}
	case *schema.StructType:
		g := &orderedGroup{}
		for _, f := range tt.Fields {
			c, err := parquetNode(f.Type, f.Nullable, path+"."+f.Name)
			if err != nil {
				return nil, err
			}
			g.add(f.Name, c)
		}
		if len(g.fields) == 0 {
			return nil, fmt.Errorf("column %q: Parquet cannot store an empty struct", path)
		}
		n = g
	case *schema.ArrayType:
		e, err := parquetNode(tt.ElementType, tt.ContainsNull, path+".element")
		if err != nil {
			return nil, err
		}
		n = parquet.List(e)
	case *schema.MapType:
		k, err := parquetNode(tt.KeyType, false, path+".key")
		if err != nil {
			return nil, err
		}
		v, err := parquetNode(tt.ValueType, tt.ValueContainsNull, path+".value")
		if err != nil {
			return nil, err
		}
		n = parquet.Map(k, v)
	default:
		return nil, fmt.Errorf("column %q: unsupported Delta type %v", path, t)
	}
	if nullable {
		return parquet.Optional(n), nil
	}
	return parquet.Required(n), nil
}
