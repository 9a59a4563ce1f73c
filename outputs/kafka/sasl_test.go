package kafka

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// TestSASL produces to a kfake cluster that requires SCRAM-SHA-512 through the shared
// sasl settings, and checks that a wrong password fails Connect naming the mechanism.
func TestSASL(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "secure"),
		kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "scram512", "pw512"))
	require.NoError(t, err)
	defer c.Close()
	build := func(pass string) (*kafkaOutput, error) {
		conf, err := kafkaOutputSpec().ParseYAML(fmt.Sprintf("seed_brokers: [%q]\ntopic: secure\ntimeout: 2s\nsasl: {mechanism: SCRAM-SHA-512, user: scram512, password: %s}",
			strings.Join(c.ListenAddrs(), ","), pass), nil)
		require.NoError(t, err)
		out, err := newKafkaOutput(conf, service.MockResources().Logger())
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return out, out.Connect(ctx)
	}
	out, err := build("pw512")
	require.NoError(t, err)
	defer func() { _ = out.Close(context.Background()) }()
	require.NoError(t, out.WriteBatch(context.Background(), service.MessageBatch{msg("secret", "kafka_key", "k")}))

	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("secure"),
		kgo.SASL(scram.Auth{User: "scram512", Pass: "pw512"}.AsSha512Mechanism()))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fs := cl.PollFetches(ctx)
	require.NoError(t, fs.Err0())
	require.Len(t, fs.Records(), 1)
	assert.Equal(t, "secret", string(fs.Records()[0].Value))

	_, err = build("wrong")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `SASL SCRAM-SHA-512 as "scram512"`)
}
