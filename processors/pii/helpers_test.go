package pii

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// testKey is a key for tests only. The expected hashes in the tests were computed with
// openssl, independently of this package:
//
//	printf '%s' 'ada@example.org' | openssl dgst -sha256 -hmac "$testKey"
const testKey = "ledgerflow-test-key-0123456789abcdef-not-a-secret"

var openssl = map[string]string{
	"ada@example.org":  "be0e824338c6ebac4d9d240119b3335413f4eacc6ff7c0ed41cc277bcc1d4d11",
	"+44 20 7946 0958": "94a3399cb95f3a8ef0b6e8e3e36a2f28f44ec55ebae9705adc97215d83902743",
	"é":                "0e5838bc96284e360a1c09c376785574a72620a2a9831c0a6d1bfa06f00954df",
	"5551234":          "623403351315ec9ada3fef489ed48a7878e52634837856825a4a217eecdf98fa",
	"dev-42":           "8f0dfae2a799bf3548b1c1e24020626e99f66b511971f2e68262344b4f9c445c",
}

// refHash is HMAC-SHA256 straight from the standard library, for properties over many values.
func refHash(key, text string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(text))
	return hex.EncodeToString(m.Sum(nil))
}

func load(t testing.TB, name string) *schemas.Table {
	t.Helper()
	tb, err := schemas.Load(name)
	require.NoError(t, err)
	return tb
}

// customerPolicies are the rollout's customers policies.
var customerPolicies = map[string]string{"email": "hash", "phone": "hash", "date_of_birth": "year", "first_name": "keep", "last_name": "keep"}

func engine(t testing.TB, table string, policies map[string]string) *Engine {
	t.Helper()
	p, err := NewPlan(load(t, table), policies)
	require.NoError(t, err)
	e, err := NewEngine(p, []byte(testKey), nil)
	require.NoError(t, err)
	return e
}

type member struct {
	key string
	val json.RawMessage
}

// members decodes a JSON object into its members in order, repeats kept, with encoding/json
// (an independent reader).
func members(t testing.TB, b []byte) []member {
	t.Helper()
	ms, err := decodeMembers(b)
	require.NoError(t, err, "%s", b)
	return ms
}

func decodeMembers(b []byte) ([]member, error) {
	d := json.NewDecoder(strings.NewReader(string(b)))
	if _, err := d.Token(); err != nil {
		return nil, err
	}
	var out []member
	for d.More() {
		k, err := d.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, member{k.(string), v})
	}
	return out, nil
}

func get(t testing.TB, b []byte, key string) (json.RawMessage, bool) {
	t.Helper()
	for _, m := range members(t, b) {
		if m.key == key {
			return m.val, true
		}
	}
	return nil, false
}

func str(t testing.TB, raw json.RawMessage) string {
	t.Helper()
	var s string
	require.NoError(t, json.Unmarshal(raw, &s), "%s", raw)
	return s
}
