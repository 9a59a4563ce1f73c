package tests

import (
	"context"
	"fmt"
	"math/big"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/inputs/mysql/mariadbtest"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// mdbNullText stands for SQL NULL in the canonical text of a cell; no generated value holds a NUL.
const mdbNullText = "\x00NULL"

// mdbTableImage is a table's rows in canonical text, by primary key.
type mdbTableImage struct {
	columns []string
	rows    map[int64][]string
}

// mdbSourceImage reads SELECT * of a MariaDB table. Cells are the server's own text (the text
// protocol: DECIMAL exactly as stored, DATETIME(3) as "YYYY-MM-DD HH:MM:SS.fff" in the
// server's zone, UTC here) brought to the canonical text of canonicalSource.
func mdbSourceImage(t *testing.T, srv *mariadbtest.Server, contract *schemas.Table) mdbTableImage {
	t.Helper()
	c := srv.Conn("")
	res, err := c.Execute("SELECT * FROM bank." + contract.Name)
	if err != nil {
		t.Fatalf("SELECT * FROM bank.%s: %v", contract.Name, err)
	}
	defer res.Close()
	img := mdbTableImage{rows: map[int64][]string{}}
	// The tables hold the pipeline's pii policies applied to the source (the same engine,
	// the key every ledgerflow of this package runs with).
	protect := newPIIProtector(t, contract.Name, piiKey)
	pk := -1
	for i, f := range res.Fields {
		img.columns = append(img.columns, string(f.Name))
		if string(f.Name) == contract.PrimaryKey[0] {
			pk = i
		}
	}
	if len(contract.PrimaryKey) != 1 || pk < 0 {
		t.Fatalf("bank.%s: expected the single-column primary key %v among %v", contract.Name, contract.PrimaryKey, img.columns)
	}
	for _, vals := range res.Values {
		row := make([]string, len(vals))
		for i, v := range vals {
			col := contract.Column(img.columns[i])
			if col == nil {
				t.Fatalf("bank.%s has column %s, which the contract does not", contract.Name, img.columns[i])
			}
			row[i] = mdbCanonicalSource(t, col, v)
			if row[i] != mdbNullText && protect.protects(col.Name) {
				row[i] = protect.value(t, col.Name, row[i]).(string)
			}
		}
		key, err := strconv.ParseInt(row[pk], 10, 64)
		if err != nil {
			t.Fatalf("bank.%s: key %q: %v", contract.Name, row[pk], err)
		}
		img.rows[key] = row
	}
	return img
}

// mdbCanonicalSource turns a MariaDB text-protocol cell into the canonical text: integers in
// decimal, decimals as the server prints them (scale digits, no exponent), DATETIME as
// RFC 3339 UTC with microseconds, DATE as YYYY-MM-DD, strings unchanged, TINYINT(1) as is.
func mdbCanonicalSource(t *testing.T, col *schemas.Column, v mysql.FieldValue) string {
	t.Helper()
	switch v.Type {
	case mysql.FieldValueTypeNull:
		return mdbNullText
	case mysql.FieldValueTypeSigned:
		return strconv.FormatInt(v.AsInt64(), 10)
	case mysql.FieldValueTypeUnsigned:
		return strconv.FormatUint(v.AsUint64(), 10)
	case mysql.FieldValueTypeString:
	default:
		t.Fatalf("column %s: unexpected MariaDB value type %v", col.Name, v.Type)
	}
	s := string(v.AsString())
	switch col.SQL.Kind {
	case schemas.KindDateTime, schemas.KindTimestamp:
		ts, err := time.ParseInLocation("2006-01-02 15:04:05.999999", s, time.UTC)
		if err != nil {
			t.Fatalf("column %s: MariaDB DATETIME %q: %v", col.Name, s, err)
		}
		return ts.Format("2006-01-02T15:04:05.000000Z")
	}
	return s
}

// mdbSilverImage reads the current rows of a silver table: every row of a type 1 table, the
// rows whose __end_at is null of a type 2 table. It fails the test when a key has two
// current rows. Cells are brought to the canonical text of canonicalSilver; columns that
// the source does not have (metadata, the derived partition) are left out.
func mdbSilverImage(t *testing.T, dir string, contract *schemas.Table, columns []string) (mdbTableImage, map[int64]map[string]string) {
	t.Helper()
	ctx := context.Background()
	snap, err := delta.OpenLocal(dir).Snapshot(ctx)
	if err != nil {
		t.Fatalf("silver %s: %v", dir, err)
	}
	st, err := snap.Schema()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := snap.Rows(ctx)
	if err != nil {
		t.Fatalf("silver %s: %v", dir, err)
	}
	idx := make([]int, len(columns))
	for i, c := range columns {
		if idx[i] = st.Index(c); idx[i] < 0 {
			t.Fatalf("silver %s has no column %s (schema %v)", dir, c, mdbFieldNames(st))
		}
	}
	pk := st.Index(contract.PrimaryKey[0])
	endAt := st.Index("__end_at")
	meta := []string{"_op", "_source_pos", "_kafka_partition", "_kafka_offset", "__start_at"}
	img := mdbTableImage{columns: columns, rows: map[int64][]string{}}
	metas := map[int64]map[string]string{}
	for _, r := range rows {
		if endAt >= 0 && r[endAt] != nil {
			continue
		}
		key, ok := r[pk].(int64)
		if !ok {
			t.Fatalf("silver %s: key %v is %T, expected int64", dir, r[pk], r[pk])
		}
		if _, dup := img.rows[key]; dup {
			t.Errorf("silver %s: key %d has two current rows", dir, key)
			continue
		}
		row := make([]string, len(columns))
		for i, j := range idx {
			row[i] = mdbCanonicalSilver(t, contract.Column(columns[i]), st.Fields[j].Type, r[j])
		}
		img.rows[key] = row
		m := map[string]string{}
		for _, c := range meta {
			if j := st.Index(c); j >= 0 {
				m[c] = fmt.Sprint(r[j])
			}
		}
		metas[key] = m
	}
	return img, metas
}

func mdbFieldNames(st *schema.StructType) []string {
	var n []string
	for _, f := range st.Fields {
		n = append(n, f.Name)
	}
	return n
}

// mdbCanonicalSilver turns a Delta cell (delta/schema's Go values) into the canonical text.
// Decimals must carry the column's scale, timestamps must be UTC, booleans stand for
// TINYINT(1) 0/1; a value of a Go type that does not fit the Delta type fails the test.
func mdbCanonicalSilver(t *testing.T, col *schemas.Column, dt schema.Type, v any) string {
	t.Helper()
	if v == nil {
		return mdbNullText
	}
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int16:
		return strconv.FormatInt(int64(x), 10)
	case int8:
		return strconv.FormatInt(int64(x), 10)
	case bool:
		if x {
			return "1"
		}
		return "0"
	case string:
		return x
	case schema.Decimal:
		if d, ok := dt.(schema.DecimalType); !ok || d.Scale != x.Scale {
			t.Fatalf("column %s: decimal %s with scale %d in a %v column", col.Name, x, x.Scale, dt)
		}
		if col.SQL.Kind == schemas.KindBigInt { // BIGINT UNSIGNED as DECIMAL(20,0)
			return new(big.Int).Set(x.Unscaled).String()
		}
		return x.String()
	case time.Time:
		if x.Location() != time.UTC {
			t.Fatalf("column %s: timestamp %v is not in UTC", col.Name, x)
		}
		return x.Format("2006-01-02T15:04:05.000000Z")
	case schema.Date:
		return x.String()
	}
	t.Fatalf("column %s: silver value %v of Go type %T (Delta type %v)", col.Name, v, v, dt)
	return ""
}

// mdbTableDiff compares a silver image with the source image and describes every difference,
// at most limit of them, with the silver row's metadata (op, source position, Kafka offset).
type mdbTableDiff struct {
	table            string
	missing, extra   []int64
	cellDiffs        int
	rowsWithDiffs    []int64
	lines            []string
	sourceRows, rows int
}

func (d *mdbTableDiff) ok() bool {
	return len(d.missing) == 0 && len(d.extra) == 0 && d.cellDiffs == 0
}

func mdbCompareImages(table string, src, silver mdbTableImage, metas map[int64]map[string]string, limit int) *mdbTableDiff {
	d := &mdbTableDiff{table: table, sourceRows: len(src.rows), rows: len(silver.rows)}
	addLine := func(format string, args ...any) {
		if len(d.lines) < limit {
			d.lines = append(d.lines, fmt.Sprintf(format, args...))
		}
	}
	keys := make([]int64, 0, len(src.rows))
	for k := range src.rows {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, k := range keys {
		s := src.rows[k]
		g, ok := silver.rows[k]
		if !ok {
			d.missing = append(d.missing, k)
			addLine("%s key %d: in MariaDB, not in silver: %s", table, k, mdbShowRow(src.columns, s))
			continue
		}
		differs := false
		for i, c := range src.columns {
			if s[i] != g[i] {
				d.cellDiffs++
				differs = true
				addLine("%s key %d column %s: MariaDB %q, silver %q (silver row %v)", table, k, c, mdbShow(s[i]), mdbShow(g[i]), metas[k])
			}
		}
		if differs {
			d.rowsWithDiffs = append(d.rowsWithDiffs, k)
		}
	}
	for k := range silver.rows {
		if _, ok := src.rows[k]; !ok {
			d.extra = append(d.extra, k)
		}
	}
	sort.Slice(d.extra, func(i, j int) bool { return d.extra[i] < d.extra[j] })
	for _, k := range d.extra {
		addLine("%s key %d: in silver, not in MariaDB (silver row %v)", table, k, metas[k])
	}
	return d
}

func mdbShow(s string) string {
	if s == mdbNullText {
		return "NULL"
	}
	return s
}

func mdbShowRow(cols, row []string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c + "=" + mdbShow(row[i])
	}
	return strings.Join(parts, " ")
}

// mdbBronzeHistory returns, for a few keys, every change event bronze holds for them in source
// order: op, source position, Kafka coordinates and the values of the given columns. It is
// what tells whether a wrong silver row came from the events (capture, unwrap) or from the
// merge.
func mdbBronzeHistory(t *testing.T, lake string, contract *schemas.Table, keys []int64, columns []string) string {
	t.Helper()
	ctx := context.Background()
	snap, err := delta.OpenLocal(filepath.Join(lake, "bronze", contract.Name)).Snapshot(ctx)
	if err != nil {
		return fmt.Sprintf("bronze %s: %v", contract.Name, err)
	}
	st, _ := snap.Schema()
	rows, err := snap.Rows(ctx)
	if err != nil {
		return fmt.Sprintf("bronze %s: %v", contract.Name, err)
	}
	want := map[int64]bool{}
	for _, k := range keys {
		want[k] = true
	}
	pk := st.Index(contract.PrimaryKey[0])
	cols := append([]string{"_source_pos", "_op", "_kafka_partition", "_kafka_offset"}, columns...)
	type ev struct {
		key  int64
		pos  string
		text string
	}
	var evs []ev
	for _, r := range rows {
		k, _ := r[pk].(int64)
		if !want[k] {
			continue
		}
		var parts []string
		for _, c := range cols {
			if j := st.Index(c); j >= 0 {
				v := r[j]
				if d, ok := v.(schema.Decimal); ok {
					v = d.String()
				}
				parts = append(parts, fmt.Sprintf("%s=%v", c, v))
			}
		}
		pos, _ := r[st.Index("_source_pos")].(string)
		evs = append(evs, ev{k, pos, strings.Join(parts, " ")})
	}
	sort.Slice(evs, func(i, j int) bool {
		if evs[i].key != evs[j].key {
			return evs[i].key < evs[j].key
		}
		return evs[i].pos < evs[j].pos
	})
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "  bronze %s key %d: %s\n", contract.Name, e.key, e.text)
	}
	return b.String()
}
