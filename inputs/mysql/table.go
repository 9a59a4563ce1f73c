package mysql

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/ledgerflow/ledgerflow/debezium"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// column is one captured column as information_schema describes it, with what the encoder
// needs precomputed.
type column struct {
	name     string
	typ      schemas.SQLType
	colType  string // information_schema COLUMN_TYPE, for error messages
	nullable bool
	isPK     bool
	charText bool // TEXT family: the binlog sends bytes that are text
}

// table is the current shape of one captured table.
type table struct {
	db, name string
	cols     []column
	pk       []int // indexes into cols, in key order

	topic string
	enc   *debezium.Table // precomputed per table version: an event only appends payload bytes
}

func (t *table) id() string { return t.db + "." + t.name }

// loadTable reads a table's columns and primary key from information_schema. It fails
// when the table does not exist or a column type is one the encoder does not know.
func loadTable(conn *client.Conn, db, name string) (*table, error) {
	r, err := conn.Execute(`SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
		ORDER BY ORDINAL_POSITION`, db, name)
	if err != nil {
		return nil, fmt.Errorf("reading columns of %s.%s: %w", db, name, err)
	}
	defer r.Close()
	t := &table{db: db, name: name}
	for i := range r.Values {
		cname := str(r.Values[i][0])
		ctype := str(r.Values[i][1])
		st, err := schemas.ParseSQLType(ctype)
		if err != nil {
			return nil, fmt.Errorf("column %s.%s.%s: %w", db, name, cname, err)
		}
		c := column{
			name:     cname,
			typ:      st,
			colType:  ctype,
			nullable: strings.EqualFold(str(r.Values[i][2]), "YES"),
			charText: st.Kind == schemas.KindText || st.Kind == schemas.KindJSON,
		}
		t.cols = append(t.cols, c)
	}
	if len(t.cols) == 0 {
		return nil, fmt.Errorf("table %s.%s: not found in information_schema (dropped, or no SELECT privilege?)", db, name)
	}
	k, err := conn.Execute(`SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY'
		ORDER BY ORDINAL_POSITION`, db, name)
	if err != nil {
		return nil, fmt.Errorf("reading the primary key of %s.%s: %w", db, name, err)
	}
	defer k.Close()
	for i := range k.Values {
		kn := str(k.Values[i][0])
		for j := range t.cols {
			if t.cols[j].name == kn {
				t.cols[j].isPK = true
				t.pk = append(t.pk, j)
			}
		}
	}
	return t, nil
}

// listTables returns the base tables matching the include patterns, ordered by database
// and name (the order the snapshot reads them in).
func listTables(conn *client.Conn, f tableFilter) ([][2]string, error) {
	r, err := conn.Execute(`SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES
		WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME`)
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	defer r.Close()
	var out [][2]string
	for i := range r.Values {
		db, name := str(r.Values[i][0]), str(r.Values[i][1])
		if f.match(db, name) {
			out = append(out, [2]string{db, name})
		}
	}
	return out, nil
}

// tableFilter is the `tables` field: exact "db.table" names and "db.*" wildcards.
type tableFilter struct {
	exact map[string]bool
	dbs   map[string]bool
}

func parseTableFilter(entries []string) (tableFilter, error) {
	f := tableFilter{exact: map[string]bool{}, dbs: map[string]bool{}}
	for _, e := range entries {
		for _, p := range strings.Split(e, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			db, tbl, ok := strings.Cut(p, ".")
			if !ok || db == "" || tbl == "" || strings.Contains(tbl, ".") {
				return f, fmt.Errorf("tables: entry %q: expected db.table or db.*", p)
			}
			if tbl == "*" {
				f.dbs[db] = true
			} else {
				f.exact[db+"."+tbl] = true
			}
		}
	}
	if len(f.exact) == 0 && len(f.dbs) == 0 {
		return f, fmt.Errorf("tables: no table given; expected entries like bank.transactions or bank.*")
	}
	return f, nil
}

func (f tableFilter) match(db, name string) bool {
	return f.dbs[db] || f.exact[db+"."+name]
}

func str(v gomysql.FieldValue) string {
	switch x := v.Value().(type) {
	case []byte:
		return string(x)
	case string:
		return x
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

func itoa(n int) string { return strconv.Itoa(n) }
