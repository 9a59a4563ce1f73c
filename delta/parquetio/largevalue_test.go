package parquetio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// bigText returns n bytes of pseudo-random printable ASCII (valid UTF-8 that zstd and
// snappy cannot shrink much, so a copy of it anywhere in a file shows in the file size).
func bigText(n int, seed uint64) string {
	b := bigBinary(n, seed)
	for i, c := range b {
		b[i] = ' ' + c%95
	}
	return string(b)
}

func bigBinary(n int, seed uint64) []byte {
	b := make([]byte, n)
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

// fileLayout is what the footer says about a file's size budget: the footer length and the
// largest page (header included) of any column.
type fileLayout struct {
	footer  int
	maxPage int64
	pages   int
}

func layoutOf(t testing.TB, data []byte) fileLayout {
	t.Helper()
	l := fileLayout{footer: int(binary.LittleEndian.Uint32(data[len(data)-8:]))}
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, oi := range f.OffsetIndexes() {
		for _, p := range oi.PageLocations {
			l.pages++
			l.maxPage = max(l.maxPage, int64(p.CompressedPageSize))
		}
	}
	return l
}

func checkRows(t testing.TB, label string, s *schema.StructType, want, got [][]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: read %d rows, wrote %d", label, len(got), len(want))
	}
	for r := range want {
		for c := range want[r] {
			if !equalValue(want[r][c], got[r][c]) {
				t.Fatalf("%s: row %d column %s: got %s want %s", label, r, s.Fields[c].Name, describe(got[r][c]), describe(want[r][c]))
			}
		}
	}
}

// TestHugeStringInShortColumn reproduces what the hostile-input probe saw (issue 10 §1.1):
// a 5 MB string in currency, among ordinary transactions, gave a file our own reader refused
// ("corrupt page header … length 5242880 exceeds the 16354 footer bytes left"). parquet-go
// copied the value into the data page header statistics (min_value and the deprecated
// max) and into the footer's column chunk statistics, so the file held the value three
// times and one page header was 10 MB; the reader's page-header check read a 16 KiB window
// and took the binary length running past it for a corrupt one.
func TestHugeStringInShortColumn(t *testing.T) {
	s := transactionsSchema(t)
	rows := transactionsRows(2000)
	huge := "ZZZ" + bigText(5<<20, 1) // the column's max
	rows[700][5] = huge
	for _, codec := range []string{"zstd", "snappy"} {
		data, st := writeFile(t, s, rows, WriterOptions{Compression: codec})
		got, err := ReadFile(bytes.NewReader(data), int64(len(data)), s)
		if err != nil {
			t.Fatalf("%s: our reader refuses the file our writer wrote: %v", codec, err)
		}
		checkRows(t, codec, s, rows, got)
		l := layoutOf(t, data)
		// The value is stored once (compressed, ~82% of its size): anything near twice its
		// size is a copy in a header or the footer.
		if len(data) > len(huge)+len(huge)/4 {
			t.Errorf("%s: %d-byte file for one %d-byte value: the value is stored more than once", codec, len(data), len(huge))
		}
		if l.footer > 64<<10 {
			t.Errorf("%s: footer of %d bytes: column statistics hold the huge value", codec, l.footer)
		}
		if mx, ok := st.MaxValues["currency"]; ok {
			t.Errorf("%s: add.stats max for currency %s, want it left out (longer than 32 characters)", codec, describe(mx))
		}
		if mn := st.MinValues["currency"]; mn != "EUR" {
			t.Errorf("%s: add.stats min for currency %s, want EUR", codec, describe(mn))
		}
	}
}

// largeSchema is a table with legitimately large columns: TEXT/JSON (string), BLOB
// (binary), a short key and a nullable string among them.
func largeSchema(t testing.TB) *schema.StructType {
	t.Helper()
	s, err := schema.Parse(`{"type":"struct","fields":[
	{"name":"id","type":"long","nullable":false,"metadata":{}},
	{"name":"body","type":"string","nullable":true,"metadata":{}},
	{"name":"blob","type":"binary","nullable":true,"metadata":{}},
	{"name":"doc","type":"string","nullable":false,"metadata":{}},
	{"name":"tags","type":{"type":"array","elementType":"string","containsNull":true},"nullable":true,"metadata":{}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// largeRows returns small rows with big values at the given row indexes: a string in body,
// binary in blob, a JSON document in doc and, every other one, a big list element.
func largeRows(n int, big map[int]int) [][]any {
	rows := make([][]any, n)
	for i := range rows {
		var body any
		if i%3 != 0 {
			body = fmt.Sprintf("note %d", i)
		}
		rows[i] = []any{int64(i), body, []byte{byte(i)}, fmt.Sprintf(`{"n":%d}`, i), []any{"a", nil}}
	}
	for i, size := range big {
		seed := uint64(i)
		rows[i][1] = bigText(size, seed)
		rows[i][2] = bigBinary(size, seed+1000)
		rows[i][3] = `{"payload":"` + bigText(size, seed+2000)[:size-14] + `"}`
		if i%2 == 0 {
			rows[i][4] = []any{bigText(size/2, seed+3000), nil, "x"}
		}
	}
	return rows
}

// TestLargeValuesRoundTrip writes TEXT/BLOB/JSON values of 1, 16 and 64 MB alone, among many
// small rows and several in one file, with zstd and snappy, and reads them back. Pages stay
// near one value plus parquet-go's page buffer (no page collecting 64 rows of 16 MB), the
// footer stays small and each value is stored once.
func TestLargeValuesRoundTrip(t *testing.T) {
	s := largeSchema(t)
	cases := []struct {
		name string
		n    int
		big  map[int]int
	}{
		{"1MB single row", 1, map[int]int{0: 1 << 20}},
		{"1MB among 5000 small rows", 5000, map[int]int{10: 1 << 20, 2500: 1 << 20, 4999: 1 << 20}},
		{"16MB single row", 1, map[int]int{0: 16 << 20}},
		{"several 16MB and 1MB among small rows", 300, map[int]int{0: 16 << 20, 1: 16 << 20, 2: 1 << 20, 150: 16 << 20, 299: 1 << 20}},
		{"64MB among small rows", 100, map[int]int{50: 64 << 20}},
	}
	for _, c := range cases {
		for _, codec := range []string{"zstd", "snappy"} {
			t.Run(c.name+"/"+codec, func(t *testing.T) {
				var total, largest int
				for _, size := range c.big {
					total += 3*size + size/2
					largest = max(largest, size)
				}
				if raceDetector && largest > 1<<20 {
					t.Skip("values over 1 MB under -race: minutes of instrumented encoding; parquetio starts no goroutines")
				}
				rows := largeRows(c.n, c.big)
				data, st := writeFile(t, s, rows, WriterOptions{Compression: codec})
				got, err := ReadFile(bytes.NewReader(data), int64(len(data)), s)
				if err != nil {
					t.Fatalf("our reader refuses the file our writer wrote: %v", err)
				}
				checkRows(t, codec, s, rows, got)
				got = nil
				l := layoutOf(t, data)
				if l.footer > 64<<10 {
					t.Errorf("footer of %d bytes: column statistics hold large values", l.footer)
				}
				if l.maxPage > int64(largest)+2<<20 {
					t.Errorf("largest page %d bytes for values of at most %d: rows of large values share pages", l.maxPage, largest)
				}
				if len(data) > total+total/4+1<<20 {
					t.Errorf("%d-byte file for %d bytes of large values: values stored more than once", len(data), total)
				}
				if st.NumRecords != int64(c.n) || st.NullCount["doc"] != 0 {
					t.Errorf("stats %s", st.JSON())
				}
				if len(st.JSON()) > 4096 {
					t.Errorf("add.stats of %d bytes", len(st.JSON()))
				}
			})
		}
	}
}

// TestLargeValueMemory bounds what writing and then reading one 64 MB value allocates: a few
// copies of the value (column buffer, encoded page, compressed page, the file itself) are
// expected, gigabytes are not.
func TestLargeValueMemory(t *testing.T) {
	if raceDetector {
		t.Skip("allocation figures under -race are the detector's")
	}
	s := largeSchema(t)
	const size = 64 << 20
	row := []any{int64(1), bigText(size, 7), nil, "{}", nil}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var buf bytes.Buffer
	buf.Grow(size + 1<<20)
	w, err := NewWriter(&buf, s, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write([][]any{row}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	written := after.TotalAlloc - before.TotalAlloc
	t.Logf("writing one 64 MB value allocated %d MB", written>>20)
	if written > 8*size {
		t.Errorf("writing one 64 MB value allocated %d MB", written>>20)
	}
	runtime.ReadMemStats(&before)
	got, err := ReadFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()), s)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	read := after.TotalAlloc - before.TotalAlloc
	t.Logf("reading it back allocated %d MB", read>>20)
	if got[0][1] != row[1] {
		t.Fatal("value differs")
	}
	if read > 6*size {
		t.Errorf("reading one 64 MB value allocated %d MB", read>>20)
	}
}

// TestReadsLargePageHeaderStatistics: files other writers made (and ledgerflow before
// issue 10) may carry a value's bounds in each page header. The page-header check read a
// 16 KiB window and called the file corrupt when a statistics length ran past it; it now
// skips binary fields without reading them.
func TestReadsLargePageHeaderStatistics(t *testing.T) {
	type row struct {
		ID   int64  `parquet:"id"`
		Text string `parquet:"text,optional"`
	}
	s, err := schema.Parse(`{"type":"struct","fields":[{"name":"id","type":"long","nullable":false,"metadata":{}},{"name":"text","type":"string","nullable":true,"metadata":{}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]any{{int64(1), "a"}, {int64(2), bigText(3<<20, 9)}, {int64(3), "z"}}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf, parquet.DataPageStatistics(true), parquet.DeprecatedDataPageStatistics(true))
	for _, r := range want {
		if _, err := w.Write([]row{{ID: r[0].(int64), Text: r[1].(string)}}); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil { // one page per row: the big value is a page's min and max
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()), s)
	if err != nil {
		t.Fatalf("a valid file with large page header statistics is refused: %v", err)
	}
	checkRows(t, "parquet-go file", s, want, got)
}
