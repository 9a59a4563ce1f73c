package delta

import (
	"errors"
	"fmt"
	"strings"
)

// Dead-letter stages: where in the output an event was refused.
const (
	stageProcessing = "processing" // an earlier processor failed the message
	stageDecode     = "decode"     // its values do not fit the table
	stageMerge      = "merge"      // it cannot be placed in the merge (key, order, truncate)
	stageWrite      = "write"      // the Parquet writer refused it (a poison row)
)

// Reason codes of the dead-letter table's reason_code column and of the reason label of
// delta_lake_dead_letters_total. They are a stable interface: dashboards and replay tools
// select on them, so a code is never renamed; messages (the reason column) are for humans.
const (
	codeProcessorError = "processor_error" // processing stage, no debezium_error_reason metadata

	codeMalformedRow     = "malformed_row"      // the body is not a JSON object of columns
	codeMissingNotNull   = "missing_not_null"   // a NOT NULL column is absent or null
	codeTypeMismatch     = "type_mismatch"      // the value is not of the column's type
	codeValueOutOfRange  = "value_out_of_range" // of the right type, but it does not fit the column
	codeInvalidUTF8      = "invalid_utf8"       // text that is not valid UTF-8
	codeDeleteRuleFailed = "delete_rule_failed" // apply_as_deletes failed on the row

	codeInvalidKey         = "invalid_key"          // the key columns cannot be read as a key
	codeInvalidSequence    = "invalid_sequence"     // the sequence_by value cannot be ordered
	codeUnorderedTruncate  = "unordered_truncate"   // a truncate without a position to place it at
	codeTruncateRuleFailed = "truncate_rule_failed" // apply_as_truncates failed on the truncate

	codePoisonRow = "poison_row" // write stage: the writer refused the row
)

// unwrapReasons are the reason codes debezium_unwrap sets in debezium_error_reason (agreed
// interface 1). The output pre-creates their dead-letter counters at 0.
var unwrapReasons = []string{
	"event_too_large", "malformed_json", "duplicate_field", "invalid_utf8", "missing_payload",
	"unknown_op", "missing_image", "type_mismatch", "invalid_value", "decimal_no_scale",
	"no_contract", "reserved_column", "invalid_source", "invalid_metadata", "schema_invalid",
	"schema_payload_mismatch", "invalid_column_name", "key_mismatch", "invalid_key",
	"contract_not_null", "contract_length", "contract_enum", "contract_precision", "contract_range",
}

// stageReasons lists, per stage, the codes known in advance: their counters exist at 0 from
// the start, so that a rate() or an alert on them works before the first dead letter.
func stageReasons() map[string][]string {
	return map[string][]string{
		stageProcessing: append([]string{codeProcessorError}, unwrapReasons...),
		stageDecode:     {codeMalformedRow, codeMissingNotNull, codeTypeMismatch, codeValueOutOfRange, codeInvalidUTF8, codeDeleteRuleFailed},
		stageMerge:      {codeInvalidKey, codeInvalidSequence, codeUnorderedTruncate, codeTruncateRuleFailed},
		stageWrite:      {codePoisonRow},
	}
}

// reasonCodesDoc is the Markdown list of the output's own codes, for the ConfigSpec.
const reasonCodesDoc = `- stage ` + "`processing`" + ` (an earlier processor failed the message): the processor's code from ` + "`debezium_error_reason`" + `
  metadata (see ` + "`debezium_unwrap`" + `), else ` + "`processor_error`" + `.
- stage ` + "`decode`" + ` (the row does not fit the table): ` + "`malformed_row`" + ` (the body is not a JSON object of columns),
  ` + "`missing_not_null`" + ` (a NOT NULL column is absent or null), ` + "`type_mismatch`" + ` (e.g. a string for a number
  column, a malformed date), ` + "`value_out_of_range`" + ` (the value does not fit its Delta column: an integer beyond
  its type, a decimal with more digits than its precision, a timestamp outside the years 0001 to 9999 or with
  sub-microsecond digits), ` + "`invalid_utf8`" + ` (text that is not valid UTF-8), ` + "`delete_rule_failed`" + ` (` + "`apply_as_deletes`" + `
  failed on the row).
- stage ` + "`merge`" + `: ` + "`invalid_key`" + ` (the key columns cannot form a key), ` + "`invalid_sequence`" + ` (the ` + "`sequence_by`" + ` value
  cannot be ordered), ` + "`unordered_truncate`" + ` (a truncate without a source position), ` + "`truncate_rule_failed`" + `.
- stage ` + "`write`" + `: ` + "`poison_row`" + ` (the Parquet writer refused the row; see "Poison rows").`

// codedError is an error with its reason code.
type codedError struct {
	code string
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

func withCode(code string, err error) error { return &codedError{code: code, err: err} }

// reasonCode is the code an error carries (a FieldError or a codedError), else fallback.
func reasonCode(err error, fallback string) string {
	var fe *FieldError
	if errors.As(err, &fe) && fe.Code != "" {
		return fe.Code
	}
	var ce *codedError
	if errors.As(err, &ce) {
		return ce.code
	}
	return fallback
}

// metricReason bounds the reason label of the dead-letter counter: a code set by some other
// processor could be anything, and every distinct value is a time series.
func metricReason(code string) string {
	if len(code) == 0 || len(code) > 48 {
		return codeProcessorError
	}
	for _, c := range code {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return codeProcessorError
		}
	}
	return code
}

// truncateText shortens s to at most n bytes on a rune boundary, keeping the text valid
// UTF-8 (invalid bytes become U+FFFD), for messages that quote input values.
func truncateText(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("... (%d bytes)", len(s))
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
