package deploy

import (
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

// A container that runs ledgerflow, as the Dockerfile and the Compose file define it: the
// command line, the environment, the working directory and the files it sees. The tests
// rebuild that file system in a temporary directory (the image's COPYs, then the service's
// mounts) and run the real binary in it, so that they load exactly what the container
// would load.

type containerSpec struct {
	name    string            // "image" or the compose service's name
	argv    []string          // entrypoint + command
	env     map[string]string // the process environment
	workdir string
	copies  []imageCopy
	mounts  []containerMount
	health  string // the healthcheck command
}

// imageCopy is one COPY from the build context: sources relative to the repository root.
type imageCopy struct {
	srcs []string
	dest string
}

type containerMount struct {
	source string // host path of a bind mount; "" for a named volume or tmpfs (empty)
	target string
}

// imageSpec is the container `docker run ledgerflow` starts: ENTRYPOINT + CMD, the image's
// ENV, WORKDIR, context COPYs and HEALTHCHECK.
func imageSpec(t *testing.T, df *dockerFile) containerSpec {
	t.Helper()
	f := df.final()
	c := containerSpec{name: "image", env: imageEnv(t, f), workdir: f.workdir()}
	c.argv = append(f.execForm(t, "ENTRYPOINT"), f.execForm(t, "CMD")...)
	for _, in := range f.all("COPY") {
		var parts []string
		fromStage := false
		for _, w := range strings.Fields(in.args) {
			if strings.HasPrefix(w, "--") {
				fromStage = fromStage || strings.HasPrefix(w, "--from=")
				continue
			}
			parts = append(parts, w)
		}
		if fromStage || len(parts) < 2 {
			continue
		}
		c.copies = append(c.copies, imageCopy{srcs: parts[:len(parts)-1], dest: parts[len(parts)-1]})
	}
	if hc, ok := f.last("HEALTHCHECK"); ok {
		c.health = hc.args
	}
	return c
}

// imageEnv is the environment the final stage's ENV instructions set.
func imageEnv(t *testing.T, f *stage) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, in := range f.all("ENV") {
		words, err := shellWords(in.args, func(k string) string { return env[k] })
		if err != nil {
			t.Fatalf("Dockerfile line %d: ENV: %v", in.line, err)
		}
		if len(words) > 0 && !strings.Contains(words[0], "=") { // legacy ENV KEY value
			env[words[0]] = strings.Join(words[1:], " ")
			continue
		}
		for _, w := range words {
			k, v, _ := strings.Cut(w, "=")
			env[k] = v
		}
	}
	return env
}

// isImageService reports whether a compose service runs the image the repository's
// Dockerfile builds.
func isImageService(t *testing.T, s types.ServiceConfig) bool {
	if s.Build == nil {
		return false
	}
	rel, ok := relToRepo(t, filepath.Join(s.Build.Context, s.Build.Dockerfile))
	return ok && rel == "Dockerfile"
}

// composeSpec is the container compose starts for service s of the image: compose's
// entrypoint and command replace the image's (an entrypoint also drops the image's CMD, as
// Docker does), its environment is added to the image's, its volumes are mounted over the
// image's files.
func composeSpec(t *testing.T, img containerSpec, df *dockerFile, s types.ServiceConfig) containerSpec {
	t.Helper()
	f := df.final()
	c := containerSpec{name: s.Name, env: map[string]string{}, workdir: img.workdir, copies: img.copies, health: img.health}
	entry, cmd := f.execForm(t, "ENTRYPOINT"), f.execForm(t, "CMD")
	if s.Entrypoint != nil {
		entry, cmd = s.Entrypoint, nil
	}
	if s.Command != nil {
		cmd = s.Command
	}
	c.argv = append(append([]string{}, entry...), cmd...)
	for k, v := range img.env {
		c.env[k] = v
	}
	for k, v := range s.Environment {
		if v != nil { // a bare KEY passes the host's value through; the tests have no host
			c.env[k] = *v
		}
	}
	if s.WorkingDir != "" {
		c.workdir = s.WorkingDir
	}
	for _, v := range s.Volumes {
		switch v.Type {
		case types.VolumeTypeBind:
			c.mounts = append(c.mounts, containerMount{source: v.Source, target: v.Target})
		case types.VolumeTypeVolume, types.VolumeTypeTmpfs:
			c.mounts = append(c.mounts, containerMount{target: v.Target})
		default:
			t.Fatalf("service %s: volume type %s is not something this test can rebuild", s.Name, v.Type)
		}
	}
	if s.HealthCheck != nil && !s.HealthCheck.Disable {
		c.health = strings.Join(s.HealthCheck.Test, " ")
	}
	return c
}

// ledgerflowContainers lists every container that runs ledgerflow: the image as built and
// each compose service of the image.
func ledgerflowContainers(t *testing.T) []containerSpec {
	t.Helper()
	df := parseDockerfile(t, string(readFile(t, dockerfile)))
	img := imageSpec(t, df)
	out := []containerSpec{}
	p := mustLoadCompose(t)
	for _, name := range p.ServiceNames() {
		if s := p.Services[name]; isImageService(t, s) {
			out = append(out, composeSpec(t, img, df, s))
		}
	}
	// `docker run -e LEDGERFLOW_PII_KEY=... ledgerflow`: the operator gives the key, the image
	// has none (TestImageHasNoPIIKey). Compose services get it from their environment only.
	run := img
	run.env = maps.Clone(img.env)
	run.env[piiKeyEnv] = deployPIIKey
	return append([]containerSpec{run}, out...)
}

// containerRoot is a container's file system rebuilt under a temporary directory.
type containerRoot struct {
	dir  string
	spec containerSpec
}

// build copies what the container sees into a new temporary directory: the image's COPYs
// from the repository, then the mounts (bind mounts copied, volumes empty). Copies, not
// links: nothing the process does can change the repository.
func (c containerSpec) build(t *testing.T) containerRoot {
	t.Helper()
	root := containerRoot{dir: t.TempDir(), spec: c}
	repo := repoRoot(t)
	for _, cp := range c.copies {
		for _, src := range cp.srcs {
			matches, err := filepath.Glob(filepath.Join(repo, filepath.FromSlash(src)))
			if err != nil || len(matches) == 0 {
				t.Fatalf("%s: COPY %s %s: nothing in the repository matches (%v)", c.name, src, cp.dest, err)
			}
			for _, m := range matches {
				st, err := os.Stat(m)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case st.IsDir(): // COPY dir/ dest: the directory's contents go into dest
					copyTree(t, m, root.host(cp.dest))
				case strings.HasSuffix(cp.dest, "/") || len(matches) > 1 || len(cp.srcs) > 1:
					copyTree(t, m, root.host(path.Join(cp.dest, filepath.Base(m))))
				default:
					copyTree(t, m, root.host(cp.dest))
				}
			}
		}
	}
	for _, m := range c.mounts {
		target := root.host(m.target)
		if err := os.RemoveAll(target); err != nil {
			t.Fatal(err)
		}
		if m.source == "" {
			if err := os.MkdirAll(target, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		copyTree(t, m.source, target)
	}
	if err := os.MkdirAll(root.host(c.workdir), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

// host is where the container path p lies in the rebuilt file system (relative paths are
// taken from the working directory).
func (r containerRoot) host(p string) string {
	if !path.IsAbs(p) {
		p = path.Join(r.spec.workdir, p)
	}
	return filepath.Join(r.dir, filepath.FromSlash(path.Clean(p)))
}

// rewrite maps a value that is an absolute container path (an argument, an environment
// value, the value of --flag=path) onto the rebuilt file system; other values are kept.
func (r containerRoot) rewrite(v string) string {
	if k, val, ok := strings.Cut(v, "="); ok && strings.HasPrefix(k, "-") {
		return k + "=" + r.rewrite(val)
	}
	if path.IsAbs(v) {
		return r.host(v)
	}
	return v
}

// environ is the container's environment as the process sees it here, with overrides.
func (r containerRoot) environ(overrides map[string]string) []string {
	var out []string
	for k, v := range r.spec.env {
		if o, ok := overrides[k]; ok {
			v = o
		} else {
			v = r.rewrite(v)
		}
		out = append(out, k+"="+v)
	}
	for k, v := range overrides {
		if _, ok := r.spec.env[k]; !ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		t.Fatalf("copying %s to %s: %v", src, dst, err)
	}
}

// healthPort is the port a healthcheck probes /ready on, "" when it probes no /ready.
func healthPort(health string) string {
	m := regexp.MustCompile(`https?://(?:127\.0\.0\.1|localhost|\[::1\]):(\d+)/ready\b`).FindStringSubmatch(health)
	if m == nil {
		return ""
	}
	return m[1]
}

// ledgerflowArgs is what a ledgerflow command line loads, taken apart the way the CLI
// (Benthos v4's, with ledgerflow's root command) reads it.
type ledgerflowArgs struct {
	mode      string   // "run" or "streams"
	configs   []string // -c / run's argument: the main config
	resources []string // -r
	obs       []string // streams -o: the observability config
	streams   []string // streams' positional stream configs
	envFiles  []string // -e
	templates []string // -t
	sets      []string // -s
}

// parseLedgerflowArgs reads the arguments after the executable. A flag it does not know is
// an error: it must not miss a file the process would load.
func parseLedgerflowArgs(args []string) (ledgerflowArgs, error) {
	var a ledgerflowArgs
	valueFlags := map[string]*[]string{
		"-c": &a.configs, "--config": &a.configs, "-r": &a.resources, "--resources": &a.resources,
		"-e": &a.envFiles, "--env-file": &a.envFiles, "-t": &a.templates, "--templates": &a.templates,
		"-s": &a.sets, "--set": &a.sets, "--log.level": new([]string),
	}
	boolFlags := map[string]bool{"--chilled": true, "-w": true, "--watcher": true}
	sub := ""
	for i := 0; i < len(args); i++ {
		arg := args[i]
		name, value, hasValue := strings.Cut(arg, "=")
		if sub == "streams" {
			switch name {
			case "-o", "--observability":
				name = "-o"
				valueFlags["-o"] = &a.obs
			case "--no-api", "--prefix-stream-endpoints":
				continue
			}
		}
		switch {
		case valueFlags[name] != nil:
			if !hasValue {
				if i+1 >= len(args) {
					return a, fmt.Errorf("%s needs a value", arg)
				}
				i++
				value = args[i]
			}
			*valueFlags[name] = append(*valueFlags[name], value)
		case boolFlags[name]:
		case strings.HasPrefix(arg, "-"):
			return a, fmt.Errorf("flag %s: the test does not know whether it names a file the process loads; teach parseLedgerflowArgs", arg)
		case sub == "" && (arg == "run" || arg == "streams"):
			sub = arg
		case sub == "run" && len(a.configs) == 0:
			a.configs = append(a.configs, arg)
		case sub == "streams":
			a.streams = append(a.streams, arg)
		default:
			return a, fmt.Errorf("argument %q: not a config this test knows how to load (subcommand %q)", arg, sub)
		}
	}
	a.mode = sub
	if a.mode == "" {
		a.mode = "run"
	}
	if a.mode == "run" && len(a.configs) != 1 {
		return a, fmt.Errorf("%d main configs (%v): the command must name exactly one with -c", len(a.configs), a.configs)
	}
	if a.mode == "streams" && len(a.streams) == 0 {
		return a, fmt.Errorf("streams mode without stream configs")
	}
	return a, nil
}

// lintArgs are the arguments of the `ledgerflow lint` that checks the command: every file it
// loads as a config, with the resources, env files and templates it pulls in as flags.
func (a ledgerflowArgs) lintArgs(rewrite func(string) string) []string {
	args := []string{"lint"}
	for _, f := range a.resources {
		args = append(args, "-r", rewrite(f))
	}
	for _, f := range a.envFiles {
		args = append(args, "-e", rewrite(f))
	}
	for _, f := range a.templates {
		args = append(args, "-t", rewrite(f))
	}
	for _, group := range [][]string{a.configs, a.obs, a.streams, a.resources} {
		for _, f := range group {
			args = append(args, rewrite(f))
		}
	}
	return args
}

func (r containerRoot) workdir() string { return r.host(r.spec.workdir) }
