package main

import (
	"os"
	"strings"
)

// rewriteTestArgs turns `ledgerflow test DIR` into `ledgerflow test DIR/...`. The Benthos core
// only recurses into a directory given with the `/...` suffix; a plain directory argument would
// otherwise find no config at all and pass vacuously, which is the wrong answer for a test
// command.
func rewriteTestArgs(args []string) []string {
	out := append([]string(nil), args...)
	testAt := -1
	for i, a := range out[1:] {
		if a == "test" || a == "unit" {
			testAt = i + 1
			break
		}
		if !strings.HasPrefix(a, "-") {
			return out // another subcommand
		}
	}
	if testAt < 0 {
		return out
	}
	for i := testAt + 1; i < len(out); i++ {
		a := out[i]
		if strings.HasPrefix(a, "-") || strings.HasSuffix(a, "/...") {
			continue
		}
		if st, err := os.Stat(a); err == nil && st.IsDir() {
			out[i] = strings.TrimSuffix(a, "/") + "/..."
		}
	}
	return out
}
