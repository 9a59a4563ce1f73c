package kafka

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseGroup(t *testing.T) {
	g, err := ParseGroup(`
seed_brokers: [ "k1:9092,k2:9092" ]
topics: [ "^bank_server\\.bank\\..*" ]
regexp_topics: true
consumer_group: ledgerflow-all
client_id: replay
`)
	require.NoError(t, err)
	assert.Equal(t, "ledgerflow-all", g.Name)
	assert.Equal(t, []string{"k1:9092", "k2:9092"}, g.Seeds)
	assert.Equal(t, []string{`^bank_server\.bank\..*`}, g.Topics)
	assert.True(t, g.Regexp)
	assert.NotEmpty(t, g.ClientOpts)

	// What the input refuses, ParseGroup refuses with the same message.
	for conf, want := range map[string]string{
		"seed_brokers: [x:1]\ntopics: [t]\nconsumer_group: \" \"":                      "consumer_group",
		"seed_brokers: [x:1]\ntopics: [\"(\"]\nregexp_topics: true\nconsumer_group: g": "not a valid regular expression",
		"seed_brokers: [x:1]\ntopics: [t]\nconsumer_group: g\nstart_from: yesterday":   "start_from",
		"seed_brokers: [x:1]\nconsumer_group: g":                                       "topics",
	} {
		_, err := ParseGroup(conf)
		require.Error(t, err, conf)
		assert.Contains(t, err.Error(), want, conf)
	}
}

func TestParseStartPoint(t *testing.T) {
	for in, want := range map[string]StartPoint{
		"":                     {Earliest: true},
		"Earliest":             {Earliest: true},
		"latest":               {Latest: true},
		"0":                    {Milli: 0},
		"1714521600000":        {Milli: 1714521600000},
		"2024-05-01T00:00:00Z": {Milli: 1714521600000},
	} {
		got, err := ParseStartPoint(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := ParseStartPoint("2024-05-01")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "field", "callers name the flag or field themselves")
}
