package fraud

import (
	"strings"

	"github.com/expr-lang/expr/vm"
)

// A batch evaluates the when expressions of several rules in one program, [(w1), (w2),
// …], so that a transaction costs one VM run (one argument buffer, one stack reset) per
// batch rather than per rule. Each rule was compiled alone first, with its own
// diagnostics; the batch is only a faster way to run the same expressions. When the batch
// fails at run time, or an element is not a bool, its rules are run one by one, which
// attributes the error to the rule that caused it and keeps the others' outcomes.
type batch struct {
	prog  *vm.Program
	rules []*Rule
}

// batchSize bounds a batch, so that one rule failing at run time costs a re-run of at
// most this many rules.
const batchSize = 32

func batchRules(rules []*Rule, d *Description) []batch {
	var out []batch
	for start := 0; start < len(rules); start += batchSize {
		group := rules[start:min(start+batchSize, len(rules))]
		var b strings.Builder
		b.WriteString("[")
		for i, r := range group {
			if i > 0 {
				b.WriteString(",")
			}
			// Newlines keep a trailing // comment of a when from swallowing the bracket.
			b.WriteString("(\n")
			b.WriteString(r.When)
			b.WriteString("\n)")
		}
		b.WriteString("]")
		prog, _, err := compileExpr(d, b.String(), false)
		if err != nil {
			// Some construct does not combine (a let scoping clash, say): run the
			// group's rules one by one.
			prog = nil
		}
		out = append(out, batch{prog: prog, rules: group})
	}
	return out
}
