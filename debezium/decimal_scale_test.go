package debezium

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A Connect Decimal whose schema gives no usable scale cannot be read: its unscaled bytes
// mean nothing without the scale the producer used, and the contract's scale is only what
// the column should hold, not what these bytes were encoded with.
func TestDecimalWithoutSchemaScale(t *testing.T) {
	good := string(txEvent(1, "c", true))
	const params = `"parameters":{"connect.decimal.precision":"18","scale":"2"}`
	require.Contains(t, good, params)
	with := func(p string) string {
		out := strings.ReplaceAll(good, params, p)
		out = strings.ReplaceAll(out, `,,`, `,`)
		return out
	}
	cases := []hostileCase{
		{"parameters absent", with(``), nil, "decimal_no_scale", []string{"after.amount", "scale"}},
		{"parameters {}", with(`"parameters":{}`), nil, "decimal_no_scale", nil},
		{"only the precision", with(`"parameters":{"connect.decimal.precision":"18"}`), nil, "decimal_no_scale", nil},
		{"scale empty", with(`"parameters":{"scale":""}`), nil, "schema_invalid", nil},
		{"scale abc", with(`"parameters":{"scale":"abc"}`), nil, "schema_invalid", nil},
		{"a JSON number under a scale-less Decimal", strings.Replace(with(`"parameters":{}`), `"amount":"MEA="`, `"amount":123.45`, 1), nil, "decimal_no_scale", nil},
		{"the scale given", good, nil, "", []string{`"amount":"123.52"`}},
	}
	require.Contains(t, good, `"amount":"MEA="`)
	runHostile(t, hostileUnwrapper(t, "", "transactions"), cases)
	runHostile(t, hostileUnwrapper(t, ""), cases)
}
