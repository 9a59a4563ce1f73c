package scenario

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// compareRows checks that the table (st, rows) holds exactly the expected rows, comparing
// only the columns each expected row names, in any order. contains names columns whose
// expected text need only be contained in the actual value (the dead-letter reason). It
// returns the failure text, empty when the rows match.
func compareRows(table string, st *schema.StructType, rows [][]any, exp []Row, contains map[string]bool) string {
	var cols []string
	seen := map[string]bool{}
	var problems []string
	for _, r := range exp {
		for _, c := range r.Columns {
			if seen[c] {
				continue
			}
			seen[c] = true
			if st.Index(c) < 0 {
				var names []string
				for _, f := range st.Fields {
					names = append(names, f.Name)
				}
				problems = append(problems, fmt.Sprintf("line %d: %s has no column %q (columns: %s)", r.Line, table, c, strings.Join(names, ", ")))
				continue
			}
			cols = append(cols, c)
		}
	}
	if len(problems) > 0 {
		return strings.Join(problems, "\n")
	}
	// Actual rows as text, projected onto the compared columns.
	actual := make([][]string, len(rows))
	for i, r := range rows {
		actual[i] = make([]string, len(cols))
		for j, c := range cols {
			actual[i][j] = canonical(r[st.Index(c)])
		}
	}
	type want struct {
		text map[string]string
		line int
	}
	wants := make([]want, len(exp))
	for i, r := range exp {
		wants[i] = want{text: map[string]string{}, line: r.Line}
		for _, c := range r.Columns {
			t, why := expectedText(st.Field(c).Type, r.Values[c])
			if why != "" {
				problems = append(problems, fmt.Sprintf("line %d: column %s: expected value %q: %s", r.Values[c].Line, c, r.Values[c].Value, why))
			}
			wants[i].text[c] = t
		}
	}
	matches := func(wi, ai int) bool {
		for j, c := range cols {
			w, ok := wants[wi].text[c]
			if !ok {
				continue
			}
			if contains[c] {
				if !strings.Contains(actual[ai][j], w) {
					return false
				}
			} else if actual[ai][j] != w {
				return false
			}
		}
		return true
	}
	// Maximum bipartite matching, so that expected rows naming fewer columns cannot steal
	// the only row another expectation fits.
	matchOfActual := make([]int, len(actual))
	for i := range matchOfActual {
		matchOfActual[i] = -1
	}
	var try func(wi int, visited []bool) bool
	try = func(wi int, visited []bool) bool {
		for ai := range actual {
			if visited[ai] || !matches(wi, ai) {
				continue
			}
			visited[ai] = true
			if matchOfActual[ai] < 0 || try(matchOfActual[ai], visited) {
				matchOfActual[ai] = wi
				return true
			}
		}
		return false
	}
	matchedWant := make([]bool, len(wants))
	for wi := range wants {
		matchedWant[wi] = try(wi, make([]bool, len(actual)))
	}
	ok := len(problems) == 0 && len(rows) == len(exp)
	for _, m := range matchedWant {
		ok = ok && m
	}
	if ok {
		return ""
	}
	var b strings.Builder
	for _, p := range problems {
		b.WriteString(p + "\n")
	}
	fmt.Fprintf(&b, "%s: expected %s, found %s (compared on %s)\n", table, plural(len(exp), "row"), plural(len(rows), "row"), strings.Join(cols, ", "))
	type line struct{ mark, row, note string }
	var missing, extra, same []line
	for wi, w := range wants {
		if !matchedWant[wi] {
			missing = append(missing, line{"-", renderRow(cols, w.text), fmt.Sprintf("expected (line %d), not found", w.line)})
		}
	}
	for ai, a := range actual {
		m := map[string]string{}
		for j, c := range cols {
			m[c] = a[j]
		}
		if matchOfActual[ai] < 0 {
			extra = append(extra, line{"+", renderRow(cols, m), "found, not expected"})
		} else {
			same = append(same, line{" ", renderRow(cols, m), ""})
		}
	}
	byRow := func(ls []line) { sort.Slice(ls, func(i, j int) bool { return ls[i].row < ls[j].row }) }
	byRow(extra)
	byRow(same)
	if len(same) > 20 {
		same = []line{{" ", fmt.Sprintf("(%d matching rows not shown)", len(same)), ""}}
	}
	all := append(append(missing, extra...), same...)
	width := 0
	for _, l := range all {
		if len(l.row) <= 100 { // a very long row is not worth padding the others to
			width = max(width, len(l.row))
		}
	}
	for _, l := range all {
		b.WriteString(strings.TrimRight(fmt.Sprintf("  %s %-*s   %s", l.mark, width, l.row, l.note), " ") + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// renderRow writes a row in YAML flow style, as a scenario would write it.
func renderRow(cols []string, vals map[string]string) string {
	var parts []string
	for _, c := range cols {
		v, ok := vals[c]
		if !ok {
			continue
		}
		parts = append(parts, c+": "+yamlScalar(v))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func yamlScalar(s string) string {
	if s == "null" {
		return s
	}
	if s == "" || strings.ContainsAny(s, ":{}[],#&*!|>'\"%@`\n") || strings.TrimSpace(s) != s {
		return strconv.Quote(s)
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil && strings.Contains(s, ".") {
		return strconv.Quote(s) // decimals are written quoted in scenarios
	}
	return s
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
