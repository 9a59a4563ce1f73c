package pii

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// customerRow is a customers row as debezium_unwrap writes it.
const customerRow = `{"customer_id":7,"first_name":"Ada","last_name":"Lovelace","email":"ada@example.org","phone":"+44 20 7946 0958","date_of_birth":"1815-12-10","country":"GB","kyc_status":"verified","risk_rating":20,"created_at":"2024-05-01T00:00:00.000000Z","updated_at":null,"_op":"c","_source_ts":"2024-05-01T00:00:01.000Z","_source_pos":"0000000001:00000000000000000004:000000","_source_gtid":null,"_source_file":"mysql-bin.000001","_snapshot":"false","_deleted":false,"_source_table":"bank.customers","_kafka_topic":"bank_server.bank.customers","_kafka_partition":0,"_kafka_offset":41}`

func TestApplyCustomersRow(t *testing.T) {
	e := engine(t, "customers", customerPolicies)
	out, err := e.Apply([]byte(customerRow))
	require.NoError(t, err)
	in, got := members(t, []byte(customerRow)), members(t, out)
	require.Len(t, got, len(in), "no member added or lost")
	for i := range in {
		assert.Equal(t, in[i].key, got[i].key, "order kept")
		switch in[i].key {
		case "email":
			assert.Equal(t, `"`+openssl["ada@example.org"]+`"`, string(got[i].val))
		case "phone":
			assert.Equal(t, `"`+openssl["+44 20 7946 0958"]+`"`, string(got[i].val))
		case "date_of_birth":
			assert.Equal(t, `"1815-01-01"`, string(got[i].val))
		default:
			assert.Equal(t, string(in[i].val), string(got[i].val), "%s is copied as is", in[i].key)
		}
	}
	assert.NotContains(t, string(out), "ada@example.org")
	assert.NotContains(t, string(out), "7946")
	assert.NotContains(t, string(out), "12-10")
	assert.Equal(t, customerRow, string(mustApply(t, engine(t, "customers", allKeep), customerRow)), "all keep: byte-identical")
}

var allKeep = map[string]string{"first_name": "keep", "last_name": "keep", "email": "keep", "phone": "keep", "date_of_birth": "keep"}

func mustApply(t *testing.T, e *Engine, row string) []byte {
	t.Helper()
	out, err := e.Apply([]byte(row))
	require.NoError(t, err, "%s", row)
	require.True(t, json.Valid(out), "%s", out)
	return out
}

// An update carries the before image: the same policies apply inside it.
func TestApplyUpdateWithBefore(t *testing.T) {
	e := engine(t, "customers", customerPolicies)
	row := `{"customer_id":7,"email":"ada@example.org","phone":null,"date_of_birth":"1815-12-10","_op":"u","_before":{"customer_id":7,"email":"é","phone":"5551234","date_of_birth":"1815-12-11"},"_source_table":"bank.customers"}`
	out := mustApply(t, e, row)
	before, ok := get(t, out, "_before")
	require.True(t, ok)
	assert.JSONEq(t, `{"customer_id":7,"email":"`+openssl["é"]+`","phone":"`+openssl["5551234"]+`","date_of_birth":"1815-01-01"}`, string(before))
	v, _ := get(t, out, "phone")
	assert.Equal(t, "null", string(v), "null stays null")

	for _, b := range []string{`null`, `{}`} {
		out := mustApply(t, e, `{"email":"x","_before":`+b+`}`)
		v, _ := get(t, out, "_before")
		assert.Equal(t, b, string(v))
	}
	// _before is reserved for the before image: anything else is refused, not copied.
	_, err := e.Apply([]byte(`{"email":"x","_before":"ada@example.org"}`))
	assertReason(t, err, ReasonMalformedJSON)
	assert.NotContains(t, err.Error(), "ada@")
}

// A delete is the before image flagged deleted: it is protected like any row.
func TestApplyDelete(t *testing.T) {
	e := engine(t, "customers", customerPolicies)
	out := mustApply(t, e, `{"customer_id":7,"first_name":"Ada","email":"ada@example.org","date_of_birth":"1815-12-10","_op":"d","_deleted":true}`)
	assert.JSONEq(t, `{"customer_id":7,"first_name":"Ada","email":"`+openssl["ada@example.org"]+`","date_of_birth":"1815-01-01","_op":"d","_deleted":true}`, string(out))
}

func TestApplyAbsentAndNullColumns(t *testing.T) {
	e := engine(t, "customers", customerPolicies)
	row := `{"customer_id":7,"email":null,"_op":"c"}`
	assert.Equal(t, row, string(mustApply(t, e, row)))
	assert.Equal(t, `{}`, string(mustApply(t, e, `{}`)))
	assert.Equal(t, `{}`, string(mustApply(t, e, ` { } `)))
}

func TestApplyDrop(t *testing.T) {
	e := engine(t, "customers", map[string]string{"first_name": "keep", "last_name": "keep", "email": "hash", "phone": "drop", "date_of_birth": "drop"})
	cases := map[string]string{
		`{"phone":"1","customer_id":7}`:                           `{"customer_id":7}`,
		`{"customer_id":7,"phone":"1"}`:                           `{"customer_id":7}`,
		`{"customer_id":7,"phone":"1","country":"GB"}`:            `{"customer_id":7,"country":"GB"}`,
		`{"phone":"1"}`:                                           `{}`,
		`{"phone":null,"date_of_birth":"1990-05-17"}`:             `{}`,
		`{"phone":{"nested":[1,2]},"x":1}`:                        `{"x":1}`,
		`{"x":1,"_before":{"phone":"1","date_of_birth":null}}`:    `{"x":1,"_before":{}}`,
		`{ "x" : 1 , "phone" : "1" , "y" : [ 1 , 2 ] }`:           `{"x" : 1,"y" : [ 1 , 2 ]}`, // members are copied as written
		`{"x":1,"_before":{"a":1,"phone":"2","b":2},"phone":"3"}`: `{"x":1,"_before":{"a":1,"b":2}}`,
	}
	for in, want := range cases {
		assert.Equal(t, want, string(mustApply(t, e, in)), in)
	}
}

// Unicode: a value hashes the same whether the JSON escapes it or not, and like any JSON
// reader decodes it (invalid surrogates become U+FFFD, as encoding/json does).
func TestApplyUnicode(t *testing.T) {
	e := engine(t, "customers", customerPolicies)
	for _, in := range []string{`"é"`, `"\u00e9"`, `"\u00E9"`} {
		v, _ := get(t, mustApply(t, e, `{"email":`+in+`}`), "email")
		assert.Equal(t, `"`+openssl["é"]+`"`, string(v), in)
	}
	for in, text := range map[string]string{
		`"\ud83d\ude00"`:   "😀",
		`"😀"`:              "😀",
		`"\ud83d"`:         "\uFFFD",
		`"\ud83dx"`:        "\uFFFDx",
		`"\ude00\ud83d"`:   "\uFFFD\uFFFD",
		`"a\"b\\c\/d\n\t"`: "a\"b\\c/d\n\t",
		`"` + "\xff" + `"`: "\uFFFD",
	} {
		var std string
		require.NoError(t, json.Unmarshal([]byte(in), &std))
		require.Equal(t, text, std, "the test agrees with encoding/json")
		v, _ := get(t, mustApply(t, e, `{"email":`+in+`}`), "email")
		assert.Equal(t, `"`+refHash(testKey, text)+`"`, string(v), in)
	}
	// Names are unicode too (MySQL allows it) and matched case-insensitively.
	out := mustApply(t, engine(t, "customers", customerPolicies), `{"EMAIL":"ada@example.org","Date_Of_Birth":"1990-05-17","\u0070hone":"5551234"}`)
	assert.JSONEq(t, `{"EMAIL":"`+openssl["ada@example.org"]+`","Date_Of_Birth":"1990-01-01","phone":"`+openssl["5551234"]+`"}`, string(out))
	assert.Contains(t, string(out), `"\u0070hone":`, "the key is copied as written")
}

// A repeated member cannot smuggle a clear value past the policy: every copy is treated.
func TestApplyRepeatedKeys(t *testing.T) {
	e := engine(t, "customers", customerPolicies)
	out := mustApply(t, e, `{"email":"ada@example.org","Email":"ada@example.org","email":"é"}`)
	assert.Equal(t, `{"email":"`+openssl["ada@example.org"]+`","Email":"`+openssl["ada@example.org"]+`","email":"`+openssl["é"]+`"}`, string(out))
}

func TestApplyNonStringValues(t *testing.T) {
	e := engine(t, "customers", map[string]string{"first_name": "mask", "last_name": "keep", "email": "hash", "phone": "mask", "date_of_birth": "year", "created_at": "year"})
	// Numbers and booleans in a string column are their JSON text.
	out := mustApply(t, e, `{"email":5551234,"phone":5551234,"first_name":true}`)
	assert.Equal(t, `{"email":"`+openssl["5551234"]+`","phone":"***34","first_name":"t***"}`, string(out), "true is the text true")
	// Dates as numbers: days since 1970 for DATE, epoch ms for DATETIME (the forms delta_lake reads).
	out = mustApply(t, e, `{"date_of_birth":7441,"created_at":642938472345}`)
	assert.Equal(t, `{"date_of_birth":7305,"created_at":631152000000}`, string(out))

	for in, reason := range map[string]Reason{
		`{"email":{"a":"ada@example.org"}}`:            ReasonTypeMismatch,
		`{"email":["ada@example.org"]}`:                ReasonTypeMismatch,
		`{"phone":{}}`:                                 ReasonTypeMismatch,
		`{"date_of_birth":true}`:                       ReasonTypeMismatch,
		`{"date_of_birth":"1815-12-1x"}`:               ReasonInvalidValue,
		`{"date_of_birth":1.5}`:                        ReasonInvalidValue,
		`{"created_at":"2024-05-01"}`:                  ReasonInvalidValue,
		`{"x":1,"_before":{"date_of_birth":"17 May"}}`: ReasonInvalidValue,
	} {
		out, err := e.Apply([]byte(in))
		assertReason(t, err, reason)
		assert.Nil(t, out)
		assert.NotContains(t, err.Error(), "ada@example.org", "the value is withheld")
		assert.NotContains(t, err.Error(), "17 May")
	}
	_, err := e.Apply([]byte(`{"x":1,"_before":{"date_of_birth":"17 May"}}`))
	assert.Contains(t, err.Error(), "column _before.date_of_birth (policy year): got a string of 6 characters (value withheld: personal data): expected a date")
}

func TestApplyMaskFallbackIsCounted(t *testing.T) {
	p, err := NewPlan(load(t, "transactions"), map[string]string{"ip_address": "mask", "device_id": "hash"})
	require.NoError(t, err)
	var fell []string
	e, err := NewEngine(p, []byte(testKey), func(c string) { fell = append(fell, c) })
	require.NoError(t, err)
	row := `{"transaction_id":1,"device_id":"dev-42","ip_address":"192.168.1.77","_before":{"ip_address":"not an ip","device_id":null}}`
	assert.Equal(t, `{"transaction_id":1,"device_id":"`+openssl["dev-42"]+`","ip_address":"192.168.1.0","_before":{"ip_address":"***","device_id":null}}`, string(mustApply(t, e, row)))
	assert.Equal(t, []string{"ip_address"}, fell)
}

// A row of another table than the contract's must not pass: its personal data may be in
// columns the policies do not name.
func TestApplyRefusesAnotherTable(t *testing.T) {
	e := engine(t, "customers", customerPolicies)
	for _, ok := range []string{`"bank.customers"`, `"BANK.Customers"`, `"customers"`, `null`, `"bank.dbo.customers"`} {
		mustApply(t, e, `{"email":"x","_source_table":`+ok+`}`)
	}
	for _, bad := range []string{`"bank.transactions"`, `"other.customers"`, `"bank.customers_v2"`} {
		_, err := e.Apply([]byte(`{"email":"x","_source_table":` + bad + `}`))
		assertReason(t, err, ReasonTableMismatch)
		assert.Contains(t, err.Error(), "expected bank.customers")
	}
}

func TestApplyMalformed(t *testing.T) {
	e := engine(t, "customers", customerPolicies)
	for _, in := range []string{``, `null`, `[]`, `"x"`, `{`, `{"email"`, `{"email":}`, `{"email":"x"`, `{"email":"x",}`, `{"a":1}{}`, `{"a":1} x`,
		`{"a":tru}`, `{"a":01}`, `{"a":1.}`, `{"a":"\x"}`, "{\"a\":\"\x01\"}", `{"a":{"b":1]}`, `{a:1}`, `{"a":1,"_before":{"email":}}`,
		`{"a":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}`,
		"{}\x00", "{\"a\":1}\x00", // a NUL after the object is data, not the end (found by FuzzApply)
	} {
		out, err := e.Apply([]byte(in))
		assertReason(t, err, ReasonMalformedJSON)
		assert.Nil(t, out, in)
	}
	mustApply(t, e, " {\"a\":1}\n")
}

func assertReason(t *testing.T, err error, want Reason) {
	t.Helper()
	var e *Error
	if assert.True(t, errors.As(err, &e), "error %v is a *pii.Error", err) {
		assert.Equal(t, want, e.Reason, "%v", err)
	}
}

func TestNewEngineNeedsAKeyToHash(t *testing.T) {
	p, err := NewPlan(load(t, "customers"), customerPolicies)
	require.NoError(t, err)
	_, err = NewEngine(p, nil, nil)
	require.Error(t, err)
	_, err = NewEngine(p, []byte("short"), nil)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "short")

	p, err = NewPlan(load(t, "customers"), map[string]string{"first_name": "mask", "last_name": "keep", "email": "mask", "phone": "drop", "date_of_birth": "year"})
	require.NoError(t, err)
	e, err := NewEngine(p, nil, nil)
	require.NoError(t, err, "no hash, no key")
	assert.Equal(t, `{"first_name":"A***","email":"***@example.org","date_of_birth":"1815-01-01"}`,
		string(mustApply(t, e, `{"first_name":"Ada","email":"ada@example.org","phone":"1","date_of_birth":"1815-12-10"}`)))
}

// Benthos runs a processor on several pipeline threads: one engine, many goroutines, each
// row gets its own hash (the pooled HMAC state must not leak between calls).
func TestApplyConcurrent(t *testing.T) {
	e := engine(t, "customers", customerPolicies)
	values := []string{"ada@example.org", "é", "5551234", "+44 20 7946 0958"}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				v := values[(g+i)%len(values)]
				out, err := e.Apply([]byte(`{"email":"` + v + `","_before":{"phone":"` + v + `"}}`))
				want := `{"email":"` + openssl[v] + `","_before":{"phone":"` + openssl[v] + `"}}`
				if err != nil || string(out) != want {
					errs <- fmt.Sprintf("goroutine %d row %d: %s, %v; want %s", g, i, out, err, want)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}

// A string without escapes is hashed straight from the input; the engine must not then keep
// the input as its scratch buffer, or the next row's decoding writes into the earlier
// message (found by FuzzApply in CI: "Apply modified its input").
func TestApplyNeverWritesIntoAnEarlierInput(t *testing.T) {
	e := engine(t, "customers", customerPolicies)
	first := make([]byte, 0, 4096) // spare capacity, as a message body may have
	first = append(first, `{"email":"ada@example.org","phone":"5551234"}`...)
	firstCopy := string(first)
	mustApply(t, e, string(first))
	_, err := e.Apply(first)
	require.NoError(t, err)
	for range 3 {
		mustApply(t, e, `{"email":"b\u0040example.org","phone":"\u0035\u0035\u0035"}`)
	}
	assert.Equal(t, firstCopy, string(first), "an earlier input was overwritten")
	assert.Equal(t, firstCopy, string(first[:len(firstCopy)]))
}
