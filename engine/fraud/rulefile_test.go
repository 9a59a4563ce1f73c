package fraud

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const goodFile = `# comment
rules:
  - id: R1
    version: 2
    description: More than 5 transactions in a minute.
    severity: high
    weight: 40
    when: acct.count_1m >= 5
    reason: "{{ acct.count_1m + 1 }} transactions on account {{ tx.account_id }}"
    tests:
      - name: the sixth fires
        given: { tx: { amount: "12.00", account_id: 7 }, acct: { count_1m: 5 } }
        expect: hit
        reason_contains: "6 transactions"
      - name: the fifth does not
        given: { acct: { count_1m: 4 } }
        expect: no_hit
  - id: R2
    version: 1
    description: |
      Large amount.
    severity: low
    weight: 0
    when: |
      tx.amount >=
        10000
    reason: big
`

func TestParseRulesReadsEveryField(t *testing.T) {
	specs, ds := ParseRules("good.yaml", []byte(goodFile))
	require.Empty(t, ds)
	require.Len(t, specs, 2)
	r := specs[0]
	assert.Equal(t, "good.yaml", r.File)
	assert.Equal(t, 3, r.Line)
	assert.Equal(t, "R1", r.ID)
	assert.Equal(t, 2, r.Version)
	assert.Equal(t, "high", r.Severity)
	assert.Equal(t, 40, r.Weight)
	assert.Equal(t, "acct.count_1m >= 5", r.When.Text)
	assert.Equal(t, 8, r.When.Line)
	require.Len(t, r.Tests, 2)
	assert.Equal(t, "the sixth fires", r.Tests[0].Name)
	assert.Equal(t, 11, r.Tests[0].Line)
	assert.True(t, r.Tests[0].ExpectHit)
	assert.Equal(t, "6 transactions", r.Tests[0].ReasonContains)
	assert.False(t, r.Tests[1].ExpectHit)
	assert.Equal(t, "Large amount.", specs[1].Description)
	assert.Equal(t, 0, specs[1].Weight)
	assert.Equal(t, "tx.amount >=\n  10000\n", specs[1].When.Text)
}

func TestAFileWithoutRulesIsRefused(t *testing.T) {
	// Often a file caught while an editor rewrites it: loading it would stop its rules.
	for _, text := range []string{"", "# only a comment\n", "rules:\n", "rules: []\n"} {
		specs, ds := ParseRules("e.yaml", []byte(text))
		require.Len(t, ds, 1, "%q", text)
		assert.Contains(t, ds[0].Message, "declares no rules", "%q", text)
		assert.Empty(t, specs, "%q", text)
	}
}

// TestParseRulesLocatesEveryProblem: each mistake is reported once, at its line, naming
// the rule.
func TestParseRulesLocatesEveryProblem(t *testing.T) {
	text := `rules:
  - id: A
    version: 0
    description: ""
    severity: urgent
    weight: 101
    when: tx.amount > 1
    reason: ok
    colour: red
    tests:
      - name: t1
        expect: maybe
      - name: t2
        expect: no_hit
        reason_contains: x
      - expect: hit
  - id: A
    version: 1
    description: d
    severity: low
    weight: 1
    when: tx.amount > 1
    reason: ok
  - id: "bad id!"
    version: 1
  - version: 1
    when: x
  - [ not, a, mapping ]
top: 1
`
	_, ds := ParseRules("bad.yaml", []byte(text))
	want := []string{
		"bad.yaml:3:14: rule A: version: must be a positive integer, got int \"0\"",
		"bad.yaml:4:18: rule A: description: must be a non-empty text",
		"bad.yaml:5:15: rule A: severity: str \"urgent\" is not one of low, medium, high, critical",
		"bad.yaml:6:13: rule A: weight: must be an integer from 0 to 100, got int \"101\"",
		"bad.yaml:9:5: rule A: unknown key \"colour\"",
		"bad.yaml:12:17: rule A: test \"t1\": expect must be hit or no_hit, got str \"maybe\"",
		"bad.yaml:13:9: rule A: test \"t2\": reason_contains needs expect: hit",
		"bad.yaml:16:9: rule A: test: missing name",
		"bad.yaml:17: rule A: id: declared twice in this file (first on line 2)",
		"bad.yaml:24:9: id: str \"bad id!\" is not a rule id",
		"bad.yaml:24:5: missing description",
		"bad.yaml:26:5: missing id",
		"bad.yaml:28:5: a rule must be a mapping, got a list",
		"bad.yaml:29:1: unknown key \"top\" (a rule file has only rules:)",
	}
	got := make([]string, len(ds))
	for i, d := range ds {
		got[i] = d.Error()
		if i > 0 {
			assert.LessOrEqual(t, ds[i-1].Line, d.Line, "diagnostics are in file order")
		}
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			if strings.HasPrefix(g, w) {
				found = true
			}
		}
		assert.True(t, found, "missing diagnostic %q in:\n%s", w, strings.Join(got, "\n"))
	}
}

func TestYAMLSyntaxErrorsHaveTheirLine(t *testing.T) {
	_, ds := ParseRules("s.yaml", []byte("rules:\n  - id: A\n    when: [unclosed\n"))
	require.Len(t, ds, 1)
	assert.Equal(t, "s.yaml", ds[0].File)
	assert.NotZero(t, ds[0].Line)
	assert.Contains(t, ds[0].Message, "invalid YAML")
}

func TestDuplicateKeysAndMergeKeysAreRefused(t *testing.T) {
	_, ds := ParseRules("d.yaml", []byte("rules:\n  - id: A\n    id: B\n"))
	require.NotEmpty(t, ds)
	assert.Contains(t, ds.Error(), `key "id" given twice (first on line 2)`)
	_, ds = ParseRules("m.yaml", []byte("base: &b { weight: 1 }\nrules:\n  - <<: *b\n    id: A\n"))
	assert.Contains(t, ds.Error(), "merge keys (<<) are not supported")
}

func TestAliasesAreFollowed(t *testing.T) {
	text := "rules:\n  - id: A\n    version: 1\n    description: d\n    severity: low\n    weight: &w 5\n    when: tx.amount > 1\n    reason: r\n  - id: B\n    version: 1\n    description: d\n    severity: low\n    weight: *w\n    when: tx.amount > 2\n    reason: r\n"
	specs, ds := ParseRules("a.yaml", []byte(text))
	require.Empty(t, ds)
	assert.Equal(t, 5, specs[1].Weight)
}
