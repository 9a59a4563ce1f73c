package configlint

import (
	"encoding/json"
	"strconv"
)

// field is the part of a Benthos field spec (as ConfigSchema.MarshalJSONV0 writes it) that
// placing and type-checking a value needs.
type field struct {
	Name             string      `json:"name"`
	Type             string      `json:"type"` // string, int, float, bool, object, unknown, or a component type
	Kind             string      `json:"kind"` // scalar, array, 2darray, map
	IsSecret         bool        `json:"is_secret"`
	Interpolated     bool        `json:"interpolated"`
	Options          []string    `json:"options"`
	AnnotatedOptions [][2]string `json:"annotated_options"`
	Children         []field     `json:"children"`
}

type component struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Config field  `json:"config"`
}

// schema is a main config schema with every registered component.
type schema struct {
	root       field
	components map[string]map[string]field // component type → name → config
}

func parseSchema(jsonV0 []byte) (*schema, error) {
	var raw struct {
		Config     []field     `json:"config"`
		Buffers    []component `json:"buffers"`
		Caches     []component `json:"caches"`
		Inputs     []component `json:"inputs"`
		Outputs    []component `json:"outputs"`
		Processors []component `json:"processors"`
		RateLimits []component `json:"rate-limits"`
		Metrics    []component `json:"metrics"`
		Tracers    []component `json:"tracers"`
		Scanners   []component `json:"scanners"`
	}
	if err := json.Unmarshal(jsonV0, &raw); err != nil {
		return nil, err
	}
	s := &schema{root: field{Type: "object", Kind: "scalar", Children: raw.Config}, components: map[string]map[string]field{}}
	for _, list := range [][]component{raw.Buffers, raw.Caches, raw.Inputs, raw.Outputs, raw.Processors, raw.RateLimits, raw.Metrics, raw.Tracers, raw.Scanners} {
		for _, c := range list {
			if s.components[c.Type] == nil {
				s.components[c.Type] = map[string]field{}
			}
			s.components[c.Type][c.Name] = c.Config
		}
	}
	return s, nil
}

var componentTypes = map[string]bool{"input": true, "output": true, "processor": true, "cache": true, "rate_limit": true, "buffer": true, "metrics": true, "tracer": true, "scanner": true}

// reserved are the fields every component of a type has beside its plugin's own
// (docs.ReservedFieldsByType).
func reserved(componentType, name string) (field, bool) {
	switch name {
	case "label", "type":
		return field{Name: name, Type: "string", Kind: "scalar"}, true
	case "plugin", "meta":
		return field{Name: name, Type: "unknown", Kind: "map"}, true
	case "processors":
		if componentType == "input" || componentType == "output" {
			return field{Name: name, Type: "processor", Kind: "array"}, true
		}
	case "mapping":
		if componentType == "metrics" {
			return field{Name: name, Type: "string", Kind: "scalar"}, true
		}
	}
	return field{}, false
}

// step is one segment of a value's path below the field f.
type step struct {
	f         field
	component string // set when the segment named a component: its type and name
	name      string
}

// resolve walks a path (keys and array indexes, as the YAML holds them) from the root and
// returns the spec of every segment it could place; it stops at the first it cannot.
func (s *schema) resolve(path []string) []step {
	cur := s.root
	var steps []step
	for _, seg := range path {
		var next step
		switch {
		case cur.Kind == "array" || cur.Kind == "2darray" || cur.Kind == "map":
			if cur.Kind != "map" {
				if _, err := strconv.Atoi(seg); err != nil {
					return steps
				}
			}
			elem := cur
			if cur.Kind == "2darray" {
				elem.Kind = "array"
			} else {
				elem.Kind = "scalar"
			}
			next = step{f: elem}
		case componentTypes[cur.Type]:
			if r, ok := reserved(cur.Type, seg); ok {
				next = step{f: r}
				break
			}
			conf, ok := s.components[cur.Type][seg]
			if !ok {
				return steps
			}
			next = step{f: conf, component: cur.Type, name: seg}
		case cur.Type == "object" || cur.Type == "":
			found := false
			for _, c := range cur.Children {
				if c.Name == seg {
					next, found = step{f: c}, true
					break
				}
			}
			if !found {
				return steps
			}
		default:
			return steps
		}
		steps = append(steps, next)
		cur = next.f
	}
	return steps
}

// at returns the spec of the value at path, if the whole path resolves.
func (s *schema) at(path []string) (field, bool) {
	steps := s.resolve(path)
	if len(steps) != len(path) || len(path) == 0 {
		return field{}, false
	}
	return steps[len(steps)-1].f, true
}

// childNames are the names of the fields the object at path may have.
func (s *schema) childNames(path []string) []string {
	f := s.root
	if len(path) > 0 {
		var ok bool
		if f, ok = s.at(path); !ok {
			return nil
		}
	}
	var names []string
	for _, c := range f.Children {
		names = append(names, c.Name)
	}
	return names
}
