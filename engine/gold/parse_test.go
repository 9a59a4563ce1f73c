package gold

import (
	"errors"
	"strings"
	"testing"

	"github.com/ledgerflow/ledgerflow/delta/schema"
)

const okHead = `table: t
source:
  table: transactions
group_by: [currency]
aggregates:
`

func TestParseErrorsNameLineColumnAndWhat(t *testing.T) {
	cases := []struct {
		name, src string
		line      int
		want      string
	}{
		{"unknown key", "table: t\nsourcee: {}\n", 2, `unknown key "sourcee"`},
		{"no source", "table: t\ngroup_by: [currency]\naggregates: [{name: n, count: \"*\"}]\n", 1, "source is required"},
		{"unknown contract", "table: t\nsource:\n  table: ledger\ngroup_by: [currency]\naggregates: [{name: n, count: \"*\"}]\n", 3, `contract "ledger"`},
		{"bad table name", "table: Agg-Daily\nsource: {table: transactions}\ngroup_by: [currency]\naggregates: [{name: n, count: \"*\"}]\n", 1, "table name"},
		{"unknown column", okHead + "  - name: n\n    count: \"*\"\n    where: statuss == \"failed\"\n", 8, "unknown name statuss"},
		{"enum typo", okHead + "  - name: n\n    count: \"*\"\n    where: status == \"complete\"\n", 8, `"complete" is not a value of status (ENUM: pending, completed, failed, reversed)`},
		{"enum typo in a list", okHead + "  - name: n\n    count: \"*\"\n    where: transaction_type in [\"purchase\", \"refnd\"]\n", 8, `"refnd" is not a value of transaction_type`},
		{"float sum", "table: t\nsource:\n  table: transactions\n  columns: [{name: score, type: DOUBLE}]\ngroup_by: [currency]\naggregates:\n  - {name: s, sum: score}\n", 7, "money is never a float"},
		{"ratio without type", okHead + "  - {name: a, count: \"*\"}\n  - name: r\n    ratio: {numerator: a, denominator: a}\n", 8, "a ratio needs a type"},
		{"ratio of a later aggregate", okHead + "  - name: r\n    ratio: {numerator: a, denominator: a}\n    type: DOUBLE\n  - {name: a, count: \"*\"}\n", 7, "unknown name a"},
		{"duplicate name", okHead + "  - {name: currency, count: \"*\"}\n", 6, `"currency" is already an output column`},
		{"two functions", okHead + "  - {name: n, count: \"*\", sum: amount}\n", 6, "exactly one function"},
		{"sum rounded", okHead + "  - {name: s, sum: amount, type: \"DECIMAL(38,1)\"}\n", 6, "the sum would be rounded"},
		{"decimal expr without type", okHead + "  - {name: s, sum: amount * 2}\n", 6, "needs a type: DECIMAL(p,s)"},
		{"keep on a sum", okHead + "  - {name: s, sum: amount, keep: 3}\n", 6, "keep applies to min and max only"},
		{"now is disabled", okHead + "  - {name: m, max: now()}\n", 6, "unknown name now"},
		{"where must be bool", okHead + "  - {name: n, count: \"*\", where: amount}\n", 6, "bool"},
		{"backfill_by not a date", "table: t\nsource: {table: transactions}\nbackfill_by: currency\ngroup_by: [currency]\naggregates: [{name: n, count: \"*\"}]\n", 3, "must be a DATE"},
		{"float group", "table: t\nsource:\n  table: transactions\n  columns: [{name: score, type: DOUBLE}]\ngroup_by: [score]\naggregates: [{name: n, count: \"*\"}]\n", 5, "a float cannot be a group key"},
		{"block expression error", okHead + "  - name: n\n    count: \"*\"\n    where: |\n      status == \"failed\" &&\n      amount >< 3\n", 10, "amount"},
		{"yaml syntax", "table: t\nsource: [\n", 2, "did not find expected node content"},
		{"empty", "", 1, "empty declaration"},
		{"ratio type text", okHead + "  - {name: a, count: \"*\"}\n  - {name: r, ratio: {numerator: a, denominator: a}, type: \"DECIMAL(40,2)\"}\n", 7, "1 <= p <= 38"},
		{"merge key", okHead + "  - &x {name: a, count: \"*\"}\n  - {<<: *x, name: b}\n", 7, "merge keys"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.src), "x.yaml")
			if err == nil {
				t.Fatalf("parsed:\n%s", c.src)
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error is %T, want Errors: %v", err, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) {
				t.Fatalf("error %q does not say %q", msg, c.want)
			}
			found := false
			for _, e := range es {
				if e.Line == c.line && strings.Contains(e.Error(), c.want) {
					found = true
				}
			}
			if !found {
				t.Fatalf("no error at line %d saying %q: %v", c.line, c.want, msg)
			}
			if !strings.HasPrefix(msg, "x.yaml:") {
				t.Fatalf("error does not start with the file: %q", msg)
			}
		})
	}
}

func TestParseReportsEveryProblemOfAFile(t *testing.T) {
	src := okHead + "  - {name: a, count: \"*\", where: status == \"complete\"}\n  - {name: b, sum: amount, keep: 2}\n  - {name: c, min: nope}\n"
	_, err := Parse([]byte(src), "x.yaml")
	var es Errors
	if !errors.As(err, &es) || len(es) != 3 {
		t.Fatalf("want 3 errors, got %v", err)
	}
}

func TestShippedDeclarationsCompileWithTheirOutputTypes(t *testing.T) {
	want := map[string]string{
		"agg_daily_volume":   "struct<event_date:date,currency:string,txn_count:long,completed_count:long,failed_count:long,pending_count:long,reversed_count:long,attempted_volume:decimal(38,2),gross_volume:decimal(38,2),failed_volume:decimal(38,2),failure_rate:decimal(9,6)>",
		"agg_merchant_daily": "struct<event_date:date,merchant_id:long,txn_count:long,completed_count:long,failed_count:long,gross_volume:decimal(38,2),avg_ticket:decimal(22,6),failure_rate:decimal(9,6),unique_customers:long,refund_count:long,refund_amount:decimal(38,2),fraud_alert_count:long>",
		"agg_customer_ltv":   "struct<customer_id:long,currency:string,first_txn_ts:timestamp,last_txn_ts:timestamp,txn_count:long,completed_count:long,ltv_gross:decimal(38,2),refunds_amount:decimal(38,2),ltv_net:decimal(38,2)>",
	}
	if got := strings.Join(Names(), ","); got != "agg_customer_ltv,agg_daily_volume,agg_merchant_daily" {
		t.Fatalf("shipped: %s", got)
	}
	for name, w := range want {
		d := mustLoad(t, name)
		if got := d.OutputSchema().String(); got != w {
			t.Errorf("%s:\n got  %s\n want %s", name, got, w)
		}
	}
	if _, err := Load("agg_nope"); err == nil || !strings.Contains(err.Error(), "agg_daily_volume") {
		t.Fatalf("unknown name: %v", err)
	}
}

func TestBindNamesAMissingOrMistypedSilverColumn(t *testing.T) {
	d := mustLoad(t, "agg_merchant_daily")
	st := d.DefaultSchema()
	var without schema.StructType
	for _, f := range st.Fields {
		if f.Name != "fraud_alert_count" {
			without.Fields = append(without.Fields, f)
		}
	}
	if _, err := d.Bind(&without); err == nil || !strings.Contains(err.Error(), `no column "fraud_alert_count"`) {
		t.Fatalf("missing column: %v", err)
	}
	mistyped := &schema.StructType{Fields: append([]schema.StructField(nil), st.Fields...)}
	mistyped.Fields[mistyped.Index("amount")].Type = schema.DecimalType{Precision: 18, Scale: 4}
	if _, err := d.Bind(mistyped); err == nil || !strings.Contains(err.Error(), "amount is DECIMAL(18,4), the declaration was checked against DECIMAL(18,2)") {
		t.Fatalf("mistyped column: %v", err)
	}
	// Columns in another order than the default layout bind by name.
	reordered := &schema.StructType{Fields: append([]schema.StructField(nil), st.Fields...)}
	f := reordered.Fields
	f[0], f[len(f)-1] = f[len(f)-1], f[0]
	if _, err := d.Bind(reordered); err != nil {
		t.Fatal(err)
	}
}

// A ratio compiles against the aggregates declared before it; the environment it later runs
// in must hold every aggregate (it once kept the shorter struct, and writing the later
// aggregates ran past its end).
func TestAggregateEnvironmentHoldsEveryAggregate(t *testing.T) {
	d := mustLoad(t, "agg_daily_volume")
	s := NewState(mustBind(t, d))
	if n := d.aggSpec.structType().NumField(); n != len(d.Aggregates) || len(s.aggEnv.slots) != n {
		t.Fatalf("environment has %d fields and %d slots for %d aggregates", n, len(s.aggEnv.slots), len(d.Aggregates))
	}
}
