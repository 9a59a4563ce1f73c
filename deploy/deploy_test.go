package deploy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Paths of the files under test, relative to this package's directory (go test runs there).
const (
	composeFile    = "docker-compose.yml"
	connectorFile  = "debezium/connector.json"
	registerScript = "debezium/register.sh"
	prometheusFile = "prometheus/prometheus.yml"
	datasourceFile = "grafana/provisioning/datasources/prometheus.yml"
	providerFile   = "grafana/provisioning/dashboards/ledgerflow.yml"
	dashboardFile  = "grafana/dashboards/ledgerflow.json"
	dockerfile     = "../Dockerfile"
	dockerignore   = "../.dockerignore"
)

// pendingElsewhere lists repository files that the stack needs but that another work item
// delivers (the pipelines, issue 5). Until they exist, checks that need them skip with a
// message naming the file instead of failing; once a file exists, it is checked.
var pendingElsewhere = map[string]bool{
	"pipelines":                   true,
	"pipelines/customers.yaml":    true,
	"pipelines/accounts.yaml":     true,
	"pipelines/transactions.yaml": true,
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root %s has no go.mod: %v", root, err)
	}
	return root
}

// requireRepoFile fails unless rel (relative to the repository root) exists. A file that is
// pending elsewhere and absent makes the test skip instead, naming the file.
func requireRepoFile(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(repoRoot(t), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		if os.IsNotExist(err) && pendingElsewhere[rel] {
			t.Skipf("%s is not in the repository yet (another issue-5 item delivers it); skipping the checks that need it", rel)
		}
		t.Fatalf("%s: %v", rel, err)
	}
	return p
}

// relToRepo turns an absolute path into a slash path relative to the repository root and
// reports whether it lies inside the repository.
func relToRepo(t *testing.T, abs string) (string, bool) {
	t.Helper()
	rel, err := filepath.Rel(repoRoot(t), abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
