package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseOffsetList(t *testing.T) {
	got, err := parseOffsetList([]string{"bank_server.bank.customers:0=12, bank_server.bank.customers:3=0", "a-b:c:1=7"})
	require.NoError(t, err)
	assert.Equal(t, map[string]map[int32]int64{
		"bank_server.bank.customers": {0: 12, 3: 0},
		"a-b:c":                      {1: 7}, // the topic is everything before the last colon
	}, got)

	for in, want := range map[string]string{
		"topic=5":         "expected topic:partition=offset",
		"topic:0":         "expected topic:partition=offset",
		":0=5":            "expected topic:partition=offset",
		"t:x=5":           `partition "x"`,
		"t:-1=5":          `partition "-1"`,
		"t:0=-2":          `offset "-2"`,
		"t:0=5,t:0=6":     "given twice",
		"t:0=1e3":         `offset "1e3"`,
		"t:99999999999=1": `partition "99999999999"`,
		",":               "no topic:partition=offset entry",
	} {
		_, err := parseOffsetList([]string{in})
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
	}
}

func FuzzParseOffsetList(f *testing.F) {
	for _, s := range []string{"t:0=1", "a.b:1=2,a.b:2=3", "x", "t:0=", "::=", "t:0=1,t:0=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseOffsetList([]string{s})
		if err != nil {
			return
		}
		for topic, parts := range got {
			if topic == "" {
				t.Fatalf("%q: empty topic accepted", s)
			}
			for p, o := range parts {
				if p < 0 || o < 0 {
					t.Fatalf("%q: negative partition or offset accepted: %d=%d", s, p, o)
				}
			}
		}
	})
}

const replayPipeline = `
input:
  label: in
  kafka:
    seed_brokers: [ "${KAFKA_BROKERS:localhost:9092}" ]
    topics: [ "${TOPIC_PREFIX:bank_server}.bank.customers" ]
    consumer_group: ${CONSUMER_GROUP_PREFIX:ledgerflow}-customers
output:
  broker:
    pattern: fan_out
    outputs:
      - label: bronze
        delta_lake:
          path: ${LAKEHOUSE:./lakehouse}/bronze/customers
          schema_file: customers
      - label: silver
        delta_lake:
          path: ${LAKEHOUSE:./lakehouse}/silver/customers
          mode: merge
          schema_file: customers
tests:
  - name: ignored by replay
`

func TestLoadPipelineInterpolatesLikeBenthos(t *testing.T) {
	file := filepath.Join(t.TempDir(), "p.yaml")
	require.NoError(t, os.WriteFile(file, []byte(replayPipeline), 0o644))
	env := map[string]string{"LAKEHOUSE": "/data/lake", "TOPIC_PREFIX": "", "KAFKA_BROKERS": "k1:9092,k2:9092"}
	p, err := loadPipeline(file, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	require.NoError(t, err)

	g, err := pipelineGroup(p)
	require.NoError(t, err)
	assert.Equal(t, "ledgerflow-customers", g.Name)
	assert.Equal(t, []string{"bank_server.bank.customers"}, g.Topics, "an empty variable takes the default, as in Benthos")
	assert.Equal(t, []string{"k1:9092", "k2:9092"}, g.Seeds)

	outs := deltaOutputs(p.root)
	require.Len(t, outs, 2)
	assert.Equal(t, deltaOutput{label: "bronze", path: "/data/lake/bronze/customers", mode: "append", schemaFile: "customers"}, withoutNode(outs[0]))
	assert.Equal(t, deltaOutput{label: "silver", path: "/data/lake/silver/customers", mode: "merge", schemaFile: "customers"}, withoutNode(outs[1]))
}

func withoutNode(d deltaOutput) deltaOutput { d.conf = nil; return d }

func TestReplayRefusesToTouchProductionWithLakehouse(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	require.NoError(t, os.WriteFile(good, []byte(replayPipeline), 0o644))
	fixedGroup := filepath.Join(dir, "fixed-group.yaml")
	require.NoError(t, os.WriteFile(fixedGroup, []byte(strings.Replace(replayPipeline, "${CONSUMER_GROUP_PREFIX:ledgerflow}-customers", "prod-customers", 1)), 0o644))
	fixedPath := filepath.Join(dir, "fixed-path.yaml")
	require.NoError(t, os.WriteFile(fixedPath, []byte(strings.Replace(replayPipeline, "${LAKEHOUSE:./lakehouse}/silver", "/prod/silver", 1)), 0o644))

	check := func(file string) error {
		r := &replay{file: file, lakehouse: filepath.Join(dir, "try")}
		require.NoError(t, r.setEnv())
		prod, err := loadPipeline(file, os.LookupEnv)
		require.NoError(t, err)
		conf, err := loadPipeline(file, r.lookup)
		require.NoError(t, err)
		g, err := pipelineGroup(conf)
		require.NoError(t, err)
		return checkSeparate(prod, conf, g)
	}
	t.Setenv("CONSUMER_GROUP_PREFIX", "")
	t.Setenv("LAKEHOUSE", "")
	assert.NoError(t, check(good))
	err := check(fixedGroup)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "consumer group prod-customers")
	err = check(fixedPath)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "output silver would still write /prod/silver/customers")
}

func TestReplayEnvDefaults(t *testing.T) {
	t.Setenv("CONSUMER_GROUP_PREFIX", "bank")
	r := &replay{lakehouse: "rel/dir"}
	require.NoError(t, r.setEnv())
	abs, _ := filepath.Abs("rel/dir")
	assert.Equal(t, map[string]string{"LAKEHOUSE": abs, "CONSUMER_GROUP_PREFIX": "bank-replay"}, r.env)

	r = &replay{lakehouse: "x", groupPrefix: "mine", groupPrefixSet: true}
	require.NoError(t, r.setEnv())
	assert.Equal(t, "mine", r.env["CONSUMER_GROUP_PREFIX"])

	r = &replay{}
	require.NoError(t, r.setEnv())
	assert.Empty(t, r.env, "without --lakehouse the run uses the pipeline's own tables and group")

	assert.Equal(t, []string{"A=1", "B=3"}, setEnvVar([]string{"A=1", "B=2"}, "B", "3"))
}
