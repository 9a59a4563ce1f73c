package kafka

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestParseStartFrom(t *testing.T) {
	ts := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]kgo.Offset{
		"earliest":                  kgo.NewOffset().AtStart(),
		" LATEST ":                  kgo.NewOffset().AtEnd(),
		"2024-05-01T00:00:00Z":      kgo.NewOffset().AfterMilli(ts.UnixMilli()),
		"2024-05-01T02:00:00+02:00": kgo.NewOffset().AfterMilli(ts.UnixMilli()),
		"1714521600000":             kgo.NewOffset().AfterMilli(1714521600000),
	} {
		got, err := parseStartFrom(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"yesterday", "-5", "2024-05-01", "1e9", "1969-01-01T00:00:00Z"} {
		_, err := parseStartFrom(bad)
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "start_from")
		assert.Contains(t, err.Error(), `"`+bad+`"`)
		assert.Contains(t, err.Error(), "earliest")
	}
}

func FuzzParseStartFrom(f *testing.F) {
	for _, s := range []string{"earliest", "latest", "2024-05-01T00:00:00Z", "1714521600000", "", "-1", "9999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := parseStartFrom(s)
		if err != nil {
			if !strings.Contains(err.Error(), fieldStartFrom) {
				t.Fatalf("error does not name the field: %v", err)
			}
			return
		}
		_ = o.String()
	})
}

// TestConfigErrors checks that a bad config fails when the input is built, naming the
// field, the value and what was expected.
func TestConfigErrors(t *testing.T) {
	base := "seed_brokers: [\"localhost:9092\"]\ntopics: [t]\nconsumer_group: g\n"
	for name, tc := range map[string]struct{ yaml, want string }{
		"start_from":      {base + "start_from: yesterday", `field start_from: "yesterday" is not a start position: expected "earliest", "latest", an RFC3339`},
		"sasl mechanism":  {base + "sasl: {mechanism: GSSAPI, user: u}", `field sasl.mechanism: "GSSAPI" is not supported: expected none, PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`},
		"sasl user":       {base + "sasl: {mechanism: PLAIN}", "field sasl.user: must be set"},
		"tls ca":          {base + "tls: {enabled: true, root_cas_file: /nonexistent/ca.pem}", "field tls.root_cas_file"},
		"tls pair":        {base + "tls: {enabled: true, client_cert_file: c.pem}", "both or neither"},
		"regexp":          {base + "regexp_topics: true\ntopics: [\"bank(\"]", `field topics: "bank(" is not a valid regular expression`},
		"empty group":     {"seed_brokers: [x:1]\ntopics: [t]\nconsumer_group: \" \"", "field consumer_group"},
		"empty brokers":   {"seed_brokers: [\" , \"]\ntopics: [t]\nconsumer_group: g", "field seed_brokers"},
		"batch_max":       {base + "batch_max_records: 0", "field batch_max_records: 0"},
		"fetch_max_bytes": {base + "fetch_max_bytes: 10", "field fetch_max_bytes: 10"},
		"commit_period":   {base + "commit_period: 0s", "field commit_period"},
		"max_unacked":     {base + "max_unacked_records: -1", "field max_unacked_records: -1"},
	} {
		conf, err := kafkaInputSpec().ParseYAML(tc.yaml, nil)
		require.NoError(t, err, name)
		_, err = parseConfig(conf)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), tc.want, name)
	}

	conf, err := kafkaInputSpec().ParseYAML("topics: [t]\nconsumer_group: g", nil)
	if err == nil {
		_, err = parseConfig(conf)
	}
	assert.ErrorContains(t, err, "seed_brokers", "seed_brokers is required")

	conf, err = kafkaInputSpec().ParseYAML(base+"sasl: {mechanism: scram-sha-512, user: u, password: p}", nil)
	require.NoError(t, err)
	c, err := parseConfig(conf)
	require.NoError(t, err)
	assert.Equal(t, "SCRAM-SHA-512", c.security.SASL.Name())
}
