package fraud

import (
	"fmt"
	"strings"
)

// Band names a score range: scores below Below (the previous band's Below included)
// belong to it. The last band has no Below and takes every score from the previous
// band's Below up to 100.
type Band struct {
	Name  string `yaml:"name"`
	Below *int   `yaml:"below"`
}

// Bands are ordered score ranges, e.g. low below 30, review below 70, block.
type Bands []Band

// DefaultBands are low (< 30), review (< 70) and block.
func DefaultBands() Bands {
	b30, b70 := 30, 70
	return Bands{{Name: "low", Below: &b30}, {Name: "review", Below: &b70}, {Name: "block"}}
}

// Validate checks that names are unique and non-empty, every band but the last has a
// Below from 1 to 100, strictly increasing, and the last has none.
func (bs Bands) Validate() error {
	if len(bs) == 0 {
		return fmt.Errorf("bands: at least one band is required")
	}
	seen := map[string]bool{}
	prev := 0
	for i, b := range bs {
		if strings.TrimSpace(b.Name) == "" {
			return fmt.Errorf("bands[%d]: name is required", i)
		}
		if seen[b.Name] {
			return fmt.Errorf("bands[%d]: name %q is used twice", i, b.Name)
		}
		seen[b.Name] = true
		last := i == len(bs)-1
		switch {
		case last && b.Below != nil:
			return fmt.Errorf("bands[%d] (%s): the last band takes every remaining score and must not have below", i, b.Name)
		case !last && b.Below == nil:
			return fmt.Errorf("bands[%d] (%s): below is required on every band but the last", i, b.Name)
		case !last && (*b.Below <= prev || *b.Below > 100):
			return fmt.Errorf("bands[%d] (%s): below %d must be greater than %d and at most 100", i, b.Name, *b.Below, prev)
		}
		if b.Below != nil {
			prev = *b.Below
		}
	}
	return nil
}

// Of returns the name of the band score falls in ("" for no bands).
func (bs Bands) Of(score int) string {
	for _, b := range bs {
		if b.Below == nil || score < *b.Below {
			return b.Name
		}
	}
	if len(bs) > 0 {
		return bs[len(bs)-1].Name
	}
	return ""
}
