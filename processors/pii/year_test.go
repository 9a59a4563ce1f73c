package pii

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestYearOfDateStrings(t *testing.T) {
	ok := map[string]string{
		"1990-05-17": `"1990-01-01"`,
		"1990-01-01": `"1990-01-01"`,
		"2000-02-29": `"2000-01-01"`,
		"0001-12-31": `"0001-01-01"`,
		"9999-12-31": `"9999-01-01"`,
	}
	for in, want := range ok {
		out, good := appendYearString(nil, dateOnly, []byte(in))
		assert.True(t, good, in)
		assert.Equal(t, want, string(out), in)
	}
	for _, in := range []string{"1990-13-01", "1990-02-30", "1999-02-29", "90-05-17", "1990-5-17", "1990-05-17T00:00:00Z", "19900517", "", "abcd-ef-gh", "1990-05-1x"} {
		_, good := appendYearString(nil, dateOnly, []byte(in))
		assert.False(t, good, in)
	}
}

func TestYearOfTimestampStrings(t *testing.T) {
	ok := map[string]string{
		"1990-05-17T10:11:12.345678Z":      `"1990-01-01T00:00:00.000000Z"`,
		"1990-05-17T10:11:12.000Z":         `"1990-01-01T00:00:00.000Z"`,
		"1990-05-17T10:11:12Z":             `"1990-01-01T00:00:00Z"`,
		"1990-05-17T10:11:12.123456789Z":   `"1990-01-01T00:00:00.000000000Z"`,
		"1990-05-17T10:11:12.5+02:00":      `"1990-01-01T00:00:00.0+02:00"`,
		"1990-12-31T23:59:59.999999-05:00": `"1990-01-01T00:00:00.000000-05:00"`,
	}
	for in, want := range ok {
		out, good := appendYearString(nil, timestamp, []byte(in))
		assert.True(t, good, in)
		assert.Equal(t, want, string(out), in)
	}
	for _, in := range []string{
		"1990-05-17", "1990-05-17T10:11:12", "1990-05-17 10:11:12Z", "1990-05-17T10:11:12,5Z",
		"1990-05-17T10:11:12.Z", "1990-05-17T25:11:12Z", "1990-05-17T10:11:12+0200", "1990-05-17T10:11:12z", "1990-05-17t10:11:12Z",
		"1990-05-17T10:11:12.5+02:00 trailing",
	} {
		_, good := appendYearString(nil, timestamp, []byte(in))
		assert.False(t, good, in)
	}
}

func TestYearOfNumbers(t *testing.T) {
	// 1990-05-17 is day 7441; 1990-01-01 is day 7305. 1815-12-10 is day -56270.
	cases := []struct {
		kind     dateKind
		in, want string
	}{
		{dateOnly, "7441", "7305"},
		{dateOnly, "0", "0"},
		{dateOnly, "-1", "-365"}, // 1969-12-31 → 1969-01-01
		{dateOnly, "-56270", "-56613"},
		{timestamp, "642938472345", "631152000000"}, // 1990-05-17T10:01:12.345Z → 1990-01-01
		{timestamp, "-1", "-31536000000"},
	}
	for _, c := range cases {
		out, good := appendYearNumber(nil, c.kind, []byte(c.in))
		assert.True(t, good, c.in)
		assert.Equal(t, c.want, string(out), c.in)
	}
	for _, in := range []string{"1.5", "1e3", "-", "100000001", "99999999999999999999"} {
		_, good := appendYearNumber(nil, dateOnly, []byte(in))
		assert.False(t, good, in)
	}
	_, good := appendYearNumber(nil, timestamp, []byte("9223372036854775807"))
	assert.False(t, good, "out of range epoch ms")
}
