package scenario

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// pipeline is the part of a pipeline config a scenario runs: its processors and its
// delta_lake outputs by label.
type pipeline struct {
	path       string
	processors []*yaml.Node
	outputs    map[string]*yaml.Node // label → the delta_lake mapping
}

// loadPipeline reads a pipeline config after ${VAR:default} interpolation, as Benthos reads it.
func loadPipeline(path string) (*pipeline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(interpolate(data), &doc); err != nil {
		return nil, fmt.Errorf("pipeline %s: %w", path, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("pipeline %s: expected a Benthos config (a mapping)", path)
	}
	root := doc.Content[0]
	p := &pipeline{path: path, outputs: map[string]*yaml.Node{}}
	if pl := mappingValue(root, "pipeline"); pl != nil {
		if procs := mappingValue(pl, "processors"); procs != nil && procs.Kind == yaml.SequenceNode {
			p.processors = procs.Content
		}
	}
	if out := mappingValue(root, "output"); out != nil {
		findDeltaOutputs(out, p.outputs)
	}
	return p, nil
}

// findDeltaOutputs collects every labelled delta_lake output below n (inside brokers,
// switches, fallbacks...).
func findDeltaOutputs(n *yaml.Node, found map[string]*yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode:
		if label, dl := mappingValue(n, "label"), mappingValue(n, "delta_lake"); label != nil && dl != nil && dl.Kind == yaml.MappingNode {
			found[label.Value] = dl
		}
		for i := 1; i < len(n.Content); i += 2 {
			findDeltaOutputs(n.Content[i], found)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			findDeltaOutputs(c, found)
		}
	}
}

func (p *pipeline) labels() string {
	var ls []string
	for l := range p.outputs {
		ls = append(ls, l)
	}
	sort.Strings(ls)
	if len(ls) == 0 {
		return "it has no labelled delta_lake output"
	}
	return "its delta_lake outputs: " + strings.Join(ls, ", ")
}

// outputYAML is the config of output label, writing to path (dead letters beside it), with
// batching removed so that each batch the scenario sends reaches the output as one batch,
// and overrides applied.
func (p *pipeline) outputYAML(label, path string, overrides map[string]*yaml.Node) (string, *yaml.Node, error) {
	dl, ok := p.outputs[label]
	if !ok {
		return "", nil, fmt.Errorf("pipeline %s has no delta_lake output labelled %q (%s)", p.path, label, p.labels())
	}
	conf := &yaml.Node{Kind: yaml.MappingNode}
	set := map[string]*yaml.Node{
		"path":             {Kind: yaml.ScalarNode, Value: path},
		"dead_letter_path": {Kind: yaml.ScalarNode, Value: path + "_dead_letters"},
	}
	for k, v := range overrides {
		if k == "path" || k == "dead_letter_path" || k == "batching" {
			return "", nil, fmt.Errorf("output_config: %s is set by the scenario runner", k)
		}
		set[k] = v
	}
	for i := 0; i+1 < len(dl.Content); i += 2 {
		k := dl.Content[i].Value
		if k == "batching" {
			continue
		}
		if _, over := set[k]; over {
			continue
		}
		conf.Content = append(conf.Content, dl.Content[i], dl.Content[i+1])
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		conf.Content = append(conf.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, set[k])
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "label"}, {Kind: yaml.ScalarNode, Value: label},
		{Kind: yaml.ScalarNode, Value: "delta_lake"}, conf,
	}}
	b, err := yaml.Marshal(out)
	return string(b), conf, err
}

var envRef = regexp.MustCompile(`\$\$?\{([A-Za-z0-9_.]+)(?::([^}]*))?\}`)

// interpolate replaces ${VAR} and ${VAR:default} as Benthos does; $${VAR} stays literal.
func interpolate(b []byte) []byte {
	return envRef.ReplaceAllFunc(b, func(m []byte) []byte {
		if len(m) > 1 && m[1] == '$' {
			return m[1:]
		}
		sub := envRef.FindSubmatch(m)
		if v, ok := os.LookupEnv(string(sub[1])); ok && v != "" {
			return []byte(v)
		}
		return sub[2]
	})
}
