package debezium

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ledgerflow/ledgerflow/schemas"
)

func FuzzUnwrap(f *testing.F) {
	for _, op := range []string{"c", "u", "d", "r"} {
		f.Add(txEvent(3, op, false))
		f.Add(txEvent(4, op, true))
	}
	f.Add([]byte(upd301))
	f.Add([]byte(deleteEvent()))
	f.Add(connectEvent(`{"type":"struct","name":"io.debezium.data.VariableScaleDecimal","field":"v"}`, `{"scale":3,"value":"98E="}`))
	f.Add(connectEvent(`{"type":"string","name":"io.debezium.time.ZonedTimestamp","field":"v"}`, `"2018-06-20T13:37:03.5+02:00"`))
	f.Add([]byte(`{"schema":null,"payload":null}`))
	f.Add([]byte(`{"op":"c","after":{"n":"\ud83d\ude00\u00e9"},` + okSource + `}`))
	if files, _ := filepath.Glob(filepath.Join(conformanceDir, "*")); len(files) > 0 {
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
				f.Add(b)
			}
		}
	}
	plain, err := New(DefaultOptions())
	if err != nil {
		f.Fatal(err)
	}
	tx, err := schemas.Load("transactions")
	if err != nil {
		f.Fatal(err)
	}
	o := DefaultOptions()
	o.Contracts = []*schemas.Table{tx}
	o.AddFields = []string{"op", "source.gtid", "transaction.id"}
	typed, err := New(o)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, u := range []*Unwrapper{plain, typed} {
			r, err := u.Unwrap(body, Meta{Topic: "t", HasTopic: true})
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("error %v is not an *Error", err)
				}
				continue
			}
			if r.Kind == KindRow && !r.Drop && !json.Valid(r.Body) {
				t.Fatalf("invalid JSON output %q for %q", r.Body, body)
			}
			// Again, now with this event's typing predicted: eager typing must agree.
			r2, err := u.Unwrap(body, Meta{Topic: "t", HasTopic: true})
			if err != nil || string(r2.Body) != string(r.Body) {
				t.Fatalf("second unwrap differs: %q vs %q (%v) for %q", r2.Body, r.Body, err, body)
			}
		}
	})
}
