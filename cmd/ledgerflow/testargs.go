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

// tableValueFlags are the flags of `ledgerflow table` subcommands that take a value.
var tableValueFlags = map[string]bool{"--limit": true, "-limit": true, "--version": true, "-version": true, "--format": true, "-format": true}

// rewriteTableArgs moves the flags of `ledgerflow table <sub> ...` before the table path, so
// that `table show PATH --limit 10` works as users type it: the CLI library stops reading
// flags at the first positional argument.
func rewriteTableArgs(args []string) []string {
	if len(args) < 3 || args[1] != "table" {
		return args
	}
	out := append([]string(nil), args[:3]...)
	var positional []string
	rest := args[3:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			positional = append(positional, rest[i+1:]...)
			i = len(rest)
		case strings.HasPrefix(a, "-"):
			out = append(out, a)
			if tableValueFlags[a] && i+1 < len(rest) {
				out = append(out, rest[i+1])
				i++
			}
		default:
			positional = append(positional, a)
		}
	}
	return append(out, positional...)
}
