package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// buildStamp says which source a binary was built from.
type buildStamp struct {
	Version  string // release version, or the module version Go derived from the commit
	Commit   string // full VCS revision, "unknown" when the build recorded none
	Modified bool   // the working tree had uncommitted changes
	Date     string // the commit's time (RFC3339): a reproducible build's date
	Engine   string // the Benthos core's module version
	Go       string
}

// readStamp takes each stamp from its -ldflags -X variable when set, else from the Go build
// info, which `go build` fills from git (vcs.revision, vcs.time, vcs.modified) when it builds
// inside a clone (not a git worktree, and not with -buildvcs=false).
func readStamp() buildStamp {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		info = nil
	}
	return stampFrom(info, Version, Commit, Date)
}

func stampFrom(info *debug.BuildInfo, version, commit, date string) buildStamp {
	s := buildStamp{Version: version, Commit: commit, Date: date}
	vcs := map[string]string{}
	if info != nil {
		s.Go = info.GoVersion
		for _, kv := range info.Settings {
			vcs[kv.Key] = kv.Value
		}
		for _, d := range info.Deps {
			if d.Path == "github.com/redpanda-data/benthos/v4" {
				s.Engine = d.Version
				if d.Replace != nil && d.Replace.Version != "" {
					s.Engine = d.Replace.Version
				}
			}
		}
		if s.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			s.Version = info.Main.Version
		}
	}
	if s.Commit == "" {
		s.Commit = vcs["vcs.revision"]
		s.Modified = vcs["vcs.modified"] == "true"
	}
	if s.Date == "" {
		s.Date = vcs["vcs.time"]
	}
	for _, f := range []*string{&s.Version, &s.Commit, &s.Date, &s.Engine, &s.Go} {
		if *f == "" {
			*f = "unknown"
		}
	}
	if s.Version == "unknown" {
		s.Version = "(devel)"
	}
	return s
}

func (s buildStamp) print(w io.Writer) {
	commit := s.Commit
	if s.Modified {
		commit += " (modified: built with uncommitted changes)"
	}
	fmt.Fprintf(w, "Version: %s\nCommit: %s\nDate: %s\nEngine: Benthos %s, %s\n", s.Version, commit, s.Date, s.Engine, s.Go)
}

// wantsVersion reports whether the arguments ask the root command for its version
// (`ledgerflow --version`, `-v`). The core prints only a version and a date, hence our own.
// Flags of subcommands are theirs: `ledgerflow table show --version 3 T` reads version 3.
func wantsVersion(args []string) bool {
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--version" || a == "-v" || a == "-version" || a == "--version=true" || a == "-v=true":
			return true
		case rootValueFlags[a]:
			i++
		case !strings.HasPrefix(a, "-"):
			return false // a subcommand: the flags after it are its own
		}
	}
	return false
}

// rootValueFlags are the root flags that take a value (the core's run flags).
var rootValueFlags = map[string]bool{
	"-c": true, "--config": true, "-r": true, "--resources": true, "-s": true, "--set": true,
	"-e": true, "--env-file": true, "-t": true, "--templates": true, "--log.level": true,
}
