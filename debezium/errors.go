package debezium

import (
	"strings"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// Reason classifies why a message could not be unwrapped. It is the `reason` label of the
// debezium_unwrap_errors_total counter and the value of the `debezium_error_reason`
// metadata key on errored messages, so dead-letter routing can switch on it. The codes are
// agreed with the other components (the delta_lake dead-letter table stores them): never
// rename one.
type Reason string

// Reasons an unwrap fails.
const (
	ReasonEventTooLarge  Reason = "event_too_large"  // body exceeds max_message_bytes (the maximum event size)
	ReasonMalformedJSON  Reason = "malformed_json"   // not JSON anywhere in the body (wins over every other reason), trailing non-whitespace, nesting too deep, bad escape
	ReasonDuplicateField Reason = "duplicate_field"  // a key repeated in one JSON object
	ReasonInvalidUTF8    Reason = "invalid_utf8"     // a string is not valid UTF-8, or escapes a lone surrogate
	ReasonMissingPayload Reason = "missing_payload"  // schema wrapper without payload, or none of before/after/source/op
	ReasonUnknownOp      Reason = "unknown_op"       // op missing or not c/u/d/r/t/m
	ReasonMissingImage   Reason = "missing_image"    // c/u/r without after, d without before
	ReasonTypeMismatch   Reason = "type_mismatch"    // JSON type differs from the contract column's type
	ReasonInvalidValue   Reason = "invalid_value"    // right JSON type, impossible value (bad base64, naive time, …)
	ReasonDecimalNoScale Reason = "decimal_no_scale" // a decimal whose scale is unknown
	ReasonNoContract     Reason = "no_contract"      // schemas disabled and no contract for the table
	ReasonReservedColumn Reason = "reserved_column"  // a column named (in any case) like a generated one: schemas.ReservedColumns, add_fields, the partition column
	ReasonInvalidSource  Reason = "invalid_source"   // source block unusable for _source_pos / _source_ts
	ReasonInvalidMeta    Reason = "invalid_metadata" // kafka_partition / kafka_offset not integers
	// ReasonSchemaInvalid: the Connect schema block is malformed (no type, unknown type,
	// fields not an array, a Decimal scale that is not an integer, …).
	ReasonSchemaInvalid Reason = "schema_invalid"
	// ReasonSchemaPayloadMismatch: the payload contradicts its Connect schema (a string where
	// the schema says int32, a field the schema lists but the image lacks or vice versa, null
	// in a non-optional field).
	ReasonSchemaPayloadMismatch Reason = "schema_payload_mismatch"
	// ReasonInvalidColumnName: a new column Delta cannot store without column mapping, or
	// one whose name differs from another column's only by case.
	ReasonInvalidColumnName Reason = "invalid_column_name"
	ReasonKeyMismatch       Reason = "key_mismatch" // the Kafka key's primary key differs from the row image's
	ReasonInvalidKey        Reason = "invalid_key"  // the Kafka key cannot be read as the table's key, or a Kafka tombstone has none
	// Contract rules (schemas/*.yaml), checked where each value is decoded.
	ReasonContractNotNull   Reason = schemas.RuleNotNull
	ReasonContractLength    Reason = schemas.RuleLength
	ReasonContractEnum      Reason = schemas.RuleEnum
	ReasonContractPrecision Reason = schemas.RulePrecision
	ReasonContractRange     Reason = schemas.RuleRange
)

// AllReasons lists every reason code, for pre-creating metric series and for documentation.
var AllReasons = []Reason{
	ReasonEventTooLarge, ReasonMalformedJSON, ReasonDuplicateField, ReasonInvalidUTF8, ReasonMissingPayload,
	ReasonUnknownOp, ReasonMissingImage, ReasonTypeMismatch, ReasonInvalidValue, ReasonDecimalNoScale,
	ReasonNoContract, ReasonReservedColumn, ReasonInvalidSource, ReasonInvalidMeta, ReasonSchemaInvalid,
	ReasonSchemaPayloadMismatch, ReasonInvalidColumnName, ReasonKeyMismatch, ReasonInvalidKey,
	ReasonContractNotNull, ReasonContractLength, ReasonContractEnum, ReasonContractPrecision, ReasonContractRange,
}

// maxValueInError and maxFieldInError bound how much of an offending value and of a
// (hostile, possibly megabytes long) field name an error message quotes.
const (
	maxValueInError = 64
	maxFieldInError = 128
)

// Error is an unwrap failure. Its message names the field, the offending value (truncated
// to 64 bytes) and what was expected, so an operator reading a dead-letter row can fix the
// producer or the contract without the original message.
type Error struct {
	Reason   Reason
	Field    string // column or envelope path, e.g. "after.amount" or "payload.op"
	Value    string // the offending JSON text, truncated
	Expected string
	// Withheld: Value describes the value instead of quoting it (a column tagged pii), and
	// is written whole.
	Withheld bool
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("debezium_unwrap: ")
	b.WriteString(string(e.Reason))
	if e.Field != "" {
		b.WriteString(": field ")
		f := e.Field
		if len(f) > maxFieldInError {
			f = f[:maxFieldInError] + "…(truncated)"
		}
		b.WriteString(strings.ToValidUTF8(f, "\uFFFD"))
	}
	if e.Value != "" {
		b.WriteString(": got ")
		v := e.Value
		if len(v) > maxValueInError && !e.Withheld {
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
