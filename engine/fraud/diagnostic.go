package fraud

import (
	"fmt"
	"strings"
)

// Diagnostic is one problem in a rule file, located for an editor: file, line and column
// (1-based; 0 when unknown), the rule's id and the part of the rule (when, reason, tests).
type Diagnostic struct {
	File    string
	Line    int
	Column  int
	Rule    string // "" when the problem is not inside a rule
	Part    string // "when", "reason", "version", "test \"name\"", …
	Expr    string // the expression, for when and reason problems
	Message string
}

func (d *Diagnostic) Error() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Line > 0 {
		fmt.Fprintf(&b, ":%d", d.Line)
		if d.Column > 0 {
			fmt.Fprintf(&b, ":%d", d.Column)
		}
	}
	b.WriteString(": ")
	if d.Rule != "" {
		fmt.Fprintf(&b, "rule %s: ", d.Rule)
	}
	if d.Part != "" {
		b.WriteString(d.Part)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	if d.Expr != "" {
		e := strings.Join(strings.Fields(d.Expr), " ")
		if len(e) > 200 {
			e = e[:200] + "…"
		}
		fmt.Fprintf(&b, " (in %q)", e)
	}
	return b.String()
}

// Diagnostics is every problem found in a set of rule files. As an error it lists them,
// one per line.
type Diagnostics []*Diagnostic

func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.Error()
	}
	return strings.Join(lines, "\n")
}

// err returns ds as an error, or nil when it is empty.
func (ds Diagnostics) err() error {
	if len(ds) == 0 {
		return nil
	}
	return ds
}
