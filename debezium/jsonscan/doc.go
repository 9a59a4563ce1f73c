// Package jsonscan is the allocation-free JSON scanner that the Delta row decoder
// (outputs/delta: EachMember, StringValue) and the PII processor (Scanner, DecodeString,
// AppendEscaped) share: it walks one object, hands over raw member values and checks
// structure, escapes and control characters — not UTF-8, which DecodeString repairs as
// encoding/json does on the values that are decoded at all. Errors are *SyntaxError
// (errors.Is ErrSyntax) naming the byte offset and what was expected.
//
// The unwrap (package debezium) keeps its own stricter scanner: invalid UTF-8 and lone
// surrogates are a reason of their own there (invalid_utf8), every fault carries a reason
// code and a field path, and its hot loops are tuned for envelopes; it imports nothing
// from here.
package jsonscan
