package delta

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/delta/parquetio"
	"github.com/ledgerflow/ledgerflow/delta/schema"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// FuzzDecodedRowsAreWritable: whatever decodeRow accepts, the Parquet writer must accept too
// (and its partition values must format). A row it accepts that the writer refuses is a
// poison row: the batch only gets past it by bisection, and before there was bisection it
// stalled the partition for good.
func FuzzDecodedRowsAreWritable(f *testing.F) {
	tbl, err := schemas.Load("transactions")
	if err != nil {
		f.Fatal(err)
	}
	bronze, err := bronzeLayout(tbl, nil, true)
	if err != nil {
		f.Fatal(err)
	}
	silver, err := silverLayout(tbl, nil, nil, nil, true, true)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		txEvent(1, "1.00"),
		strings.Replace(txEvent(2, "2.00"), `"event_ts":"2024-03-01T10:00:00.123Z"`, `"event_ts":9223372036854775`, 1),
		strings.Replace(txEvent(3, "3.00"), `"channel":"online"`, "\"channel\":\"online\",\"device_id\":{\"a\":\"\xff\"}", 1),
		strings.Replace(txEvent(4, "4.00"), `"_deleted":false`, "\"_deleted\":false,\"_before\":{\"b\":\"\\ud800\"}", 1),
		strings.Replace(txEvent(5, "5.00"), `"created_at":"2024-03-01T10:00:00.123Z"`, `"created_at":"0001-01-01T00:00:00Z"`, 1),
		`{"transaction_id":"9","amount":1e2,"currency":"\u00e9\u00e9\u00e9","event_ts":-62135596800000,"_op":"c","_deleted":false}`,
		`{"transaction_id":1,"merchant_id":18446744073709551616,"amount":"-99999999999999999.99","_op":"d","_deleted":true}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, l := range []*layout{bronze, silver} {
			row, err := l.decodeRow(body, time.Unix(1714521600, 0))
			if err != nil {
				if reasonCode(err, "") == "" {
					t.Fatalf("decode error without a reason code: %v", err)
				}
				continue
			}
			for _, p := range l.partitions {
				i := l.schema.Index(p)
				if row[i] != nil && schema.FormatPartitionValue(row[i], l.schema.Fields[i].Type) == nil {
					t.Fatalf("partition %s: value %v does not format", p, row[i])
				}
			}
			// NOT NULL is the merge's to check (relaxNulls); the writer must take every value.
			st := &schema.StructType{Fields: append([]schema.StructField(nil), l.schema.Fields...)}
			for i := range st.Fields {
				st.Fields[i].Nullable = true
			}
			w, err := parquetio.NewWriter(io.Discard, st, parquetio.WriterOptions{Compression: "uncompressed"})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write([][]any{row}); err != nil {
				t.Fatalf("decodeRow accepted %q but the writer refuses the row: %v", body, err)
			}
			if _, err := w.Close(); err != nil {
				t.Fatalf("closing the file of %q: %v", body, err)
			}
		}
	})
}
