// Package pii is the `pii` Benthos processor: it protects the personal data of rows in the
// debezium_unwrap row format before any output writes them, with one policy per column
// (keep, hash, mask, drop, year), checked against the table contract at start.
//
// The engine is plain Go: NewPlan validates policies against a schemas.Table (every column
// exists, every policy fits its type, every column the contract tags `pii:` has a policy),
// LoadKey reads the HMAC key from an environment variable or a file (never from the config,
// never echoed in an error), and Engine.Apply rewrites one row. Apply does not decode the
// row into a map: it walks the JSON object once, copies members without a policy byte for
// byte and rewrites only the values a policy names, in the row and in its `_before` image.
// A row it cannot protect is returned as an *Error whose Reason is the `reason` label of
// pii_errors_total; error messages describe a value by its JSON type and length only.
//
// The processor (processor.go) is the thin Benthos adapter; its ConfigSpec is the user
// documentation.
package pii
