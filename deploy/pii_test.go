package deploy

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
)

// piiKeyEnv is the variable the shipped pipelines' pii processors read their HMAC key from.
const piiKeyEnv = "LEDGERFLOW_PII_KEY"

// deployPIIKey stands for the key an operator exports before `docker compose up` or passes
// with `docker run -e`. Tests only.
const deployPIIKey = "deploy-tests-only-pii-key-0123456789abcdef"

// Compose refuses to start the stack without a key in the shell's environment: a pipeline
// would refuse to start anyway, and a default key in the file would be a published key.
func TestComposeRequiresPIIKey(t *testing.T) {
	abs, err := filepath.Abs(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := cli.NewProjectOptions([]string{abs}, cli.WithWorkingDirectory(filepath.Dir(abs)), cli.WithName("ledgerflow"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = opts.LoadProject(context.Background())
	if err == nil || !strings.Contains(err.Error(), piiKeyEnv) || !strings.Contains(err.Error(), "openssl rand") {
		t.Fatalf("loading %s without %s: got %v, want an error naming it and how to make one", composeFile, piiKeyEnv, err)
	}
	p := mustLoadCompose(t)
	for _, name := range wantServices {
		if !strings.HasPrefix(name, "ledgerflow-") {
			continue
		}
		if v := p.Services[name].Environment[piiKeyEnv]; v == nil || *v != deployPIIKey {
			t.Errorf("%s does not pass %s from the shell to the process", name, piiKeyEnv)
		}
	}
}

// The image carries no key: one baked in would be the same in every deployment.
func TestImageHasNoPIIKey(t *testing.T) {
	df := parseDockerfile(t, string(readFile(t, dockerfile)))
	if _, ok := imageEnv(t, df.final())[piiKeyEnv]; ok {
		t.Errorf("the Dockerfile sets %s", piiKeyEnv)
	}
	if strings.Contains(string(readFile(t, dockerfile)), piiKeyEnv) && !strings.Contains(string(readFile(t, dockerfile)), "-e "+piiKeyEnv) {
		t.Errorf("the Dockerfile mentions %s other than as `docker run -e %s`", piiKeyEnv, piiKeyEnv)
	}
}
