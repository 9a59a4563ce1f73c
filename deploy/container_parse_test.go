package deploy

import (
	"slices"
	"strings"
	"testing"
)

func TestParseLedgerflowArgs(t *testing.T) {
	for _, c := range []struct {
		args    []string
		want    ledgerflowArgs
		wantErr string
	}{
		{args: []string{"-c", "/pipelines/t.yaml"}, want: ledgerflowArgs{mode: "run", configs: []string{"/pipelines/t.yaml"}}},
		{args: []string{"--config=/p/t.yaml", "-r", "/r/*.yaml", "--env-file", "/e", "-t", "/tpl", "--set", "a.b=c", "--log.level", "warn", "--chilled"},
			want: ledgerflowArgs{mode: "run", configs: []string{"/p/t.yaml"}, resources: []string{"/r/*.yaml"}, envFiles: []string{"/e"}, templates: []string{"/tpl"}, sets: []string{"a.b=c"}}},
		{args: []string{"run", "/p/t.yaml"}, want: ledgerflowArgs{mode: "run", configs: []string{"/p/t.yaml"}}},
		{args: []string{"streams", "--no-api", "-o", "/obs.yaml", "/p/a.yaml", "/p/b.yaml"},
			want: ledgerflowArgs{mode: "streams", obs: []string{"/obs.yaml"}, streams: []string{"/p/a.yaml", "/p/b.yaml"}}},
		{args: []string{"streams", "--observability=/obs.yaml", "/p/a.yaml"}, want: ledgerflowArgs{mode: "streams", obs: []string{"/obs.yaml"}, streams: []string{"/p/a.yaml"}}},
		{args: nil, wantErr: "exactly one"},
		{args: []string{"-c"}, wantErr: "needs a value"},
		{args: []string{"-c", "/a", "--new-flag", "/b"}, wantErr: "--new-flag"},
		{args: []string{"-o", "/obs.yaml", "-c", "/a"}, wantErr: "-o"}, // -o is streams mode's only
		{args: []string{"lint", "/a"}, wantErr: "lint"},
		{args: []string{"streams", "--no-api"}, wantErr: "without stream configs"},
	} {
		got, err := parseLedgerflowArgs(c.args)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("parseLedgerflowArgs(%q) = %+v, %v; want an error mentioning %q", c.args, got, err, c.wantErr)
			}
			continue
		}
		if err != nil || got.mode != c.want.mode || !slices.Equal(got.configs, c.want.configs) || !slices.Equal(got.resources, c.want.resources) ||
			!slices.Equal(got.obs, c.want.obs) || !slices.Equal(got.streams, c.want.streams) || !slices.Equal(got.envFiles, c.want.envFiles) ||
			!slices.Equal(got.templates, c.want.templates) || !slices.Equal(got.sets, c.want.sets) {
			t.Errorf("parseLedgerflowArgs(%q) = %+v, %v; want %+v", c.args, got, err, c.want)
		}
	}
}

func TestShellWords(t *testing.T) {
	vars := map[string]string{"V": "1.2", "EMPTY": "", "X": "a b"}
	lookup := func(k string) string { return vars[k] }
	for line, want := range map[string][]string{
		`CGO_ENABLED=0 go build -ldflags "-s -w -X main.Version=${V} -X main.Commit=${EMPTY}" -o /out ./cmd`: {
			"CGO_ENABLED=0", "go", "build", "-ldflags", "-s -w -X main.Version=1.2 -X main.Commit=", "-o", "/out", "./cmd"},
		`a 'b $V' "c\"$V\\" d\ e $X`: {"a", "b $V", `c"1.2\`, "d e", "a b"},
		`x "" ''`:                    {"x", "", ""},
		`--mount=type=cache,target=/go go  build`: {"--mount=type=cache,target=/go", "go", "build"},
	} {
		got, err := shellWords(line, lookup)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("shellWords(%s) = %q, %v; want %q", line, got, err, want)
		}
	}
	for _, bad := range []string{`a && b`, `a; b`, `a | b`, "a `b`", `a $(b)`, `a "b`, `a 'b`, `a ${V:-x}`, `a ${V`} {
		if got, err := shellWords(bad, lookup); err == nil {
			t.Errorf("shellWords(%s) = %q, want an error", bad, got)
		}
	}
}

func TestDockerfileGoBuild(t *testing.T) {
	df := parseDockerfile(t, "ARG G=1\nFROM golang:${G} AS b\nARG VERSION=0.1\nARG COMMIT=\nARG TARGETOS\n"+
		"RUN --mount=type=cache,target=/go/pkg/mod \\\n  CGO_ENABLED=0 GOOS=${TARGETOS} go build -trimpath -ldflags \"-X main.Version=${VERSION} -X main.Commit=${COMMIT}\" -o /out/x ./cmd/x\n"+
		"FROM alpine:3.22\n")
	env, args, err := dockerfileGoBuild(df, map[string]string{"COMMIT": "abc"}, "/tmp/bin")
	if err != nil {
		t.Fatal(err)
	}
	if len(env) != 2 || env[0] != "CGO_ENABLED=0" || !strings.HasPrefix(env[1], "GOOS=") || env[1] == "GOOS=" {
		t.Errorf("env = %q", env)
	}
	if want := []string{"build", "-trimpath", "-ldflags", "-X main.Version=0.1 -X main.Commit=abc", "-o", "/tmp/bin", "./cmd/x"}; !slices.Equal(args, want) {
		t.Errorf("args = %q, want %q", args, want)
	}
	if _, _, err := dockerfileGoBuild(parseDockerfile(t, "FROM a:1 AS b\nRUN go build ./x && strip x\nFROM b:1\n"), nil, "/o"); err == nil {
		t.Error("a RUN with two commands was taken as the build")
	}
}

func TestExposedLabelNames(t *testing.T) {
	for in, want := range map[string][]string{
		`label="bronze",path="root.output"} 3`: {"label", "path"},
		`a="x\"y,b=\"z",c="\\"} 1`:             {"a", "c"},
		`} 1`:                                  nil,
		`consumergroup="g",partition="0",topic="t"}`: {"consumergroup", "partition", "topic"},
	} {
		if got := exposedLabelNames(in); !slices.Equal(got, want) {
			t.Errorf("exposedLabelNames(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestQueryLabels(t *testing.T) {
	for _, c := range []struct {
		q    dashboardQuery
		want []string
	}{
		{dashboardQuery{expr: `sum by (pipeline, label) (rate(output_sent{pipeline=~"$pipeline", path!="x"}[$__rate_interval]))`, legend: "{{pipeline}} {{ label }}"}, []string{"label", "path", "pipeline"}},
		{dashboardQuery{expr: `label_values(input_received, pipeline)`}, []string{"pipeline"}},
		{dashboardQuery{expr: `a / on(stream) group_left(topic) b{__name__="x"}`}, []string{"stream", "topic"}},
		{dashboardQuery{expr: `sum(x{reason="a=b"})`}, []string{"reason"}},
	} {
		if got := queryLabels(c.q); !slices.Equal(got, c.want) {
			t.Errorf("queryLabels(%q, legend %q) = %q, want %q", c.q.expr, c.q.legend, got, c.want)
		}
	}
}

// Offline, the dashboard's labels are checked against the component labels, the agreed
// ones and Prometheus' target labels (TestContainersRunTheirCommands adds the live
// series); a query on a label no series has, such as the stream label of streams mode,
// is caught.
func TestDashboardLabels(t *testing.T) {
	queries := dashboardQueries(loadDashboard(t))
	targets := prometheusTargetLabels(t)
	if !targets["pipeline"] {
		t.Errorf("prometheus.yml gives its targets no pipeline label; the dashboard filters on it")
	}
	for _, p := range dashboardLabelProblems(queries, liveMetrics{}, targets) {
		t.Error(p)
	}
	var bad []dashboardQuery
	for _, q := range queries {
		q.expr = strings.ReplaceAll(q.expr, "pipeline", "stream")
		q.legend = strings.ReplaceAll(q.legend, "pipeline", "stream")
		bad = append(bad, q)
	}
	problems := dashboardLabelProblems(bad, liveMetrics{}, targets)
	if len(problems) == 0 || !strings.Contains(problems[0], `label "stream"`) {
		t.Errorf("queries on the stream label: problems %q, want them reported", problems)
	}
	live := liveMetrics{"output_sent": {"stream": true}}
	if p := dashboardLabelProblems([]dashboardQuery{{where: "q", expr: `sum by (stream) (output_sent)`}}, live, targets); len(p) != 0 {
		t.Errorf("a label a live series carries was refused: %q", p)
	}
}

// The containers the tests run are the ones the files define: the image and one compose
// service per pipeline, with the image's environment under the service's.
func TestLedgerflowContainers(t *testing.T) {
	cs := ledgerflowContainers(t)
	var names []string
	for _, c := range cs {
		names = append(names, c.name)
		if c.env["LAKEHOUSE"] != "/lakehouse" {
			t.Errorf("%s: LAKEHOUSE = %q, want /lakehouse (image ENV or compose)", c.name, c.env["LAKEHOUSE"])
		}
		if c.workdir != "/" {
			t.Errorf("%s: workdir %s", c.name, c.workdir)
		}
		if healthPort(c.health) == "" {
			t.Errorf("%s: healthcheck %q probes no /ready", c.name, c.health)
		}
	}
	if want := []string{"image", "ledgerflow-accounts", "ledgerflow-customers", "ledgerflow-merchants", "ledgerflow-transactions"}; !slices.Equal(names, want) {
		t.Errorf("containers %v, want %v", names, want)
	}
	img := cs[0]
	if !slices.Equal(img.argv, []string{"ledgerflow", "-c", "/pipelines/transactions.yaml"}) {
		t.Errorf("image runs %q", img.argv)
	}
	for _, c := range cs[1:] {
		if c.env["KAFKA_BROKERS"] != "kafka:19092" {
			t.Errorf("%s: KAFKA_BROKERS = %q", c.name, c.env["KAFKA_BROKERS"])
		}
		var targets []string
		for _, m := range c.mounts {
			targets = append(targets, m.target)
		}
		if want := []string{"/pipelines", "/schemas", "/lakehouse"}; !slices.Equal(targets, want) {
			t.Errorf("%s mounts %v, want %v", c.name, targets, want)
		}
	}
	if got := healthPort(`CMD-SHELL wget -q -O /dev/null http://127.0.0.1:4195/ready`); got != "4195" {
		t.Errorf("healthPort = %q", got)
	}
	if got := healthPort(`wget http://127.0.0.1:4195/readyz`); got != "" {
		t.Errorf("healthPort(/readyz) = %q", got)
	}
}

// The rebuilt file system holds what the image copies and what compose mounts over it.
func TestContainerRootBuild(t *testing.T) {
	for _, c := range ledgerflowContainers(t) {
		r := c.build(t)
		want := []string{"/pipelines/transactions.yaml", "/schemas/transactions.yaml"}
		if c.name != "image" { // the image makes /lakehouse with RUN mkdir, which is not rebuilt
			want = append(want, "/lakehouse")
		}
		for _, p := range want {
			if !fileExists(r.host(p)) {
				t.Errorf("%s: %s missing in the rebuilt file system", c.name, p)
			}
		}
		if got := r.host("schemas/x.yaml"); got != r.host("/schemas/x.yaml") {
			t.Errorf("%s: relative path resolves to %s, not under the workdir", c.name, got)
		}
		if got := r.rewrite("--config=/pipelines/a.yaml"); got != "--config="+r.host("/pipelines/a.yaml") {
			t.Errorf("rewrite = %s", got)
		}
		if got := r.rewrite("kafka:19092"); got != "kafka:19092" {
			t.Errorf("rewrite(kafka:19092) = %s", got)
		}
	}
}
