package enrich

import (
	"context"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// acct is one version of an account row in the test tables.
type acct struct {
	id       int64
	customer int64
	currency string
	balance  int64 // cents
	status   string
	created  time.Time
	opened   schema.Date
	overdraw any // bool or nil
	risk     any // int16 or nil
	score    float64
	end      *time.Time // SCD2: set on closed versions
}

var acctSchema = &schema.StructType{Fields: []schema.StructField{
	{Name: "account_id", Type: schema.Long},
	{Name: "customer_id", Type: schema.Long},
	{Name: "currency", Type: schema.String},
	{Name: "balance", Type: schema.DecimalType{Precision: 18, Scale: 2}},
	{Name: "status", Type: schema.String},
	{Name: "created_at", Type: schema.Timestamp},
	{Name: "opened_on", Type: schema.DateType, Nullable: true},
	{Name: "overdraft_allowed", Type: schema.Boolean, Nullable: true},
	{Name: "risk", Type: schema.Short, Nullable: true},
	{Name: "score", Type: schema.Double},
	{Name: "_source_pos", Type: schema.String, Nullable: true},
}}

func scd2Schema() *schema.StructType {
	s := &schema.StructType{Fields: append([]schema.StructField(nil), acctSchema.Fields...)}
	s.Fields = append(s.Fields,
		schema.StructField{Name: "__start_at", Type: schema.Timestamp, Nullable: true},
		schema.StructField{Name: "__end_at", Type: schema.Timestamp, Nullable: true})
	return s
}

var acctColumns = []string{"customer_id", "currency", "balance", "status", "created_at", "opened_on", "overdraft_allowed", "risk", "score"}

func (a acct) row(scd2 bool) []any {
	r := []any{a.id, a.customer, a.currency, schema.Decimal{Unscaled: big.NewInt(a.balance), Scale: 2}, a.status,
		a.created, a.opened, a.overdraw, a.risk, a.score, fmt.Sprintf("%020d", a.balance)}
	if scd2 {
		var end any
		if a.end != nil {
			end = *a.end
		}
		r = append(r, a.created, end)
	}
	return r
}

// want is what a lookup must return for a.
func (a acct) want() map[string]any {
	return map[string]any{
		"customer_id": a.customer, "currency": a.currency,
		"balance": schema.Decimal{Unscaled: big.NewInt(a.balance), Scale: 2}.String(),
		"status":  a.status, "created_at": a.created.UTC(), "opened_on": a.opened.Time(),
		"overdraft_allowed": a.overdraw, "risk": widen(a.risk), "score": a.score,
	}
}

func widen(v any) any {
	if x, ok := v.(int16); ok {
		return int64(x)
	}
	return v
}

// normalize makes lookup output comparable with want: decimals as their exact text.
func normalize(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if d, ok := v.(schema.Decimal); ok {
			v = d.String()
		}
		out[k] = v
	}
	return out
}

func mkAcct(id int64, balance int64, status string) acct {
	return acct{id: id, customer: 1000 + id, currency: []string{"EUR", "GBP", "USD"}[id%3], balance: balance, status: status,
		created: time.Date(2024, 3, 1, 10, 0, 0, 123000000, time.UTC).Add(time.Duration(id) * time.Minute),
		opened:  schema.Date(19000 + id), overdraw: id%2 == 0, risk: int16(id % 100), score: float64(id) / 4}
}

// silverSim writes a table the way the delta_lake merge output does: copy-on-write. Every
// change rewrites the files holding the changed keys (their other rows copied unchanged) and
// removes the old files in the same commit; SCD2 writes closed versions to files of their own.
type silverSim struct {
	t     *testing.T
	table *delta.Table
	scd2  bool
	// mixClosed writes closed SCD2 versions into the same file as current rows (the
	// delta_lake output keeps them apart; another writer may not).
	mixClosed bool
	extra     int              // columns added by schema evolution after the test's own (written as null)
	cur       map[int64]acct   // current version per key (the model)
	where     map[int64]string // key -> decoded path of the file holding its current row
	files     map[string]*delta.Add
	rows      map[string][]acct // file -> current rows it holds
}

func newSilverSim(t *testing.T, st delta.Storage, scd2 bool) *silverSim {
	t.Helper()
	s := &silverSim{t: t, table: delta.NewTable(st, delta.Options{CheckpointInterval: 1 << 30}), scd2: scd2,
		cur: map[int64]acct{}, where: map[int64]string{}, files: map[string]*delta.Add{}, rows: map[string][]acct{}}
	sch := acctSchema
	if scd2 {
		sch = scd2Schema()
	}
	if _, err := s.table.Create(context.Background(), sch, delta.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *silverSim) snap() *delta.Snapshot {
	s.t.Helper()
	snap, err := s.table.Snapshot(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	return snap
}

// apply upserts ups and deletes dels in one commit and returns the new version.
func (s *silverSim) apply(ups []acct, dels []int64) int64 {
	s.t.Helper()
	ctx := context.Background()
	tx := s.snap().NewTransaction("MERGE")
	touched := map[string]bool{}
	changed := map[int64]bool{}
	for _, a := range ups {
		changed[a.id] = true
		if p, ok := s.where[a.id]; ok {
			touched[p] = true
		}
	}
	for _, id := range dels {
		changed[id] = true
		if p, ok := s.where[id]; ok {
			touched[p] = true
		}
	}
	var out []acct
	var closed []acct
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(len(s.files)) * time.Second)
	paths := make([]string, 0, len(touched))
	for p := range touched {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		for _, a := range s.rows[p] {
			if !changed[a.id] {
				out = append(out, a)
			} else if s.scd2 {
				end := now
				a.end = &end
				closed = append(closed, a)
			}
		}
		tx.Remove(s.files[p], true)
		delete(s.files, p)
		delete(s.rows, p)
	}
	for _, id := range dels {
		delete(s.cur, id)
		delete(s.where, id)
	}
	for _, a := range ups {
		s.cur[a.id] = a
	}
	out = append(out, ups...)
	write := func(rows []acct) {
		if len(rows) == 0 {
			return
		}
		var raw [][]any
		for _, a := range rows {
			raw = append(raw, append(a.row(s.scd2), make([]any, s.extra)...))
		}
		adds, err := tx.WriteRows(ctx, raw, delta.WriteOptions{})
		if err != nil {
			s.t.Fatal(err)
		}
		if len(adds) != 1 {
			s.t.Fatalf("wrote %d files, the simulation expects one", len(adds))
		}
		p, _ := delta.DecodePath(adds[0].Path)
		s.files[p] = adds[0]
		for _, a := range rows {
			if a.end == nil {
				s.rows[p] = append(s.rows[p], a)
				s.where[a.id] = p
			}
		}
	}
	if s.mixClosed {
		write(append(out, closed...))
	} else {
		write(out)
		write(closed)
	}
	res, err := tx.Commit(ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	return res.Version
}

// checkpoint writes a checkpoint at the latest version.
func (s *silverSim) checkpoint() {
	s.t.Helper()
	if err := s.snap().WriteCheckpoint(context.Background()); err != nil {
		s.t.Fatal(err)
	}
}

// countingStorage counts opens of data files (the reads of Parquet files).
type countingStorage struct {
	delta.Storage
	mu       sync.Mutex
	opens    map[string]int
	fail     map[string]error
	logReads int
}

func newCounting(dir string) *countingStorage {
	return &countingStorage{Storage: delta.NewLocalStorage(dir), opens: map[string]int{}, fail: map[string]error{}}
}

func (c *countingStorage) Open(ctx context.Context, p string) (delta.File, error) {
	c.mu.Lock()
	if !strings.HasPrefix(p, "_delta_log/") {
		c.opens[p]++
	}
	err := c.fail[p]
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return c.Storage.Open(ctx, p)
}

// Read counts reads of commit files (the polls).
func (c *countingStorage) Read(ctx context.Context, p string) ([]byte, error) {
	if strings.HasPrefix(p, "_delta_log/") && strings.HasSuffix(p, ".json") {
		c.mu.Lock()
		c.logReads++
		c.mu.Unlock()
	}
	return c.Storage.Read(ctx, p)
}

func (c *countingStorage) commitReads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.logReads
}

func (c *countingStorage) dataOpens() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.opens {
		out[k] = v
	}
	return out
}

// waitVersion asks the lookup's follower to poll until its index holds version v. The
// timeout is a deadlock guard only.
func waitVersion(t *testing.T, e *Enricher, name string, v int64) {
	t.Helper()
	var s source
	for _, x := range e.srcs {
		if x.config().Name == name {
			s = x
		}
	}
	guard := time.After(60 * time.Second)
	for {
		ch := s.changed()
		if st := s.stats(); st.Version >= v {
			return
		}
		s.requestPoll()
		select {
		case <-ch:
		case <-guard:
			t.Fatalf("lookup %s never reached version %d (stats %+v)", name, v, s.stats())
		}
	}
}

// lookupOne enriches a single row with the given account_id and returns the acct object.
func lookupOne(e *Enricher, id any, noWait bool) (map[string]any, Status) {
	r := e.Enrich(context.Background(), []Row{{Values: map[string]any{"account_id": id}, NoWait: noWait}})
	return r[0].Objects[0], r[0].Status[0]
}

// checkModel compares every key of the model, and some absent keys, with the lookup.
func checkModel(t *testing.T, e *Enricher, model map[int64]acct, absent ...int64) {
	t.Helper()
	for id, a := range model {
		got, st := lookupOne(e, id, true)
		if st != Found {
			t.Fatalf("account %d: status %s, want found", id, st)
		}
		if g, w := fmt.Sprint(normalize(got)), fmt.Sprint(a.want()); g != w {
			t.Fatalf("account %d:\n got %s\nwant %s", id, g, w)
		}
	}
	for _, id := range absent {
		if _, st := lookupOne(e, id, true); st != Missing {
			t.Fatalf("account %d: status %s, want missing", id, st)
		}
	}
	if n := e.Stats()[0].Rows; n != len(model) {
		t.Fatalf("index holds %d rows, the table %d", n, len(model))
	}
}

func testOptions() Options {
	o := DefaultOptions()
	o.PollInterval = time.Hour // tests poll explicitly
	o.MaxWait = 0
	return o
}
