package tests

import (
	"strings"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/processors/pii"
)

// TestPipelineRunNeedsARealPIIKey: a shipped pipeline does not start without a key, nor with
// the published key `ledgerflow test` uses; that fallback exists in test mode only, and says so.
func TestPipelineRunNeedsARealPIIKey(t *testing.T) {
	base := []string{"KAFKA_BROKERS=127.0.0.1:1", "LAKEHOUSE=" + t.TempDir(), "LEDGERFLOW_HTTP_ADDRESS=127.0.0.1:" + itoa(freePort(t))}
	for _, c := range []struct{ key, want string }{
		{"", "LEDGERFLOW_PII_KEY is empty; there is no default key"},
		{"short", "shorter than 32 bytes"},
		{pii.TestKey, "published test key"},
	} {
		out, code := run(t, "", time.Minute, append(base, "LEDGERFLOW_PII_KEY="+c.key), "-c", "pipelines/customers.yaml")
		if code == 0 || !strings.Contains(out, c.want) {
			t.Errorf("LEDGERFLOW_PII_KEY=%q: exit %d, want a failure saying %q:\n%s", c.key, code, c.want, out)
		}
	}
	out, code := run(t, "", 2*time.Minute, testModeEnv, "test", "./pipelines/customers.yaml")
	if code != 0 || !strings.Contains(out, "using the published test key") {
		t.Errorf("ledgerflow test without a key: exit %d, want a pass that names the test key:\n%s", code, out)
	}
}
