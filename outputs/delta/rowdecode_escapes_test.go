package delta

import (
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/schemas"
)

func TestDecodeRowHandlesEscapesAndCase(t *testing.T) {
	tbl, err := schemas.Load("transactions")
	if err != nil {
		t.Fatal(err)
	}
	l, err := bronzeLayout(tbl, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"Transaction_ID": 9, "curr\u0065ncy": "E\u00dfR", "amount": "-0.50", "_op": "c", "_deleted": false, "_before": {"a": [1, 2]}}`)
	row, err := l.decodeRow(body, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	st := l.schema
	if row[st.Index("transaction_id")] != int64(9) || row[st.Index("currency")] != "EßR" ||
		row[st.Index("amount")].(interface{ String() string }).String() != "-0.50" || row[st.Index("_before")] != `{"a":[1,2]}` {
		t.Fatalf("row: %v", row)
	}
}
