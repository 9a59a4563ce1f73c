package debezium

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// hostileUnwrapper builds an Unwrapper with the named contracts (embedded names or YAML
// texts) and assume_time_zone (empty: none).
func hostileUnwrapper(t testing.TB, zone string, contracts ...string) *Unwrapper {
	t.Helper()
	o := DefaultOptions()
	for _, c := range contracts {
		var tbl *schemas.Table
		var err error
		if len(c) > 40 {
			tbl, err = schemas.Parse([]byte(c))
		} else {
			tbl, err = schemas.Load(c)
		}
		require.NoError(t, err)
		o.Contracts = append(o.Contracts, tbl)
	}
	if zone != "" {
		loc, err := time.LoadLocation(zone)
		require.NoError(t, err)
		o.AssumeTimeZone = loc
	}
	return mustNew(t, o)
}

// metaOf builds the Kafka metadata of a message from the kafka input's keys.
func metaOf(kv map[string]string) Meta {
	var m Meta
	m.Topic, m.HasTopic = kv["kafka_topic"]
	m.Key, m.HasKey = kv["kafka_key"]
	m.TombstoneFlag = kv["kafka_tombstone"] == "true"
	return m
}
