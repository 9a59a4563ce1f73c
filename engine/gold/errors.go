package gold

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is one problem in a declaration, located for an editor: file, line and column
// (1-based; 0 when unknown), the gold table and the part of the declaration it is in.
type Error struct {
	File         string
	Line, Column int
	Table        string // the declaration's table, "" before it is known
	Field        string // "aggregates[3] gross_volume: where", "group_by[0]", …
	Expr         string // the expression, for expression errors
	Message      string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
	} else {
		b.WriteString("gold declaration")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Table != "" {
		fmt.Fprintf(&b, "table %s: ", e.Table)
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if e.Expr != "" {
		fmt.Fprintf(&b, " (in %q)", truncate(strings.Join(strings.Fields(e.Expr), " "), 200))
	}
	return b.String()
}

// Errors is every problem found in one declaration; as an error it lists them one a line.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func errAt(n *yaml.Node, format string, args ...any) *Error {
	e := &Error{Message: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// truncate shortens s to n bytes (on a rune boundary) for messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n] + "…"
}
