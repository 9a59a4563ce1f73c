package pii

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMask(t *testing.T) {
	cases := []struct {
		kind   maskKind
		in     string
		want   string // JSON
		shaped bool
	}{
		{maskIP, "192.168.1.77", `"192.168.1.0"`, true},
		{maskIP, "10.0.0.0", `"10.0.0.0"`, true},
		{maskIP, "255.255.255.255", `"255.255.255.0"`, true},
		{maskIP, "2001:db8:85a3::8a2e:370:7334", `"2001:db8:85a3::"`, true},
		{maskIP, "2001:0DB8:85A3:0000:0000:8A2E:0370:7334", `"2001:db8:85a3::"`, true},
		{maskIP, "fe80::1%eth0", `"fe80::"`, true},
		{maskIP, "::ffff:192.168.1.77", `"::ffff:192.168.1.0"`, true},
		{maskIP, "::1", `"::"`, true},
		// Not IP addresses: nothing is kept.
		{maskIP, "unknown", `"***"`, false},
		{maskIP, "192.168.1", `"***"`, false},
		{maskIP, "192.168.001.077", `"***"`, false}, // leading zeros are ambiguous (octal)
		{maskIP, "192.168.1.77:8080", `"***"`, false},
		{maskIP, " 192.168.1.77", `"***"`, false},
		{maskIP, "10.0.0.1, 10.0.0.2", `"***"`, false},
		{maskIP, "256.1.1.1", `"***"`, false},
		{maskIP, "", `""`, true},

		{maskContact, "ada@example.org", `"***@example.org"`, true},
		{maskContact, "ADA.Lovelace+bank@Example.ORG", `"***@Example.ORG"`, true},
		{maskContact, `"a@b"@example.org`, `"***@example.org"`, true},
		{maskContact, "josé@correo.es", `"***@correo.es"`, true},
		{maskContact, "ada@", `"***"`, false},
		{maskContact, "@example.org", `"***"`, false},
		{maskContact, "+44 20 7946 0958", `"***58"`, true},
		{maskContact, "(555) 123-4567", `"***67"`, true},
		{maskContact, "12345", `"***"`, false}, // too few digits to be a phone number
		{maskContact, "call me", `"***"`, false},
		{maskContact, "5551234", `"***34"`, true},

		{maskName, "Lovelace", `"L***"`, true},
		{maskName, "Ørsted", `"Ø***"`, true},
		{maskName, "  ada", `"a***"`, true},
		{maskName, "李小龙", `"李***"`, true},
		{maskName, "'t Hooft", `"***"`, false},
		{maskName, `"quoted"`, `"***"`, false},
		{maskName, "\xff\xfe", `"***"`, false},

		{maskRedact, "dev-42", `"***"`, true},
		{maskRedact, "a very long value that must not reveal its length", `"***"`, true},
	}
	for _, c := range cases {
		out, shaped := appendMask(nil, c.kind, []byte(c.in))
		assert.Equal(t, c.want, string(out), "%q", c.in)
		assert.Equal(t, c.shaped, shaped, "%q", c.in)
	}
}

// The e-mail domain is written back as JSON: quotes and control characters are escaped.
func TestMaskEscapesWhatItKeeps(t *testing.T) {
	out, _ := appendMask(nil, maskContact, []byte("a@ex\"am\nple.org"))
	assert.Equal(t, `"***@ex\"am\u000aple.org"`, string(out))
}
