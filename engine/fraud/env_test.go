package fraud

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ledgerflow/ledgerflow/engine/fraud/money"
	"github.com/ledgerflow/ledgerflow/schemas"
)

// typesDescription has a tx column of every kind.
func typesDescription(t *testing.T) *Description {
	t.Helper()
	tab, err := schemas.Parse([]byte(`
table: t
columns:
  - { name: id, type: BIGINT, nullable: false }
  - { name: amount, type: "DECIMAL(18,2)" }
  - { name: rate, type: DOUBLE }
  - { name: name, type: VARCHAR(20) }
  - { name: flag, type: TINYINT(1) }
  - { name: at, type: DATETIME(6) }
  - { name: day, type: DATE }
  - { name: tod, type: TIME(6) }
  - { name: kind, type: "ENUM('a','b')" }
  - { name: year, type: YEAR }
`))
	require.NoError(t, err)
	d := NewDescription()
	require.NoError(t, d.AddContract(tab, "t.yaml", "at"))
	return d
}

func TestSetRowTypesEveryColumn(t *testing.T) {
	d := typesDescription(t)
	env := d.NewEnv()
	info, err := env.SetRow([]byte(` { "id": 42, "amount": "-1234.50", "rate": 1.5e2, "name": "caf\u00e9 \"x\"", "flag": true,
		"at": "2024-05-01T13:14:15.123456Z", "day": "2024-05-01", "tod": "-838:59:59.000001", "kind": "b", "year": 2024,
		"_op": "u", "_source_pos": "0000000003:00000000000000001541:000000", "_before": {"id": 42, "nested": [1, {"a": null}]},
		"unknown": [true, false, null, "x\\y", -0.5e-3], "_kafka_offset": 41 } `))
	require.NoError(t, err)
	assert.False(t, info.HasResult)
	assert.Equal(t, 42, env.Get("tx", "id"))
	assert.Equal(t, "-1234.50", env.Get("tx", "amount").(money.Money).String())
	assert.Equal(t, 150.0, env.Get("tx", "rate"))
	assert.Equal(t, `café "x"`, env.Get("tx", "name"))
	assert.Equal(t, true, env.Get("tx", "flag"))
	assert.Equal(t, time.Date(2024, 5, 1, 13, 14, 15, 123456000, time.UTC), env.Get("tx", "at"))
	assert.Equal(t, time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), env.Get("tx", "day"))
	assert.Equal(t, -(838*time.Hour + 59*time.Minute + 59*time.Second + time.Microsecond), env.Get("tx", "tod"))
	assert.Equal(t, "b", env.Get("tx", "kind"))
	assert.Equal(t, 2024, env.Get("tx", "year"))
	assert.Equal(t, "u", env.Get("tx", "op"))
	assert.Equal(t, "0000000003:00000000000000001541:000000", env.Get("tx", "source_pos"))
	env.derive()
	assert.Equal(t, env.Get("tx", "at"), env.Get("tx", "event_time"), "event_time mirrors the time column")
	assert.Equal(t, 13, env.Get("tx", "local_hour"))
}

func TestSetRowAcceptsNumbersForMoneyAndNullsAsMissing(t *testing.T) {
	d := typesDescription(t)
	env := d.NewEnv()
	_, err := env.SetRow([]byte(`{"amount": 12.5, "flag": 0, "name": null, "at": null}`))
	require.NoError(t, err)
	assert.Equal(t, "12.5", env.Get("tx", "amount").(money.Money).String(), "a JSON number is read exactly")
	assert.Equal(t, false, env.Get("tx", "flag"))
	assert.Nil(t, env.Get("tx", "name"))
	assert.Nil(t, env.slots[d.flat["tx.name"].idx], "null is a missing value")
}

func TestSetRowReportsBadValuesAndKeepsTheRest(t *testing.T) {
	d := typesDescription(t)
	env := d.NewEnv()
	_, err := env.SetRow([]byte(`{"id": 1.5, "amount": "12,50", "rate": "x", "name": 7, "flag": "yes", "at": "2024-13-01T00:00:00Z", "day": "2024-02-30", "tod": "1:2:3", "kind": "a"}`))
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		`tx.id: got "1.5", expected an integer`,
		`tx.amount: got "\"12,50\"", expected a decimal`,
		`tx.rate: got "\"x\"", expected a number`,
		`tx.name: got "7", expected a string`,
		`tx.flag: got "\"yes\"", expected a boolean`,
		`tx.at: got "\"2024-13-01T00:00:00Z\"", expected a time`,
		`tx.day: got "\"2024-02-30\"", expected a time`,
		`tx.tod: got "\"1:2:3\"", expected a TIME value`,
	} {
		assert.Contains(t, msg, want)
	}
	var fe *FieldError
	assert.ErrorAs(t, err, &fe)
	assert.Equal(t, "a", env.Get("tx", "kind"), "good columns are still read")
	assert.Nil(t, env.Get("tx", "amount"))
}

func TestSetRowRefusesWhatIsNotAJSONObject(t *testing.T) {
	d := typesDescription(t)
	for _, row := range []string{``, `[]`, `"x"`, `{`, `{"id"}`, `{"id":}`, `{"id":1,}`, `{"id":1 "x":2}`, `{"id":01}`,
		`{"id":1}x`, `{"id":"\x"}`, `{"id":"` + "\x01" + `"}`, `{"a":[1,2}`, `{"a":tru}`, `{"a":-}`, `{"a":1.}`, `{"a":1e}`,
		`{"a":"\u12"}`, `{` + strings.Repeat(`"a":[`, 100) + strings.Repeat("]", 100) + `}`} {
		_, err := d.NewEnv().SetRow([]byte(row))
		assert.Error(t, err, "%q", row)
		var fe *FieldError
		assert.False(t, err != nil && errorsAs(err, &fe), "%q is a syntax error, not a value error", row)
		assert.False(t, json.Valid([]byte(row)) && strings.HasPrefix(row, "{") && len(row) < 200, "%q is not a valid JSON object", row)
	}
	_, err := d.NewEnv().SetRow([]byte(`{}`))
	assert.NoError(t, err)
}

// errorsAs is errors.As for a *FieldError, which SetRow may join with others.
func errorsAs(err error, fe **FieldError) bool { return errors.As(err, fe) }

func TestAppendResultAddsMembersToTheRowBytes(t *testing.T) {
	r1 := &Rule{ID: "R1", Version: 2, Severity: "high", Weight: 40}
	res := &Result{Score: 40, Band: "review", Version: "0123456789abcdef",
		Hits: []Hit{{Rule: r1, Reason: "quote \" backslash \\ newline \n tab \t ctl \x01 bad utf8 \xff é"}}}
	row := []byte(`{"id":1,"amount":"12.00"}` + "\n")
	out, err := AppendResult(nil, row, res)
	require.NoError(t, err)
	require.True(t, json.Valid(out), "%s", out)
	assert.True(t, strings.HasPrefix(string(out), `{"id":1,"amount":"12.00","fraud_score":40,"fraud_band":"review","fraud_rules_hit":[{"id":"R1","version":2,"severity":"high","weight":40,"reason":`))
	var m map[string]any
	require.NoError(t, json.Unmarshal(out, &m))
	hit := m["fraud_rules_hit"].([]any)[0].(map[string]any)
	assert.Equal(t, "quote \" backslash \\ newline \n tab \t ctl \x01 bad utf8 \ufffd é", hit["reason"])
	assert.Equal(t, "0123456789abcdef", m["fraud_rules_version"])

	out, err = AppendResult(nil, []byte(` { } `), &Result{Band: "low"})
	require.NoError(t, err)
	assert.Equal(t, ` { "fraud_score":0,"fraud_band":"low","fraud_rules_hit":[],"fraud_rules_version":""}`, string(out))
	_, err = AppendResult(nil, []byte(`[1]`), res)
	assert.Error(t, err)
}

func TestRemoveResultKeepsTheOtherMembersAsTheyAre(t *testing.T) {
	d := typesDescription(t)
	row := []byte(`{"id":1,"fraud_score":5,"amount" : "1.50","fraud_rules_hit":[{"id":"X"}],"fraud_band":"low","x":{"fraud_score":1},"fraud_rules_version":"v"}`)
	info, err := d.NewEnv().SetRow(row)
	require.NoError(t, err)
	assert.True(t, info.HasResult)
	out, err := RemoveResult(row)
	require.NoError(t, err)
	assert.Equal(t, `{"id":1,"amount" : "1.50","x":{"fraud_score":1}}`, string(out))
	out, err = RemoveResult([]byte(`{"fraud_score":5}`))
	require.NoError(t, err)
	assert.Equal(t, `{}`, string(out))
}

func TestCoerceConvertsOrExplains(t *testing.T) {
	for _, c := range []struct {
		t    Type
		in   any
		want any
	}{
		{Int, int64(5), 5}, {Int, int32(-5), -5}, {Int, uint8(5), 5}, {Int, json.Number("12"), 12}, {Int, 3.0, 3},
		{MoneyT, "12.50", money.MustParse("12.50")}, {MoneyT, json.Number("1e2"), money.MustParse("100")}, {MoneyT, 7, money.FromInt(7)},
		{Float, 2, 2.0}, {Float, float32(0.5), 0.5}, {Float, json.Number("1.25"), 1.25},
		{String, []byte("x"), "x"}, {Bool, true, true},
		{Time, "2024-05-01T10:00:00+02:00", time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)},
		{Time, "2024-05-01 10:00:00.5", time.Date(2024, 5, 1, 10, 0, 0, 500000000, time.UTC)},
		{Time, time.Date(2024, 5, 1, 10, 0, 0, 0, time.FixedZone("x", 3600)), time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)},
		{Duration, "2d", 48 * time.Hour}, {Duration, "90s", 90 * time.Second},
		{ListOf(MoneyT), []money.Money{money.MustParse("1.00")}, []any{money.MustParse("1.00")}},
		{ListOf(MoneyT), []any{"1.00", "2"}, []any{money.MustParse("1.00"), money.MustParse("2")}},
		{ListOf(Float), []float64{1, 2}, []any{1.0, 2.0}},
		{Int, nil, nil},
	} {
		got, err := Coerce(c.t, c.in)
		require.NoError(t, err, "%s %#v", c.t, c.in)
		if m, ok := c.want.(money.Money); ok {
			assert.True(t, m.Equal(got.(money.Money)), "%s %#v", c.t, c.in)
			continue
		}
		if l, ok := c.want.([]any); ok {
			require.Len(t, got, len(l))
			for i := range l {
				if m, ok := l[i].(money.Money); ok {
					assert.True(t, m.Equal(got.([]any)[i].(money.Money)))
				} else {
					assert.Equal(t, l[i], got.([]any)[i])
				}
			}
			continue
		}
		assert.Equal(t, c.want, got, "%s %#v", c.t, c.in)
	}
	for _, c := range []struct {
		t   Type
		in  any
		msg string
	}{
		{Int, 1.5, "got float64"}, {Int, "5", "expected int"}, {Int, uint64(1 << 63), "expected int"},
		{MoneyT, 1.5, "a float is not exact"}, {MoneyT, "abc", "invalid decimal"},
		{String, 5, "expected string"}, {Bool, "true", "expected bool"}, {Time, "yesterday", "expected a time"},
		{Duration, "soon", "invalid duration"}, {ListOf(Int), []any{1, nil}, "element 1 is nil"},
		{ListOf(Int), []any{1, "x"}, "element 1"}, {ListOf(Int), 5, "expected list<int>"},
	} {
		_, err := Coerce(c.t, c.in)
		assert.ErrorContains(t, err, c.msg, "%s %#v", c.t, c.in)
	}
}

func TestCoerceKeepsTheCallersBox(t *testing.T) {
	list := []any{money.MustParse("1.00")}
	got, err := Coerce(ListOf(MoneyT), list)
	require.NoError(t, err)
	assert.Same(t, &list[0], &got.([]any)[0], "a conforming list is not copied")
	i, m := any(123456), any(money.MustParse("1.00"))
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = Coerce(Int, i)
		_, _ = Coerce(MoneyT, m)
	})
	assert.Zero(t, allocs)
}

func TestSetAndSetObject(t *testing.T) {
	d := testDescription(t)
	env := d.NewEnv()
	assert.ErrorContains(t, env.Set("acct", "nope", 1), "acct.nope: not a field of the environment")
	assert.ErrorContains(t, env.Set("acct", "balance", 1.5), "acct.balance: got float 1.5, expected money")
	err := env.SetObject("acct", map[string]any{"balance": "10.00", "count_1m": "x", "extra": 1})
	assert.ErrorContains(t, err, "acct.count_1m")
	assert.Equal(t, "10.00", env.Get("acct", "balance").(money.Money).String())
	assert.Nil(t, env.Get("acct", "count_1m"))
	assert.NoError(t, env.SetObject("dev", map[string]any{"x": 1}), "an object without declared fields ignores values")
	assert.ErrorContains(t, env.SetObject("nope", nil), "unknown object")
	require.NoError(t, env.Set("acct", "balance", nil))
	assert.Nil(t, env.Get("acct", "balance"))
	assert.Equal(t, map[string]any{"acct.balance": nil, "acct.currency": nil}, env.Values([]string{"acct.balance", "acct.currency"}))
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"1m": time.Minute, "24h": 24 * time.Hour, "400d": 400 * 24 * time.Hour, "1h30m": 90 * time.Minute} {
		got, err := ParseDuration(in)
		require.NoError(t, err)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "d", "1.5d", "x", "99999999d"} {
		_, err := ParseDuration(in)
		assert.Error(t, err, in)
	}
}
