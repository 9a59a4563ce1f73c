package gold

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The shipped declarations are part of the binary, like the table contracts: their table
// and column names are the contract analysts and dbt models read.
//
//go:embed declarations/*.yaml
var embedded embed.FS

// Load compiles a declaration. A bare name such as "agg_daily_volume" (no slash, no
// extension) selects a shipped declaration; anything else is a file path.
func Load(nameOrPath string) (*Decl, error) {
	if !strings.ContainsAny(nameOrPath, `/\`) && filepath.Ext(nameOrPath) == "" {
		data, err := embedded.ReadFile("declarations/" + nameOrPath + ".yaml")
		if err != nil {
			return nil, fmt.Errorf("no shipped gold declaration %q (have %s)", nameOrPath, strings.Join(Names(), ", "))
		}
		return Parse(data, "declarations/"+nameOrPath+".yaml")
	}
	data, err := os.ReadFile(nameOrPath)
	if err != nil {
		return nil, fmt.Errorf("gold declaration: %w", err)
	}
	return Parse(data, nameOrPath)
}

// Names lists the shipped declarations.
func Names() []string {
	entries, _ := embedded.ReadDir("declarations")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	slices.Sort(out)
	return out
}
