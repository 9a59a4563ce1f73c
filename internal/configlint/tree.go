package configlint

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// entry is a node of the interpolated YAML with its path from the root.
type entry struct {
	node  *yaml.Node
	path  []string
	isKey bool // node is the key of the mapping entry at path
	value *yaml.Node
}

// index lists every key and value node of a document, in document order.
func index(doc *yaml.Node) []entry {
	var out []entry
	var walk func(n *yaml.Node, path []string)
	walk = func(n *yaml.Node, path []string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
			return
		case yaml.AliasNode:
			out = append(out, entry{node: n, path: path})
			return
		}
		out = append(out, entry{node: n, path: path, value: n})
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := appendPath(path, k.Value)
				out = append(out, entry{node: k, path: p, isKey: true, value: v})
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, appendPath(path, strconv.Itoa(i)))
			}
		}
	}
	walk(doc, nil)
	return out
}

func appendPath(p []string, seg string) []string {
	return append(append(make([]string, 0, len(p)+1), p...), seg)
}

// dotPath writes a path as --set takes it: output.broker.outputs.0.delta_lake.mode.
func dotPath(p []string) string { return strings.Join(p, ".") }
