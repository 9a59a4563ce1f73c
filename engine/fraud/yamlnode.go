package fraud

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// decodeYAML parses a YAML document into a node tree. yaml.v3 is a third-party parser fed
// with user files; a panic inside it becomes an error instead of taking the process down.
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
		return nil, nil // empty document
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Errorf("expected one YAML document")
	}
	return resolve(doc.Content[0]), nil
}

// resolve follows aliases, so anchors and aliases (&a / *a) work wherever a value may be.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// member is one key: value pair of a mapping node.
type member struct {
	key   string
	line  int
	col   int
	value *yaml.Node
}

// members returns a mapping's pairs in order. It fails on a non-mapping, a non-scalar key,
// a merge key (<<, which would hide where a value came from) or a key given twice.
func members(n *yaml.Node, what string) ([]member, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: %s must be a mapping, got %s", n.Line, what, kindName(n))
	}
	out := make([]member, 0, len(n.Content)/2)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: %s: keys must be plain names", k.Line, what)
		}
		if k.Tag == "!!merge" {
			return nil, fmt.Errorf("line %d: %s: merge keys (<<) are not supported", k.Line, what)
		}
		if prev, dup := seen[k.Value]; dup {
			return nil, fmt.Errorf("line %d: %s: key %q given twice (first on line %d)", k.Line, what, k.Value, prev)
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
		return fmt.Sprintf("%s %s", n.ShortTag()[2:], quote(n.Value))
	}
	return "nothing"
}

// scalarString returns a scalar's text, failing on null, lists and mappings.
func scalarString(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", fmt.Errorf("line %d: %s must be a string, got %s", n.Line, what, kindName(n))
	}
	return n.Value, nil
}
