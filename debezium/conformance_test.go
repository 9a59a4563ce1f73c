package debezium

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const conformanceDir = "../../shared/conformance/debezium"

func conformanceFiles(t *testing.T, pattern string) []string {
	t.Helper()
	if _, err := os.Stat(conformanceDir); err != nil {
		t.Skipf("Debezium conformance samples not available at %s (../shared is absent): %v", conformanceDir, err)
	}
	files, err := filepath.Glob(filepath.Join(conformanceDir, pattern))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// want is the clean row the conformance README gives for a file.
type want struct {
	kind    Kind
	row     map[string]any // columns and metadata columns expected in the output (subset)
	before  map[string]any // expected _before (nil: absent or not checked)
	isKey   bool           // a Kafka record key, not a value
	errWant Reason
}

var anne = map[string]any{"id": 1004.0, "first_name": "Anne", "last_name": "Kretchmar", "email": "annek@noanswer.org"}

func with(base map[string]any, kv ...any) map[string]any {
	m := map[string]any{}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func mysqlPos(file, pos int) string {
	return strings.Repeat("0", 10-len(itoa(file))) + itoa(file) + ":" + strings.Repeat("0", 20-len(itoa(pos))) + itoa(pos) + ":000000"
}

// conformanceWant transcribes the README's "clean row" column.
var conformanceWant = map[string]want{
	"mysql-key-schemas-enabled.json":                    {isKey: true},
	"tutorial-snapshot-read-key-schemas-enabled.json":   {isKey: true},
	"tutorial-update-key-schemas-enabled.json":          {isKey: true},
	"tutorial-delete-key-schemas-enabled.json":          {isKey: true},
	"tutorial-create-1005-key-schemas-enabled.json":     {isKey: true},
	"tutorial-create-1006-key-schemas-enabled.json":     {isKey: true},
	"mysql-schema-change-key-schemas-enabled.json":      {isKey: true},
	"sqlserver-delete-decimal-key-schemas-enabled.json": {isKey: true},
	"mysql-create-schemas-enabled.json": {kind: KindRow, row: with(anne, "_op", "c", "_deleted", false,
		"_source_pos", mysqlPos(3, 154), "_source_file", "{context}-bin.000003", "_source_ts", "1970-01-01T00:00:00.000Z",
		"_snapshot", "false", "_source_table", "inventory.customers", "_source_gtid", nil)},
	"tutorial-snapshot-read-schemas-enabled.json": {kind: KindRow, row: with(anne, "_op", "r", "_deleted", false,
		"_source_pos", mysqlPos(3, 154), "_snapshot", "true", "_source_ts", "1970-01-01T00:00:00.000Z")},
	"tutorial-tombstone-value-legacy-envelope.json": {kind: KindTombstone},
	"tutorial-create-1005-schemas-enabled.json": {kind: KindRow, row: map[string]any{"id": 1005.0, "first_name": "Sarah",
		"last_name": "Thompson", "email": "kitt@acme.com", "_op": "c", "_source_pos": mysqlPos(3, 1046),
		"_source_ts": "2017-03-27T17:19:13.000Z", "_snapshot": "false", "_deleted": false}},
	"tutorial-create-1006-schemas-enabled.json": {kind: KindRow, row: map[string]any{"id": 1006.0, "first_name": "Kenneth",
		"last_name": "Anderson", "email": "kander@acme.com", "_op": "c", "_source_pos": mysqlPos(3, 1356)}},
	"mysql-3.0.1-snapshot-read-schemas-disabled.json": {kind: KindRow, row: with(anne, "_op", "r", "_snapshot", "true",
		"_source_pos", mysqlPos(3, 797), "_source_ts", "2024-11-11T12:18:31.000Z", "_deleted", false)},
	"mysql-3.0.1-update-schemas-disabled.json": {kind: KindRow, row: map[string]any{"id": 1001.0, "first_name": "Sarah",
		"last_name": "Thomas", "email": "sally.thomas@acme.com", "_op": "u", "_source_pos": mysqlPos(3, 1041),
		"_source_ts": "2024-11-11T12:20:59.000Z", "_snapshot": "false", "_deleted": false},
		before: map[string]any{"id": 1001.0, "first_name": "Sally", "last_name": "Thomas", "email": "sally.thomas@acme.com"}},
	"test-0.10-create-schemas-enabled.json":  {kind: KindRow, row: with(anne, "_op", "c", "_source_pos", mysqlPos(3, 154))},
	"test-0.10-create-schemas-disabled.json": {kind: KindRow, row: with(anne, "_op", "c", "_source_pos", mysqlPos(3, 154))},
	"test-0.10-update-schemas-disabled.json": {kind: KindRow, row: with(anne, "_op", "u"),
		before: with(anne, "first_name", "Anne-Marie")},
	"test-0.10-update-extra-column-schemas-disabled.json": {kind: KindRow, row: with(anne, "_op", "u", "middle_name", "L"),
		before: with(anne, "first_name", "Anne-Marie", "middle_name", "L")},
	// The doc elides the schema as "schema": { }, which is not a Connect schema (no type):
	// TestConformanceSchemaChangeWithSchema checks the event itself with a real one.
	"mysql-schema-change-value-schemas-enabled.json": {errWant: ReasonSchemaInvalid},
	"mysql-transaction-begin.json":                   {kind: KindTransaction},
	"mysql-transaction-end.json":                     {kind: KindTransaction},
	"sqlserver-delete-decimal-schemas-enabled.json": {kind: KindRow, row: map[string]any{"empno": 11.0, "fname": "Yossi",
		"lname": "Mague", "job": "PFE", "mgr": 1.0, "hiredate": "2019-07-09T00:00:00.000000Z", "sal": "200000.0000",
		"comm": "10.0000", "dept": 3.0, "_op": "d", "_deleted": true, "_source_ts": "2021-11-25T17:02:44.960Z",
		"_source_pos":   "0000003a:00002f50:0005:0000003a:00002f50:0002:00000000000000000001",
		"_source_table": "RedisConnect.dbo.emp", "_snapshot": "false"}},
}

func checkRow(t *testing.T, w want, r Result, err error) {
	t.Helper()
	if w.errWant != "" {
		requireReason(t, err, w.errWant)
		return
	}
	require.NoError(t, err)
	assert.Equal(t, w.kind, r.Kind)
	if w.kind != KindRow {
		assert.Nil(t, r.Body, "non-row messages pass through unchanged")
		return
	}
	var got map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &got), "%s", r.Body)
	for k, v := range w.row {
		assert.Equal(t, v, got[k], "column %s in %s", k, r.Body)
	}
	if w.before != nil {
		assert.Equal(t, w.before, got["_before"])
	}
}

func TestConformanceJSONFiles(t *testing.T) {
	u := mustNew(t, DefaultOptions())
	for _, f := range conformanceFiles(t, "*.json") {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			w, ok := conformanceWant[name]
			require.True(t, ok, "conformance file %s has no expectation here: add the README's clean row", name)
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			r, err := u.Unwrap(b, Meta{})
			if w.isKey {
				// Keys are carried in kafka_key metadata; fed as a value they are not an
				// envelope: an object with none of before, after, source, op.
				requireReason(t, err, ReasonMissingPayload)
				return
			}
			checkRow(t, w, r, err)
		})
	}
}

// repairSnippet makes the README's not-JSON doc snippets parseable: "{ ... }" schema
// placeholders become null, elided source members ("...") become a synthetic MySQL
// position, trailing commas are removed. Two source blocks list "name" twice (a typo for
// "version", and a repeated line): those are repaired too, since a repeated key is an error.
func repairSnippet(s string) string {
	s = strings.ReplaceAll(s, `"name": "{debezium-version}"`, `"version": "{debezium-version}"`)
	s = regexp.MustCompile(`("name": "\{context\}-server-1",\s*"connector": "\{context\}",)\s*"name": "\{context\}-server-1",`).ReplaceAllString(s, "$1")
	s = regexp.MustCompile(`"schema":\s*\{\s*\.\.\.\s*\}`).ReplaceAllString(s, `"schema": null`)
	s = regexp.MustCompile(`(?m)^\s*\.\.\.\s*$`).ReplaceAllString(s, `"db":"inventory","table":"a","file":"mysql-bin.000007","pos":42,"row":1,`)
	s = regexp.MustCompile(`,(\s*[}\]])`).ReplaceAllString(s, "$1")
	return s
}

func TestConformanceDocSnippets(t *testing.T) {
	u := mustNew(t, Options(func() Options {
		o := DefaultOptions()
		o.AddFields = []string{"transaction.id", "total_order"}
		return o
	}()))
	anneMarie := with(anne, "first_name", "Anne Marie")
	snippets := map[string]want{
		"mysql-update-schemas-enabled-doc-snippet.txt": {kind: KindRow, row: with(anneMarie, "_op", "u",
			"_source_pos", mysqlPos(3, 484), "_source_ts", "2016-06-10T17:50:29.100Z"), before: anne},
		"mysql-delete-schemas-enabled-doc-snippet.txt": {kind: KindRow, row: with(anneMarie, "_op", "d", "_deleted", true,
			"_source_pos", mysqlPos(3, 805))},
		"mysql-truncate-schemas-enabled-doc-snippet.txt": {kind: KindTruncate},
		"tutorial-update-schemas-enabled-doc-snippet.txt": {kind: KindRow, row: with(anneMarie, "_op", "u",
			"_source_pos", mysqlPos(3, 364), "_source_ts", "2017-02-07T21:04:46.000Z", "_snapshot", "false")},
		"tutorial-delete-schemas-enabled-doc-snippet.txt": {kind: KindRow, row: with(anneMarie, "_op", "d", "_deleted", true,
			"_source_pos", mysqlPos(3, 725))},
		"incremental-snapshot-read-doc-snippet.txt": {kind: KindRow, row: map[string]any{"pk": "1", "value": "New data",
			"_op": "r", "_snapshot": "incremental", "_source_pos": "0000000007:00000000000000000042:000001"}},
		"mysql-create-with-transaction-block-doc-snippet.txt": {kind: KindRow, row: map[string]any{"pk": "2", "aa": "1",
			"_op": "c", "__transaction_id": "0e4d5dcd-a33b-11ea-80f1-02010a22a99e:10", "__total_order": "1"}},
	}
	for _, f := range conformanceFiles(t, "*.txt") {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			_, rawErr := u.Unwrap(b, Meta{})
			requireReason(t, rawErr, ReasonMalformedJSON) // as written, every snippet is not JSON
			w, ok := snippets[name]
			if !ok {
				t.Logf("%s is documented as not-JSON only (a key snippet with a missing comma)", name)
				return
			}
			r, err := u.Unwrap([]byte(repairSnippet(string(b))), Meta{})
			checkRow(t, w, r, err)
		})
	}
}

// TestSnapshotPositionsOrder checks the README's order check (1046 < 1356) byte-wise.
func TestConformancePositionOrder(t *testing.T) {
	u := mustNew(t, DefaultOptions())
	var pos []string
	for _, n := range []string{"tutorial-create-1005-schemas-enabled.json", "tutorial-create-1006-schemas-enabled.json"} {
		b, err := os.ReadFile(filepath.Join(conformanceFiles(t, n)[0]))
		require.NoError(t, err)
		r, err := u.Unwrap(b, Meta{})
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(r.Body, &m))
		pos = append(pos, m["_source_pos"].(string))
	}
	assert.Less(t, pos[0], pos[1])
}
