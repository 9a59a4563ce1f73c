// Package jsonscan is the allocation-free JSON scanner that the Delta row decoder
// (outputs/delta: EachMember, StringValue) and the PII processor (Scanner, DecodeString,
// AppendEscaped) share: it walks one object, hands over raw member values and checks
// structure, escapes and control characters — not UTF-8, which DecodeString repairs as
// encoding/json does on the values that are decoded at all. Errors are *SyntaxError
// (errors.Is ErrSyntax) naming the byte offset and what was expected.
//
// The unwrap (package debezium) builds its stricter scanner on this one: it embeds Scanner
// (cursor, WS, Peek) and uses Special, IsHex4, Hex4 and AppendEscaped, and adds what is
// strict by contract there: invalid UTF-8 and lone surrogates are a reason of their own
// (invalid_utf8), and every fault carries a reason code and a field path.
package jsonscan
