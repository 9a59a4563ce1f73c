package debezium

import "strings"

// Reason classifies why a message could not be unwrapped. It is the `reason` label of the
// debezium_unwrap_errors_total counter and the value of the `debezium_error_reason`
// metadata key on errored messages, so dead-letter routing can switch on it.
type Reason string

// Reasons an unwrap fails.
const (
	ReasonTooLarge       Reason = "too_large"        // body exceeds max_message_bytes
	ReasonInvalidJSON    Reason = "invalid_json"     // not JSON, or not an object where one is needed
	ReasonInvalidUTF8    Reason = "invalid_utf8"     // a string is not valid UTF-8
	ReasonMissingPayload Reason = "missing_payload"  // schema wrapper without payload, or no envelope fields
	ReasonUnknownOp      Reason = "unknown_op"       // op missing or not c/u/d/r/t/m
	ReasonMissingImage   Reason = "missing_image"    // c/u/r without after, d without before
	ReasonTypeMismatch   Reason = "type_mismatch"    // JSON type differs from the column's type
	ReasonInvalidValue   Reason = "invalid_value"    // right JSON type, impossible value (bad base64, out of range)
	ReasonDecimalNoScale Reason = "decimal_no_scale" // a decimal whose scale is unknown
	ReasonNoContract     Reason = "no_contract"      // schemas disabled and no contract for the table
	ReasonReservedColumn Reason = "reserved_column"  // a column collides with an output metadata column
	ReasonInvalidSource  Reason = "invalid_source"   // source block unusable for _source_pos / _source_ts
	ReasonInvalidMeta    Reason = "invalid_metadata" // kafka_partition / kafka_offset not integers
)

// maxValueInError bounds how much of an offending value an error message quotes.
const maxValueInError = 64

// Error is an unwrap failure. Its message names the field, the offending value (truncated
// to 64 bytes) and what was expected, so an operator reading a dead-letter row can fix the
// producer or the contract without the original message.
type Error struct {
	Reason   Reason
	Field    string // column or envelope path, e.g. "after.amount" or "payload.op"
	Value    string // the offending JSON text, truncated
	Expected string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("debezium_unwrap: ")
	b.WriteString(string(e.Reason))
	if e.Field != "" {
		b.WriteString(": field ")
		b.WriteString(e.Field)
	}
	if e.Value != "" {
		b.WriteString(": got ")
		v := e.Value
		if len(v) > maxValueInError {
			v = v[:maxValueInError] + "…(truncated)"
		}
		b.WriteString(strings.ToValidUTF8(v, "\uFFFD"))
	}
	if e.Expected != "" {
		b.WriteString(": expected ")
		b.WriteString(e.Expected)
	}
	return b.String()
}

func errAt(reason Reason, field string, value []byte, expected string) *Error {
	v := value
	if len(v) > maxValueInError+1 {
		v = v[:maxValueInError+1]
	}
	return &Error{Reason: reason, Field: field, Value: string(v), Expected: expected}
}

// withField fills in the field of a scanner error raised while reading it.
func withField(err error, field string) error {
	if e, ok := err.(*Error); ok && e.Field == "" {
		e.Field = field
	}
	return err
}
