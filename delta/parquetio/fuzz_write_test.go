package parquetio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// fuzzSrc turns the fuzzer's bytes into choices; once they run out, a generator seeded
// with a hash of them goes on, so a short input still makes a full file and stays
// reproducible.
type fuzzSrc struct {
	b   []byte
	pos int
	rng *rand.Rand
	big int // bytes of large values generated so far, to bound one input's memory
}

func newFuzzSrc(b []byte) *fuzzSrc {
	h := fnv.New64a()
	h.Write(b)
	return &fuzzSrc{b: b, rng: rand.New(rand.NewPCG(h.Sum64(), uint64(len(b))))}
}

func (f *fuzzSrc) byte1() byte {
	if f.pos >= len(f.b) {
		return byte(f.rng.Uint32())
	}
	f.pos++
	return f.b[f.pos-1]
}

func (f *fuzzSrc) u64() uint64 {
	var x uint64
	for range 8 {
		x = x<<8 | uint64(f.byte1())
	}
	return x
}

func (f *fuzzSrc) intn(n int) int {
	if n <= 1 {
		return 0
	}
	if n <= 256 {
		return int(f.byte1()) % n
	}
	return int(f.u64() % uint64(n))
}

var fuzzPrimitives = []schema.Type{schema.Boolean, schema.Byte, schema.Short, schema.Integer, schema.Long,
	schema.Float, schema.Double, schema.String, schema.Binary, schema.DateType, schema.Timestamp, schema.TimestampNTZ}

func (f *fuzzSrc) primitive() schema.Type {
	if k := f.intn(len(fuzzPrimitives) + 2); k < len(fuzzPrimitives) {
		return fuzzPrimitives[k]
	}
	p := 1 + f.intn(38)
	return schema.DecimalType{Precision: p, Scale: f.intn(p + 1)}
}

func (f *fuzzSrc) typ(depth int) schema.Type {
	if depth >= 2 {
		return f.primitive()
	}
	switch f.intn(8) {
	case 0:
		st := &schema.StructType{}
		for i := range 1 + f.intn(3) {
			st.Fields = append(st.Fields, schema.StructField{Name: fmt.Sprintf("f%d", i), Type: f.typ(depth + 1), Nullable: f.intn(2) == 0})
		}
		return st
	case 1:
		return &schema.ArrayType{ElementType: f.typ(depth + 1), ContainsNull: f.intn(2) == 0}
	case 2:
		return &schema.MapType{KeyType: f.primitive(), ValueType: f.typ(depth + 1), ValueContainsNull: f.intn(2) == 0}
	}
	return f.primitive()
}

var fuzzRunes = []string{"a", "Z", "0", " ", "\x00", "\n", "\"", "\\", "é", "€", "😈", "\uffff", "\U0010ffff", "\ufeff", "\x7f"}

// size picks a string/binary length: mostly short, sometimes around the 4096-byte footer
// limit, rarely up to 3 MB (one such value per input: the fuzzing engine calls an input
// that runs 10 s a hang, and loaded CI machines are slow).
func (f *fuzzSrc) size() int {
	switch k := f.intn(64); {
	case k == 0 && f.big == 0:
		n := f.intn(3 << 20)
		f.big += n
		return n
	case k < 4:
		return 4000 + f.intn(200)
	case k < 8:
		return 0
	}
	return f.intn(40)
}

func (f *fuzzSrc) text() string {
	n := f.size()
	if n > 64 {
		// Large values: seeded random printable ASCII with a multi-byte rune every 64
		// bytes, rather than fuzzer bytes.
		b := f.randomBytes(n)
		for i := range b {
			b[i] = ' ' + b[i]%95
		}
		for i := 0; i+4 <= len(b); i += 64 {
			copy(b[i:], "😈")
		}
		return string(b)
	}
	var b strings.Builder
	for range n {
		b.WriteString(fuzzRunes[f.intn(len(fuzzRunes))])
	}
	return b.String()
}

func (f *fuzzSrc) randomBytes(n int) []byte {
	b := make([]byte, n)
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], f.u64())
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

func (f *fuzzSrc) blob() []byte {
	n := f.size()
	if n > 64 {
		return f.randomBytes(n)
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = f.byte1()
	}
	return b
}

func (f *fuzzSrc) float() float64 {
	specials := []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 0, math.MaxFloat64, math.SmallestNonzeroFloat64, 1, -1}
	if k := f.intn(2 * len(specials)); k < len(specials) {
		return specials[k]
	}
	return math.Float64frombits(f.u64())
}

// maxMicros keeps timestamps inside the writer's ±290000-year range.
const maxMicros = 9_000_000_000_000_000_000

func (f *fuzzSrc) value(t schema.Type, nullable bool) any {
	if nullable && f.intn(5) == 0 {
		return nil
	}
	switch tt := t.(type) {
	case *schema.StructType:
		out := make([]any, len(tt.Fields))
		for i, fl := range tt.Fields {
			out[i] = f.value(fl.Type, fl.Nullable)
		}
		return out
	case *schema.ArrayType:
		out := []any{}
		for range f.intn(5) {
			out = append(out, f.value(tt.ElementType, tt.ContainsNull))
		}
		return out
	case *schema.MapType:
		out := []schema.MapEntry{}
		for range f.intn(4) {
			out = append(out, schema.MapEntry{Key: f.value(tt.KeyType, false), Value: f.value(tt.ValueType, tt.ValueContainsNull)})
		}
		return out
	case schema.DecimalType:
		var digits strings.Builder
		for range f.intn(tt.Precision + 1) {
			digits.WriteByte('0' + byte(f.intn(10)))
		}
		u, _ := new(big.Int).SetString("0"+digits.String(), 10)
		if f.intn(2) == 0 {
			u.Neg(u)
		}
		return schema.Decimal{Unscaled: u, Scale: tt.Scale}
	}
	switch t {
	case schema.Boolean:
		return f.intn(2) == 0
	case schema.Byte:
		return int8(f.byte1())
	case schema.Short:
		return int16(f.u64())
	case schema.Integer:
		return int32(f.u64())
	case schema.Long:
		return int64(f.u64())
	case schema.Float:
		return float32(f.float())
	case schema.Double:
		return f.float()
	case schema.String:
		return f.text()
	case schema.Binary:
		return f.blob()
	case schema.DateType:
		return schema.Date(int32(f.u64()))
	case schema.Timestamp, schema.TimestampNTZ:
		return time.UnixMicro(int64(f.u64()) % maxMicros).UTC()
	}
	panic(fmt.Sprintf("fuzz: no value for %s", t))
}

// fuzzEqual compares recursively: floats by bits, decimals by value.
func fuzzEqual(a, b any) bool {
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !fuzzEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case []schema.MapEntry:
		y, ok := b.([]schema.MapEntry)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !fuzzEqual(x[i].Key, y[i].Key) || !fuzzEqual(x[i].Value, y[i].Value) {
				return false
			}
		}
		return true
	}
	return sameValue(a, b)
}

// poison makes row unwritable, if the schema allows it: invalid UTF-8 in a string column
// or a null in a non-nullable one. It returns false when no column can be poisoned.
func poison(s *schema.StructType, row []any, f *fuzzSrc) bool {
	for i, fl := range s.Fields {
		if fl.Type == schema.String && f.intn(2) == 0 {
			row[i] = "bad\xff" + fmt.Sprint(f.byte1())
			return true
		}
		if !fl.Nullable {
			row[i] = nil
			return true
		}
	}
	return false
}

// checkFooterBytes fails when a value of a flat string/binary column lies outside the
// footer bounds of its row group.
func checkFooterBytes(t testing.TB, data []byte, s *schema.StructType, rows [][]any, rgRows int) {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("parquet-go (page index on) cannot open the file: %v", err)
	}
	for g, rg := range f.Metadata().RowGroups {
		for c, cc := range rg.Columns {
			st := cc.MetaData.Statistics
			if st.MinValue == nil || (s.Fields[c].Type != schema.String && s.Fields[c].Type != schema.Binary) {
				continue
			}
			for _, r := range rows[g*rgRows : min((g+1)*rgRows, len(rows))] {
				var v []byte
				switch x := r[c].(type) {
				case string:
					v = []byte(x)
				case []byte:
					v = x
				default:
					continue
				}
				if bytes.Compare(v, st.MinValue) < 0 || bytes.Compare(v, st.MaxValue) > 0 {
					t.Errorf("row group %d column %s: %s outside the footer bounds", g, s.Fields[c].Name, describe(r[c]))
				}
			}
		}
	}
}

// FuzzWriteRead writes random rows of a random schema (every Delta type this writer
// stores, nested structs, arrays and maps, nulls, strings and binary from empty to 4 MB,
// NaN/Inf/-0.0, extreme dates, timestamps and decimals) in random batches, row group sizes
// and codecs, sometimes with a batch the writer must refuse, and checks that our reader
// returns exactly the accepted rows, that arrow-go reads the file, and that add.stats and
// the footer's bounds hold every value.
func FuzzWriteRead(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x05\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a"))
	f.Add(bytes.Repeat([]byte{0x03, 0x80, 0xff, 0x00, 0x41}, 60))
	f.Add(bytes.Repeat([]byte{0x07, 0x00, 0x01, 0x02}, 200))
	r := rand.New(rand.NewPCG(7, 8))
	for range 4 {
		b := make([]byte, 600)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		src := newFuzzSrc(in)
		s := &schema.StructType{}
		for i := range 1 + src.intn(6) {
			s.Fields = append(s.Fields, schema.StructField{Name: fmt.Sprintf("c%d", i), Type: src.typ(0), Nullable: src.intn(3) > 0})
		}
		opts := WriterOptions{Compression: []string{"zstd", "snappy", "uncompressed"}[src.intn(3)], RowGroupRows: 1 + src.intn(100)}
		if src.intn(2) == 0 {
			opts.IndexedColumns = -1
		}
		var buf bytes.Buffer
		w, err := NewWriter(&buf, s, opts)
		if err != nil {
			t.Fatalf("schema %s: %v", s, err)
		}
		var want [][]any
		for range 1 + src.intn(4) {
			batch := make([][]any, src.intn(120))
			for i := range batch {
				batch[i] = make([]any, len(s.Fields))
				for c, fl := range s.Fields {
					batch[i][c] = src.value(fl.Type, fl.Nullable)
				}
			}
			bad := len(batch) > 0 && src.intn(8) == 0 && poison(s, batch[src.intn(len(batch))], src)
			err := w.Write(batch)
			switch {
			case bad && err == nil:
				t.Fatal("a batch with an invalid value was accepted")
			case bad:
				continue
			case err != nil:
				t.Fatalf("schema %s: valid batch refused: %v", s, err)
			}
			want = append(want, batch...)
		}
		st, err := w.Close()
		if err != nil {
			t.Fatal(err)
		}
		data := buf.Bytes()
		got, err := ReadFile(bytes.NewReader(data), int64(len(data)), s)
		if err != nil {
			t.Fatalf("schema %s: our reader refuses the file our writer wrote: %v", s, err)
		}
		if len(got) != len(want) || st.NumRecords != int64(len(want)) {
			t.Fatalf("wrote %d rows (numRecords %d), read %d", len(want), st.NumRecords, len(got))
		}
		for r := range want {
			for c := range want[r] {
				if !fuzzEqual(want[r][c], got[r][c]) {
					t.Fatalf("schema %s row %d column %s: got %s want %s", s, r, s.Fields[c].Name, describe(got[r][c]), describe(want[r][c]))
				}
			}
		}
		got = nil
		checkStatsBound(t, st, s, want)
		flat := true
		for _, fl := range s.Fields {
			switch fl.Type.(type) {
			case *schema.StructType, *schema.ArrayType, *schema.MapType:
				flat = false
			}
		}
		if flat {
			checkFooterFloats(t, data, s, want, opts.RowGroupRows)
			checkFooterBytes(t, data, s, want, opts.RowGroupRows)
		} else if _, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data))); err != nil {
			t.Fatalf("parquet-go (page index on) cannot open the file: %v", err)
		}
		if n := arrowReads(t, data); n != int64(len(want)) {
			t.Fatalf("arrow-go read %d rows, wrote %d", n, len(want))
		}
	})
}
