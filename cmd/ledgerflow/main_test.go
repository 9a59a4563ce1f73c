package main

import (
	"go/parser"
	"go/token"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/ledgerflow/ledgerflow/internal/plugins"
)

// TestPackageCommentNamesOurComponents keeps the command's doc comment true: it names every
// component LedgerFlow registers, and every component it names is registered.
func TestPackageCommentNamesOurComponents(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	doc := f.Doc.Text()
	ours := map[string]bool{}
	for _, names := range plugins.Ours() {
		for _, n := range names {
			ours[n] = true
		}
	}
	named := map[string]bool{}
	for _, m := range regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(doc, -1) {
		named[m[1]] = true
	}
	var missing, extra []string
	for n := range ours {
		if !named[n] {
			missing = append(missing, n)
		}
	}
	for n := range named {
		if !ours[n] {
			extra = append(extra, n)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 || len(ours) == 0 {
		t.Errorf("main.go's package comment: not named %v, named but not registered %v\n%s", missing, extra, strings.TrimSpace(doc))
	}
}
