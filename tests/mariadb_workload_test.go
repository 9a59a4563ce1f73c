package tests

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
)

// The random DML workload of the MariaDB end-to-end tests. Several workers write
// concurrently, each on its own keys (key % workers == worker), so that their statements
// never wait on each other's row locks; the sessions run READ COMMITTED so that no gap
// lock couples two workers either. Each worker remembers which of its keys exist and which
// were deleted, to aim updates, deletes, primary-key changes and re-inserts at real rows.

// mdbBankTable is one table's share of a worker's key space.
type mdbBankTable struct {
	name, pk string
	live     *mdbKeySet
	deleted  *mdbKeySet
	recent   []int64 // recently touched keys: the same row changed again soon, often in one batch
	next     int64   // next fresh key index
}

// mdbKeySet is a set with uniform random picks.
type mdbKeySet struct {
	idx  map[int64]int
	keys []int64
}

func mdbNewKeySet() *mdbKeySet { return &mdbKeySet{idx: map[int64]int{}} }

func (s *mdbKeySet) add(k int64) {
	if _, ok := s.idx[k]; ok {
		return
	}
	s.idx[k] = len(s.keys)
	s.keys = append(s.keys, k)
}

func (s *mdbKeySet) remove(k int64) {
	i, ok := s.idx[k]
	if !ok {
		return
	}
	last := s.keys[len(s.keys)-1]
	s.keys[i] = last
	s.idx[last] = i
	s.keys = s.keys[:len(s.keys)-1]
	delete(s.idx, k)
}

func (s *mdbKeySet) has(k int64) bool { _, ok := s.idx[k]; return ok }
func (s *mdbKeySet) len() int         { return len(s.keys) }

func (s *mdbKeySet) pick(r *rand.Rand) (int64, bool) {
	if len(s.keys) == 0 {
		return 0, false
	}
	return s.keys[r.IntN(len(s.keys))], true
}

// mdbWorkerStats counts what a worker did.
type mdbWorkerStats struct {
	statements  int // DML statements executed (in committed and rolled-back transactions)
	rolledBack  int // DML statements of transactions that were rolled back
	txns        int // explicit multi-statement transactions committed
	rollbacks   int // explicit transactions rolled back
	kinds       map[string]int
	rowsChanged int64 // affected rows reported by the server (committed or not)
}

// mdbWorker drives one connection.
type mdbWorker struct {
	id, n  int
	r      *rand.Rand
	conn   *client.Conn
	tables map[string]*mdbBankTable
	stats  mdbWorkerStats
	// inRollback: the current explicit transaction will be rolled back, so the key model
	// is not changed by its statements.
	inRollback bool
	clock      time.Time // the time most generated timestamps are near
	// txKeys are keys inserted by the current rolled-back transaction (they exist until the
	// rollback, so must not be inserted twice).
	txKeys map[string]bool
}

func mdbNewWorker(id, n int, seed uint64, conn *client.Conn) *mdbWorker {
	w := &mdbWorker{id: id, n: n, r: rand.New(rand.NewPCG(seed, uint64(id))), conn: conn, tables: map[string]*mdbBankTable{}}
	for _, t := range [][2]string{{"customers", "customer_id"}, {"accounts", "account_id"}, {"transactions", "transaction_id"}} {
		w.tables[t[0]] = &mdbBankTable{name: t[0], pk: t[1], live: mdbNewKeySet(), deleted: mdbNewKeySet()}
	}
	w.stats.kinds = map[string]int{}
	return w
}

// freshKey returns a key of this worker never used before.
func (w *mdbWorker) freshKey(t *mdbBankTable) int64 {
	t.next++
	return t.next*int64(w.n) + int64(w.id) + 1
}

func (w *mdbWorker) touch(t *mdbBankTable, k int64) {
	if len(t.recent) < 64 {
		t.recent = append(t.recent, k)
	} else {
		t.recent[w.r.IntN(len(t.recent))] = k
	}
}

// pickLive returns an existing key, often a recently touched one.
func (w *mdbWorker) pickLive(t *mdbBankTable) (int64, bool) {
	if len(t.recent) > 0 && w.r.IntN(3) == 0 {
		k := t.recent[w.r.IntN(len(t.recent))]
		if t.live.has(k) {
			return k, true
		}
	}
	return t.live.pick(w.r)
}

func (w *mdbWorker) pickLiveN(t *mdbBankTable, n int) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for i := 0; i < n*2 && len(out) < n; i++ {
		if k, ok := w.pickLive(t); ok && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// model changes are skipped inside a transaction that will be rolled back.
func (w *mdbWorker) inserted(t *mdbBankTable, k int64) {
	if w.inRollback {
		w.txKeys[t.name+strconv.FormatInt(k, 10)] = true
		return
	}
	t.live.add(k)
	t.deleted.remove(k)
	w.touch(t, k)
}

func (w *mdbWorker) deletedKey(t *mdbBankTable, k int64) {
	if w.inRollback {
		return
	}
	t.live.remove(k)
	t.deleted.add(k)
}

func (w *mdbWorker) exec(kind, q string) error {
	r, err := w.conn.Execute(q)
	if err != nil {
		return fmt.Errorf("worker %d, %s: %s: %w", w.id, kind, mdbAbbrev(q), err)
	}
	w.stats.rowsChanged += int64(r.AffectedRows)
	r.Close()
	w.stats.statements++
	if w.inRollback {
		w.stats.rolledBack++
	}
	w.stats.kinds[kind]++
	return nil
}

func mdbAbbrev(q string) string {
	if len(q) > 300 {
		return q[:300] + "..."
	}
	return q
}

// seed inserts n rows per table in multi-row INSERTs, before capture starts (they arrive
// as snapshot reads).
func (w *mdbWorker) seed(customers, accounts, txns int) error {
	for _, s := range []struct {
		t *mdbBankTable
		n int
	}{{w.tables["customers"], customers}, {w.tables["accounts"], accounts}, {w.tables["transactions"], txns}} {
		for done := 0; done < s.n; {
			var vals []string
			for ; done < s.n && len(vals) < 200; done++ {
				k := w.freshKey(s.t)
				vals = append(vals, w.rowValues(s.t.name, k))
				w.inserted(s.t, k)
			}
			if err := w.exec("seed", "INSERT INTO bank."+s.t.name+" VALUES "+strings.Join(vals, ",")); err != nil {
				return err
			}
		}
	}
	w.stats.statements, w.stats.kinds = 0, map[string]int{}
	return nil
}

// run executes statements until budget DML statements were executed. Every few statements
// open an explicit transaction of 2–8 statements; one in eight of those is rolled back.
func (w *mdbWorker) run(budget int, pace func()) error {
	for w.stats.statements < budget {
		if pace != nil {
			pace()
		}
		if w.r.IntN(100) < 12 {
			if err := w.transaction(budget); err != nil {
				return err
			}
			continue
		}
		if err := w.statement(); err != nil {
			return err
		}
	}
	return nil
}

func (w *mdbWorker) transaction(budget int) error {
	n := 2 + w.r.IntN(7)
	rollback := w.r.IntN(8) == 0
	if err := w.conn.Begin(); err != nil {
		return fmt.Errorf("worker %d: BEGIN: %w", w.id, err)
	}
	w.inRollback, w.txKeys = rollback, map[string]bool{}
	defer func() { w.inRollback = false }()
	for i := 0; i < n && w.stats.statements < budget; i++ {
		if !rollback && w.r.IntN(20) == 0 {
			if err := w.pkSwap(); err != nil {
				_ = w.conn.Rollback()
				return err
			}
			continue
		}
		if err := w.statement(); err != nil {
			_ = w.conn.Rollback()
			return err
		}
	}
	if rollback {
		w.stats.rollbacks++
		if err := w.conn.Rollback(); err != nil {
			return fmt.Errorf("worker %d: ROLLBACK: %w", w.id, err)
		}
		return nil
	}
	w.stats.txns++
	if err := w.conn.Commit(); err != nil {
		return fmt.Errorf("worker %d: COMMIT: %w", w.id, err)
	}
	return nil
}

// statement executes one random DML statement on a random table.
func (w *mdbWorker) statement() error {
	var t *mdbBankTable
	switch p := w.r.IntN(100); {
	case p < 15:
		t = w.tables["customers"]
	case p < 40:
		t = w.tables["accounts"]
	default:
		t = w.tables["transactions"]
	}
	tbl := "bank." + t.name
	p := w.r.IntN(100)
	if t.live.len() < 20 {
		p = 0 // keep some rows around to change
	}
	switch {
	case p < 22: // insert one new row
		k := w.freshKey(t)
		if err := w.exec("insert", "INSERT INTO "+tbl+" VALUES "+w.rowValues(t.name, k)); err != nil {
			return err
		}
		w.inserted(t, k)
	case p < 26: // multi-row insert
		var vals []string
		var ks []int64
		for i := 2 + w.r.IntN(4); i > 0; i-- {
			k := w.freshKey(t)
			ks = append(ks, k)
			vals = append(vals, w.rowValues(t.name, k))
		}
		if err := w.exec("insert_multi", "INSERT INTO "+tbl+" VALUES "+strings.Join(vals, ",")); err != nil {
			return err
		}
		for _, k := range ks {
			w.inserted(t, k)
		}
	case p < 31: // re-insert a deleted key (with new values)
		k, ok := t.deleted.pick(w.r)
		if !ok || w.inRollback && w.txKeys[t.name+strconv.FormatInt(k, 10)] {
			return nil
		}
		if err := w.exec("reinsert", "INSERT INTO "+tbl+" VALUES "+w.rowValues(t.name, k)); err != nil {
			return err
		}
		w.inserted(t, k)
	case p < 66: // the common update of each table
		k, ok := w.pickLive(t)
		if !ok {
			return nil
		}
		w.touch(t, k)
		return w.exec("update_"+t.name, fmt.Sprintf("UPDATE %s SET %s WHERE %s = %d", tbl, w.typicalUpdate(t.name), t.pk, k))
	case p < 76: // any columns, nullable ones to NULL and back
		k, ok := w.pickLive(t)
		if !ok {
			return nil
		}
		w.touch(t, k)
		return w.exec("update_any", fmt.Sprintf("UPDATE %s SET %s WHERE %s = %d", tbl, w.anyUpdate(t.name), t.pk, k))
	case p < 80: // one statement updating several rows
		ks := w.pickLiveN(t, 2+w.r.IntN(5))
		if len(ks) == 0 {
			return nil
		}
		return w.exec("update_multi", fmt.Sprintf("UPDATE %s SET %s WHERE %s IN (%s)", tbl, w.typicalUpdate(t.name), t.pk, mdbJoinInts(ks)))
	case p < 89: // delete one row
		k, ok := w.pickLive(t)
		if !ok {
			return nil
		}
		if err := w.exec("delete", fmt.Sprintf("DELETE FROM %s WHERE %s = %d", tbl, t.pk, k)); err != nil {
			return err
		}
		w.deletedKey(t, k)
	case p < 91: // delete several rows in one statement
		ks := w.pickLiveN(t, 2+w.r.IntN(3))
		if len(ks) == 0 {
			return nil
		}
		if err := w.exec("delete_multi", fmt.Sprintf("DELETE FROM %s WHERE %s IN (%s)", tbl, t.pk, mdbJoinInts(ks))); err != nil {
			return err
		}
		for _, k := range ks {
			w.deletedKey(t, k)
		}
	case p < 97: // primary-key change, to a fresh key or to a deleted one
		k, ok := w.pickLive(t)
		if !ok {
			return nil
		}
		nk := w.freshKey(t)
		kind := "pk_change"
		if d, ok := t.deleted.pick(w.r); ok && w.r.IntN(3) == 0 && !(w.inRollback && w.txKeys[t.name+strconv.FormatInt(d, 10)]) {
			nk, kind = d, "pk_change_to_deleted"
		}
		set := fmt.Sprintf("%s = %d", t.pk, nk)
		if w.r.IntN(2) == 0 {
			set += ", " + w.typicalUpdate(t.name)
		}
		if err := w.exec(kind, fmt.Sprintf("UPDATE %s SET %s WHERE %s = %d", tbl, set, t.pk, k)); err != nil {
			return err
		}
		w.deletedKey(t, k)
		w.inserted(t, nk)
	default: // several keys changed by one statement (one row event, several rows)
		ks := w.pickLiveN(t, 2+w.r.IntN(3))
		if len(ks) == 0 {
			return nil
		}
		var cases strings.Builder
		nks := make([]int64, len(ks))
		for i, k := range ks {
			nks[i] = w.freshKey(t)
			fmt.Fprintf(&cases, " WHEN %d THEN %d", k, nks[i])
		}
		if err := w.exec("pk_change_multi", fmt.Sprintf("UPDATE %s SET %s = CASE %s%s END WHERE %s IN (%s)", tbl, t.pk, t.pk, cases.String(), t.pk, mdbJoinInts(ks))); err != nil {
			return err
		}
		for i, k := range ks {
			w.deletedKey(t, k)
			w.inserted(t, nks[i])
		}
	}
	return nil
}

// pkSwap exchanges the keys of two rows through a temporary key, inside the caller's
// transaction: three primary-key changes, two of them to a key deleted moments before.
func (w *mdbWorker) pkSwap() error {
	t := w.tables["transactions"]
	ks := w.pickLiveN(t, 2)
	if len(ks) < 2 {
		return nil
	}
	a, b, tmp := ks[0], ks[1], w.freshKey(t)
	tbl := "bank." + t.name
	for _, q := range []string{
		fmt.Sprintf("UPDATE %s SET transaction_id = %d WHERE transaction_id = %d", tbl, tmp, a),
		fmt.Sprintf("UPDATE %s SET transaction_id = %d WHERE transaction_id = %d", tbl, a, b),
		fmt.Sprintf("UPDATE %s SET transaction_id = %d WHERE transaction_id = %d", tbl, b, tmp),
	} {
		if err := w.exec("pk_swap", q); err != nil {
			return err
		}
	}
	w.touch(t, a)
	w.touch(t, b)
	return nil
}

func mdbJoinInts(ks []int64) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = strconv.FormatInt(k, 10)
	}
	return strings.Join(s, ",")
}

// rowValues is a full row, in the column order of deploy/mysql/init.sql.
func (w *mdbWorker) rowValues(table string, k int64) string {
	r := w.r
	switch table {
	case "customers":
		return fmt.Sprintf("(%d, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", k,
			w.name(), w.name(), w.email(k), w.nullable(w.phone), w.nullable(w.date), w.nullable(w.country),
			w.enum("pending", "verified", "rejected"), w.nullable(func() string { return strconv.Itoa(r.IntN(256)) }),
			w.datetime(), w.nullable(w.datetime))
	case "accounts":
		return fmt.Sprintf("(%d, %d, %s, %s, %s, %s, %s, %s, %s, %s)", k,
			w.anyInt(), w.enum("checking", "savings", "credit", "loan"), w.currency(), w.decimal(), w.nullable(w.decimal),
			w.enum("active", "frozen", "closed"), w.nullable(func() string { return strconv.Itoa(r.IntN(2)) }),
			w.datetime(), w.nullable(w.datetime))
	default:
		return fmt.Sprintf("(%d, %d, %d, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", k,
			w.anyInt(), w.anyInt(), w.nullable(func() string { return strconv.FormatInt(w.anyInt(), 10) }),
			w.decimal(), w.currency(), w.enum("pending", "completed", "failed", "reversed"),
			w.enum("purchase", "withdrawal", "transfer", "deposit", "refund"),
			w.nullable(func() string { return w.enum("card_present", "online", "atm", "mobile", "branch") }),
			w.nullable(func() string { return mdbQuote(fmt.Sprintf("%04d", r.IntN(10000))) }),
			w.nullable(w.device), w.nullable(w.country), w.nullable(w.ip),
			w.datetime(), w.datetime(), w.nullable(w.datetime))
	}
}

// typicalUpdate is what a bank changes most: a status, a balance, an amount.
func (w *mdbWorker) typicalUpdate(table string) string {
	r := w.r
	switch table {
	case "customers":
		return fmt.Sprintf("kyc_status = %s, risk_rating = %s, updated_at = %s",
			w.enum("pending", "verified", "rejected"), w.nullable(func() string { return strconv.Itoa(r.IntN(256)) }), w.datetime())
	case "accounts":
		if r.IntN(2) == 0 {
			return fmt.Sprintf("balance = %s, updated_at = %s", w.decimal(), w.datetime())
		}
		return fmt.Sprintf("status = %s, updated_at = %s", w.enum("active", "frozen", "closed"), w.datetime())
	default:
		if r.IntN(3) == 0 {
			return fmt.Sprintf("amount = %s, updated_at = %s", w.decimal(), w.datetime())
		}
		return fmt.Sprintf("status = %s, updated_at = %s", w.enum("pending", "completed", "failed", "reversed"), w.datetime())
	}
}

// anyUpdate sets one to four random non-key columns.
func (w *mdbWorker) anyUpdate(table string) string {
	r := w.r
	var cols map[string]func() string
	switch table {
	case "customers":
		cols = map[string]func() string{
			"first_name": w.name, "last_name": w.name, "email": func() string { return w.email(r.Int64()) },
			"phone": func() string { return w.nullable(w.phone) }, "date_of_birth": func() string { return w.nullable(w.date) },
			"country": func() string { return w.nullable(w.country) }, "created_at": w.datetime,
			"updated_at": func() string { return w.nullable(w.datetime) },
		}
	case "accounts":
		cols = map[string]func() string{
			"customer_id": func() string { return strconv.FormatInt(w.anyInt(), 10) }, "currency": w.currency,
			"account_type":      func() string { return w.enum("checking", "savings", "credit", "loan") },
			"credit_limit":      func() string { return w.nullable(w.decimal) },
			"overdraft_allowed": func() string { return w.nullable(func() string { return strconv.Itoa(r.IntN(2)) }) },
			"balance":           w.decimal, "updated_at": func() string { return w.nullable(w.datetime) },
		}
	default:
		cols = map[string]func() string{
			"merchant_id": func() string { return w.nullable(func() string { return strconv.FormatInt(w.anyInt(), 10) }) },
			"channel": func() string {
				return w.nullable(func() string { return w.enum("card_present", "online", "atm", "mobile", "branch") })
			},
			"merchant_category": func() string {
				return w.nullable(func() string { return mdbQuote(fmt.Sprintf("%04d", r.IntN(10000))) })
			},
			"device_id": func() string { return w.nullable(w.device) }, "country": func() string { return w.nullable(w.country) },
			"ip_address": func() string { return w.nullable(w.ip) }, "event_ts": w.datetime, // moves the row to another event_date partition
			"transaction_type": func() string { return w.enum("purchase", "withdrawal", "transfer", "deposit", "refund") },
			"currency":         w.currency, "updated_at": func() string { return w.nullable(w.datetime) },
		}
	}
	names := make([]string, 0, len(cols))
	for n := range cols {
		names = append(names, n)
	}
	// Map order is random but not from w.r; sort for a reproducible workload per seed.
	mdbSortStrings(names)
	r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	n := 1 + r.IntN(4)
	parts := make([]string, 0, n)
	for _, c := range names[:n] {
		parts = append(parts, c+" = "+cols[c]())
	}
	return strings.Join(parts, ", ")
}

func mdbSortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func (w *mdbWorker) nullable(f func() string) string {
	if w.r.IntN(4) == 0 {
		return "NULL"
	}
	return f()
}

func (w *mdbWorker) enum(vals ...string) string { return mdbQuote(vals[w.r.IntN(len(vals))]) }

// mdbQuote is a MariaDB string literal (NO_BACKSLASH_ESCAPES off: backslash escapes).
func mdbQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\x00", `\0`).Replace(s) + "'"
}

var mdbNamePool = []string{"Ada", "Grace", "O'Brien", "Zoë", "Łukasz", "José", "Nguyễn", "Ærø", "李", "Müller-Lüdenscheidt",
	`Back\slash`, "Emoji 😀", "  padded  ", "tab\there", "new\nline", "\"quoted\"", "semi;colon", "percent%_", "Ω", ""}

func (w *mdbWorker) name() string {
	s := mdbNamePool[w.r.IntN(len(mdbNamePool))]
	if w.r.IntN(2) == 0 {
		s += strconv.Itoa(w.r.IntN(1000))
	}
	return mdbQuote(s)
}

func (w *mdbWorker) email(k int64) string {
	return mdbQuote(fmt.Sprintf("user.%d+%d@exämple.org", k, w.r.IntN(100)))
}

func (w *mdbWorker) phone() string {
	return mdbQuote(fmt.Sprintf("+%d %03d %04d", 1+w.r.IntN(998), w.r.IntN(1000), w.r.IntN(10000)))
}

func (w *mdbWorker) country() string {
	return mdbQuote([]string{"DE", "FR", "GB", "US", "NG", "BR", "JP", "IN", "ZA", "NL"}[w.r.IntN(10)])
}

func (w *mdbWorker) currency() string {
	return mdbQuote([]string{"EUR", "USD", "GBP", "JPY", "CHF", "NGN"}[w.r.IntN(6)])
}

func (w *mdbWorker) device() string {
	s := fmt.Sprintf("dev-%x", w.r.Uint64())
	switch w.r.IntN(8) {
	case 0:
		s += " " // VARCHAR keeps trailing spaces
	case 1:
		s = "📱 " + s
	}
	return mdbQuote(s)
}

func (w *mdbWorker) ip() string {
	if w.r.IntN(3) == 0 {
		return mdbQuote(fmt.Sprintf("2001:db8:%x:%x::%x", w.r.IntN(65536), w.r.IntN(65536), w.r.IntN(65536)))
	}
	return mdbQuote(fmt.Sprintf("%d.%d.%d.%d", w.r.IntN(256), w.r.IntN(256), w.r.IntN(256), w.r.IntN(256)))
}

// anyInt is a BIGINT, now and then at the type's limits.
func (w *mdbWorker) anyInt() int64 {
	switch w.r.IntN(50) {
	case 0:
		return 9223372036854775807
	case 1:
		return -9223372036854775808
	case 2:
		return 0
	case 3:
		return -w.r.Int64N(1 << 40)
	}
	return w.r.Int64N(1_000_000)
}

// decimal is a DECIMAL(18,2) literal: mostly everyday amounts, sometimes the extremes,
// negative values and zero.
func (w *mdbWorker) decimal() string {
	var cents int64
	switch w.r.IntN(20) {
	case 0:
		cents = 999_999_999_999_999_999 // 9999999999999999.99
	case 1:
		cents = -999999999999999999
	case 2:
		cents = 0
	case 3:
		cents = -1
	case 4:
		cents = w.r.Int64N(1_000_000_000_000_000_000) - 500_000_000_000_000_000
	default:
		cents = w.r.Int64N(10_000_000) - 1_000_000
	}
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

var (
	mdbMinDatetime = time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)
	mdbMaxDatetime = time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC)
)

// datetime is a DATETIME(3) literal with milliseconds: mostly the worker's clock, which
// moves forward as a bank's does (so that transactions' event_date partitions stay few), one
// in thirty anywhere in two years, before 1970 (negative epoch milliseconds) or at the
// type's limits.
func (w *mdbWorker) datetime() string {
	if w.clock.IsZero() {
		w.clock = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	}
	if w.r.IntN(30) != 0 {
		w.clock = w.clock.Add(time.Duration(w.r.IntN(500)) * time.Millisecond)
		return mdbQuote(w.clock.Format("2006-01-02 15:04:05.000"))
	}
	var t time.Time
	switch w.r.IntN(40) {
	case 0:
		t = mdbMinDatetime
	case 1:
		t = mdbMaxDatetime
	case 2:
		t = time.Date(1900+w.r.IntN(70), time.Month(1+w.r.IntN(12)), 1+w.r.IntN(28), w.r.IntN(24), w.r.IntN(60), w.r.IntN(60), w.r.IntN(1000)*1_000_000, time.UTC)
	case 3:
		t = time.Date(1969, 12, 31, 23, 59, 59, 999_000_000, time.UTC)
	default:
		t = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(w.r.Int64N(2*365*24*3600*1000)) * time.Millisecond)
	}
	return mdbQuote(t.Format("2006-01-02 15:04:05.000"))
}

func (w *mdbWorker) date() string {
	var t time.Time
	switch w.r.IntN(30) {
	case 0:
		t = time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)
	case 1:
		t = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	default:
		t = time.Date(1920, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, w.r.IntN(90*365))
	}
	return mdbQuote(t.Format("2006-01-02"))
}
