// Package schemas holds the table contracts of the bank database: one YAML file per table,
// embedded in the binary. They are the single source of truth for column types: the
// debezium_unwrap processor types values with them when Kafka Connect schemas are disabled,
// and the delta_lake output derives each Delta table's schema from them.
package schemas

import (
	"bytes"
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed *.yaml
var embedded embed.FS

// Table is one table's contract.
type Table struct {
	Name        string     `yaml:"table"`
	Database    string     `yaml:"database"`
	Description string     `yaml:"description"`
	PrimaryKey  []string   `yaml:"primary_key"`
	Partition   *Partition `yaml:"partition"`
	Columns     []Column   `yaml:"columns"`

	index map[string]int
}

// Partition derives a partition column from a source column. The only transform is "day",
// which takes the UTC date of a DATETIME/TIMESTAMP/DATE column.
type Partition struct {
	Column    string `yaml:"column"`
	Source    string `yaml:"source"`
	Transform string `yaml:"transform"`
}

// Column is one column. Nullable defaults to true, as in SQL.
type Column struct {
	Name        string  `yaml:"name"`
	Type        string  `yaml:"type"`
	Nullable    *bool   `yaml:"nullable"`
	PII         string  `yaml:"pii"`
	Description string  `yaml:"description"`
	SQL         SQLType `yaml:"-"`
}

// IsNullable reports whether the column accepts NULL.
func (c *Column) IsNullable() bool { return c.Nullable == nil || *c.Nullable }

// Parse decodes and validates a table contract. Errors name the file position or column.
func Parse(data []byte) (*Table, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var t Table
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("table schema: %w", err)
	}
	if t.Name == "" {
		return nil, fmt.Errorf("table schema: field 'table' is required")
	}
	if len(t.Columns) == 0 {
		return nil, fmt.Errorf("table schema %s: no columns", t.Name)
	}
	t.index = make(map[string]int, len(t.Columns))
	for i := range t.Columns {
		c := &t.Columns[i]
		if c.Name == "" {
			return nil, fmt.Errorf("table schema %s: column %d has no name", t.Name, i+1)
		}
		if IsReservedColumn(c.Name) {
			return nil, fmt.Errorf("table schema %s: column %q is reserved: LedgerFlow generates a column of that name (%s)", t.Name, c.Name, strings.Join(ReservedColumns, " "))
		}
		key := strings.ToLower(c.Name)
		if _, dup := t.index[key]; dup {
			return nil, fmt.Errorf("table schema %s: column %q declared twice", t.Name, c.Name)
		}
		st, err := ParseSQLType(c.Type)
		if err != nil {
			return nil, fmt.Errorf("table schema %s: column %s: %w", t.Name, c.Name, err)
		}
		c.SQL = st
		t.index[key] = i
	}
	for _, k := range t.PrimaryKey {
		c := t.Column(k)
		if c == nil {
			return nil, fmt.Errorf("table schema %s: primary key column %q is not a column", t.Name, k)
		}
		if c.IsNullable() {
			return nil, fmt.Errorf("table schema %s: primary key column %q must be 'nullable: false'", t.Name, k)
		}
	}
	if p := t.Partition; p != nil {
		if p.Transform != "day" {
			return nil, fmt.Errorf("table schema %s: partition transform %q is not supported (expected \"day\")", t.Name, p.Transform)
		}
		src := t.Column(p.Source)
		if src == nil {
			return nil, fmt.Errorf("table schema %s: partition source %q is not a column", t.Name, p.Source)
		}
		switch src.SQL.Kind {
		case KindDate, KindDateTime, KindTimestamp:
		default:
			return nil, fmt.Errorf("table schema %s: partition source %q is %s, expected DATE, DATETIME or TIMESTAMP", t.Name, p.Source, src.Type)
		}
		if p.Column == "" || t.Column(p.Column) != nil {
			return nil, fmt.Errorf("table schema %s: partition column %q must be a new column name", t.Name, p.Column)
		}
	}
	return &t, nil
}

// Column returns the named column (case-insensitive, as MySQL column names are), or nil.
func (t *Table) Column(name string) *Column {
	i, ok := t.index[strings.ToLower(name)]
	if !ok {
		return nil
	}
	return &t.Columns[i]
}

// Load reads a table contract. A bare name such as "transactions" (no slash, no extension)
// selects the contract embedded in the binary; anything else is a file path.
func Load(nameOrPath string) (*Table, error) {
	if !strings.ContainsAny(nameOrPath, `/\`) && filepath.Ext(nameOrPath) == "" {
		data, err := embedded.ReadFile(nameOrPath + ".yaml")
		if err != nil {
			return nil, fmt.Errorf("no embedded table schema %q (have %s)", nameOrPath, strings.Join(Names(), ", "))
		}
		return Parse(data)
	}
	data, err := os.ReadFile(nameOrPath)
	if err != nil {
		// Pipelines name "schemas/x.yaml" relative to the repository; a packaged binary run
		// elsewhere still has the embedded copy.
		if base := strings.TrimSuffix(filepath.Base(nameOrPath), ".yaml"); os.IsNotExist(err) && filepath.Base(filepath.Dir(nameOrPath)) == "schemas" {
			if d, e := embedded.ReadFile(base + ".yaml"); e == nil {
				return Parse(d)
			}
		}
		return nil, fmt.Errorf("table schema: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", nameOrPath, err)
	}
	return t, nil
}

// Names lists the embedded table contracts.
func Names() []string {
	entries, _ := embedded.ReadDir(".")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	return out
}
