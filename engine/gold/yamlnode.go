package gold

import (
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"
)

// decodeYAML parses one YAML document into a node tree. A panic inside the YAML parser (a
// bug there, reachable from user text) becomes an error.
func decodeYAML(data []byte) (root *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("YAML parser failed: %v", r)
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 {
		return nil, nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Errorf("expected one YAML document")
	}
	return resolve(doc.Content[0]), nil
}

// resolve follows aliases, so anchors (&a / *a) work wherever a value may be.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// member is one key: value pair of a mapping.
type member struct {
	key       string
	line, col int
	value     *yaml.Node
}

// members returns a mapping's pairs in order; a non-mapping, a non-scalar key, a merge key
// (<<, which hides where a value came from) or a repeated key is an error at its line.
func members(n *yaml.Node, what string) ([]member, *Error) {
	if n.Kind != yaml.MappingNode {
		return nil, errAt(n, "%s must be a mapping, got %s", what, kindName(n))
	}
	out := make([]member, 0, len(n.Content)/2)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k == nil || v == nil || k.Kind != yaml.ScalarNode {
			return nil, errAt(n.Content[i], "%s: keys must be plain names", what)
		}
		if k.Tag == "!!merge" {
			return nil, errAt(k, "%s: merge keys (<<) are not supported", what)
		}
		if prev, dup := seen[k.Value]; dup {
			return nil, errAt(k, "%s: key %q given twice (first on line %d)", what, k.Value, prev)
		}
		seen[k.Value] = k.Line
		out = append(out, member{key: k.Value, line: k.Line, col: k.Column, value: v})
	}
	return out, nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return fmt.Sprintf("%s %s", n.ShortTag()[2:], strconv.Quote(v))
	}
	return "nothing"
}

// scalar returns a scalar's text; null, lists and mappings are errors.
func scalar(n *yaml.Node, what string) (string, *Error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", errAt(n, "%s must be a string, got %s", what, kindName(n))
	}
	return n.Value, nil
}

// node is a YAML node; the aliases keep the parser's code short.
type node = yaml.Node

const (
	nodeSeq          = yaml.SequenceNode
	nodeScalar       = yaml.ScalarNode
	nodeMap          = yaml.MappingNode
	nodeLiteral      = yaml.LiteralStyle
	nodeFolded       = yaml.FoldedStyle
	nodeDoubleQuoted = yaml.DoubleQuotedStyle
	nodeSingleQuoted = yaml.SingleQuotedStyle
)
