package deploy

import (
	"os/exec"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestPrometheusConfig(t *testing.T) {
	var cfg map[string]any
	if err := yaml.Unmarshal(readFile(t, prometheusFile), &cfg); err != nil {
		t.Fatalf("%s: %v", prometheusFile, err)
	}
	if _, ok := cfg["scrape_configs"]; !ok {
		t.Fatalf("%s has no scrape_configs", prometheusFile)
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian package prometheus); YAML parsed, full check skipped")
	}
	out, err := exec.Command(promtool, "check", "config", prometheusFile).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check config %s: %v\n%s", prometheusFile, err, out)
	}
}
