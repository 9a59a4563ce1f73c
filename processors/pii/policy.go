package pii

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// Policy is what happens to one column's values.
type Policy string

// The policies. Keep passes values unchanged; the others are described in the processor's
// documentation (processor.go), which is the user-facing contract.
const (
	Keep Policy = "keep"
	Hash Policy = "hash"
	Mask Policy = "mask"
	Drop Policy = "drop"
	Year Policy = "year"
)

// Policies lists the valid policy names in documentation order.
var Policies = []Policy{Keep, Hash, Mask, Drop, Year}

// maskKind is the shape a mask keeps. It is chosen once per column from the contract's pii
// class, never from the value, so that every row of a column is masked the same way.
type maskKind int

const (
	maskRedact  maskKind = iota // nothing: "***"
	maskIP                      // pii: network — the IPv4 /24 or IPv6 /48 network
	maskContact                 // pii: contact — e-mail domain, or the last two digits of a phone number
	maskName                    // pii: name — the first character
)

// dateKind says how `year` reads and writes a column's values.
type dateKind int

const (
	dateOnly  dateKind = iota // DATE: "YYYY-MM-DD" or days since 1970-01-01
	timestamp                 // DATETIME, TIMESTAMP: ISO-8601 text or epoch milliseconds
)

// rule is the validated policy of one contract column.
type rule struct {
	column string // the contract's spelling
	lower  string // strings.ToLower(column), what member names are matched against
	policy Policy
	mask   maskKind
	date   dateKind
}

// Plan is a validated set of policies for one table contract: every column it names exists,
// every policy fits its column's type, and every column the contract tags `pii:` has one.
type Plan struct {
	Table *schemas.Table
	rules []rule
	// byName maps lower-case column names to rules; only columns whose values change.
	byName map[string]*rule
	// Kept lists the pii-tagged columns kept in clear by an explicit `keep`, as
	// "name (class)", so that the processor can say so at start.
	Kept []string
}

// NewPlan checks policies (column name → policy name) against the table contract. It
// reports every problem at once, sorted by column, so that a user fixes a config in one
// round; the error never contains key material (policies hold none).
func NewPlan(t *schemas.Table, policies map[string]string) (*Plan, error) {
	p := &Plan{Table: t, byName: map[string]*rule{}}
	names := make([]string, 0, len(policies))
	for n := range policies {
		names = append(names, n)
	}
	sort.Strings(names)
	var errs []error
	seen := map[string]string{}
	for _, name := range names {
		c := t.Column(name)
		if c == nil {
			errs = append(errs, fmt.Errorf("column %q is not in contract %s (its columns: %s)", name, t.Name, columnList(t)))
			continue
		}
		low := strings.ToLower(c.Name)
		if prev, dup := seen[low]; dup {
			errs = append(errs, fmt.Errorf("columns %q and %q are the same column %s (names are case-insensitive); give it one policy", prev, name, c.Name))
			continue
		}
		seen[low] = name
		pol := Policy(policies[name])
		r, err := newRule(t, c, pol)
		if err != nil {
			errs = append(errs, fmt.Errorf("column %s: %w", c.Name, err))
			continue
		}
		if pol == Keep {
			if c.PII != "" {
				p.Kept = append(p.Kept, c.Name+" ("+c.PII+")")
			}
			continue
		}
		p.rules = append(p.rules, r)
	}
	var missing []string
	for i := range t.Columns {
		c := &t.Columns[i]
		if _, ok := seen[strings.ToLower(c.Name)]; !ok && c.PII != "" {
			missing = append(missing, c.Name+" (pii: "+c.PII+")")
		}
	}
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("contract %s tags %s as personal data but the config gives no policy; give each one (keep, hash, mask, drop or year): a new pii column is never passed through silently",
			t.Name, strings.Join(missing, ", ")))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for i := range p.rules {
		p.rules[i].lower = strings.ToLower(p.rules[i].column)
		p.byName[p.rules[i].lower] = &p.rules[i]
	}
	return p, nil
}

// Rules returns the columns whose values change (the contract's spelling) and their policies.
func (p *Plan) Rules() map[string]Policy {
	out := make(map[string]Policy, len(p.rules))
	for _, r := range p.rules {
		out[r.column] = r.policy
	}
	return out
}

// NeedsKey reports whether a policy hashes, i.e. whether the processor needs a key.
func (p *Plan) NeedsKey() bool {
	for _, r := range p.rules {
		if r.policy == Hash {
			return true
		}
	}
	return false
}

func newRule(t *schemas.Table, c *schemas.Column, pol Policy) (rule, error) {
	r := rule{column: c.Name, policy: pol}
	isKey := false
	for _, k := range t.PrimaryKey {
		if strings.EqualFold(k, c.Name) {
			isKey = true
		}
	}
	switch pol {
	case Keep:
	case Hash, Mask:
		switch c.SQL.Kind {
		case schemas.KindChar, schemas.KindVarchar, schemas.KindText, schemas.KindEnum, schemas.KindSet:
		default:
			return r, fmt.Errorf("policy %s needs a CHAR, VARCHAR, TEXT, ENUM or SET column; %s values would not fit the table (use drop, or year for dates)", pol, c.Type)
		}
		if pol == Mask {
			if isKey {
				return r, fmt.Errorf("policy mask on primary key column: different keys would mask to the same value and merge into one row (use hash, which keeps keys distinct)")
			}
			r.mask = maskFor(c.PII)
		}
	case Year:
		switch c.SQL.Kind {
		case schemas.KindDate:
			r.date = dateOnly
		case schemas.KindDateTime, schemas.KindTimestamp:
			r.date = timestamp
		default:
			return r, fmt.Errorf("policy year needs a DATE, DATETIME or TIMESTAMP column, not %s", c.Type)
		}
		if isKey {
			return r, fmt.Errorf("policy year on primary key column: different keys would collapse into one row")
		}
	case Drop:
		if isKey {
			return r, fmt.Errorf("policy drop on primary key column: rows could not be merged by key")
		}
		if !c.IsNullable() {
			return r, fmt.Errorf("policy drop on a NOT NULL column: every row would fail the silver table's NOT NULL check (use hash or mask, or make the column nullable in the contract)")
		}
	default:
		return r, fmt.Errorf("policy %q is not one of keep, hash, mask, drop, year", string(pol))
	}
	return r, nil
}

func maskFor(class string) maskKind {
	switch strings.ToLower(class) {
	case "network":
		return maskIP
	case "contact":
		return maskContact
	case "name":
		return maskName
	}
	return maskRedact
}

func columnList(t *schemas.Table) string {
	names := make([]string, len(t.Columns))
	for i := range t.Columns {
		names[i] = t.Columns[i].Name
	}
	return strings.Join(names, ", ")
}
