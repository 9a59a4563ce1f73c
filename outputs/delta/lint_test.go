package delta

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// Merge-only fields in mode append used to be ignored without a word. They are a lint error
// (what `ledgerflow lint` and every config load report) and a construction error.
func TestMergeOnlyFieldsInAppendModeAreRefused(t *testing.T) {
	cases := map[string]string{
		"key: [transaction_id]":                               "key",
		"sequence_by: updated_at":                             "sequence_by",
		"stored_as_scd_type: 2\nexcept_columns: [ip_address]": "except_columns, stored_as_scd_type",
		"apply_as_deletes: 'status == \"reversed\"'":          "apply_as_deletes",
		"tombstone_retention: 24h":                            "tombstone_retention",
		"ignore_null_updates: true":                           "ignore_null_updates",
		"target_file_rows: 10":                                "target_file_rows",
		"columns: [transaction_id, status]":                   "columns",
		"apply_as_truncates: 'false'":                         "apply_as_truncates",
	}
	for extra, fields := range cases {
		conf := fmt.Sprintf("path: %s\nmode: append\nschema_file: transactions\n%s\n", filepath.Join(t.TempDir(), "bronze"), extra)
		want := "merge-only field(s) " + fields + ":"

		lints, err := service.GlobalEnvironment().NewComponentConfigLinter().LintOutputYAML([]byte("delta_lake:\n" + indent(conf)))
		if err != nil {
			t.Fatal(err)
		}
		if len(lints) != 1 || !strings.Contains(lints[0].What, want) {
			t.Errorf("%q: lints %v, want one naming %q", extra, lints, fields)
		}

		sb := service.NewStreamBuilder()
		err = sb.SetYAML("input: { generate: { count: 1, mapping: 'root = {}' } }\noutput:\n  delta_lake:\n" + indent(indent(conf)))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: stream config accepted: %v", extra, err)
		}

		// Without the linter, construction refuses it.
		parsed, err := outputSpec().ParseYAML(conf, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := newOutput(parsed, service.MockResources()); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: construction error %v, want one naming %q", extra, err, fields)
		}
	}
}

// The same fields at their defaults, or in mode merge, are no lint; a stream built without the
// linter stops at construction.
func TestMergeFieldsLintOnlyWhereIgnored(t *testing.T) {
	linter := service.GlobalEnvironment().NewComponentConfigLinter()
	for _, conf := range []string{
		"path: /tmp/x\nschema_file: transactions\n",
		"path: /tmp/x\nschema_file: transactions\nsequence_by: _source_pos\nstored_as_scd_type: 1\nkey: []\n",
		"path: /tmp/x\nmode: merge\nschema_file: transactions\nkey: [transaction_id]\nstored_as_scd_type: 2\n",
		"path: /tmp/x\nschema_file: transactions\nschema_evolution: ignore\npartition_by: [event_date]\n",
	} {
		lints, err := linter.LintOutputYAML([]byte("delta_lake:\n" + indent(conf)))
		if err != nil || len(lints) != 0 {
			t.Errorf("%q: lints %v %v", conf, lints, err)
		}
	}
	sb := service.NewStreamBuilder()
	sb.DisableLinting()
	if err := sb.SetYAML(fmt.Sprintf("input: { generate: { count: 1, mapping: 'root = {}' } }\noutput:\n  delta_lake:\n    path: %s\n    schema_file: transactions\n    key: [account_id]\n", filepath.Join(t.TempDir(), "bronze"))); err != nil {
		t.Fatal(err)
	}
	stream, err := sb.Build()
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a deadlock guard
		defer cancel()
		err = stream.Run(ctx)
	}
	if err == nil || !strings.Contains(err.Error(), "merge-only field(s) key:") {
		t.Fatalf("want a construction error naming key, got %v", err)
	}
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n") + "\n"
}
