package main

import (
	"bytes"
	"runtime/debug"
	"testing"
)

func TestStampFromBuildInfo(t *testing.T) {
	info := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/ledgerflow/ledgerflow", Version: "v0.0.0-20260105120000-d0e9bd133681+dirty"},
		Deps:      []*debug.Module{{Path: "github.com/redpanda-data/benthos/v4", Version: "v4.60.0"}},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "d0e9bd1336819a18566595a7a261e9f91fe14f96"},
			{Key: "vcs.time", Value: "2026-01-05T12:00:00Z"}, {Key: "vcs.modified", Value: "true"},
		},
	}
	var b bytes.Buffer
	stampFrom(info, "", "", "").print(&b)
	want := "Version: v0.0.0-20260105120000-d0e9bd133681+dirty\nCommit: d0e9bd1336819a18566595a7a261e9f91fe14f96 (modified: built with uncommitted changes)\nDate: 2026-01-05T12:00:00Z\nEngine: Benthos v4.60.0, go1.26.8\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}

	// -ldflags -X wins over the build info; an -X commit says nothing about modifications.
	s := stampFrom(info, "1.2.0", "abc123", "2026-02-01T00:00:00Z")
	if s.Version != "1.2.0" || s.Commit != "abc123" || s.Modified || s.Date != "2026-02-01T00:00:00Z" {
		t.Errorf("overrides: %+v", s)
	}

	// A build without VCS stamps (a git worktree, -buildvcs=false, go run).
	s = stampFrom(&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "", "", "")
	if s.Version != "(devel)" || s.Commit != "unknown" || s.Date != "unknown" || s.Engine != "unknown" {
		t.Errorf("no build info: %+v", s)
	}
	if s := stampFrom(nil, "", "", ""); s.Version != "(devel)" || s.Commit != "unknown" {
		t.Errorf("nil build info: %+v", s)
	}
}

func TestWantsVersion(t *testing.T) {
	for args, want := range map[string]bool{
		"ledgerflow --version":                     true,
		"ledgerflow -v":                            true,
		"ledgerflow -c pipelines/x.yaml --version": true,
		"ledgerflow --log.level warn -v":           true,
		"ledgerflow table show --version 3 ./t":    false,
		"ledgerflow lint --version":                false,
		"ledgerflow -c x.yaml":                     false,
		"ledgerflow":                               false,
	} {
		if got := wantsVersion(splitArgs(args)); got != want {
			t.Errorf("wantsVersion(%s) = %v, want %v", args, got, want)
		}
	}
}

func splitArgs(s string) []string {
	var out []string
	for _, f := range bytes.Fields([]byte(s)) {
		out = append(out, string(f))
	}
	return out
}
