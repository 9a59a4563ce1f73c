package kafkaclient

import (
	"strings"
	"testing"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplitList(t *testing.T) {
	assert.Equal(t, []string{"a:1", "b:2", "c:3"}, SplitList([]string{"a:1, b:2", "", " c:3 ,"}))
	assert.Empty(t, SplitList([]string{" , "}))
}

func FuzzSplitList(f *testing.F) {
	f.Add("a:1,b:2", " c ")
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, s := range SplitList([]string{a, b}) {
			if s == "" || strings.Contains(s, ",") || strings.TrimSpace(s) != s {
				t.Fatalf("bad entry %q", s)
			}
		}
	})
}

func parse(t *testing.T, yaml string) (Security, error) {
	t.Helper()
	spec := service.NewConfigSpec().Fields(TLSField(), SASLField())
	conf, err := spec.ParseYAML(yaml, nil)
	require.NoError(t, err)
	return ParseSecurity(conf)
}

func TestParseSecurity(t *testing.T) {
	s, err := parse(t, `{}`)
	require.NoError(t, err)
	assert.Nil(t, s.TLS)
	assert.Nil(t, s.SASL)
	assert.Empty(t, s.Opts())
	assert.Empty(t, s.AuthHint())

	s, err = parse(t, "sasl: {mechanism: scram-sha-256, user: u, password: p}\ntls: {enabled: true}")
	require.NoError(t, err)
	assert.Equal(t, "SCRAM-SHA-256", s.SASL.Name())
	assert.NotNil(t, s.TLS)
	assert.Len(t, s.Opts(), 2)
	assert.Contains(t, s.AuthHint(), `"u"`)

	for yaml, want := range map[string]string{
		"sasl: {mechanism: PLAIN}":                          "sasl.user",
		"sasl: {mechanism: GSSAPI, user: u}":                `"GSSAPI" is not supported`,
		"tls: {enabled: true, client_cert_file: x.pem}":     "both or neither",
		"tls: {enabled: true, root_cas_file: /nonexistent}": "tls.root_cas_file",
	} {
		_, err := parse(t, yaml)
		require.Error(t, err, yaml)
		assert.Contains(t, err.Error(), want, yaml)
	}
}
