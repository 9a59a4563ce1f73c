package deploy

import (
	"context"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

// loadCompose loads a Compose file the way `docker compose` does (compose-go is the
// Compose specification's reference loader: schema validation, interpolation,
// normalisation, path resolution). The OS environment is left out, so `${VAR:-default}`
// resolves to its default and the test does not depend on the caller's shell.
func loadCompose(t *testing.T, file string) (*types.Project, error) {
	t.Helper()
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := cli.NewProjectOptions([]string{abs},
		cli.WithWorkingDirectory(filepath.Dir(abs)),
		cli.WithName("ledgerflow"),
		// The one variable the stack requires from the shell (pii_test.go).
		cli.WithEnv([]string{piiKeyEnv + "=" + deployPIIKey}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

func mustLoadCompose(t *testing.T) *types.Project {
	t.Helper()
	p, err := loadCompose(t, composeFile)
	if err != nil {
		t.Fatalf("%s does not load: %v", composeFile, err)
	}
	return p
}

var wantServices = []string{"mysql", "kafka", "connect", "register-connector", "kafka-ui",
	"ledgerflow-customers", "ledgerflow-accounts", "ledgerflow-transactions", "prometheus", "grafana"}

// oneShot services run to completion; everything else is long-running and needs a healthcheck.
var oneShot = map[string]bool{"register-connector": true}

func TestComposeLoads(t *testing.T) {
	p := mustLoadCompose(t)
	for _, name := range wantServices {
		if _, ok := p.Services[name]; !ok {
			t.Errorf("service %q missing; have %v", name, p.ServiceNames())
		}
	}
}

// The loader must be the thing that validates: a file with an unknown key is refused.
func TestComposeLoaderRejectsUnknownKeys(t *testing.T) {
	src := string(readFile(t, composeFile))
	bad := strings.Replace(src, "  mysql:\n    image:", "  mysql:\n    imagee: typo\n    image:", 1)
	if bad == src {
		t.Fatal("could not build the negative case: mysql service block not found")
	}
	f := filepath.Join(t.TempDir(), "docker-compose.yml")
	if err := os.WriteFile(f, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadCompose(t, f); err == nil || !strings.Contains(err.Error(), "imagee") {
		t.Fatalf("loading a file with an unknown key: err = %v, want an error naming it", err)
	}
}

func TestComposeDependsOn(t *testing.T) {
	p := mustLoadCompose(t)
	for name, s := range p.Services {
		for dep, d := range s.DependsOn {
			target, ok := p.Services[dep]
			if !ok {
				t.Errorf("service %s depends on %q, which is not a service", name, dep)
				continue
			}
			switch d.Condition {
			case types.ServiceConditionHealthy:
				if target.HealthCheck == nil || len(target.HealthCheck.Test) == 0 || target.HealthCheck.Disable {
					t.Errorf("service %s waits for %s to be healthy, but %s has no healthcheck", name, dep, dep)
				}
			case types.ServiceConditionCompletedSuccessfully:
				if !oneShot[dep] {
					t.Errorf("service %s waits for %s to complete, but %s is long-running", name, dep, dep)
				}
			case types.ServiceConditionStarted:
			default:
				t.Errorf("service %s depends on %s with condition %q", name, dep, d.Condition)
			}
		}
	}
	// The order that matters: nothing talks to Kafka or Connect before they answer.
	order := []struct{ svc, dep string }{
		{"connect", "kafka"}, {"connect", "mysql"}, {"register-connector", "connect"},
		{"kafka-ui", "kafka"}, {"grafana", "prometheus"},
	}
	for name := range ledgerflowServices(t, p) {
		order = append(order, struct{ svc, dep string }{name, "kafka"})
	}
	for _, e := range order {
		d, ok := p.Services[e.svc].DependsOn[e.dep]
		if !ok || d.Condition != types.ServiceConditionHealthy {
			t.Errorf("service %s should depend on %s with condition service_healthy, has %+v", e.svc, e.dep, d)
		}
	}
}

func TestComposeHealthchecks(t *testing.T) {
	p := mustLoadCompose(t)
	for name, s := range p.Services {
		if oneShot[name] {
			if s.Restart != "no" && s.Restart != "" {
				t.Errorf("one-shot service %s has restart %q; it must not restart after it exits", name, s.Restart)
			}
			continue
		}
		hc := s.HealthCheck
		if hc == nil || hc.Disable || len(hc.Test) < 2 || (hc.Test[0] != "CMD" && hc.Test[0] != "CMD-SHELL") {
			t.Errorf("service %s: no usable healthcheck (%+v)", name, hc)
			continue
		}
		if hc.Interval == nil || hc.Timeout == nil || hc.Retries == nil {
			t.Errorf("service %s: healthcheck should set interval, timeout and retries", name)
		}
	}
	for name, s := range ledgerflowServices(t, p) {
		if hc := s.HealthCheck; hc == nil || healthPort(strings.Join(hc.Test, " ")) == "" {
			t.Errorf("%s's healthcheck should probe /ready (ready only when input and output are connected), is %v", name, hc)
		}
	}
}

// imageTag splits an image reference into repository and tag ("" when absent). A digest
// (@sha256:...) counts as pinned.
func imageTag(ref string) (repo, tag string, digest bool) {
	if i := strings.Index(ref, "@"); i >= 0 {
		return ref[:i], "", true
	}
	slash := strings.LastIndex(ref, "/")
	if i := strings.LastIndex(ref, ":"); i > slash {
		return ref[:i], ref[i+1:], false
	}
	return ref, "", false
}

// pinned reports why an image reference is not pinned to a version, or "" when it is.
func pinned(ref string) string {
	_, tag, digest := imageTag(ref)
	switch {
	case digest:
		return ""
	case tag == "":
		return "has no tag (means latest)"
	case tag == "latest" || tag == "main" || tag == "master" || tag == "edge" || tag == "nightly":
		return "has the moving tag " + tag
	case !regexp.MustCompile(`\d`).MatchString(tag):
		return "has tag " + tag + ", which names no version"
	}
	return ""
}

func TestPinnedHelper(t *testing.T) {
	for ref, ok := range map[string]bool{
		"mysql:8.4.8": true, "quay.io/debezium/connect:3.5.2.Final": true, "localhost:5000/x:1.2": true,
		"img@sha256:abc": true, "mysql": false, "mysql:latest": false, "localhost:5000/x": false,
		"kafbat/kafka-ui:main": false, "x:stable": false,
	} {
		if got := pinned(ref) == ""; got != ok {
			t.Errorf("pinned(%q) = %q, want pinned=%v", ref, pinned(ref), ok)
		}
	}
}

func TestComposeImagesPinned(t *testing.T) {
	p := mustLoadCompose(t)
	for name, s := range p.Services {
		if s.Image == "" {
			t.Errorf("service %s has no image (built services should still name their tag)", name)
			continue
		}
		if why := pinned(s.Image); why != "" {
			t.Errorf("service %s: image %s %s", name, s.Image, why)
		}
	}
}

// ledgerflowServices are the compose services that run the image the repository's
// Dockerfile builds.
func ledgerflowServices(t *testing.T, p *types.Project) map[string]types.ServiceConfig {
	t.Helper()
	out := map[string]types.ServiceConfig{}
	for name, s := range p.Services {
		if isImageService(t, s) {
			out[name] = s
		}
	}
	return out
}

// repoPipelines are the pipeline names of pipelines/*.yaml (scenario files aside).
func repoPipelines(t *testing.T) []string {
	t.Helper()
	requireRepoFile(t, "pipelines")
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "pipelines", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".yaml"); !strings.HasSuffix(name, "_scenarios") {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// singlePipeline is the pipeline a ledgerflow command runs: one process, one -c config
// /pipelines/<name>.yaml (DESIGN.md: ledgerflow per pipeline). Anything else is an error.
func singlePipeline(cmd []string) (string, error) {
	a, err := parseLedgerflowArgs(cmd)
	if err != nil {
		return "", err
	}
	if a.mode != "run" || len(a.streams)+len(a.obs) > 0 {
		return "", fmt.Errorf("%q is not one pipeline per process (ledgerflow -c /pipelines/<name>.yaml)", cmd)
	}
	f := a.configs[0]
	if path.Dir(f) != "/pipelines" || path.Ext(f) != ".yaml" {
		return "", fmt.Errorf("%q runs %s, not a pipeline file /pipelines/<name>.yaml", cmd, f)
	}
	return strings.TrimSuffix(path.Base(f), ".yaml"), nil
}

func TestSinglePipeline(t *testing.T) {
	for _, c := range []struct {
		cmd  []string
		want string
	}{
		{[]string{"-c", "/pipelines/transactions.yaml"}, "transactions"},
		{[]string{"--config=/pipelines/accounts.yaml"}, "accounts"},
		{[]string{"run", "/pipelines/customers.yaml"}, "customers"},
		{[]string{"streams", "--no-api", "/pipelines/customers.yaml", "/pipelines/accounts.yaml"}, ""},
		{[]string{"-c", "/etc/x.yaml"}, ""},
		{[]string{"-c", "/pipelines/a.yaml", "-c", "/pipelines/b.yaml"}, ""},
		{nil, ""},
	} {
		got, err := singlePipeline(c.cmd)
		if got != c.want || (c.want == "") != (err != nil) {
			t.Errorf("singlePipeline(%q) = %q, %v; want %q", c.cmd, got, err, c.want)
		}
	}
}

// The stack runs one ledgerflow service per pipeline of the repository, each the image the
// repository's Dockerfile builds with `-c /pipelines/<pipeline>.yaml`, named
// ledgerflow-<pipeline>, with the same environment and mounts, its own host port, and a
// healthcheck on the port it publishes.
func TestComposeLedgerflowServices(t *testing.T) {
	p := mustLoadCompose(t)
	services := ledgerflowServices(t, p)
	df := parseDockerfile(t, string(readFile(t, dockerfile)))
	var pipelines, images []string
	hostPorts := map[string]string{}
	var first *types.ServiceConfig
	for _, name := range sortedServiceNames(services) {
		s := services[name]
		ctxRel, ok := relToRepo(t, s.Build.Context)
		if !ok || ctxRel != "." {
			t.Errorf("%s builds from %s, want the repository root", name, s.Build.Context)
		}
		images = append(images, s.Image)
		pl, err := singlePipeline(s.Command)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		pipelines = append(pipelines, pl)
		if name != "ledgerflow-"+pl {
			t.Errorf("service %s runs pipeline %s; name it ledgerflow-%s", name, pl, pl)
		}
		env := s.Environment
		for _, k := range []string{"KAFKA_BROKERS", "LAKEHOUSE"} {
			if env[k] == nil || *env[k] == "" {
				t.Errorf("%s environment lacks %s", name, k)
			}
		}
		if lh := env["LAKEHOUSE"]; lh != nil {
			if v := mountAt(s, *lh); v == nil || v.Type != types.VolumeTypeVolume {
				t.Errorf("%s: LAKEHOUSE=%s is not a named volume mount (the tables would die with the container)", name, *lh)
			}
		}
		if first == nil {
			first = &s
		} else {
			if !reflect.DeepEqual(s.Environment, first.Environment) || !reflect.DeepEqual(s.Volumes, first.Volumes) {
				t.Errorf("%s and %s differ in environment or volumes (%v %v / %v %v); the pipelines share them", name, first.Name, s.Environment, s.Volumes, first.Environment, first.Volumes)
			}
		}
		hp := healthPort(strings.Join(s.HealthCheck.Test, " "))
		if len(s.Ports) != 1 || fmt.Sprint(s.Ports[0].Target) != hp {
			t.Errorf("%s publishes %+v; want one port, the container port %q its healthcheck probes", name, s.Ports, hp)
		} else if other, dup := hostPorts[s.Ports[0].Published]; dup {
			t.Errorf("%s and %s publish the same host port %s", name, other, s.Ports[0].Published)
		} else {
			hostPorts[s.Ports[0].Published] = name
		}
		checkPipeline(t, "pipelines/"+pl+".yaml", env)
	}
	sort.Strings(pipelines)
	if want := repoPipelines(t); !slices.Equal(pipelines, want) {
		t.Errorf("ledgerflow services run pipelines %v; the repository has %v: one service per pipeline", pipelines, want)
	}
	if len(slices.Compact(slices.Clone(images))) != 1 {
		t.Errorf("ledgerflow services name images %v; one image (Compose builds an image name once)", images)
	}
	// The image's default command is one of the services' commands: `docker run` without
	// arguments starts a pipeline the stack also runs, configured the same way.
	cmd := df.final().execForm(t, "CMD")
	pl, err := singlePipeline(cmd)
	if err != nil {
		t.Fatalf("Dockerfile CMD: %v", err)
	}
	if s, ok := services["ledgerflow-"+pl]; !ok || !slices.Equal([]string(s.Command), cmd) {
		t.Errorf("the image's default CMD %q is not the command of a ledgerflow service", cmd)
	}
}

func sortedServiceNames(m map[string]types.ServiceConfig) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkPipeline checks what the container needs from one pipeline file: every environment
// variable it reads without a default is set, and every table contract it names resolves
// from the image's working directory.
func checkPipeline(t *testing.T, rel string, env types.MappingWithEquals) {
	t.Run(path.Base(rel), func(t *testing.T) {
		src := string(readFile(t, requireRepoFile(t, rel)))
		for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-=][^}]*)?\}`).FindAllStringSubmatch(src, -1) {
			if m[2] == "" && (env[m[1]] == nil || *env[m[1]] == "") {
				t.Errorf("%s reads ${%s} without a default, but the ledgerflow service does not set it", rel, m[1])
			}
		}
		var doc any
		if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		// The pii processor's key_env names a variable the process must have (no default key).
		for _, name := range stringsUnder(doc, "key_env") {
			if env[name] == nil || *env[name] == "" {
				t.Errorf("%s: the pii processor reads its key from %s, but the ledgerflow service does not set it", rel, name)
			}
		}
		df := parseDockerfile(t, string(readFile(t, dockerfile)))
		wd := df.final().workdir()
		for _, sf := range stringsUnder(doc, "schema_file") {
			if !strings.ContainsAny(sf, "/\\") && path.Ext(sf) == "" {
				continue // an embedded contract name
			}
			inImage := sf
			if !path.IsAbs(sf) {
				inImage = path.Join(wd, sf)
			}
			src, ok := df.final().copiedFrom(inImage)
			if !ok {
				t.Errorf("%s: schema_file %s resolves to %s in the image (WORKDIR %s), which no COPY provides", rel, sf, inImage, wd)
				continue
			}
			requireRepoFile(t, src)
		}
	})
}

// stringsUnder collects the string values of every mapping key named key, at any depth.
func stringsUnder(n any, key string) []string {
	var out []string
	switch v := n.(type) {
	case map[string]any:
		for k, c := range v {
			if s, ok := c.(string); ok && k == key {
				out = append(out, s)
			}
			out = append(out, stringsUnder(c, key)...)
		}
	case []any:
		for _, c := range v {
			out = append(out, stringsUnder(c, key)...)
		}
	}
	return out
}

func mountAt(s types.ServiceConfig, target string) *types.ServiceVolumeConfig {
	for i := range s.Volumes {
		if s.Volumes[i].Target == target {
			return &s.Volumes[i]
		}
	}
	return nil
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestComposeBindMountsExist(t *testing.T) {
	p := mustLoadCompose(t)
	for name, s := range p.Services {
		for _, v := range s.Volumes {
			switch v.Type {
			case types.VolumeTypeVolume:
				if _, ok := p.Volumes[v.Source]; !ok {
					t.Errorf("service %s mounts volume %q, which is not declared", name, v.Source)
				}
			case types.VolumeTypeBind:
				rel, ok := relToRepo(t, v.Source)
				if !ok {
					t.Errorf("service %s bind-mounts %s, outside the repository", name, v.Source)
					continue
				}
				t.Run(name+":"+v.Target, func(t *testing.T) { requireRepoFile(t, rel) })
			}
		}
	}
	mysql := p.Services["mysql"]
	if m := mountAt(mysql, "/docker-entrypoint-initdb.d/init.sql"); m == nil {
		t.Error("mysql does not mount init.sql into /docker-entrypoint-initdb.d")
	} else if rel, _ := relToRepo(t, m.Source); rel != "deploy/mysql/init.sql" {
		t.Errorf("mysql's init script comes from %s, want deploy/mysql/init.sql", rel)
	}
}

func TestComposeMySQLBinlog(t *testing.T) {
	p := mustLoadCompose(t)
	flags := map[string]string{}
	for _, a := range p.Services["mysql"].Command {
		k, v, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		flags[strings.ReplaceAll(k, "_", "-")] = v
	}
	for k, want := range map[string]string{"binlog-format": "ROW", "binlog-row-image": "FULL", "gtid-mode": "ON", "enforce-gtid-consistency": "ON"} {
		if !strings.EqualFold(flags[k], want) {
			t.Errorf("mysql --%s = %q, want %s (Debezium needs it)", k, flags[k], want)
		}
	}
	if flags["log-bin"] == "" {
		t.Error("mysql has no --log-bin")
	}
	sid, err := strconv.Atoi(flags["server-id"])
	if err != nil || sid <= 0 {
		t.Fatalf("mysql --server-id = %q, want a positive integer", flags["server-id"])
	}
	c := loadConnector(t, connectorFile)
	if c.Config["database.server.id"] == strconv.Itoa(sid) {
		t.Errorf("connector database.server.id equals MySQL's own server-id %d; they must differ", sid)
	}
}

// Every client inside the stack reaches Kafka through a listener the broker advertises
// under its service name.
func TestComposeKafkaAddresses(t *testing.T) {
	p := mustLoadCompose(t)
	env := func(svc, k string) string {
		if v := p.Services[svc].Environment[k]; v != nil {
			return *v
		}
		return ""
	}
	advertised := map[string]bool{}
	for _, l := range strings.Split(env("kafka", "KAFKA_ADVERTISED_LISTENERS"), ",") {
		if _, hp, ok := strings.Cut(strings.TrimSpace(l), "://"); ok {
			advertised[hp] = true
		}
	}
	c := loadConnector(t, connectorFile)
	uses := []struct{ who, addr string }{
		{"connect BOOTSTRAP_SERVERS", env("connect", "BOOTSTRAP_SERVERS")},
		{"kafka-ui KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS", env("kafka-ui", "KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS")},
		{"connector schema.history.internal.kafka.bootstrap.servers", c.Config["schema.history.internal.kafka.bootstrap.servers"]},
	}
	for name := range ledgerflowServices(t, p) {
		uses = append(uses, struct{ who, addr string }{name + " KAFKA_BROKERS", env(name, "KAFKA_BROKERS")})
	}
	for _, use := range uses {
		for _, a := range strings.Split(use.addr, ",") {
			host, _, err := net.SplitHostPort(strings.TrimSpace(a))
			if err != nil || !advertised[a] || host != "kafka" {
				t.Errorf("%s = %q: not a listener the kafka service advertises to containers (%v)", use.who, use.addr, advertised)
			}
		}
	}
	for _, k := range []string{"CONFIG_STORAGE_TOPIC", "OFFSET_STORAGE_TOPIC", "STATUS_STORAGE_TOPIC"} {
		if env("connect", k) == "" {
			t.Errorf("connect must set %s", k)
		}
	}
}

// The connector's secret comes from Connect's environment; the registration service posts
// this very connector.
func TestComposeConnectorWiring(t *testing.T) {
	p := mustLoadCompose(t)
	c := loadConnector(t, connectorFile)
	connect := p.Services["connect"].Environment
	m := regexp.MustCompile(`^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$`).FindStringSubmatch(c.Config["database.password"])
	if m == nil {
		t.Fatalf("connector database.password should be ${env:VAR}, resolved by Connect's EnvVarConfigProvider, not a literal")
	}
	if connect[m[1]] == nil || *connect[m[1]] == "" {
		t.Errorf("connector reads ${env:%s}, but the connect service does not set %s", m[1], m[1])
	}
	if v := connect["CONNECT_CONFIG_PROVIDERS"]; v == nil || !slices.Contains(strings.Split(*v, ","), "env") {
		t.Error("connect does not enable the env config provider (CONNECT_CONFIG_PROVIDERS)")
	}
	if v := connect["CONNECT_CONFIG_PROVIDERS_ENV_CLASS"]; v == nil || *v != "org.apache.kafka.common.config.provider.EnvVarConfigProvider" {
		t.Error("connect's env config provider class is not Kafka's EnvVarConfigProvider")
	}

	reg := p.Services["register-connector"]
	var posted string
	for _, v := range reg.Volumes {
		if rel, _ := relToRepo(t, v.Source); rel == "deploy/"+connectorFile {
			posted = v.Target
		}
	}
	if posted == "" || !slices.Contains(reg.Entrypoint, posted) && !slices.Contains(reg.Command, posted) {
		t.Errorf("register-connector does not mount and pass %s (entrypoint %v)", connectorFile, reg.Entrypoint)
	}
	if n := reg.Environment["CONNECTOR_NAME"]; n == nil || *n != c.Name {
		t.Errorf("register-connector CONNECTOR_NAME = %v, want the connector's name %q", n, c.Name)
	}
}

// Prometheus scrapes every ledgerflow service once, at the port it listens on, with a
// pipeline label naming the pipeline it runs (the dashboard's filter), and nothing that is
// not a service.
func TestComposePrometheusScrapesLedgerflow(t *testing.T) {
	p := mustLoadCompose(t)
	var cfg struct {
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			MetricsPath   string `yaml:"metrics_path"`
			StaticConfigs []struct {
				Targets []string          `yaml:"targets"`
				Labels  map[string]string `yaml:"labels"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(readFile(t, prometheusFile), &cfg); err != nil {
		t.Fatal(err)
	}
	services := ledgerflowServices(t, p)
	scraped := map[string]int{}
	for _, sc := range cfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			for _, target := range st.Targets {
				host, port, err := net.SplitHostPort(target)
				if err != nil {
					t.Errorf("prometheus job %s: target %q is not host:port", sc.JobName, target)
					continue
				}
				s, ok := services[host]
				if !ok {
					if host != "localhost" {
						if _, isService := p.Services[host]; !isService {
							t.Errorf("prometheus job %s scrapes %s, which is no compose service", sc.JobName, target)
						}
					}
					continue
				}
				scraped[host]++
				if hp := healthPort(strings.Join(s.HealthCheck.Test, " ")); port != hp {
					t.Errorf("prometheus job %s scrapes %s, but %s listens on %s", sc.JobName, target, host, hp)
				}
				if sc.MetricsPath != "" && sc.MetricsPath != "/metrics" {
					t.Errorf("prometheus job %s scrapes %s, ledgerflow serves /metrics", sc.JobName, sc.MetricsPath)
				}
				if pl, err := singlePipeline(s.Command); err != nil {
					t.Errorf("prometheus target %s: %s: %v", target, host, err)
				} else if st.Labels["pipeline"] != pl {
					t.Errorf("prometheus target %s has pipeline label %q; %s runs pipeline %s", target, st.Labels["pipeline"], host, pl)
				}
			}
		}
	}
	for name := range services {
		if scraped[name] != 1 {
			t.Errorf("prometheus.yml has %d targets on %s, want 1", scraped[name], name)
		}
		if d, ok := p.Services["prometheus"].DependsOn[name]; !ok {
			t.Errorf("prometheus does not depend on %s", name)
		} else if d.Condition != types.ServiceConditionStarted {
			t.Errorf("prometheus waits for %s with %s; service_started is enough (a scrape of a process not ready yet is data too)", name, d.Condition)
		}
	}
	if len(services) == 0 {
		t.Error("no ledgerflow service to scrape")
	}
	if m := mountAt(p.Services["prometheus"], "/etc/prometheus/prometheus.yml"); m == nil {
		t.Error("prometheus does not mount deploy/prometheus/prometheus.yml")
	} else if rel, _ := relToRepo(t, m.Source); rel != "deploy/"+prometheusFile {
		t.Errorf("prometheus config comes from %s", rel)
	}
}
