package simulator

import (
	"container/heap"
	"fmt"
	"time"

	"github.com/ledgerflow/ledgerflow/debezium"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

var (
	firstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret", "Dennis", "Radia", "Ken", "Hedy", "Tim", "Sophie", "Linus"}
	lastNames  = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Hamilton", "Ritchie", "Perlman", "Thompson", "Lamarr", "Berners-Lee", "Wilson", "Torvalds"}
	homes      = []struct{ country, currency string }{{"DE", "EUR"}, {"FR", "EUR"}, {"NL", "EUR"}, {"ES", "EUR"}, {"IT", "EUR"}, {"GB", "GBP"}, {"US", "USD"}}
	foreign    = []string{"BR", "NG", "RU", "VN", "PH", "KZ"}
	mccs       = []string{"5411", "5812", "5999", "4111", "5732", "5541", "5912", "7011"}
	channels   = []string{"card_present", "online", "mobile"}
)

type customer struct {
	id                 int64
	first, last, email string
	phone              any // string or nil
	dob                schema.Date
	country, currency  string
	kyc                string
	risk               int64
	created, updated   time.Time
	devices            []string
	accounts           []*account
}

func (c *customer) row() []any {
	return []any{c.id, c.first, c.last, c.email, c.phone, c.dob, c.country, c.kyc, c.risk, c.created, optTime(c.updated)}
}

type account struct {
	id, customerID   int64
	typ, currency    string
	balance          int64 // cents
	creditLimit      int64 // cents; 0 = NULL
	status           string
	overdraft        bool
	created, updated time.Time
	owner            *customer
}

func (a *account) row() []any {
	var limit any
	if a.creditLimit != 0 {
		limit = decimal(a.creditLimit)
	}
	return []any{a.id, a.customerID, a.typ, a.currency, decimal(a.balance), limit, a.status, a.overdraft, a.created, optTime(a.updated)}
}

type txn struct {
	id, accountID, customerID int64
	merchantID                any // int64 or nil
	amount                    int64
	currency, status, typ     string
	channel, mcc              any // string or nil
	device                    any
	country                   string
	ip                        any
	eventTS, created, updated time.Time
	acct                      *account
}

func (t *txn) row() []any {
	return []any{t.id, t.accountID, t.customerID, t.merchantID, decimal(t.amount), t.currency, t.status, t.typ,
		t.channel, t.mcc, t.device, t.country, t.ip, t.eventTS, t.created, optTime(t.updated)}
}

// planPopulation prepares the initial customers and accounts: a snapshot (op r) in run 0,
// inserts in later runs.
func (s *Simulator) planPopulation() {
	var custs []*customer
	var accts []*account
	for i := 0; i < s.cfg.Customers; i++ {
		c := s.makeCustomer()
		c.kyc = "verified"
		c.created = s.clock.Add(-time.Duration(1+s.rng.IntN(1000)) * 24 * time.Hour)
		custs = append(custs, c)
		for n := 1 + s.rng.IntN(2); n > 0; n-- {
			a := s.makeAccount(c)
			a.created = c.created.Add(time.Duration(s.rng.IntN(48)) * time.Hour)
			a.balance = int64(s.rng.IntN(5_000_000))
			accts = append(accts, a)
		}
	}
	if s.cfg.Run > 0 {
		for _, c := range custs {
			s.snapshot = append(s.snapshot, func() ([]Event, error) {
				s.clock = s.clock.Add(time.Duration(5+s.rng.IntN(20)) * time.Millisecond)
				s.addCustomer(c)
				return s.change("customers", 'c', nil, c.row())
			})
		}
		for _, a := range accts {
			s.snapshot = append(s.snapshot, func() ([]Event, error) {
				s.clock = s.clock.Add(time.Duration(5+s.rng.IntN(20)) * time.Millisecond)
				s.addAccount(a)
				return s.change("accounts", 'c', nil, a.row())
			})
		}
		return
	}
	// Debezium gives every snapshot read the binlog position read when the snapshot began,
	// and marks the first and last record of each table and of the whole snapshot.
	src := debezium.Source{TsMs: s.clock.UnixMilli(), ServerID: 0, File: s.file, Pos: s.pos, Thread: -1}
	total := len(custs) + len(accts)
	mark := func(i, n, global int) string {
		switch {
		case global == total-1:
			return "last"
		case global == 0:
			return "first"
		case i == 0:
			return "first_in_data_collection"
		case i == n-1:
			return "last_in_data_collection"
		}
		return "true"
	}
	for i, c := range custs {
		s.snapshot = append(s.snapshot, func() ([]Event, error) {
			s.addCustomer(c)
			src.Snapshot = mark(i, len(custs), i)
			ev, err := s.emit("customers", 'r', nil, c.row(), src)
			return []Event{ev}, err
		})
	}
	for i, a := range accts {
		s.snapshot = append(s.snapshot, func() ([]Event, error) {
			s.addAccount(a)
			src.Snapshot = mark(i, len(accts), len(custs)+i)
			ev, err := s.emit("accounts", 'r', nil, a.row(), src)
			return []Event{ev}, err
		})
	}
}

func (s *Simulator) makeCustomer() *customer {
	id := s.nextCustomer
	s.nextCustomer++
	h := homes[s.rng.IntN(len(homes))]
	first, last := firstNames[s.rng.IntN(len(firstNames))], lastNames[s.rng.IntN(len(lastNames))]
	c := &customer{
		id: id, first: first, last: last, email: fmt.Sprintf("%s.%s.%d@example.org", first, last, id),
		dob:     schema.Date(-7300 + s.rng.IntN(18000)), // born 1950–1999
		country: h.country, currency: h.currency, kyc: "pending", risk: int64(s.rng.IntN(101)),
		created: s.clock,
	}
	if s.rng.IntN(4) > 0 {
		c.phone = fmt.Sprintf("+%d%09d", 30+s.rng.IntN(20), s.rng.IntN(1_000_000_000))
	}
	for n := 1 + s.rng.IntN(2); n > 0; n-- {
		c.devices = append(c.devices, s.newDeviceID())
	}
	return c
}

func (s *Simulator) newDeviceID() string {
	s.nextMerchantDevice++
	return fmt.Sprintf("dev-%d-%06d", s.cfg.Run, s.nextMerchantDevice)
}

func (s *Simulator) makeAccount(c *customer) *account {
	id := s.nextAccount
	s.nextAccount++
	a := &account{id: id, customerID: c.id, currency: c.currency, status: "active", created: s.clock, owner: c}
	switch r := s.rng.IntN(10); {
	case r < 6:
		a.typ, a.overdraft = "checking", s.rng.IntN(2) == 0
	case r < 8:
		a.typ = "savings"
	default:
		a.typ, a.creditLimit = "credit", int64(1+s.rng.IntN(20))*50_000
	}
	return a
}

func (s *Simulator) addCustomer(c *customer) {
	s.customers = append(s.customers, c)
	s.byCust[c.id] = c
}

func (s *Simulator) addAccount(a *account) {
	s.accounts = append(s.accounts, a)
	s.byAcct[a.id] = a
	a.owner.accounts = append(a.owner.accounts, a)
}

func (s *Simulator) pickAccount() *account {
	for {
		a := s.accounts[s.rng.IntN(len(s.accounts))]
		if a.status == "active" {
			return a
		}
	}
}

// newCustomer inserts a customer awaiting KYC; the decision follows minutes later.
func (s *Simulator) newCustomer() ([]Event, error) {
	c := s.makeCustomer()
	s.addCustomer(c)
	s.schedule(time.Duration(2+s.rng.IntN(18))*time.Minute, func() ([]Event, error) { return s.decideKYC(c) })
	return s.change("customers", 'c', nil, c.row())
}

// decideKYC verifies a customer (and opens an account) or rejects it (and later purges it).
func (s *Simulator) decideKYC(c *customer) ([]Event, error) {
	before := c.row()
	c.updated = s.clock
	if s.rng.IntN(10) == 0 {
		c.kyc = "rejected"
		s.schedule(time.Duration(5+s.rng.IntN(20))*time.Minute, func() ([]Event, error) { return s.deleteCustomer(c) })
		return s.change("customers", 'u', before, c.row())
	}
	c.kyc = "verified"
	out, err := s.change("customers", 'u', before, c.row())
	if err != nil {
		return nil, err
	}
	a := s.makeAccount(c)
	s.addAccount(a)
	more, err := s.change("accounts", 'c', nil, a.row())
	return append(out, more...), err
}

func (s *Simulator) deleteCustomer(c *customer) ([]Event, error) {
	delete(s.byCust, c.id)
	for i, x := range s.customers {
		if x == c {
			s.customers = append(s.customers[:i], s.customers[i+1:]...)
			break
		}
	}
	return s.change("customers", 'd', c.row(), nil)
}

// updateCustomer changes a contact detail or the risk rating.
func (s *Simulator) updateCustomer() ([]Event, error) {
	c := s.customers[s.rng.IntN(len(s.customers))]
	before := c.row()
	if s.rng.IntN(2) == 0 {
		c.phone = fmt.Sprintf("+%d%09d", 30+s.rng.IntN(20), s.rng.IntN(1_000_000_000))
	} else {
		c.risk = int64(s.rng.IntN(101))
	}
	c.updated = s.clock
	return s.change("customers", 'u', before, c.row())
}

// newTransaction inserts a pending transaction on a; its outcome follows minutes later.
func (s *Simulator) newTransaction(a *account, fraud string) ([]Event, error) {
	t := s.makeTx(a)
	s.schedule(time.Duration(1+s.rng.IntN(10))*time.Minute, func() ([]Event, error) { return s.settle(t) })
	evs, err := s.change("transactions", 'c', nil, t.row())
	for i := range evs {
		evs[i].Fraud = fraud
	}
	return evs, err
}

func (s *Simulator) makeTx(a *account) *txn {
	id := s.nextTx
	s.nextTx++
	c := a.owner
	t := &txn{id: id, accountID: a.id, customerID: c.id, currency: a.currency, status: "pending",
		country: c.country, eventTS: s.clock.Add(-time.Duration(s.rng.IntN(900)) * time.Millisecond), created: s.clock, acct: a}
	// Amounts are drawn as integer cents: money is never a float, not even here.
	switch r := s.rng.IntN(100); {
	case r < 70:
		t.amount = 100 + int64(s.rng.IntN(9_900))
	case r < 95:
		t.amount = 10_000 + int64(s.rng.IntN(90_000))
	default:
		t.amount = 100_000 + int64(s.rng.IntN(400_000))
	}
	switch r := s.rng.IntN(100); {
	case r < 75:
		t.typ = "purchase"
		t.merchantID = int64(1 + s.rng.IntN(500))
		t.mcc = mccs[s.rng.IntN(len(mccs))]
		t.channel = channels[s.rng.IntN(len(channels))]
		if t.channel != "card_present" {
			t.device = c.devices[s.rng.IntN(len(c.devices))]
			t.ip = fmt.Sprintf("198.51.100.%d", 1+c.id%250)
		}
	case r < 85:
		t.typ, t.channel, t.mcc = "withdrawal", "atm", "6011"
	case r < 93:
		t.typ, t.channel = "transfer", "online"
		t.device = c.devices[0]
	case r < 98:
		t.typ, t.channel = "deposit", "branch"
	default:
		t.typ, t.channel = "refund", "online"
		t.merchantID = int64(1 + s.rng.IntN(500))
	}
	return t
}

// settle completes (and books the balance) or fails a pending transaction; some failed ones
// are purged later.
func (s *Simulator) settle(t *txn) ([]Event, error) {
	before := t.row()
	t.updated = s.clock
	if s.rng.IntN(100) < 8 {
		t.status = "failed"
		if s.rng.IntN(3) == 0 {
			s.schedule(time.Duration(5+s.rng.IntN(30))*time.Minute, func() ([]Event, error) {
				return s.change("transactions", 'd', t.row(), nil)
			})
		}
		return s.change("transactions", 'u', before, t.row())
	}
	t.status = "completed"
	out, err := s.change("transactions", 'u', before, t.row())
	if err != nil {
		return nil, err
	}
	s.lastDone = t
	a := t.acct
	ab := a.row()
	switch t.typ {
	case "deposit", "refund":
		a.balance += t.amount
	default:
		a.balance -= t.amount
	}
	a.updated = s.clock
	more, err := s.change("accounts", 'u', ab, a.row())
	return append(out, more...), err
}

// changeTxKey re-keys a completed transaction, as an UPDATE of the primary key: Debezium
// emits a delete of the old key (header __debezium.newkey), its tombstone, and a create of
// the new key (header __debezium.oldkey), all with the binlog position of the one update.
func (s *Simulator) changeTxKey(t *txn) ([]Event, error) {
	before := t.row()
	t.id = s.nextTx
	s.nextTx++
	t.updated = s.clock
	src := s.streamSource()
	del, err := s.emit("transactions", 'd', before, nil, src)
	if err != nil {
		return nil, err
	}
	cre, err := s.emit("transactions", 'c', nil, t.row(), src)
	if err != nil {
		return nil, err
	}
	del.Headers = []Header{{Key: "__debezium.newkey", Value: cre.Key}}
	cre.Headers = []Header{{Key: "__debezium.oldkey", Value: del.Key}}
	s.stats.PKChanges++
	return []Event{del, {Table: del.Table, Topic: del.Topic, Key: del.Key}, cre}, nil
}

// burst is card testing: 8 small online purchases from one account within about a minute.
func (s *Simulator) burst() ([]Event, error) {
	a := s.pickAccount()
	merchant := int64(1 + s.rng.IntN(500))
	var out []Event
	for i := 0; i < 8; i++ {
		s.clock = s.clock.Add(time.Duration(2000+s.rng.IntN(6000)) * time.Millisecond)
		t := s.makeTx(a)
		t.typ, t.channel, t.mcc, t.merchantID = "purchase", "online", "5999", merchant
		t.amount = 100 + int64(s.rng.IntN(100)) // 1.00–1.99
		t.device = a.owner.devices[0]
		s.schedule(time.Duration(1+s.rng.IntN(10))*time.Minute, func() ([]Event, error) { return s.settle(t) })
		evs, err := s.change("transactions", 'c', nil, t.row())
		if err != nil {
			return nil, err
		}
		evs[0].Fraud = FraudBurst
		out = append(out, evs...)
	}
	s.stats.Fraud[FraudBurst]++
	return out, nil
}

func (s *Simulator) nightLarge() ([]Event, error) {
	a := s.pickAccount()
	t := s.makeTx(a)
	t.typ, t.channel, t.mcc = "purchase", "online", "5732"
	t.merchantID = int64(1 + s.rng.IntN(500))
	t.device, t.ip = a.owner.devices[0], fmt.Sprintf("198.51.100.%d", 1+a.owner.id%250)
	t.amount = 500_000 + int64(s.rng.IntN(1_500_000)) // 5,000.00–19,999.99
	s.schedule(time.Duration(1+s.rng.IntN(10))*time.Minute, func() ([]Event, error) { return s.settle(t) })
	s.stats.Fraud[FraudNightLarge]++
	evs, err := s.change("transactions", 'c', nil, t.row())
	if err == nil {
		evs[0].Fraud = FraudNightLarge
	}
	return evs, err
}

func (s *Simulator) newDeviceForeign() ([]Event, error) {
	a := s.pickAccount()
	t := s.makeTx(a)
	t.typ, t.channel, t.mcc = "purchase", "online", "5999"
	t.merchantID = int64(1 + s.rng.IntN(500))
	t.device = s.newDeviceID() // never added to the customer's devices
	t.country = foreign[s.rng.IntN(len(foreign))]
	t.ip = fmt.Sprintf("203.0.113.%d", 1+s.rng.IntN(250))
	s.schedule(time.Duration(1+s.rng.IntN(10))*time.Minute, func() ([]Event, error) { return s.settle(t) })
	s.stats.Fraud[FraudNewDeviceForeign]++
	evs, err := s.change("transactions", 'c', nil, t.row())
	if err == nil {
		evs[0].Fraud = FraudNewDeviceForeign
	}
	return evs, err
}

// dueItem is a follow-up change scheduled at a simulated time.
type dueItem struct {
	at  time.Time
	seq int64 // ties keep scheduling order, for determinism
	run func() ([]Event, error)
}

type dueHeap []*dueItem

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(*dueItem)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (s *Simulator) schedule(after time.Duration, run func() ([]Event, error)) {
	s.seq++
	heap.Push(&s.due, &dueItem{at: s.clock.Add(after), seq: s.seq, run: run})
}
