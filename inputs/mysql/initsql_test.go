package mysql

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/ledgerflow/ledgerflow/inputs/mysql/mariadbtest"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// ddlColumn is a column as init.sql declares it.
type ddlColumn struct {
	name     string
	typ      schemas.SQLType
	nullable bool
}

type ddlTable struct {
	cols []ddlColumn
	pk   []string
}

var (
	createRe = regexp.MustCompile(`(?is)^CREATE TABLE(?: IF NOT EXISTS)?\s+` + "`?" + `(\w+)` + "`?" + `\s*\((.*)\)[^)]*$`)
	pkRe     = regexp.MustCompile(`(?i)^PRIMARY KEY\s*\(([^)]*)\)`)
)

// parseInitSQL reads the CREATE TABLE statements of init.sql: column name, type (the
// text up to NULL/NOT NULL/DEFAULT/…), nullability and the primary key.
func parseInitSQL(script string) (map[string]ddlTable, error) {
	out := map[string]ddlTable{}
	for _, stmt := range mariadbtest.SplitScript(script) {
		m := createRe.FindStringSubmatch(strings.TrimSpace(stmt))
		if m == nil {
			continue
		}
		var t ddlTable
		for _, line := range splitTopLevel(m[2]) {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			if pk := pkRe.FindStringSubmatch(line); pk != nil {
				for _, c := range strings.Split(pk[1], ",") {
					t.pk = append(t.pk, strings.Trim(strings.TrimSpace(c), "`"))
				}
				continue
			}
			upper := strings.ToUpper(line)
			if strings.HasPrefix(upper, "KEY ") || strings.HasPrefix(upper, "INDEX ") || strings.HasPrefix(upper, "UNIQUE ") ||
				strings.HasPrefix(upper, "CONSTRAINT ") || strings.HasPrefix(upper, "FOREIGN ") {
				continue
			}
			name, rest, _ := strings.Cut(line, " ")
			rest = strings.TrimSpace(rest)
			typeEnd := len(rest)
			for _, kw := range []string{" NOT NULL", " NULL", " DEFAULT", " PRIMARY KEY", " AUTO_INCREMENT", " COMMENT", " ON UPDATE"} {
				if i := strings.Index(strings.ToUpper(rest), kw); i >= 0 && i < typeEnd && !insideQuotes(rest, i) {
					typeEnd = i
				}
			}
			st, err := schemas.ParseSQLType(strings.TrimSpace(rest[:typeEnd]))
			if err != nil {
				return nil, fmt.Errorf("table %s column %s: %w", m[1], name, err)
			}
			nullable := !strings.Contains(strings.ToUpper(rest[typeEnd:]), "NOT NULL")
			t.cols = append(t.cols, ddlColumn{name: strings.Trim(name, "`"), typ: st, nullable: nullable})
		}
		out[m[1]] = t
	}
	return out, nil
}

// splitTopLevel splits a CREATE TABLE body at commas outside parentheses and quotes.
func splitTopLevel(s string) []string {
	var parts []string
	depth, start := 0, 0
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			inQuote = !inQuote
		case inQuote:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

func insideQuotes(s string, i int) bool { return strings.Count(s[:i], "'")%2 == 1 }

// TestInitSQLMatchesContracts: deploy/mysql/init.sql declares every contract table with the
// same columns in the same order, the same types, nullability and primary key, and grants
// the Debezium user what Debezium's MySQL connector documents.
func TestInitSQLMatchesContracts(t *testing.T) {
	raw, err := os.ReadFile(mariadbtest.InitSQLPath(t))
	if err != nil {
		t.Fatal(err)
	}
	tables, err := parseInitSQL(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range schemas.Names() {
		contract, err := schemas.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		if contract.Database != "bank" {
			t.Errorf("contract %s: database %q, init.sql creates bank", name, contract.Database)
		}
		ddl, ok := tables[contract.Name]
		if !ok {
			t.Errorf("init.sql has no CREATE TABLE %s", contract.Name)
			continue
		}
		if len(ddl.cols) != len(contract.Columns) {
			t.Errorf("%s: init.sql has %d columns, the contract %d", name, len(ddl.cols), len(contract.Columns))
		}
		for i := 0; i < len(ddl.cols) && i < len(contract.Columns); i++ {
			d, c := ddl.cols[i], contract.Columns[i]
			if d.name != c.Name {
				t.Errorf("%s column %d: init.sql %s, contract %s", name, i+1, d.name, c.Name)
				continue
			}
			if !reflect.DeepEqual(d.typ, c.SQL) {
				t.Errorf("%s.%s: init.sql type %+v, contract %s = %+v", name, c.Name, d.typ, c.Type, c.SQL)
			}
			if d.nullable != c.IsNullable() {
				t.Errorf("%s.%s: init.sql nullable %v, contract %v", name, c.Name, d.nullable, c.IsNullable())
			}
		}
		if !reflect.DeepEqual(ddl.pk, contract.PrimaryKey) {
			t.Errorf("%s: init.sql primary key %v, contract %v", name, ddl.pk, contract.PrimaryKey)
		}
	}
	if len(tables) != len(schemas.Names()) {
		t.Errorf("init.sql creates %d tables, there are %d contracts", len(tables), len(schemas.Names()))
	}
	grant := regexp.MustCompile(`(?i)GRANT\s+(.*?)\s+ON\s+\*\.\*\s+TO\s+'debezium'`).FindStringSubmatch(string(raw))
	if grant == nil {
		t.Fatal("init.sql grants nothing to 'debezium' on *.*")
	}
	for _, priv := range []string{"SELECT", "RELOAD", "SHOW DATABASES", "REPLICATION SLAVE", "REPLICATION CLIENT"} {
		if !strings.Contains(strings.ToUpper(grant[1]), priv) {
			t.Errorf("init.sql: the debezium user lacks %s (granted: %s)", priv, grant[1])
		}
	}
}

// TestParseInitSQLCatchesDrift makes sure the contract test can fail: a changed type,
// nullability, column or key is seen.
func TestParseInitSQLCatchesDrift(t *testing.T) {
	base := "CREATE TABLE x (\n  a BIGINT NOT NULL,\n  b DECIMAL(18,2) NULL,\n  c ENUM('p,q','r') NOT NULL,\n  PRIMARY KEY (a)\n);"
	got, err := parseInitSQL(base)
	if err != nil {
		t.Fatal(err)
	}
	x := got["x"]
	if len(x.cols) != 3 || x.cols[1].typ.Scale != 2 || !x.cols[1].nullable || x.cols[0].nullable ||
		!reflect.DeepEqual(x.cols[2].typ.Values, []string{"p,q", "r"}) || !reflect.DeepEqual(x.pk, []string{"a"}) {
		t.Fatalf("parsed %+v", x)
	}
}

// TestLiveSchemaMatchesContracts: what MariaDB reports in information_schema after loading
// init.sql (what the input encodes with) agrees with the contracts too.
func TestLiveSchemaMatchesContracts(t *testing.T) {
	srv := mariadbtest.Start(t)
	conn := srv.Conn("")
	for _, name := range schemas.Names() {
		contract, err := schemas.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		live, err := loadTable(conn, "bank", contract.Name)
		if err != nil {
			t.Fatal(err)
		}
		if len(live.cols) != len(contract.Columns) {
			t.Fatalf("%s: %d live columns, %d in the contract", name, len(live.cols), len(contract.Columns))
		}
		for i, c := range contract.Columns {
			l := live.cols[i]
			lt, ct := l.typ, c.SQL
			// information_schema shows display widths the contract leaves out (bigint(20)).
			if ct.Kind != schemas.KindChar && ct.Kind != schemas.KindVarchar && !ct.IsTinyIntOne() {
				lt.Length, ct.Length = 0, 0
			}
			if l.name != c.Name || !reflect.DeepEqual(lt, ct) || l.nullable != c.IsNullable() {
				t.Errorf("%s.%s: live %s %s nullable=%v, contract %s %s nullable=%v", name, c.Name, l.name, l.colType, l.nullable, c.Name, c.Type, c.IsNullable())
			}
		}
		var pk []string
		for _, i := range live.pk {
			pk = append(pk, live.cols[i].name)
		}
		if !reflect.DeepEqual(pk, contract.PrimaryKey) {
			t.Errorf("%s: live primary key %v, contract %v", name, pk, contract.PrimaryKey)
		}
	}
}
