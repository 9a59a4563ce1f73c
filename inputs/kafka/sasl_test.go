package kafka

import (
	"context"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// TestSASL consumes from a kfake cluster that requires SASL, with each mechanism it
// offers, and checks that a wrong password fails Connect with a clear error.
func TestSASL(t *testing.T) {
	const topic = "secure"
	c := newCluster(t, 1, []string{topic},
		kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "plainuser", "plainpw"),
		kfake.Superuser("SCRAM-SHA-256", "scram256", "pw256"),
		kfake.Superuser("SCRAM-SHA-512", "scram512", "pw512"),
	)
	producer := newClient(t, c, kgo.SASL(scram.Auth{User: "scram256", Pass: "pw256"}.AsSha256Mechanism()))
	produce(t, producer, topic, 0, 25)

	for _, m := range []struct{ mech, user, pass string }{
		{"SCRAM-SHA-256", "scram256", "pw256"},
		{"SCRAM-SHA-512", "scram512", "pw512"},
		{"PLAIN", "plainuser", "plainpw"},
	} {
		t.Run(m.mech, func(t *testing.T) {
			s := newSeen()
			stop := startStream(t, inputYAML(seedsOf(c), topic, "g-"+m.mech,
				"sasl: {mechanism: "+m.mech+", user: "+m.user+", password: "+m.pass+"}"),
				func(_ context.Context, b service.MessageBatch) error { s.addBatch(b); return nil })
			eventually(t, 20*time.Second, "25 records over "+m.mech, func() bool { return s.distinct() == 25 })
			stop()
		})
	}

	t.Run("wrong password", func(t *testing.T) {
		conf, err := kafkaInputSpec().ParseYAML(inputYAMLBody(seedsOf(c), topic, "g-bad",
			"sasl: {mechanism: SCRAM-SHA-256, user: scram256, password: nope}"), nil)
		require.NoError(t, err)
		in, err := newKafkaInput(conf, service.MockResources())
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		err = in.Connect(ctx)
		require.Error(t, err)
		t.Logf("Connect error: %v", err)
		var backOff *service.ErrBackOff
		require.ErrorAs(t, err, &backOff, "Benthos waits the input's back-off before the next Connect")
		assert.Equal(t, time.Second, backOff.Wait)
		assert.Contains(t, err.Error(), seedsOf(c))
		assert.Contains(t, err.Error(), `SASL SCRAM-SHA-256 as "scram256"`)
		_ = in.Close(context.Background())
	})
}
