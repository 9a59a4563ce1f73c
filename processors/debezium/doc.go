// Package debezium is the `debezium_unwrap` Benthos processor, a thin adapter over the
// codec in package github.com/ledgerflow/ledgerflow/debezium: it declares the ConfigSpec,
// parses it into debezium.Options, hands each message body and its Kafka metadata to
// Unwrapper.Unwrap, and maps the result back onto the message (body, debezium_* metadata,
// errors with debezium_error_reason, the debezium_unwrap_errors_total and
// debezium_unwrap_dropped_total counters). What the rows look like, the reason codes and
// the contract rules are the codec's and are documented there.
package debezium
