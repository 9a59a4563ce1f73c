package parquetio

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// logAction holds the parts of a Delta log action these tests read. The Delta library
// (package delta) has the real replay; these tests only need to know which schema and
// partition values a data file has, so they stay independent of it.
type logAction struct {
	MetaData *struct {
		SchemaString     string   `json:"schemaString"`
		PartitionColumns []string `json:"partitionColumns"`
	} `json:"metaData"`
	Add *struct {
		Path            string             `json:"path"`
		PartitionValues map[string]*string `json:"partitionValues"`
		Stats           string             `json:"stats"`
	} `json:"add"`
	Remove *struct {
		Path string `json:"path"`
	} `json:"remove"`
	Cdc *struct {
		Path string `json:"path"`
	} `json:"cdc"`
}

// eachLogAction calls fn for every line of the table's JSON commits, in version order, with
// the line decoded (err says when it is not a valid action). Compacted logs are skipped.
func eachLogAction(t *testing.T, table string, fn func(version int64, a *logAction, err error)) {
	t.Helper()
	commits, _ := filepath.Glob(filepath.Join(table, "_delta_log", "*.json"))
	sort.Strings(commits)
	for _, c := range commits {
		var version int64
		if _, err := fmt.Sscanf(filepath.Base(c), "%020d.json", &version); err != nil {
			continue
		}
		f, err := os.Open(c)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<26)
		for sc.Scan() {
			var a logAction
			err := json.Unmarshal(sc.Bytes(), &a)
			if err != nil {
				err = fmt.Errorf("%s: %w", c, err)
			}
			fn(version, &a, err)
		}
		f.Close()
	}
}
