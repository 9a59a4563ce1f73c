package fraud

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/file"

	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
)

// Hit is a rule that fired on a transaction.
type Hit struct {
	Rule   *Rule
	Reason string
}

// RuleError is a rule whose evaluation failed at run time. A failed when is never a hit;
// a failed reason segment keeps the hit (its text shows "<error>").
type RuleError struct {
	Rule *Rule
	Part string // "when" or "reason"
	Err  error
}

func (e RuleError) Error() string {
	return fmt.Sprintf("rule %s (%s:%d) %s: %v", e.Rule.ID, e.Rule.File, e.Rule.Line, e.Part, e.Err)
}

// Result is the outcome of one transaction. Reuse one per goroutine: Evaluate resets it.
type Result struct {
	Score   int    // min(100, Σ weight of the hits)
	Band    string // the band of Score ("" when the rule set has no bands)
	Hits    []Hit
	Errors  []RuleError
	Version string // the rule set's version hash
}

func (r *Result) reset() {
	r.Score, r.Band, r.Version = 0, "", ""
	clear(r.Hits)
	r.Hits = r.Hits[:0]
	clear(r.Errors)
	r.Errors = r.Errors[:0]
}

// Evaluate runs every rule of the set on env's transaction and fills res. It never
// panics on rule behaviour: a rule failing at run time (a nil operand, a division by
// zero, an index out of range) is reported in res.Errors and does not fire; the others
// are unaffected. Safe for concurrent use with distinct envs and results.
func (rs *RuleSet) Evaluate(env *Env, res *Result) {
	res.reset()
	res.Version = rs.version
	env.derive()
	score := 0
	for _, b := range rs.batches {
		var outs []any
		if b.prog != nil {
			if out, err := env.vm.Run(b.prog, env.ptr); err == nil {
				outs, _ = out.([]any)
			}
		}
		for i, r := range b.rules {
			var hit, ok bool
			if len(outs) == len(b.rules) {
				hit, ok = outs[i].(bool)
			}
			if !ok {
				var err error
				if hit, err = r.match(env); err != nil {
					r.whenErrors.Add(1)
					res.Errors = append(res.Errors, RuleError{Rule: r, Part: "when", Err: err})
					continue
				}
			}
			if !hit {
				continue
			}
			r.hits.Add(1)
			reason, err := r.render(env)
			if err != nil {
				r.reasonErrors.Add(1)
				res.Errors = append(res.Errors, RuleError{Rule: r, Part: "reason", Err: err})
			}
			res.Hits = append(res.Hits, Hit{Rule: r, Reason: reason})
			score += r.Weight
		}
	}
	res.Score = min(score, 100)
	res.Band = rs.bands.Of(res.Score)
}

// match evaluates the rule's when on env (already derived).
func (r *Rule) match(env *Env) (bool, error) {
	out, err := env.vm.Run(r.when, env.ptr)
	if err != nil {
		return false, runError(err)
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("when returned %T, expected a bool", out)
	}
	return b, nil
}

// runError keeps expr's message and position, without the multi-line snippet.
func runError(err error) error {
	if fe, ok := err.(*file.Error); ok {
		return fmt.Errorf("%s (at %d:%d)", fe.Message, fe.Line, fe.Column+1)
	}
	return err
}

// render builds the reason text. A failing segment is written as <error> and the first
// failure is returned.
func (r *Rule) render(env *Env) (string, error) {
	if len(r.reason) == 1 && r.reason[0].prog == nil {
		return r.reason[0].text, nil
	}
	var b strings.Builder
	var first error
	for _, s := range r.reason {
		if s.prog == nil {
			b.WriteString(s.text)
			continue
		}
		v, err := env.vm.Run(s.prog, env.ptr)
		if err != nil {
			if first == nil {
				first = fmt.Errorf("{{ %s }}: %w", s.text, runError(err))
			}
			b.WriteString("<error>")
			continue
		}
		b.WriteString(FormatValue(v))
	}
	return b.String(), first
}

// FormatValue renders a value for a reason: money exactly ("1234.50"), times in RFC 3339
// UTC, durations as Go writes them ("1h30m0s"), floats with at most 3 decimals, nil as
// "null", lists as [a, b].
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case money.Money:
		return x.String()
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return strconv.FormatFloat(math.Round(x*1000)/1000, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case time.Duration:
		return x.String()
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = FormatValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}
