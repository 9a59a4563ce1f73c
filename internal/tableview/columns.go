package tableview

import (
	"fmt"
	"strings"
)

// Columns resolves a --columns list ("a,b,c") against the table's columns and returns their
// indexes in the order given. An empty list selects every column. It fails on a name the
// table does not have, listing the ones it has.
func Columns(table []string, list string) ([]int, error) {
	if strings.TrimSpace(list) == "" {
		idx := make([]int, len(table))
		for i := range table {
			idx[i] = i
		}
		return idx, nil
	}
	pos := make(map[string]int, len(table))
	for i, n := range table {
		pos[n] = i
	}
	var idx []int
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		i, ok := pos[name]
		if !ok {
			return nil, fmt.Errorf("--columns: the table has no column %q; its columns: %s", name, strings.Join(table, ", "))
		}
		idx = append(idx, i)
	}
	if len(idx) == 0 {
		return nil, fmt.Errorf("--columns %q names no column", list)
	}
	return idx, nil
}
