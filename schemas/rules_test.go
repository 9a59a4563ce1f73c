package schemas

import (
	"strings"
	"testing"
)

func rule(t *testing.T, typ string, nullable bool) *Rule {
	t.Helper()
	st, err := ParseSQLType(typ)
	if err != nil {
		t.Fatal(err)
	}
	return NewRule(&Column{Name: "c", Type: typ, Nullable: &nullable, SQL: st})
}

func TestRuleText(t *testing.T) {
	cases := []struct {
		typ, value, code string
	}{
		{"CHAR(3)", "EUR", ""},
		{"CHAR(3)", "EURO", RuleLength},
		{"CHAR(3)", "€€€", ""}, // 9 bytes, 3 characters
		{"CHAR(3)", "€€€€", RuleLength},
		{"CHAR(3)", "", ""},
		{"CHAR", "x", ""}, // CHAR is CHAR(1)
		{"CHAR", "xy", RuleLength},
		{"VARCHAR(2)", "日本", ""},
		{"VARCHAR(2)", "日本語", RuleLength},
		{"VARCHAR(5)", strings.Repeat("x", 5<<20), RuleLength},
		{"TEXT", strings.Repeat("x", 1<<20), ""}, // no length rule for TEXT
		{"ENUM('a','b')", "a", ""},
		{"ENUM('a','b')", "A", RuleEnum},
		{"ENUM('a','b')", "", RuleEnum},
		{"ENUM('a','b')", "c", RuleEnum},
		{"ENUM('it''s')", "it's", ""},
		{"SET('a','b')", "", ""},
		{"SET('a','b')", "a,b", ""},
		{"SET('a','b')", "b", ""},
		{"SET('a','b')", "a,", RuleEnum},
		{"SET('a','b')", "a,c", RuleEnum},
		{"SET('a','b')", ",", RuleEnum},
		{"INT", "not checked as text", ""},
	}
	for _, c := range cases {
		code, exp := rule(t, c.typ, true).CheckText([]byte(c.value))
		if code != c.code {
			t.Errorf("%s %.20q: code %q, want %q (%s)", c.typ, c.value, code, c.code, exp)
		}
		if code != "" && !strings.Contains(exp, c.typ) {
			t.Errorf("%s: expectation %q does not name the type", c.typ, exp)
		}
	}
	_, exp := rule(t, "ENUM('pending','completed')", true).CheckText([]byte("x"))
	if !strings.Contains(exp, "'pending', 'completed'") {
		t.Errorf("members not listed: %s", exp)
	}
}

func TestRuleIntegerRanges(t *testing.T) {
	cases := []struct {
		typ  string
		neg  bool
		mag  uint64
		code string
	}{
		{"TINYINT", false, 127, ""}, {"TINYINT", false, 128, RuleRange}, {"TINYINT", true, 128, ""}, {"TINYINT", true, 129, RuleRange},
		{"TINYINT UNSIGNED", false, 255, ""}, {"TINYINT UNSIGNED", false, 256, RuleRange}, {"TINYINT UNSIGNED", true, 1, RuleRange},
		{"TINYINT UNSIGNED", true, 0, ""}, // -0
		{"SMALLINT", false, 32767, ""}, {"SMALLINT", true, 32769, RuleRange},
		{"SMALLINT UNSIGNED", false, 65535, ""}, {"SMALLINT UNSIGNED", false, 65536, RuleRange},
		{"MEDIUMINT", false, 8388607, ""}, {"MEDIUMINT", true, 8388608, ""}, {"MEDIUMINT", false, 8388608, RuleRange},
		{"MEDIUMINT UNSIGNED", false, 16777215, ""}, {"MEDIUMINT UNSIGNED", false, 16777216, RuleRange},
		{"INT", false, 2147483647, ""}, {"INT", true, 2147483648, ""}, {"INT", true, 2147483649, RuleRange},
		{"INT UNSIGNED", false, 4294967295, ""}, {"INT UNSIGNED", false, 4294967296, RuleRange},
		{"BIGINT", false, 1<<63 - 1, ""}, {"BIGINT", false, 1 << 63, RuleRange}, {"BIGINT", true, 1 << 63, ""}, {"BIGINT", true, 1<<63 + 1, RuleRange},
		{"BIGINT UNSIGNED", false, 1<<64 - 1, ""}, {"BIGINT UNSIGNED", true, 1, RuleRange},
		{"YEAR", false, 0, ""}, {"YEAR", false, 1901, ""}, {"YEAR", false, 2155, ""}, {"YEAR", false, 1900, RuleRange}, {"YEAR", false, 2156, RuleRange},
		{"VARCHAR(3)", false, 1 << 60, ""}, // not an integer column: nothing to check
	}
	for _, c := range cases {
		code, exp := rule(t, c.typ, true).CheckInt(c.neg, c.mag)
		if code != c.code {
			t.Errorf("%s neg=%v %d: code %q, want %q (%s)", c.typ, c.neg, c.mag, code, c.code, exp)
		}
	}
}

func TestRuleDecimal(t *testing.T) {
	cases := []struct {
		typ             string
		intDigits, frac int
		code            string
	}{
		{"DECIMAL(18,2)", 16, 2, ""}, {"DECIMAL(18,2)", 17, 0, RulePrecision}, {"DECIMAL(18,2)", 1, 3, RulePrecision},
		{"DECIMAL(5,5)", 0, 5, ""}, {"DECIMAL(5,5)", 1, 0, RulePrecision},
		{"DECIMAL", 10, 0, ""}, {"DECIMAL", 11, 0, RulePrecision}, {"DECIMAL", 0, 1, RulePrecision},
		{"DECIMAL(65,30)", 35, 30, ""}, {"DECIMAL(65,30)", 36, 0, RulePrecision},
	}
	for _, c := range cases {
		code, exp := rule(t, c.typ, true).CheckDecimal(c.intDigits, c.frac)
		if code != c.code {
			t.Errorf("%s %d/%d: code %q, want %q (%s)", c.typ, c.intDigits, c.frac, code, c.code, exp)
		}
	}
}

func TestRuleTemporal(t *testing.T) {
	const day = 86400
	cases := []struct {
		typ        string
		sec, nanos int64
		code       string
	}{
		// MySQL's documented supported ranges (the lead's decision for the contract).
		{"DATE", -30610224000, 0, ""},                       // 1000-01-01
		{"DATE", -30610224000 - day, 0, RuleRange},          // 0999-12-31
		{"DATE", -62167219200, 0, RuleRange},                // 0000-01-01
		{"DATE", 253402214400, 0, ""},                       // 9999-12-31
		{"DATE", 253402300800, 0, RuleRange},                // 10000-01-01
		{"DATETIME(3)", -30610224000, 0, ""},                // 1000-01-01 00:00:00
		{"DATETIME(3)", -30610224001, 999000000, RuleRange}, // 0999-12-31 23:59:59.999
		{"DATETIME(6)", 253402300799, 999999000, ""},
		{"DATETIME(6)", 253402300799, 999999001, RuleRange}, // beyond .999999 (a NanoTimestamp)
		{"DATETIME(6)", 253402300800, 0, RuleRange},
		{"TIMESTAMP", 1, 0, ""},
		{"TIMESTAMP", 0, 0, ""}, // Debezium's zero TIMESTAMP
		{"TIMESTAMP", 0, 1000, RuleRange},
		{"TIMESTAMP", -1, 0, RuleRange},
		{"TIMESTAMP(6)", 2147483647, 999999000, ""},
		{"TIMESTAMP", 2147483648, 0, RuleRange},
	}
	for _, c := range cases {
		code, exp := rule(t, c.typ, true).CheckInstant(c.sec, c.nanos)
		if code != c.code {
			t.Errorf("%s %d.%09d: code %q, want %q (%s)", c.typ, c.sec, c.nanos, code, c.code, exp)
		}
	}
	const h = int64(3600e9)
	for _, c := range []struct {
		ns   int64
		code string
	}{
		{0, ""}, {-1, ""}, {838*h + 59*60e9 + 59e9, ""}, {838*h + 59*60e9 + 59e9 + 1, RuleRange}, {-(838*h + 59*60e9 + 59e9), ""}, {-839 * h, RuleRange},
	} {
		if code, _ := rule(t, "TIME(6)", true).CheckTime(c.ns); code != c.code {
			t.Errorf("TIME %d: code %q, want %q", c.ns, code, c.code)
		}
	}
}

func TestRuleNotNullAndNoCheck(t *testing.T) {
	if r := rule(t, "INT", false); !r.NotNull || !r.HasValueCheck() {
		t.Errorf("INT NOT NULL: %+v", r)
	}
	if r := rule(t, "TEXT", true); r.NotNull || r.HasValueCheck() {
		t.Errorf("TEXT NULL: %+v", r)
	}
	var nilRule *Rule
	if nilRule.HasValueCheck() || nilRule.IsTime() {
		t.Error("a nil rule checks nothing")
	}
}

func BenchmarkRuleChecks(b *testing.B) {
	st, _ := ParseSQLType("ENUM('pending','completed','failed','reversed')")
	enum := NewRule(&Column{Name: "s", Type: "ENUM", SQL: st})
	st, _ = ParseSQLType("CHAR(3)")
	ch := NewRule(&Column{Name: "c", Type: "CHAR(3)", SQL: st})
	v1, v2 := []byte("reversed"), []byte("EUR")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if c, _ := enum.CheckText(v1); c != "" {
			b.Fatal(c)
		}
		if c, _ := ch.CheckText(v2); c != "" {
			b.Fatal(c)
		}
	}
}
