package gold

import (
	"fmt"
	"strings"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// Binding is a declaration placed on the rows of one silver table: where each column the
// expressions read sits in a row. It is immutable.
type Binding struct {
	d      *Decl
	st     *schema.StructType
	colIdx []int // per source column (Decl.columns): index in the row, -1 when not read
	keyIdx []int // the primary key's columns in the row
}

// Bind places d on rows of schema st (the silver table's). Every column an expression reads
// and the primary key must exist in st with the type the declaration was checked against;
// otherwise the error names the column and both types.
func (d *Decl) Bind(st *schema.StructType) (*Binding, error) {
	b := &Binding{d: d, st: st, colIdx: make([]int, len(d.columns))}
	for i := range b.colIdx {
		b.colIdx[i] = -1
	}
	find := func(c Column) (int, error) {
		i := st.Index(c.Name)
		if i < 0 {
			for j, f := range st.Fields {
				if strings.EqualFold(f.Name, c.Name) {
					i = j
					break
				}
			}
		}
		if i < 0 {
			return -1, fmt.Errorf("gold table %s: the silver table %s has no column %q, which the declaration reads (%s)", d.Table, d.Source, c.Name, sqlTypeName(c.Type))
		}
		if got := st.Fields[i].Type; got.String() != c.Type.String() {
			return -1, fmt.Errorf("gold table %s: silver column %s.%s is %s, the declaration was checked against %s", d.Table, d.Source, c.Name, sqlTypeName(got), sqlTypeName(c.Type))
		}
		return i, nil
	}
	for _, r := range d.reads {
		i, err := find(d.columns[r])
		if err != nil {
			return nil, err
		}
		b.colIdx[r] = i
	}
	for _, k := range d.Contract.PrimaryKey {
		var col Column
		for _, c := range d.columns {
			if c.Name == k {
				col = c
			}
		}
		i, err := find(col)
		if err != nil {
			return nil, err
		}
		b.keyIdx = append(b.keyIdx, i)
	}
	return b, nil
}

// Decl returns the bound declaration.
func (b *Binding) Decl() *Decl { return b.d }

// Schema returns the row schema the binding reads.
func (b *Binding) Schema() *schema.StructType { return b.st }

// KeyIndexes are the row positions of the source's primary key.
func (b *Binding) KeyIndexes() []int { return append([]int(nil), b.keyIdx...) }

// describeKey renders a row's primary key for messages ("transaction_id=5").
func (b *Binding) describeKey(row []any) string {
	var parts []string
	for i, k := range b.d.Contract.PrimaryKey {
		if b.keyIdx[i] < len(row) {
			parts = append(parts, fmt.Sprintf("%s=%v", k, row[b.keyIdx[i]]))
		}
	}
	return strings.Join(parts, ",")
}
