package pii

import "strings"

// Reason classifies why a row could not be protected. It is the `reason` label of the
// pii_errors_total counter and the value of the `pii_error_reason` metadata key on errored
// messages.
type Reason string

// Reasons a row fails. A failed row is never passed on with clear values: it keeps the
// error flag, and the delta_lake output writes it to the dead-letter table only.
const (
	ReasonMalformedJSON Reason = "malformed_json" // the body is not a JSON object (or _before is neither object nor null)
	ReasonTypeMismatch  Reason = "type_mismatch"  // a value's JSON type cannot take the column's policy
	ReasonInvalidValue  Reason = "invalid_value"  // right JSON type, but e.g. not a date for `year`
	ReasonTableMismatch Reason = "table_mismatch" // _source_table is not the contract's table
)

// Reasons lists every reason, so that counters can be created at zero at start.
var Reasons = []Reason{ReasonMalformedJSON, ReasonTypeMismatch, ReasonInvalidValue, ReasonTableMismatch}

// Error is a row failure. It names the column, the policy and what was expected, and
// describes the offending value only by its JSON type and length: the value is personal
// data, and error messages end up in logs and dead-letter tables.
type Error struct {
	Reason   Reason
	Column   string // "email", or "_before.email"; empty for whole-row errors
	Policy   Policy
	Got      string // a description such as "a JSON number" or "a string of 12 characters"
	Expected string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("pii: ")
	b.WriteString(string(e.Reason))
	if e.Column != "" {
		b.WriteString(": column ")
		b.WriteString(e.Column)
	}
	if e.Policy != "" {
		b.WriteString(" (policy ")
		b.WriteString(string(e.Policy))
		b.WriteString(")")
	}
	if e.Got != "" {
		b.WriteString(": got ")
		b.WriteString(e.Got)
	}
	if e.Expected != "" {
		b.WriteString(": expected ")
		b.WriteString(e.Expected)
	}
	return b.String()
}
