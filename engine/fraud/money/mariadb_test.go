package money

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ledgerflow/ledgerflow/inputs/mysql/mariadbtest"
)

// TestArithmeticMatchesMariaDB computes + - * / MOD and the comparisons of random DECIMAL
// literals in a real MariaDB and requires the same text (value and scale) from Money:
// MySQL's DECIMAL rules are what bank data engineers check results against. Division is
// at the dividend's scale + div_precision_increment (4), rounded half away from zero.
func TestArithmeticMatchesMariaDB(t *testing.T) {
	srv := mariadbtest.StartWith(t, mariadbtest.Options{SkipInitSQL: true}) // skips without mariadbd
	rng := rand.New(rand.NewPCG(7, 11))
	lit := func() string {
		scale := rng.IntN(7)
		digits := 1 + rng.IntN(15)
		var b strings.Builder
		if rng.IntN(3) == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(byte('1' + rng.IntN(9)))
		for i := 1; i < digits; i++ {
			b.WriteByte(byte('0' + rng.IntN(10)))
		}
		s := b.String()
		if scale > 0 {
			for len(strings.TrimLeft(s, "-")) <= scale {
				s = strings.Replace(s, "-", "-0", 1)
				if s[0] != '-' {
					s = "0" + s
				}
			}
			s = s[:len(s)-scale] + "." + s[len(s)-scale:]
		}
		return s
	}
	type pair struct{ a, b string }
	pairs := []pair{{"1", "32"}, {"-1", "32"}, {"2", "3"}, {"-2", "3"}, {"5.00", "2"}, {"0.05", "0.1"}, {"-7", "3"}, {"7.5", "-2"}}
	for len(pairs) < 400 {
		p := pair{lit(), lit()}
		if rng.IntN(5) == 0 {
			p.b = p.a // equal values
		}
		pairs = append(pairs, p)
	}
	// Each literal as a DECIMAL of its own scale (an integer literal would be a BIGINT),
	// one SELECT per pair (a UNION would widen every column to the largest scale).
	dec := func(s string) string {
		scale := 0
		if i := strings.IndexByte(s, '.'); i >= 0 {
			scale = len(s) - i - 1
		}
		return fmt.Sprintf("CAST('%s' AS DECIMAL(40,%d))", s, scale)
	}
	conn := srv.Conn("")
	var rows [][]string
	for _, p := range pairs {
		a, b := dec(p.a), dec(p.b)
		r, err := conn.Execute(fmt.Sprintf("SELECT %s+%s, %s-%s, %s*%s, %s/%s, MOD(%s,%s), %s<%s, %s=%s", a, b, a, b, a, b, a, b, a, b, a, b, a, b))
		require.NoError(t, err)
		row := make([]string, len(r.Values[0]))
		for j, v := range r.Values[0] {
			row[j] = fmt.Sprint(v.Value())
			if bs, ok := v.Value().([]byte); ok {
				row[j] = string(bs)
			}
		}
		r.Close()
		for j, v := range row {
			// MariaDB keeps a negative zero from MOD(-x, x) ("-0"); Money has no signed zero.
			if strings.HasPrefix(v, "-") && strings.Trim(v, "-0.") == "" {
				row[j] = v[1:]
			}
		}
		rows = append(rows, row)
	}
	bool01 := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	for i, p := range pairs {
		a, b := MustParse(p.a), MustParse(p.b)
		q, err := a.Div(b)
		require.NoError(t, err)
		r, err := a.Rem(b)
		require.NoError(t, err)
		got := []string{a.Add(b).String(), a.Sub(b).String(), a.Mul(b).String(), q.String(), r.String(),
			bool01(a.Cmp(b) < 0), bool01(a.Equal(b))}
		require.Equal(t, rows[i], got, "%s op %s", p.a, p.b)
	}
}
