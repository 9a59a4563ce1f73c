package parquetio

import (
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// maxSchemaDepth bounds recursion over file schemas: real Delta schemas are a few levels deep,
// and a corrupt footer must not be able to exhaust the stack.
const maxSchemaDepth = 64

// fileNode is one element of a Parquet file's schema tree, with the definition and
// repetition levels at which it is present. It is built from the raw footer elements rather
// than from parquet-go's Node view so that every annotation (logical type, legacy converted
// type, decimal scale, list/map layout) is seen exactly as the writer stored it.
type fileNode struct {
	name     string
	path     string
	elem     *format.SchemaElement
	children []*fileNode
	column   int // leaf column index, -1 for groups
	repType  format.FieldRepetitionType
	def, rep int
}

func (n *fileNode) isLeaf() bool { return n.column >= 0 }

func (n *fileNode) child(name string) *fileNode {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	for _, c := range n.children {
		if strings.EqualFold(c.name, name) {
			return c
		}
	}
	return nil
}

// firstLeaf returns the column index of the first leaf below n, or -1.
func (n *fileNode) leaves(dst []int) []int {
	if n.isLeaf() {
		return append(dst, n.column)
	}
	for _, c := range n.children {
		dst = c.leaves(dst)
	}
	return dst
}

func buildFileTree(elems []format.SchemaElement) (*fileNode, int, error) {
	if len(elems) == 0 {
		return nil, 0, fmt.Errorf("parquet footer has an empty schema")
	}
	b := treeBuilder{elems: elems}
	root := &fileNode{name: elems[0].Name, elem: &elems[0], column: -1}
	b.pos = 1
	if err := b.children(root, 0); err != nil {
		return nil, 0, err
	}
	if b.pos != len(elems) {
		return nil, 0, fmt.Errorf("parquet footer schema has %d elements but the tree uses %d", len(elems), b.pos)
	}
	return root, b.columns, nil
}

type treeBuilder struct {
	elems   []format.SchemaElement
	pos     int
	columns int
}

func (b *treeBuilder) children(parent *fileNode, depth int) error {
	if depth > maxSchemaDepth {
		return fmt.Errorf("parquet schema nests deeper than %d levels", maxSchemaDepth)
	}
	n, _ := parent.elem.NumChildren.Get()
	if n < 0 || int(n) > len(b.elems)-b.pos {
		return fmt.Errorf("parquet schema element %q claims %d children, only %d elements follow", parent.name, n, len(b.elems)-b.pos)
	}
	for i := 0; i < int(n); i++ {
		e := &b.elems[b.pos]
		b.pos++
		c := &fileNode{name: e.Name, elem: e, column: -1, def: parent.def, rep: parent.rep}
		if parent.path == "" {
			c.path = e.Name
		} else {
			c.path = parent.path + "." + e.Name
		}
		c.repType, _ = e.RepetitionType.Get()
		switch c.repType {
		case format.Optional:
			c.def++
		case format.Repeated:
			c.def++
			c.rep++
		}
		if nc, ok := e.NumChildren.Get(); ok && nc > 0 {
			if err := b.children(c, depth+1); err != nil {
				return err
			}
		} else {
			if _, ok := e.Type.Get(); !ok {
				return fmt.Errorf("parquet column %q is a leaf without a physical type", c.path)
			}
			c.column = b.columns
			b.columns++
		}
		parent.children = append(parent.children, c)
	}
	return nil
}

// typeDesc renders a leaf's physical and logical type for error messages.
func typeDesc(n *fileNode) string {
	if !n.isLeaf() {
		if lt := n.elem.LogicalType.Value; lt != nil {
			return "group " + lt.String()
		}
		if ct, ok := n.elem.ConvertedType.Get(); ok {
			return "group " + convertedName(ct)
		}
		return "group"
	}
	pt, _ := n.elem.Type.Get()
	s := pt.String()
	if pt == format.FixedLenByteArray {
		l, _ := n.elem.TypeLength.Get()
		s += fmt.Sprintf("(%d)", l)
	}
	if lt := n.elem.LogicalType.Value; lt != nil {
		s += " " + lt.String()
	} else if ct, ok := n.elem.ConvertedType.Get(); ok {
		s += " " + convertedName(ct)
	}
	return s
}

var convertedNames = [...]string{"UTF8", "MAP", "MAP_KEY_VALUE", "LIST", "ENUM", "DECIMAL", "DATE",
	"TIME_MILLIS", "TIME_MICROS", "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS", "UINT_8", "UINT_16",
	"UINT_32", "UINT_64", "INT_8", "INT_16", "INT_32", "INT_64", "JSON", "BSON", "INTERVAL"}

func convertedName(ct deprecated.ConvertedType) string {
	if ct >= 0 && int(ct) < len(convertedNames) {
		return convertedNames[ct]
	}
	return fmt.Sprintf("CONVERTED_TYPE(%d)", int(ct))
}
