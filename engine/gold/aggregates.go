package gold

import (
	"fmt"
	"reflect"
	"strconv"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

func (p *parser) aggregates(n *node) {
	if n.Kind != nodeSeq || len(n.Content) == 0 {
		p.add(errAt(n, "aggregates must be a non-empty list, got %s", kindName(n)))
		return
	}
	taken := p.taken()
	for i, item := range n.Content {
		item = resolve(item)
		field := fmt.Sprintf("aggregates[%d]", i)
		ms, e := members(item, field)
		if e != nil {
			p.add(e)
			continue
		}
		a := Aggregate{Output: true, Keep: DefaultKeep, Line: item.Line}
		var fn *member
		var nameNode, whereNode, typeNode *node
		var typ string
		for j := range ms {
			m := &ms[j]
			if k, ok := kindKeys[m.key]; ok {
				if fn != nil {
					p.add(&Error{Line: m.line, Column: m.col, Field: field, Message: fmt.Sprintf("%s and %s: an aggregate has exactly one function", fn.key, m.key)})
					continue
				}
				fn, a.Kind = m, k
				continue
			}
			switch m.key {
			case "name":
				s, e := scalar(m.value, field+".name")
				p.add(e)
				a.Name, nameNode = s, m.value
			case "where":
				whereNode = m.value
			case "type":
				s, e := scalar(m.value, field+".type")
				p.add(e)
				typ, typeNode = s, m.value
			case "output":
				switch m.value.Value {
				case "true":
				case "false":
					a.Output = false
				default:
					p.add(errAt(m.value, "%s.output must be true or false, got %s", field, kindName(m.value)))
				}
			case "keep":
				k, err := strconv.Atoi(m.value.Value)
				if err != nil || k < 0 || k > 1<<20 {
					p.add(errAt(m.value, "%s.keep must be a whole number from 0 (all values) to 1048576, got %s", field, kindName(m.value)))
				} else {
					a.Keep = k
				}
			case "description":
			default:
				p.add(&Error{Line: m.line, Column: m.col, Field: field, Message: fmt.Sprintf("unknown key %q (expected name, one of count, sum, min, max, count_distinct, ratio, expr, and where, type, output, keep, description)", truncate(m.key, 40))})
			}
		}
		if nameNode == nil || a.Name == "" {
			p.add(&Error{Line: item.Line, Column: item.Column, Field: field, Message: "name is required"})
			continue
		}
		if !p.checkName(nameNode, a.Name, field, taken) {
			continue
		}
		field += " " + a.Name
		if fn == nil {
			p.add(&Error{Line: item.Line, Column: item.Column, Field: field, Message: "no function: give one of count, sum, min, max, count_distinct, ratio, expr"})
			continue
		}
		if whereNode != nil {
			if a.Kind == Ratio || a.Kind == Derived {
				p.add(errAt(whereNode, "%s: where applies to count, sum, min, max and count_distinct; a %s reads other aggregates", field, a.Kind))
				continue
			}
			if a.where = p.expr(whereNode, p.d.rowSpec, field+": where", true); a.where == nil {
				continue
			}
		}
		if a.Kind != Min && a.Kind != Max && a.Keep != DefaultKeep {
			p.add(&Error{Line: item.Line, Column: item.Column, Field: field, Message: "keep applies to min and max only"})
			continue
		}
		at := func(n *node) (int, int) {
			if n == nil {
				return item.Line, item.Column
			}
			return n.Line, n.Column
		}
		if err := p.aggregate(&a, fn, typ, field); err != nil {
			l, c := at(typeNode)
			if typeNode == nil {
				l, c = fn.value.Line, fn.value.Column
			}
			p.add(&Error{Line: l, Column: c, Field: field, Message: err.Error()})
			continue
		} else if a.Type == nil {
			continue // the expression's error is reported
		}
		switch a.Kind {
		case Count:
			a.slot = p.d.nCounts
			p.d.nCounts++
		case CountDistinct:
			a.slot = p.d.nDist
			p.d.nDist++
		case Sum:
			a.slot = p.d.nSums
			p.d.nSums++
		case Min, Max:
			a.slot = p.d.nExt
			p.d.nExt++
		}
		p.d.aggSpec.add(a.Name, aggExprType(&a))
		p.d.Aggregates = append(p.d.Aggregates, a)
	}
}

// aggExprType is the type a ratio or expr sees an earlier aggregate as.
func aggExprType(a *Aggregate) reflect.Type {
	switch a.Kind {
	case Count, CountDistinct:
		return rtInt
	case Min, Max:
		return a.inType
	}
	return exprTypeOfOutput(a.Type)
}

// aggregate compiles the function of a and sets its type. A nil error with a nil type
// means an expression failed (and was reported).
func (p *parser) aggregate(a *Aggregate, fn *member, typ, field string) error {
	var declared schema.Type
	if typ != "" {
		t, err := parseOutputType(typ)
		if err != nil {
			return err
		}
		declared = t
	}
	switch a.Kind {
	case Count:
		if s := fn.value.Value; fn.value.Kind != nodeScalar || s != "*" {
			if a.input = p.expr(fn.value, p.d.rowSpec, field+": count", false); a.input == nil {
				return nil
			}
		}
		return p.countType(a, declared)
	case CountDistinct:
		if a.input = p.expr(fn.value, p.d.rowSpec, field+": count_distinct", false); a.input == nil {
			return nil
		}
		if a.input.out == rtFloat {
			return fmt.Errorf("count_distinct of a float is not exact: two amounts that print alike can differ in their last bit")
		}
		if _, ok := outputTypeFor(a.input.out); !ok && a.input.out != rtMoney {
			return fmt.Errorf("count_distinct of %s values is not supported", typeWord(a.input.out))
		}
		return p.countType(a, declared)
	case Sum:
		if a.input = p.expr(fn.value, p.d.rowSpec, field+": sum", false); a.input == nil {
			return nil
		}
		a.inType = a.input.out
		switch a.input.out {
		case rtInt:
			if declared == nil {
				declared = schema.Long
			}
		case rtMoney:
			inScale := -1
			if a.input.ident >= 0 {
				if dt, ok := p.d.columns[a.input.ident].Type.(schema.DecimalType); ok {
					inScale = dt.Scale
					if declared == nil {
						declared = schema.DecimalType{Precision: 38, Scale: dt.Scale}
					}
				}
			}
			if declared == nil {
				return fmt.Errorf("the sum of a decimal expression needs a type: DECIMAL(p,s)")
			}
			dt, ok := declared.(schema.DecimalType)
			if !ok {
				return fmt.Errorf("type %s cannot hold a sum of decimals: use DECIMAL(p,s)", sqlTypeName(declared))
			}
			if inScale > dt.Scale {
				return fmt.Errorf("type %s has fewer fractional digits than %s (scale %d): the sum would be rounded", sqlTypeName(dt), a.input.src, inScale)
			}
		case rtFloat:
			return fmt.Errorf("a sum of floats is not exact and money is never a float: sum a DECIMAL column")
		default:
			return fmt.Errorf("sum needs integer or decimal values, %q is %s", truncate(a.input.src, 60), typeWord(a.input.out))
		}
		if !suits(a.input.out, declared) {
			return fmt.Errorf("type %s does not hold a sum of %s values", sqlTypeName(declared), typeWord(a.input.out))
		}
		a.Type = declared
		return nil
	case Min, Max:
		if a.input = p.expr(fn.value, p.d.rowSpec, field+": "+a.Kind.String(), false); a.input == nil {
			return nil
		}
		switch a.input.out {
		case rtInt, rtString, rtMoney, rtTime, rtDate:
		default:
			return fmt.Errorf("%s needs integer, decimal, string, date or timestamp values, %q is %s", a.Kind, truncate(a.input.src, 60), typeWord(a.input.out))
		}
		a.inType = a.input.out
		t, err := p.outputType(a.input, typ, field)
		if err != nil {
			return err
		}
		a.Type = t
		return nil
	case Ratio:
		ms, e := members(fn.value, field+": ratio")
		if e != nil {
			return fmt.Errorf("%s", e.Message)
		}
		var hasNum, hasDen bool
		for _, m := range ms {
			switch m.key {
			case "numerator":
				hasNum = true
				a.num = p.expr(m.value, p.d.aggSpec, field+": numerator", false)
			case "denominator":
				hasDen = true
				a.den = p.expr(m.value, p.d.aggSpec, field+": denominator", false)
			default:
				return fmt.Errorf("ratio: unknown key %q (expected numerator, denominator)", truncate(m.key, 40))
			}
		}
		if !hasNum || !hasDen {
			return fmt.Errorf("ratio needs numerator and denominator (expressions over earlier aggregates)")
		}
		if a.num == nil || a.den == nil {
			return nil // reported
		}
		for _, q := range []*program{a.num, a.den} {
			if q.out != rtInt && q.out != rtMoney {
				return fmt.Errorf("ratio: %q is %s; numerator and denominator must be integers or decimals", truncate(q.src, 60), typeWord(q.out))
			}
		}
		switch declared.(type) {
		case schema.DecimalType:
		case nil:
			return fmt.Errorf("a ratio needs a type: DECIMAL(p,s) (rounded half away from zero) or DOUBLE (a ratio, never money)")
		default:
			if declared != schema.Double {
				return fmt.Errorf("a ratio is DECIMAL(p,s) or DOUBLE, not %s", sqlTypeName(declared))
			}
		}
		a.Type = declared
		return nil
	case Derived:
		if a.derived = p.expr(fn.value, p.d.aggSpec, field+": expr", false); a.derived == nil {
			return nil
		}
		t, err := p.outputType(a.derived, typ, field)
		if err != nil {
			return err
		}
		a.Type = t
		return nil
	}
	return fmt.Errorf("unknown function")
}

func (p *parser) countType(a *Aggregate, declared schema.Type) error {
	if declared != nil && declared != schema.Long {
		return fmt.Errorf("a %s is BIGINT, not %s", a.Kind, sqlTypeName(declared))
	}
	a.Type = schema.Long
	return nil
}
