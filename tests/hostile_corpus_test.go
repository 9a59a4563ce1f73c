package tests

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// This file generates the hostile corpus of TestHostileCorpus: a history of good change events
// of the three bank tables (snapshot reads, inserts, updates, deletes with their tombstones,
// re-inserts) with bad events and oddly encoded good events shuffled into it. Everything is
// written by hand from the Debezium and Kafka Connect formats, never through the code under
// test, and is deterministic for a seed.
//
// Expected reason codes are the agreed ones (see the team brief). Where two codes are both
// defensible the accepted set is spelled out next to the variant, with the reason.

// hKind is how a column's values are written by the Debezium MySQL connector with schemas
// disabled (decimal.handling.mode=precise, time.precision.mode=adaptive_time_microseconds).
type hKind int

const (
	hkInt  hKind = iota // BIGINT, TINYINT UNSIGNED: a JSON integer
	hkBool              // TINYINT(1): 0/1, stored as a Delta boolean
	hkDec               // DECIMAL(18,2): base64 of the big-endian two's complement unscaled value
	hkStr               // CHAR, VARCHAR, ENUM: a JSON string
	hkDate              // DATE: days since 1970-01-01
	hkTs                // DATETIME(3): epoch milliseconds
)

// Typed model values. An absent column of an hRow is NULL.
type (
	hCents int64 // DECIMAL(18,2) in cents
	hDays  int64 // DATE
	hMs    int64 // DATETIME(3)
)

type hCol struct {
	name    string
	kind    hKind
	notNull bool
}

type hRow map[string]any

func (r hRow) clone() hRow {
	c := make(hRow, len(r))
	for k, v := range r {
		c[k] = v
	}
	return c
}

// hTable is one bank table: its columns as this test knows them (checked against the
// contract), how its good rows are made, and the simulated source table.
type hTable struct {
	name, topic string
	cols        []hCol
	pk          string
	scd2        bool   // silver keeps every version (pipelines/<table>.yaml stored_as_scd_type: 2)
	dayCol      string // derived silver partition column (transactions: event_date) …
	daySrc      string // … and its source
	numCol      string // a nullable numeric column the value-level variants break
	strCol      string // a nullable string column the value-level variants break
	newRow      func(r *rand.Rand, id, tsMs int64) hRow
	update      func(r *rand.Rand, row hRow, tsMs int64)

	state  map[int64]hRow // the source table now
	live   *mdbKeySet
	dead   *mdbKeySet
	nextID int64
}

func (tb *hTable) key(id int64) []byte { return fmt.Appendf(nil, `{"%s":%d}`, tb.pk, id) }

// checkContract fails when the contract and this test's idea of the table disagree, so that a
// contract change makes the test say what to extend instead of testing the wrong thing.
func (tb *hTable) checkContract(c *schemas.Table) error {
	if len(c.Columns) != len(tb.cols) {
		return fmt.Errorf("contract %s has %d columns, the hostile corpus knows %d: extend hostileTables", tb.name, len(c.Columns), len(tb.cols))
	}
	for i, col := range c.Columns {
		if col.Name != tb.cols[i].name || col.IsNullable() == tb.cols[i].notNull {
			return fmt.Errorf("contract %s column %d is %s (nullable %v), the hostile corpus has %s (not null %v): extend hostileTables",
				tb.name, i, col.Name, col.IsNullable(), tb.cols[i].name, tb.cols[i].notNull)
		}
	}
	if len(c.PrimaryKey) != 1 || c.PrimaryKey[0] != tb.pk {
		return fmt.Errorf("contract %s has primary key %v, the hostile corpus %s", tb.name, c.PrimaryKey, tb.pk)
	}
	return nil
}

var (
	hFirstNames = []string{"Ada", "José", "Zoë", "Łukasz", "Ægir", "李娜", "Ñandú", "O'Neil"}
	hLastNames  = []string{"Lovelace", "Müller", "García Márquez", "Nguyễn", "Smith-Jones", `D"Quote`, `Back\slash`}
	hCountries  = []string{"DE", "FR", "US", "GB", "PL", "VN"}
	hKYC        = []string{"pending", "verified", "rejected"}
	hAccTypes   = []string{"checking", "savings", "credit", "loan"}
	hAccStatus  = []string{"active", "frozen", "closed"}
	hCurrencies = []string{"EUR", "USD", "GBP", "CHF", "JPY"}
)

func hostileTables() []*hTable {
	nullable := func(r *rand.Rand, oneIn int, v any) any {
		if r.IntN(oneIn) == 0 {
			return nil
		}
		return v
	}
	customers := &hTable{
		name: "customers", topic: custTopic, pk: "customer_id", scd2: true, numCol: "risk_rating", strCol: "phone",
		cols: []hCol{
			{"customer_id", hkInt, true}, {"first_name", hkStr, true}, {"last_name", hkStr, true}, {"email", hkStr, true},
			{"phone", hkStr, false}, {"date_of_birth", hkDate, false}, {"country", hkStr, false}, {"kyc_status", hkStr, true},
			{"risk_rating", hkInt, false}, {"created_at", hkTs, true}, {"updated_at", hkTs, false},
		},
		newRow: func(r *rand.Rand, id, tsMs int64) hRow {
			return hRow{
				"customer_id": id, "first_name": hFirstNames[r.IntN(len(hFirstNames))], "last_name": hLastNames[r.IntN(len(hLastNames))],
				"email": fmt.Sprintf("c%d@example.org", id), "phone": nullable(r, 3, fmt.Sprintf("+49 30 %07d", r.IntN(10_000_000))),
				"date_of_birth": nullable(r, 5, hDays(-20000+r.Int64N(32000))), "country": nullable(r, 6, hCountries[r.IntN(len(hCountries))]),
				"kyc_status": hKYC[r.IntN(len(hKYC))], "risk_rating": nullable(r, 6, int64(r.IntN(256))),
				"created_at": hMs(tsMs), "updated_at": nil,
			}
		},
		update: func(r *rand.Rand, row hRow, tsMs int64) {
			switch r.IntN(4) {
			case 0:
				row["kyc_status"] = hKYC[r.IntN(len(hKYC))]
			case 1:
				row["phone"] = nullable(r, 4, fmt.Sprintf("+33 1 %08d", r.IntN(100_000_000)))
			case 2:
				row["risk_rating"] = int64(r.IntN(256))
			default:
				row["last_name"] = hLastNames[r.IntN(len(hLastNames))]
			}
			row["updated_at"] = hMs(tsMs)
		},
	}
	accounts := &hTable{
		name: "accounts", topic: "bank_server.bank.accounts", pk: "account_id", scd2: true, numCol: "credit_limit", strCol: "currency",
		cols: []hCol{
			{"account_id", hkInt, true}, {"customer_id", hkInt, true}, {"account_type", hkStr, true}, {"currency", hkStr, true},
			{"balance", hkDec, true}, {"credit_limit", hkDec, false}, {"status", hkStr, true}, {"overdraft_allowed", hkBool, false},
			{"created_at", hkTs, true}, {"updated_at", hkTs, false},
		},
		newRow: func(r *rand.Rand, id, tsMs int64) hRow {
			return hRow{
				"account_id": id, "customer_id": 1 + r.Int64N(300), "account_type": hAccTypes[r.IntN(len(hAccTypes))],
				"currency": hCurrencies[r.IntN(len(hCurrencies))], "balance": hCents(r.Int64N(2_000_000_000) - 500_000_000),
				"credit_limit": nullable(r, 2, hCents(r.Int64N(100_000_000))), "status": hAccStatus[r.IntN(len(hAccStatus))],
				"overdraft_allowed": nullable(r, 4, r.IntN(2) == 0), "created_at": hMs(tsMs), "updated_at": nil,
			}
		},
		update: func(r *rand.Rand, row hRow, tsMs int64) {
			// The change never leaves DECIMAL(18,2), also from a balance at its limit.
			old, delta := row["balance"].(hCents), hCents(r.Int64N(2_000_000)-1_000_000)
			if b := old + delta; b > hMaxCents || b < -hMaxCents {
				delta = -delta
			}
			row["balance"] = old + delta
			switch r.IntN(5) {
			case 0:
				row["status"] = hAccStatus[r.IntN(len(hAccStatus))]
			case 1:
				row["credit_limit"] = nullable(r, 3, hCents(r.Int64N(100_000_000)))
			}
			row["updated_at"] = hMs(tsMs)
		},
	}
	transactions := &hTable{
		name: "transactions", topic: txTopic, pk: "transaction_id", dayCol: "event_date", daySrc: "event_ts", numCol: "merchant_id", strCol: "device_id",
		cols: []hCol{
			{"transaction_id", hkInt, true}, {"account_id", hkInt, true}, {"customer_id", hkInt, true}, {"merchant_id", hkInt, false},
			{"amount", hkDec, true}, {"currency", hkStr, true}, {"status", hkStr, true}, {"transaction_type", hkStr, true},
			{"channel", hkStr, false}, {"merchant_category", hkStr, false}, {"device_id", hkStr, false}, {"country", hkStr, false},
			{"ip_address", hkStr, false}, {"event_ts", hkTs, true}, {"created_at", hkTs, true}, {"updated_at", hkTs, false},
		},
		// The silver model test's generator of transactions rows, reused.
		newRow: func(r *rand.Rand, id, tsMs int64) hRow { return txToH(newTxRow(r, id, tsMs)) },
		update: func(r *rand.Rand, row hRow, tsMs int64) {
			row["status"] = txStatuses[r.IntN(len(txStatuses))]
			row["updated_at"] = hMs(tsMs)
		},
	}
	out := []*hTable{customers, accounts, transactions}
	for _, tb := range out {
		tb.state, tb.live, tb.dead, tb.nextID = map[int64]hRow{}, mdbNewKeySet(), mdbNewKeySet(), 1
	}
	return out
}

func txToH(x *txRow) hRow {
	str := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	row := hRow{
		"transaction_id": x.id, "account_id": x.account, "customer_id": x.customer, "merchant_id": nil,
		"amount": hCents(x.cents), "currency": x.currency, "status": x.status, "transaction_type": x.txType,
		"channel": str(x.channel), "merchant_category": str(x.mcc), "device_id": str(x.device), "country": str(x.country),
		"ip_address": str(x.ip), "event_ts": hMs(x.eventMs), "created_at": hMs(x.createdMs), "updated_at": nil,
	}
	if x.merchant != 0 {
		row["merchant_id"] = x.merchant
	}
	if x.updatedMs != 0 {
		row["updated_at"] = hMs(x.updatedMs)
	}
	return row
}

// hMaxCents is the largest DECIMAL(18,2): 9999999999999999.99.
const hMaxCents = 999_999_999_999_999_999

// hStr is s as a JSON string (UTF-8 kept as is).
func hStr(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// hJSON is a model value as the connector writes it.
func hJSON(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		if x {
			return "1"
		}
		return "0"
	case hCents:
		return `"` + base64.StdEncoding.EncodeToString(twosComplement(int64(x))) + `"`
	case string:
		return hStr(x)
	case hDays:
		return strconv.FormatInt(int64(x), 10)
	case hMs:
		return strconv.FormatInt(int64(x), 10)
	}
	panic(fmt.Sprintf("hJSON: %T", v))
}

// hCell is the text a model value must read back as (cellText of the Delta reader's value).
func hCell(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case hCents:
		return centsText(big.NewInt(int64(x)))
	case string:
		return strconv.Quote(x)
	case hDays:
		return time.Unix(int64(x)*86400, 0).UTC().Format("2006-01-02")
	case hMs:
		return time.UnixMilli(int64(x)).UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	panic(fmt.Sprintf("hCell: %T", v))
}

// jobj is a JSON object as raw members, so that a variant can break one member, repeat a key
// or add a column without re-encoding the rest.
type jm struct{ k, v string } // raw key (with its quotes) and raw value

type jobj []jm

func (o jobj) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(m.k)
		b.WriteByte(':')
		b.WriteString(m.v)
	}
	b.WriteByte('}')
	return b.String()
}

// set replaces the value of member name (appending it when absent).
func (o jobj) set(name, raw string) jobj {
	c := slices.Clone(o)
	for i := range c {
		if c[i].k == hStr(name) {
			c[i].v = raw
			return c
		}
	}
	return append(c, jm{hStr(name), raw})
}

func (o jobj) del(name string) jobj {
	return slices.DeleteFunc(slices.Clone(o), func(m jm) bool { return m.k == hStr(name) })
}

// add appends a member even when its key is there already.
func (o jobj) add(rawKey, raw string) jobj { return append(slices.Clone(o), jm{rawKey, raw}) }

// rename replaces a member's raw key, keeping its place.
func (o jobj) rename(name, rawKey string) jobj {
	c := slices.Clone(o)
	for i := range c {
		if c[i].k == hStr(name) {
			c[i].k = rawKey
		}
	}
	return c
}

func (o jobj) get(name string) string {
	for _, m := range o {
		if m.k == hStr(name) {
			return m.v
		}
	}
	return ""
}

func (tb *hTable) rowObj(row hRow) jobj {
	o := make(jobj, 0, len(tb.cols))
	for _, c := range tb.cols {
		o = append(o, jm{hStr(c.name), hJSON(row[c.name])})
	}
	return o
}

// hChange is one source change: what the model applies when the event carrying it is good.
type hChange struct {
	tb            *hTable
	op            byte // c u d r
	id            int64
	before, after hRow
	pos           srcPos
	tsMs          int64 // source.ts_ms
	snapshot      string
}

// image is the row a bronze row of the change holds: the before image of a delete.
func (ch *hChange) image() hRow {
	if ch.op == 'd' {
		return ch.before
	}
	return ch.after
}

func (ch *hChange) source() jobj {
	serverID, thread := "223344", "7"
	if ch.op == 'r' {
		serverID, thread = "0", "null"
	}
	return jobj{
		{`"version"`, `"3.0.1.Final"`}, {`"connector"`, `"mysql"`}, {`"name"`, `"bank_server"`},
		{`"ts_ms"`, strconv.FormatInt(ch.tsMs, 10)}, {`"snapshot"`, hStr(ch.snapshot)}, {`"db"`, `"bank"`},
		{`"sequence"`, "null"}, {`"table"`, hStr(ch.tb.name)}, {`"server_id"`, serverID}, {`"gtid"`, "null"},
		{`"file"`, hStr(fmt.Sprintf("mysql-bin.%06d", ch.pos.file))}, {`"pos"`, strconv.FormatInt(ch.pos.pos, 10)},
		{`"row"`, strconv.FormatInt(ch.pos.row, 10)}, {`"thread"`, thread}, {`"query"`, "null"},
	}
}

// hEnv is an event value being built: the envelope's parts and the hooks a variant uses to
// break it at one depth.
type hEnv struct {
	before, after *jobj // nil: null
	source        jobj
	op            string // raw JSON of the op value
	tsMs          int64
	schema        string // raw schema block; "" for schemas disabled
	top           func(jobj) jobj
	srcPost       func(string) string
	afterPost     func(string) string
}

func (ch *hChange) env() *hEnv {
	e := &hEnv{source: ch.source(), op: `"` + string(ch.op) + `"`, tsMs: ch.tsMs + 3}
	if ch.before != nil {
		o := ch.tb.rowObj(ch.before)
		e.before = &o
	}
	if ch.after != nil {
		o := ch.tb.rowObj(ch.after)
		e.after = &o
	}
	return e
}

func (e *hEnv) render() []byte {
	img := func(o *jobj, post func(string) string) string {
		if o == nil {
			return "null"
		}
		s := o.String()
		if post != nil {
			s = post(s)
		}
		return s
	}
	src := e.source.String()
	if e.srcPost != nil {
		src = e.srcPost(src)
	}
	top := jobj{
		{`"before"`, img(e.before, nil)}, {`"after"`, img(e.after, e.afterPost)}, {`"source"`, src},
		{`"op"`, e.op}, {`"ts_ms"`, strconv.FormatInt(e.tsMs, 10)}, {`"transaction"`, "null"},
	}
	if e.top != nil {
		top = e.top(top)
	}
	s := top.String()
	if e.schema != "" {
		s = `{"schema":` + e.schema + `,"payload":` + s + `}`
	}
	return []byte(s)
}

// replaceOnce replaces the first old in s and panics when there is none: a variant that
// does not apply is a bug of the generator, not a test of the pipeline.
func replaceOnce(s, old, new string) string {
	if !strings.Contains(s, old) {
		panic(fmt.Sprintf("hostile corpus: %q not in %.200s", old, s))
	}
	return strings.Replace(s, old, new, 1)
}

// txSchema is the Kafka Connect schema block of a bank.transactions envelope as the MySQL
// connector writes it. col replaces (or, with "", drops) the field schema of a column in both
// images; afterFields replaces the after struct's fields; source replaces the source schema.
func txSchema(col map[string]string, afterFields, source string) string {
	field := func(name string) string {
		if s, ok := col[name]; ok {
			return s
		}
		switch name {
		case "transaction_id", "account_id", "customer_id":
			return fmt.Sprintf(`{"type":"int64","optional":false,"field":%q}`, name)
		case "merchant_id":
			return `{"type":"int64","optional":true,"field":"merchant_id"}`
		case "amount":
			return hDecimalSchema(`{"scale":"2","connect.decimal.precision":"18"}`)
		case "currency":
			return `{"type":"string","optional":false,"field":"currency"}`
		case "merchant_category", "device_id", "country", "ip_address":
			return fmt.Sprintf(`{"type":"string","optional":true,"field":%q}`, name)
		case "status":
			return `{"type":"string","optional":false,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"pending,completed,failed,reversed"},"field":"status"}`
		case "transaction_type":
			return `{"type":"string","optional":false,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"purchase,withdrawal,transfer,deposit,refund"},"field":"transaction_type"}`
		case "channel":
			return `{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"card_present,online,atm,mobile,branch"},"field":"channel"}`
		case "event_ts", "created_at":
			return fmt.Sprintf(`{"type":"int64","optional":false,"name":"io.debezium.time.Timestamp","version":1,"field":%q}`, name)
		case "updated_at":
			return `{"type":"int64","optional":true,"name":"io.debezium.time.Timestamp","version":1,"field":"updated_at"}`
		}
		panic(name)
	}
	var fs []string
	for _, c := range []string{"transaction_id", "account_id", "customer_id", "merchant_id", "amount", "currency", "status", "transaction_type",
		"channel", "merchant_category", "device_id", "country", "ip_address", "event_ts", "created_at", "updated_at"} {
		if f := field(c); f != "" {
			fs = append(fs, f)
		}
	}
	fields := "[" + strings.Join(fs, ",") + "]"
	img := func(f, which string) string {
		return `{"type":"struct","fields":` + f + `,"optional":true,"name":"bank_server.bank.transactions.Value","field":"` + which + `"}`
	}
	after := fields
	if afterFields != "" {
		after = afterFields
	}
	if source == "" {
		source = `{"type":"struct","fields":[{"type":"string","optional":false,"field":"version"},{"type":"string","optional":false,"field":"connector"},` +
			`{"type":"string","optional":false,"field":"name"},{"type":"int64","optional":false,"field":"ts_ms"},` +
			`{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"},` +
			`{"type":"string","optional":false,"field":"db"},{"type":"string","optional":true,"field":"sequence"},{"type":"string","optional":true,"field":"table"},` +
			`{"type":"int64","optional":false,"field":"server_id"},{"type":"string","optional":true,"field":"gtid"},{"type":"string","optional":false,"field":"file"},` +
			`{"type":"int64","optional":false,"field":"pos"},{"type":"int32","optional":false,"field":"row"},{"type":"int64","optional":true,"field":"thread"},` +
			`{"type":"string","optional":true,"field":"query"}],"optional":false,"name":"io.debezium.connector.mysql.Source","field":"source"}`
	}
	return `{"type":"struct","fields":[` + img(fields, "before") + `,` + img(after, "after") + `,` + source + `,` +
		`{"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"},` +
		`{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},{"type":"int64","optional":false,"field":"total_order"},{"type":"int64","optional":false,"field":"data_collection_order"}],"optional":true,"name":"event.block","version":1,"field":"transaction"}],` +
		`"optional":false,"name":"bank_server.bank.transactions.Envelope","version":2}`
}

func hDecimalSchema(params string) string {
	p := ""
	if params != "" {
		p = `"parameters":` + params + `,`
	}
	return `{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,` + p + `"field":"amount"}`
}

// hCat is a category of the corpus.
type hCat struct {
	name   string
	good   bool
	want   []string // bad: the accepted reason codes
	rule   string   // what the category checks, for the outcome table
	syntax bool     // every value is invalid JSON for encoding/json (checked by the generator)
	events []*hEvent
}

// hEvent is one Kafka record of the corpus.
type hEvent struct {
	cat   *hCat
	tb    *hTable
	note  string   // the variant
	want  []string // nil: cat.want
	key   []byte   // nil: no key
	value []byte   // nil: a tombstone
	ch    *hChange // a good row event: the change the model applies
	base  *hChange // a bad event: the change it was made from (never applied)
	seq   int

	part   int32
	off    int64
	ts     time.Time
	header []hHeader
}

type hHeader struct{ Key, Value string }

func (e *hEvent) wants() []string {
	if e.want != nil {
		return e.want
	}
	return e.cat.want
}

func (e *hEvent) coord() string { return fmt.Sprintf("%s/%d/%d", e.tb.topic, e.part, e.off) }

// hCorpus is the generated corpus in production order.
type hCorpus struct {
	g      *hGen
	tables []*hTable
	cats   []*hCat
	events []*hEvent
}

type hGen struct {
	r       *rand.Rand
	tables  []*hTable
	byName  map[string]*hTable
	cats    []*hCat
	catBy   map[string]*hCat
	events  []*hEvent
	tsMs    int64
	pos     int64 // binlog position of the next good change (mysql-bin.000003)
	badPos  int64 // bad events sit in mysql-bin.000900: accepted by mistake, they win in silver
	freshID int64 // keys of bad creates: 800001… never used by a good event
}

func (g *hGen) cat(name string, good bool, want []string, rule string) *hCat {
	c := &hCat{name: name, good: good, want: want, rule: rule}
	g.cats = append(g.cats, c)
	g.catBy[name] = c
	return c
}

func (g *hGen) emit(c *hCat, tb *hTable, note string, want []string, key, value []byte, ch *hChange) *hEvent {
	ev := &hEvent{cat: c, tb: tb, note: note, want: want, key: key, value: value, ch: ch, seq: len(g.events)}
	g.events = append(g.events, ev)
	c.events = append(c.events, ev)
	return ev
}

func (g *hGen) tick() int64 {
	g.tsMs += 500 + g.r.Int64N(1000)
	return g.tsMs
}

func (g *hGen) nextPos() srcPos {
	g.pos += 100 + g.r.Int64N(400)
	return srcPos{3, g.pos, 0}
}

// Good changes of the source table.

func (g *hGen) create(tb *hTable, id int64) *hChange {
	ts := g.tick()
	return &hChange{tb: tb, op: 'c', id: id, after: tb.newRow(g.r, id, ts), pos: g.nextPos(), tsMs: ts, snapshot: "false"}
}

func (g *hGen) update(tb *hTable, id int64) *hChange {
	ts := g.tick()
	after := tb.state[id].clone()
	tb.update(g.r, after, ts)
	return &hChange{tb: tb, op: 'u', id: id, before: tb.state[id], after: after, pos: g.nextPos(), tsMs: ts, snapshot: "false"}
}

func (g *hGen) remove(tb *hTable, id int64) *hChange {
	ts := g.tick()
	return &hChange{tb: tb, op: 'd', id: id, before: tb.state[id], pos: g.nextPos(), tsMs: ts, snapshot: "false"}
}

// randomChange is a change the workload would make next: mostly updates, some inserts,
// deletes and re-inserts of deleted keys.
func (g *hGen) randomChange(tb *hTable) *hChange {
	x := g.r.IntN(100)
	switch {
	case tb.live.len() == 0 || x < 22:
		tb.nextID++
		return g.create(tb, tb.nextID-1)
	case x < 85:
		id, _ := tb.live.pick(g.r)
		return g.update(tb, id)
	case x < 95 || tb.dead.len() == 0:
		id, _ := tb.live.pick(g.r)
		return g.remove(tb, id)
	default:
		id, _ := tb.dead.pick(g.r)
		return g.create(tb, id)
	}
}

// changeOf is a good change of tb with the given op when the table allows it.
func (g *hGen) changeOf(tb *hTable, op byte) *hChange {
	switch {
	case op == 'u' && tb.live.len() > 0:
		id, _ := tb.live.pick(g.r)
		return g.update(tb, id)
	case op == 'd' && tb.live.len() > 0:
		id, _ := tb.live.pick(g.r)
		return g.remove(tb, id)
	}
	tb.nextID++
	return g.create(tb, tb.nextID-1)
}

// good emits the event of a good change (value nil: the plain encoding), applies it to the
// source table and, after a delete, emits the tombstone Debezium writes.
func (g *hGen) good(c *hCat, ch *hChange, value []byte, note string) *hEvent {
	tb := ch.tb
	if value == nil {
		value = ch.env().render()
	}
	ev := g.emit(c, tb, note, nil, tb.key(ch.id), value, ch)
	switch ch.op {
	case 'd':
		delete(tb.state, ch.id)
		tb.live.remove(ch.id)
		tb.dead.add(ch.id)
		g.emit(g.catBy["good_tombstone"], tb, "tombstone after a delete", nil, tb.key(ch.id), nil, nil)
	default:
		tb.state[ch.id] = ch.after
		tb.live.add(ch.id)
		tb.dead.remove(ch.id)
	}
	return ev
}

// oddGood emits a good change whose row is first adjusted by row (the model keeps the
// adjusted values) and whose event is encoded by enc and then post (either may be nil).
func (g *hGen) oddGood(c *hCat, tb *hTable, op byte, note string, row func(hRow), enc func(*hEnv, *hChange), post func([]byte) []byte) *hEvent {
	ch := g.changeOf(tb, op)
	if row != nil && ch.after != nil {
		row(ch.after)
	}
	e := ch.env()
	if enc != nil {
		enc(e, ch)
	}
	v := e.render()
	if post != nil {
		v = post(v)
	}
	return g.good(c, ch, v, note)
}

// Bad events: a change of a live key (or a create of a fresh key) that is never applied.

func (g *hGen) badBase(tb *hTable, op byte) *hChange {
	ts := g.tick()
	g.badPos += 100
	pos := srcPos{900, g.badPos, 0}
	if op == 0 {
		op = "cu"[g.r.IntN(2)]
	}
	if (op == 'u' || op == 'd') && tb.live.len() > 0 {
		id, _ := tb.live.pick(g.r)
		ch := &hChange{tb: tb, op: op, id: id, before: tb.state[id], pos: pos, tsMs: ts, snapshot: "false"}
		if op != 'd' {
			ch.after = tb.state[id].clone()
			tb.update(g.r, ch.after, ts)
		}
		return ch
	}
	g.freshID++
	id := 800_000 + g.freshID
	row := tb.newRow(g.r, id, ts)
	switch op {
	case 'd':
		return &hChange{tb: tb, op: 'd', id: id, before: row, pos: pos, tsMs: ts, snapshot: "false"}
	case 'u':
		after := row.clone()
		tb.update(g.r, after, ts)
		return &hChange{tb: tb, op: 'u', id: id, before: row, after: after, pos: pos, tsMs: ts, snapshot: "false"}
	}
	return &hChange{tb: tb, op: op, id: id, after: row, pos: pos, tsMs: ts, snapshot: "false"}
}

// bad emits a bad event built from a base change (op 0: create or update): enc breaks the
// envelope, post the rendered bytes (returning a note, or "" to keep note).
func (g *hGen) bad(c *hCat, tb *hTable, op byte, note string, want []string, enc func(*hEnv, *hChange), post func([]byte) ([]byte, string)) *hEvent {
	ch := g.badBase(tb, op)
	e := ch.env()
	if enc != nil {
		enc(e, ch)
	}
	v := e.render()
	if post != nil {
		var n string
		if v, n = post(v); n != "" {
			note = n
		}
	}
	ev := g.emit(c, tb, note, want, tb.key(ch.id), v, nil)
	ev.base = ch
	return ev
}

// badCol is a bad event whose after image has column col set to raw.
func (g *hGen) badCol(c *hCat, tb *hTable, col, raw string, want []string) {
	g.bad(c, tb, 0, hNote(col+" = "+raw), want, func(e *hEnv, _ *hChange) { *e.after = e.after.set(col, raw) }, nil)
}

// hNote shortens a variant's description for the report.
func hNote(s string) string {
	s = strings.ToValidUTF8(s, "\\x??")
	if len(s) > 70 {
		return fmt.Sprintf("%s…(%d bytes)", s[:60], len(s))
	}
	return s
}

// genHostileCorpus generates the corpus of seed. only, when not empty, keeps just the listed
// categories of bad and odd events (the plain good history is always there).
func genHostileCorpus(seed uint64, only map[string]bool) *hCorpus {
	g := &hGen{r: rand.New(rand.NewPCG(seed, 0x40571e)), catBy: map[string]*hCat{}, tsMs: 1772323200000, pos: 1000}
	g.tables = hostileTables()
	g.byName = map[string]*hTable{}
	for _, tb := range g.tables {
		g.byName[tb.name] = tb
	}
	plain := g.cat("good_changes", true, nil, "snapshot reads, inserts, updates, deletes, re-inserts in the plain encoding")
	g.cat("good_tombstone", true, nil, "the tombstone after each delete: advances the offset, writes no row")

	// The initial snapshot of customers and accounts: reads at the snapshot's start position.
	for _, tb := range g.tables[:2] {
		for i := 0; i < 60; i++ {
			ts := g.tick()
			snap := "true"
			if i == 59 {
				snap = "last"
			}
			ch := &hChange{tb: tb, op: 'r', id: tb.nextID, after: tb.newRow(g.r, tb.nextID, ts), pos: srcPos{3, 154, 0}, tsMs: ts, snapshot: snap}
			tb.nextID++
			g.good(plain, ch, nil, "snapshot read")
		}
	}

	steps := g.hostileSteps()
	if len(only) > 0 {
		steps = slices.DeleteFunc(steps, func(s hStep) bool { return !only[s.cat.name] })
		g.cats = slices.DeleteFunc(g.cats, func(c *hCat) bool { return c != plain && c.name != "good_tombstone" && !only[c.name] })
	}
	const goodChanges = 2400
	all := make([]func(), goodChanges, goodChanges+len(steps))
	for _, s := range steps {
		all = append(all, s.f)
	}
	g.r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	weights := []int{23, 22, 55} // customers, accounts, transactions
	for _, step := range all {
		if step != nil {
			step()
			continue
		}
		x, tb := g.r.IntN(100), g.tables[2]
		if x < weights[0] {
			tb = g.tables[0]
		} else if x < weights[0]+weights[1] {
			tb = g.tables[1]
		}
		g.good(plain, g.randomChange(tb), nil, "")
	}
	return &hCorpus{g: g, tables: g.tables, cats: g.cats, events: g.events}
}

// tail is a good update of a live key of tb in every partition that has one, produced after
// the corpus: every bad event then has a later good event in its partition, which shows
// that the pipeline went on past it.
func (hc *hCorpus) tail(tb *hTable, partitions int32) ([]*hEvent, error) {
	g := hc.g
	lastPart := map[int64]int32{}
	for _, ev := range hc.events {
		if ev.tb == tb && ev.ch != nil {
			lastPart[ev.ch.id] = ev.part
		}
	}
	var out []*hEvent
	for p := int32(0); p < partitions; p++ {
		var id int64 = -1
		for _, k := range tb.live.keys {
			if lastPart[k] == p && (id < 0 || k < id) {
				id = k
			}
		}
		if id < 0 {
			return nil, fmt.Errorf("hostile corpus: no live %s key in partition %d for the tail", tb.name, p)
		}
		out = append(out, g.good(g.catBy["good_changes"], g.update(tb, id), nil, "tail update"))
	}
	hc.events = g.events
	return out, nil
}

// hStep adds one event of a category.
type hStep struct {
	cat *hCat
	f   func()
}

// hostileSteps registers the categories and returns one step per event they add, to be
// shuffled into the good history.
func (g *hGen) hostileSteps() []hStep {
	var steps []hStep
	// c is the category being registered; add binds a step to it (the variable moves on).
	var c *hCat
	add := func(f func(c *hCat)) {
		cur := c
		steps = append(steps, hStep{cur, func() { f(cur) }})
	}
	cu, ac, tx := g.byName["customers"], g.byName["accounts"], g.byName["transactions"]
	tabs := []*hTable{tx, cu, ac}
	mj := []string{"malformed_json"}
	badUTF8 := []string{"invalid_utf8", "malformed_json"}

	// --- Malformed JSON at every depth. ---
	c = g.cat("json_truncated", false, mj, "an event cut short anywhere")
	c.syntax = true
	for i := 0; i < 10; i++ {
		add(func(c *hCat) {
			g.bad(c, tabs[i%3], 0, "", nil, nil, func(v []byte) ([]byte, string) {
				cut := []int{1, len(v) / 4, len(v) / 2, len(v) - 1, 2 + g.r.IntN(len(v)-3)}[i%5]
				return v[:cut:cut], fmt.Sprintf("cut at byte %d of %d", cut, len(v))
			})
		})
	}
	c = g.cat("json_envelope_syntax", false, mj, "broken syntax between the envelope's members")
	c.syntax = true
	for i, rep := range [][2]string{
		{`,"op":`, ` "op":`}, {`,"op":`, `,"op"=`}, {`,"op":`, `,op:`}, {`,"op":`, `,'op':`}, {`{"before":`, `{"before"::`},
		{`{"before":`, `{before":`}, {`{"before":`, `{{"before":`}, {`"transaction":null`, `"transaction"null`},
		{`"transaction":null}`, `"transaction":null,}`}, {`"transaction":null}`, `"transaction":null]`},
	} {
		add(func(c *hCat) {
			g.bad(c, tabs[i%3], 0, hNote(rep[0]+" → "+rep[1]), nil, nil, func(v []byte) ([]byte, string) {
				return []byte(replaceOnce(string(v), rep[0], rep[1])), ""
			})
		})
	}
	c = g.cat("json_source_syntax", false, mj, "broken syntax inside source")
	c.syntax = true
	for i, rep := range [][2]string{
		{`"pos":`, `"pos"`}, {`,"row":`, `,,"row":`}, {`"file":"mysql-bin.`, `"file":mysql-bin.`}, {`{"version"`, `{"version" ,`},
		{`"query":null}`, `"query":null,}`}, {`"server_id":223344`, `"server_id":223344 1`}, {`"db":"bank"`, `"db":"bank"}`},
		{`"ts_ms":`, `"ts_ms":--`}, {`"snapshot":"false"`, `"snapshot":"false`}, {`"connector":"mysql"`, `"connector":"mysql\"`},
	} {
		add(func(c *hCat) {
			g.bad(c, tabs[i%3], 0, hNote("source: "+rep[0]+" → "+rep[1]), nil, func(e *hEnv, _ *hChange) {
				e.srcPost = func(s string) string { return replaceOnce(s, rep[0], rep[1]) }
			}, nil)
		})
	}
	c = g.cat("json_after_syntax", false, mj, "broken syntax inside after")
	c.syntax = true
	for i := 0; i < 10; i++ {
		tb := tabs[i%3]
		member := `,"` + tb.cols[2].name + `":`
		rep := [][2]string{
			{member, " " + member[1:]}, {member, "," + member}, {member, member[:len(member)-1] + " "}, {member, member[:len(member)-1] + "="},
			{member, "," + member[2:]}, {`{"` + tb.pk, `{,"` + tb.pk}, {`{"` + tb.pk + `"`, `{` + tb.pk}, {`"updated_at":`, `"updated_at"`},
			{member, ",'" + tb.cols[2].name + "':"}, {`{"` + tb.pk, `{{"` + tb.pk},
		}[i]
		add(func(c *hCat) {
			g.bad(c, tb, 0, hNote("after: "+rep[0]+" → "+rep[1]), nil, func(e *hEnv, _ *hChange) {
				e.afterPost = func(s string) string { return replaceOnce(s, rep[0], rep[1]) }
			}, nil)
		})
	}
	c = g.cat("json_value_syntax", false, mj, "a column value that is not a JSON value")
	c.syntax = true
	for i, raw := range []string{"01", "-", "1.", ".5", "+1", "tru", "nul", `"unterminated`, "\"a\x01b\"", `"\x41"`, `"\u12"`, "Infinity", "NaN", "0x10", "1e", "--1"} {
		tb := tabs[i%3]
		col := tb.numCol
		if strings.HasPrefix(raw, `"`) {
			col = tb.strCol
		}
		add(func(c *hCat) { g.badCol(c, tb, col, raw, nil) })
	}
	c = g.cat("trailing_garbage", false, mj, "anything but whitespace after the event's closing brace")
	c.syntax = true
	for i, tail := range []string{"\x00", "x", "}", "{}", ",", "//c", `\u0000`, "null", " 1", "", "\n\x00", "]"} {
		add(func(c *hCat) {
			g.bad(c, tabs[i%3], 0, hNote(fmt.Sprintf("followed by %q", tail)), nil, nil, func(v []byte) ([]byte, string) {
				if tail == "" {
					return append(slices.Clone(v), v...), "the event twice"
				}
				return append(slices.Clone(v), tail...), ""
			})
		})
	}
	// Nesting far beyond any Debezium event (encoding/json stops at 10,000 levels); the
	// agreed code counts too deep a document as malformed_json, wherever the nesting is.
	c = g.cat("deep_nesting", false, mj, "100k to 1M levels of nesting in a skipped or unknown member")
	c.syntax = true
	deepArr := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	deepObj := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	for i, v := range []struct {
		where string
		n     int
	}{{"source", 100_000}, {"after", 100_000}, {"transaction", 1_000_000}, {"source", 300_000}} {
		add(func(c *hCat) {
			g.bad(c, tabs[i%3], 0, fmt.Sprintf("%d levels in %s", v.n, v.where), nil, func(e *hEnv, _ *hChange) {
				switch v.where {
				case "source":
					e.source = e.source.set("deep", deepArr(v.n))
				case "after":
					*e.after = e.after.set("deep", deepObj(v.n))
				default:
					e.top = func(o jobj) jobj { return o.set("transaction", deepArr(v.n)) }
				}
			}, nil)
		})
	}
	// Valid JSON that is not an envelope object. (The JSON text null is a tombstone, and an
	// empty value is a tombstone to some clients: neither is here.)
	c = g.cat("not_an_object", false, mj, "the value is JSON but not an object")
	for i, v := range []string{"[]", `"event"`, "42", "true", "   ", "false", "[{}]"} {
		add(func(c *hCat) {
			tb := tabs[i%3]
			g.freshID++
			g.emit(c, tb, hNote("value "+v), nil, tb.key(800_000+g.freshID), []byte(v), nil)
		})
	}
	c = g.cat("missing_payload", false, []string{"missing_payload"}, "an object without the envelope, or a schema wrapper without payload")
	for i, v := range []string{"{}", `{"foo":1}`, `{"schema":` + txSchema(nil, "", "") + `}`, `{"schema":` + txSchema(nil, "", "") + `,"other":{}}`} {
		add(func(c *hCat) {
			tb := tabs[0]
			if i < 2 {
				tb = tabs[1+i]
			}
			g.freshID++
			g.emit(c, tb, hNote("value "+v), nil, tb.key(800_000+g.freshID), []byte(v), nil)
		})
	}

	// --- Encoding. Invalid UTF-8 makes the text not JSON (RFC 8259 §8.1) and is also
	// literally an invalid_utf8 string: both codes are accepted. The same holds for a lone
	// surrogate escape, which decodes to no Unicode scalar value. ---
	c = g.cat("invalid_utf8", false, badUTF8, "bytes that are not UTF-8 in a string")
	for i, s := range []string{"\xff", "Ad\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80abc", "\xfe\xfe"} {
		tb := tabs[i%3]
		add(func(c *hCat) { g.badCol(c, tb, tb.strCol, `"`+s+`"`, nil) })
	}
	add(func(c *hCat) {
		g.bad(c, tx, 0, `source.query = "INSERT \xff"`, nil, func(e *hEnv, _ *hChange) { e.source = e.source.set("query", "\"INSERT \xff\"") }, nil)
	})
	add(func(c *hCat) {
		g.bad(c, cu, 0, `top-level "note":"\xff"`, nil, func(e *hEnv, _ *hChange) {
			e.top = func(o jobj) jobj { return o.set("note", "\"\xff\"") }
		}, nil)
	})
	// An op that is invalid UTF-8 is also no op.
	add(func(c *hCat) {
		g.bad(c, ac, 'c', `op = "c\xff"`, []string{"invalid_utf8", "malformed_json", "unknown_op"}, func(e *hEnv, _ *hChange) { e.op = "\"c\xff\"" }, nil)
	})
	c = g.cat("lone_surrogate", false, badUTF8, "a \\u escape of half a surrogate pair")
	for i, s := range []string{`"\ud800"`, `"\udfff"`, `"ab\ud800cd"`, `"\ud800\u0041"`, `"\ude00\ud83d"`, `"x\ud83d"`, `"\uDBFF"`, `"x\uD800\uD800"`} {
		tb := tabs[i%3]
		add(func(c *hCat) { g.badCol(c, tb, tb.strCol, s, nil) })
	}

	// --- Wrong JSON types per logical type. A fractional number for an integer column is the
	// right JSON type with an impossible value: type_mismatch or invalid_value. ---
	tmOrIV := []string{"type_mismatch", "invalid_value"}
	tm := []string{"type_mismatch"}
	c = g.cat("wrong_type_int", false, tm, "BIGINT / TINYINT UNSIGNED given a string, boolean, array or object")
	for _, v := range []struct {
		tb       *hTable
		col, raw string
		want     []string
	}{
		{tx, "account_id", `"12"`, nil}, {tx, "customer_id", "true", nil}, {tx, "merchant_id", "[1]", nil}, {tx, "merchant_id", "{}", nil},
		{cu, "risk_rating", `"5"`, nil}, {cu, "risk_rating", "false", nil}, {ac, "customer_id", `"7"`, nil},
		{tx, "merchant_id", "1.5", tmOrIV}, {cu, "risk_rating", "2.5", tmOrIV}, {ac, "customer_id", "-0.25", tmOrIV},
	} {
		add(func(c *hCat) { g.badCol(c, v.tb, v.col, v.raw, v.want) })
	}
	c = g.cat("wrong_type_decimal", false, tm, "DECIMAL (precise: base64 bytes) given a boolean or array")
	for _, v := range []struct {
		tb       *hTable
		col, raw string
	}{{tx, "amount", "true"}, {tx, "amount", "[1]"}, {tx, "amount", "false"}, {tx, "amount", "[]"}, {ac, "balance", "true"}, {ac, "balance", `["AJg="]`}, {ac, "credit_limit", "false"}, {ac, "credit_limit", "[0]"}} {
		add(func(c *hCat) { g.badCol(c, v.tb, v.col, v.raw, nil) })
	}
	c = g.cat("decimal_bad_base64", false, []string{"invalid_value"}, "DECIMAL bytes that are not base64, or no bytes at all")
	for _, v := range []struct {
		tb       *hTable
		col, raw string
	}{{tx, "amount", `"@@@@"`}, {tx, "amount", `"AJg=!"`}, {tx, "amount", `"A==="`}, {tx, "amount", `"%%"`}, {ac, "balance", `"****"`}, {ac, "balance", `""`}} {
		add(func(c *hCat) { g.badCol(c, v.tb, v.col, v.raw, nil) })
	}
	c = g.cat("wrong_type_date", false, tm, "DATE (int32 days) given a boolean, array, object, text or fraction")
	for _, v := range []struct {
		raw  string
		want []string
	}{{"true", nil}, {"[1]", nil}, {"{}", nil}, {`"nineteen"`, tmOrIV}, {"1.5", tmOrIV}, {`"1990-13-45"`, tmOrIV}} {
		add(func(c *hCat) { g.badCol(c, cu, "date_of_birth", v.raw, v.want) })
	}
	c = g.cat("wrong_type_timestamp", false, tm, "DATETIME(3) (int64 epoch ms) given a boolean, array, object, text or fraction")
	for _, v := range []struct {
		tb       *hTable
		col, raw string
		want     []string
	}{
		{tx, "event_ts", "true", nil}, {tx, "event_ts", "[]", nil}, {tx, "event_ts", "{}", nil}, {cu, "created_at", "false", nil},
		{cu, "created_at", `"yesterday"`, tmOrIV}, {tx, "event_ts", "1714521600000.5", tmOrIV},
		{ac, "updated_at", `"2024-13-01T00:00:00Z"`, tmOrIV}, {tx, "event_ts", `"12:00"`, tmOrIV},
	} {
		add(func(c *hCat) { g.badCol(c, v.tb, v.col, v.raw, v.want) })
	}
	c = g.cat("wrong_type_enum", false, tm, "ENUM given a number, boolean, array or object")
	for _, v := range []struct {
		tb       *hTable
		col, raw string
	}{{tx, "status", "1"}, {tx, "status", "true"}, {tx, "transaction_type", "[]"}, {cu, "kyc_status", "2"}, {ac, "account_type", "{}"}, {ac, "status", "false"}} {
		add(func(c *hCat) { g.badCol(c, v.tb, v.col, v.raw, nil) })
	}
	c = g.cat("wrong_type_string", false, tm, "CHAR / VARCHAR given a number, boolean, array or object")
	for _, v := range []struct {
		tb       *hTable
		col, raw string
	}{{tx, "currency", "978"}, {cu, "first_name", "true"}, {cu, "email", `["a@b"]`}, {cu, "country", "{}"}, {tx, "device_id", "12"}, {tx, "ip_address", "false"}} {
		add(func(c *hCat) { g.badCol(c, v.tb, v.col, v.raw, nil) })
	}
	c = g.cat("wrong_type_bool", false, tm, "TINYINT(1) given a string, array or object")
	for _, raw := range []string{`"yes"`, "[]", "{}", `"1"`} {
		add(func(c *hCat) { g.badCol(c, ac, "overdraft_allowed", raw, nil) })
	}

	// --- Overflow per type. A number beyond 64 bits cannot be read as a BIGINT at all:
	// contract_range or invalid_value. ---
	c = g.cat("range_tinyint_unsigned", false, []string{"contract_range"}, "TINYINT UNSIGNED outside 0..255")
	for _, raw := range []string{"256", "-1", "1000", "65536", "-129", "32768"} {
		add(func(c *hCat) { g.badCol(c, cu, "risk_rating", raw, nil) })
	}
	crIV := []string{"contract_range", "invalid_value"}
	c = g.cat("range_bigint", false, crIV, "BIGINT outside the signed 64-bit range")
	for _, v := range []struct {
		tb       *hTable
		col, raw string
	}{{tx, "merchant_id", "9223372036854775808"}, {tx, "merchant_id", "-9223372036854775809"}, {tx, "merchant_id", "100000000000000000000000000000"},
		{ac, "customer_id", "18446744073709551616"}, {tx, "account_id", "99999999999999999999"}} {
		add(func(c *hCat) { g.badCol(c, v.tb, v.col, v.raw, nil) })
	}
	// TINYINT(1) is MySQL's BOOLEAN, stored as a Delta boolean: 2 is no boolean.
	c = g.cat("range_bool", false, crIV, "TINYINT(1) stored as boolean given another integer")
	for _, raw := range []string{"2", "-1", "255"} {
		add(func(c *hCat) { g.badCol(c, ac, "overdraft_allowed", raw, nil) })
	}
	c = g.cat("decimal_precision", false, []string{"contract_precision"}, "DECIMAL(18,2) with more than 16 integer digits (bytes or a JSON number)")
	b64 := func(v *big.Int) string {
		return `"` + base64.StdEncoding.EncodeToString(hTwos(v)) + `"`
	}
	pow10 := func(n int64) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(n), nil) }
	for _, v := range []struct {
		tb       *hTable
		col, raw string
		want     []string
	}{
		{tx, "amount", b64(pow10(18)), nil}, // 10000000000000000.00: 17 integer digits
		{tx, "amount", b64(new(big.Int).Neg(pow10(18))), nil},
		{tx, "amount", b64(big.NewInt(1234567890123456700)), nil}, // 12345678901234567.00
		{tx, "amount", b64(pow10(37)), nil},
		{ac, "balance", b64(pow10(18)), nil},
		{ac, "credit_limit", b64(new(big.Int).Neg(pow10(19))), nil},
		{tx, "amount", "12345678901234567.5", nil},
		// More fractional digits than the scale: rounding would change money.
		{tx, "amount", "1.005", []string{"contract_precision", "invalid_value"}},
	} {
		add(func(c *hCat) { g.badCol(c, v.tb, v.col, v.raw, v.want) })
	}
	// MySQL's DATE and DATETIME hold years 1000 to 9999; the values next to the limits are good
	// events (boundary_values). Far beyond them a value may not even be a time: both codes.
	c = g.cat("range_date_time", false, []string{"contract_range"}, "DATE / DATETIME outside 1000-01-01 .. 9999-12-31 23:59:59.999")
	for _, v := range []struct {
		tb       *hTable
		col, raw string
		want     []string
	}{
		{cu, "date_of_birth", "2932897", nil}, {cu, "date_of_birth", "-354286", nil}, {cu, "date_of_birth", "100000000", crIV}, {cu, "date_of_birth", "-100000000", crIV},
		{cu, "created_at", "253402300800000", nil}, {ac, "created_at", "-30610224000001", nil}, {tx, "event_ts", "253402300800000", nil},
		{tx, "updated_at", "9000000000000000", crIV},
	} {
		add(func(c *hCat) { g.badCol(c, v.tb, v.col, v.raw, v.want) })
	}

	// --- Huge values and events. ---
	c = g.cat("huge_value", false, []string{"contract_length"}, "megabytes in a CHAR(3) / CHAR(4) column")
	for _, v := range []struct {
		tb       *hTable
		col, val string
	}{{tx, "currency", strings.Repeat("A", 5<<20)}, {ac, "currency", strings.Repeat("€", (5<<20)/3)}, {tx, "merchant_category", strings.Repeat("9", 1<<20)}} {
		add(func(c *hCat) {
			g.bad(c, v.tb, 0, fmt.Sprintf("%s = %d bytes", v.col, len(v.val)), nil, func(e *hEnv, _ *hChange) { *e.after = e.after.set(v.col, hStr(v.val)) }, nil)
		})
	}
	c = g.cat("event_too_large", false, []string{"event_too_large"}, "an event over the 16 MiB default maximum")
	add(func(c *hCat) {
		g.bad(c, tx, 0, "20 MiB device_id", nil, func(e *hEnv, _ *hChange) { *e.after = e.after.set("device_id", hStr(strings.Repeat("x", 20<<20))) }, nil)
	})
	add(func(c *hCat) {
		g.bad(c, cu, 0, "16 MiB + 1 byte (padding in source.query)", nil, nil, func(v []byte) ([]byte, string) { return hPadQuery(v, 16<<20+1), "" })
	})

	// --- Envelope structure. ---
	c = g.cat("unknown_op", false, []string{"unknown_op"}, "op missing or not one of c u d r t m")
	for i, op := range []string{`"x"`, `"C"`, `""`, `"create"`, `"cc"`, `"\u0078"`, "null", "", "1", "true"} {
		var want []string
		if op == "1" || op == "true" {
			want = []string{"unknown_op", "type_mismatch"}
		}
		add(func(c *hCat) {
			g.bad(c, tabs[i%3], 'c', "op = "+op, want, func(e *hEnv, _ *hChange) {
				if op == "" {
					e.top = func(o jobj) jobj { return o.del("op") }
					return
				}
				e.op = op
			}, func(v []byte) ([]byte, string) {
				if op == "" {
					return v, "no op member"
				}
				return v, ""
			})
		})
	}
	c = g.cat("missing_after", false, []string{"missing_image"}, "create, update or read without an after image")
	for i, v := range []struct {
		op   byte
		drop bool
	}{{'c', false}, {'c', true}, {'u', false}, {'r', false}, {'u', true}, {'c', false}} {
		add(func(c *hCat) {
			g.bad(c, tabs[i%3], v.op, fmt.Sprintf("op %c, after %s", v.op, map[bool]string{false: "null", true: "absent"}[v.drop]), nil, func(e *hEnv, _ *hChange) {
				e.after = nil
				if v.drop {
					e.top = func(o jobj) jobj { return o.del("after") }
				}
			}, nil)
		})
	}
	c = g.cat("missing_before_delete", false, []string{"missing_image"}, "delete without a before image")
	for i, v := range []string{"null", "absent", "null, after set", "null"} {
		add(func(c *hCat) {
			g.bad(c, tabs[i%3], 'd', "op d, before "+v, nil, func(e *hEnv, ch *hChange) {
				if v == "null, after set" {
					o := ch.tb.rowObj(ch.before)
					e.after = &o
				}
				e.before = nil
				if v == "absent" {
					e.top = func(o jobj) jobj { return o.del("before") }
				}
			}, nil)
		})
	}
	c = g.cat("null_not_null", false, []string{"contract_not_null"}, "null in a NOT NULL column")
	for _, v := range []struct {
		tb   *hTable
		col  string
		want []string
	}{
		{tx, "transaction_type", nil}, {tx, "currency", nil}, {tx, "amount", nil}, {tx, "status", nil}, {tx, "account_id", nil},
		{tx, "event_ts", nil}, {tx, "created_at", nil}, {cu, "email", nil}, {cu, "kyc_status", nil}, {cu, "first_name", nil},
		{ac, "balance", nil}, {ac, "account_type", nil}, {ac, "status", nil},
		// A null primary key also disagrees with the Kafka key.
		{tx, "transaction_id", []string{"contract_not_null", "key_mismatch", "invalid_key"}},
	} {
		add(func(c *hCat) { g.badCol(c, v.tb, v.col, "null", v.want) })
	}
	c = g.cat("missing_not_null_column", false, []string{"contract_not_null"}, "a NOT NULL column absent from the after image")
	for _, v := range []struct {
		tb  *hTable
		col string
	}{{tx, "transaction_type"}, {tx, "amount"}, {cu, "email"}, {ac, "balance"}, {ac, "currency"}} {
		add(func(c *hCat) {
			g.bad(c, v.tb, 0, "no "+v.col, nil, func(e *hEnv, _ *hChange) { *e.after = e.after.del(v.col) }, nil)
		})
	}

	// --- The table contract. Lengths count characters (code points, as MySQL's utf8mb4). ---
	c = g.cat("contract_length", false, []string{"contract_length"}, "CHAR/VARCHAR longer than n characters")
	for _, v := range []struct {
		tb       *hTable
		col, val string
	}{
		{tx, "currency", "EURO"}, {tx, "country", "DEU"}, {tx, "merchant_category", "54111"}, {tx, "device_id", strings.Repeat("d", 65)},
		{tx, "device_id", strings.Repeat("日", 65)}, {cu, "first_name", strings.Repeat("é", 101)}, {cu, "phone", strings.Repeat("1", 33)},
		{cu, "email", strings.Repeat("e", 244) + "@example.org"}, {ac, "currency", "€€€€"}, {tx, "currency", "EUR\u0301"},
		{cu, "country", "DEU"}, {cu, "last_name", strings.Repeat("😀", 101)},
	} {
		add(func(c *hCat) { g.badCol(c, v.tb, v.col, hStr(v.val), nil) })
	}
	c = g.cat("contract_enum", false, []string{"contract_enum"}, "an ENUM value the contract does not list")
	for _, v := range []struct {
		tb       *hTable
		col, val string
	}{{tx, "status", "PENDING"}, {tx, "status", "unknown"}, {tx, "status", ""}, {tx, "status", " pending"}, {tx, "transaction_type", "gift"},
		{tx, "channel", "phone"}, {cu, "kyc_status", "maybe"}, {ac, "account_type", "crypto"}, {ac, "status", "open"}} {
		add(func(c *hCat) { g.badCol(c, v.tb, v.col, hStr(v.val), nil) })
	}

	// --- Schemas enabled (transactions). ---
	schemaEnv := func(col map[string]string, afterFields, source string) func(*hEnv, *hChange) {
		return func(e *hEnv, _ *hChange) { e.schema = txSchema(col, afterFields, source) }
	}
	c = g.cat("schema_invalid", false, []string{"schema_invalid"}, "a malformed Kafka Connect schema block")
	for _, v := range []struct {
		note        string
		col         map[string]string
		afterFields string
		source      string
		want        []string
	}{
		{note: `amount scale "abc"`, col: map[string]string{"amount": hDecimalSchema(`{"scale":"abc","connect.decimal.precision":"18"}`)}},
		{note: `currency field without type`, col: map[string]string{"currency": `{"optional":false,"field":"currency"}`}},
		{note: `after fields is a string`, afterFields: `"oops"`},
		{note: `merchant_id type int128`, col: map[string]string{"merchant_id": `{"type":"int128","optional":true,"field":"merchant_id"}`}},
		{note: `source struct without fields`, source: `{"type":"struct","optional":false,"name":"io.debezium.connector.mysql.Source","field":"source"}`},
		{note: `a field schema that is a number`, col: map[string]string{"country": `42`}},
		// An empty scale is malformed and also no scale.
		{note: `amount scale ""`, col: map[string]string{"amount": hDecimalSchema(`{"scale":"","connect.decimal.precision":"18"}`)}, want: []string{"schema_invalid", "decimal_no_scale"}},
	} {
		add(func(c *hCat) { g.bad(c, tx, 'c', v.note, v.want, schemaEnv(v.col, v.afterFields, v.source), nil) })
	}
	c = g.cat("decimal_no_scale", false, []string{"decimal_no_scale", "schema_invalid"}, "a Connect Decimal schema without its scale (a malformed schema too: either code)")
	for _, p := range []string{"", "{}", `{"connect.decimal.precision":"18"}`} {
		add(func(c *hCat) {
			g.bad(c, tx, 'c', "amount parameters "+map[bool]string{true: "absent", false: p}[p == ""], nil, schemaEnv(map[string]string{"amount": hDecimalSchema(p)}, "", ""), nil)
		})
	}
	c = g.cat("schema_payload_mismatch", false, []string{"schema_payload_mismatch"}, "a payload value contradicting its schema")
	for _, v := range []struct {
		note, col, raw string
		schema         string
		want           []string
	}{
		{"merchant_id int64 = \"abc\"", "merchant_id", `"abc"`, "", nil},
		{"currency string = 978", "currency", "978", "", nil},
		{"event_ts Timestamp = \"2024\"", "event_ts", `"2024"`, "", nil},
		{"status Enum = true", "status", "true", "", nil},
		{"account_id int64 = {}", "account_id", `{"a":1}`, "", nil},
		// INT's overflow: no contract has an INT column, so the schema declares one (int32
		// cannot hold 2^31; a range problem too, hence the set).
		{"merchant_id int32 = 2^31", "merchant_id", "2147483648", `{"type":"int32","optional":true,"field":"merchant_id"}`, []string{"schema_payload_mismatch", "contract_range", "invalid_value"}},
	} {
		add(func(c *hCat) {
			var col map[string]string
			if v.schema != "" {
				col = map[string]string{v.col: v.schema}
			}
			g.bad(c, tx, 'c', v.note, v.want, func(e *hEnv, ch *hChange) {
				schemaEnv(col, "", "")(e, ch)
				*e.after = e.after.set(v.col, v.raw)
			}, nil)
		})
	}

	// --- Keys. ---
	c = g.cat("duplicate_field", false, []string{"duplicate_field"}, "a key repeated in one JSON object")
	for _, v := range []struct {
		tb   *hTable
		note string
		enc  func(e *hEnv, ch *hChange)
		want []string
	}{
		{tx, "after.status twice", func(e *hEnv, _ *hChange) { *e.after = e.after.add(`"status"`, `"completed"`) }, nil},
		{tx, "after.amount twice", func(e *hEnv, _ *hChange) { *e.after = e.after.add(`"amount"`, `"AJg="`) }, nil},
		{cu, "op twice (c, d)", func(e *hEnv, _ *hChange) { e.top = func(o jobj) jobj { return o.add(`"op"`, `"d"`) } }, nil},
		{ac, "after twice", func(e *hEnv, _ *hChange) {
			s := e.after.String()
			e.top = func(o jobj) jobj { return o.add(`"after"`, s) }
		}, nil},
		{tx, "source.pos twice", func(e *hEnv, _ *hChange) { e.source = e.source.add(`"pos"`, "1") }, nil},
		{cu, "source.file twice", func(e *hEnv, _ *hChange) { e.source = e.source.add(`"file"`, `"mysql-bin.000001"`) }, nil},
		{tx, `"op" and "\u006fp"`, func(e *hEnv, _ *hChange) { e.top = func(o jobj) jobj { return o.add(`"\u006fp"`, `"u"`) } }, nil},
		{cu, "after.email twice, same value", func(e *hEnv, _ *hChange) { *e.after = e.after.add(`"email"`, e.after.get("email")) }, nil},
		{ac, "after.balance twice", func(e *hEnv, _ *hChange) { *e.after = e.after.add(`"balance"`, `"AA=="`) }, nil},
		{tx, "schema field with type twice", func(e *hEnv, _ *hChange) {
			e.schema = txSchema(map[string]string{"currency": `{"type":"string","type":"int64","optional":false,"field":"currency"}`}, "", "")
		}, []string{"duplicate_field", "schema_invalid"}},
	} {
		add(func(c *hCat) { g.bad(c, v.tb, 'c', v.note, v.want, v.enc, nil) })
	}
	c = g.cat("key_mismatch", false, []string{"key_mismatch"}, "the Kafka key's primary key differs from the value's")
	kmIK := []string{"key_mismatch", "invalid_key"}
	for _, v := range []struct {
		tb   *hTable
		op   byte
		key  func(id int64) []byte
		want []string
	}{
		{tx, 'c', func(id int64) []byte { return tx.key(id + 1) }, nil},
		{tx, 'u', func(id int64) []byte { return tx.key(id + 100_000) }, nil},
		{tx, 'd', func(id int64) []byte { return tx.key(id + 7) }, nil},
		{cu, 'u', func(id int64) []byte { return cu.key(id + 1) }, nil},
		{ac, 'c', func(id int64) []byte { return ac.key(id - 1) }, nil},
		{cu, 'c', func(id int64) []byte { return cu.key(-id) }, nil},
		// A key of the wrong type or with another column is unreadable as well as different.
		{tx, 'c', func(id int64) []byte { return fmt.Appendf(nil, `{"transaction_id":"%d"}`, id) }, kmIK},
		{ac, 'u', func(id int64) []byte { return fmt.Appendf(nil, `{"account_id":%d,"extra":1}`, id) }, kmIK},
	} {
		add(func(c *hCat) {
			ev := g.bad(c, v.tb, v.op, "", v.want, nil, nil)
			ev.key = v.key(ev.base.id)
			ev.note = fmt.Sprintf("op %c, key %s for %s %d", ev.base.op, ev.key, v.tb.pk, ev.base.id)
		})
	}
	c = g.cat("invalid_key", false, []string{"invalid_key"}, "a row event whose Kafka key is not the table's key")
	for i, k := range []string{"garbage", "[1]", `{"wrong":5}`, "{}", `{"transaction_id":`, "null"} {
		add(func(c *hCat) {
			tb := tabs[i%3]
			if strings.Contains(k, "transaction_id") {
				tb = tx
			}
			ev := g.bad(c, tb, 0, "key "+k, nil, nil, nil)
			ev.key = []byte(k)
		})
	}
	c = g.cat("tombstone_bad_key", false, []string{"invalid_key"}, "a tombstone whose Kafka key cannot be read as the table's key")
	for _, v := range []struct {
		tb   *hTable
		key  []byte
		want []string
	}{
		{tx, nil, nil}, {cu, []byte{}, nil}, {ac, []byte("garbage"), nil}, {tx, []byte(`{"transaction_id":"abc"}`), nil},
		{cu, []byte(`{"customer":1}`), nil}, {tx, []byte("[1]"), nil}, {tx, []byte(`{"transaction_id":1`), nil}, {ac, []byte("\xff\xfe"), nil},
		{ac, []byte(`{"account_id":1.5}`), nil},
		{tx, []byte(`{"transaction_id":1,"transaction_id":2}`), []string{"invalid_key", "duplicate_field"}},
	} {
		add(func(c *hCat) {
			note := "key " + hNote(string(v.key))
			if v.key == nil {
				note = "no key"
			}
			g.emit(c, v.tb, note, v.want, v.key, nil, nil)
		})
	}
	c = g.cat("invalid_column_name", false, []string{"invalid_column_name"}, "a new column Delta cannot store without column mapping, or a case-duplicate")
	for i, name := range []string{"bad col", "a,b", "x;y", "{c}", "p(q)", "k=v", "new\nline", "tab\tcol", "Currency", "STATUS", "Email"} {
		tb := tabs[i%3]
		switch name {
		case "Currency":
			tb = tx
		case "STATUS":
			tb = ac
		case "Email":
			tb = cu
		}
		add(func(c *hCat) {
			g.bad(c, tb, 0, fmt.Sprintf("new column %q", name), nil, func(e *hEnv, _ *hChange) {
				v := `"v"`
				if lower := strings.ToLower(name); lower != name {
					v = e.after.get(lower)
				}
				*e.after = e.after.add(hStr(name), v)
			}, nil)
		})
	}
	c = g.cat("reserved_column", false, []string{"reserved_column"}, "a new column named like an output metadata column")
	for i, name := range []string{"_op", "_kafka_offset", "_source_pos", "_deleted", "_ingested_at"} {
		add(func(c *hCat) {
			g.bad(c, tabs[i%3], 0, "new column "+name, nil, func(e *hEnv, _ *hChange) { *e.after = e.after.add(hStr(name), "1") }, nil)
		})
	}

	// --- Source block and table. A source of the wrong JSON type is unusable for the
	// position and a type mismatch: both codes. ---
	isTM := []string{"invalid_source", "type_mismatch"}
	c = g.cat("invalid_source", false, []string{"invalid_source"}, "a source block unusable for _source_pos / _source_ts")
	for i, v := range []struct {
		note string
		enc  func(e *hEnv)
		want []string
	}{
		{"no source.file", func(e *hEnv) { e.source = e.source.del("file") }, nil},
		{`source.file "nonsense"`, func(e *hEnv) { e.source = e.source.set("file", `"nonsense"`) }, nil},
		{`source.pos "abc"`, func(e *hEnv) { e.source = e.source.set("pos", `"abc"`) }, isTM},
		{`source.row "x"`, func(e *hEnv) { e.source = e.source.set("row", `"x"`) }, isTM},
		{"no source", func(e *hEnv) { e.top = func(o jobj) jobj { return o.del("source") } }, nil},
		{`source "x"`, func(e *hEnv) { e.top = func(o jobj) jobj { return o.set("source", `"x"`) } }, isTM},
		{"source null", func(e *hEnv) { e.top = func(o jobj) jobj { return o.set("source", "null") } }, nil},
	} {
		add(func(c *hCat) { g.bad(c, tabs[i%3], 0, v.note, v.want, func(e *hEnv, _ *hChange) { v.enc(e) }, nil) })
	}
	c = g.cat("no_contract", false, []string{"no_contract"}, "a schemas-disabled event of a table without a contract")
	for _, v := range []struct {
		tb    *hTable
		table string
	}{{tx, "loans"}, {tx, "transactions_archive"}, {cu, "customer"}, {ac, "account"}} {
		add(func(c *hCat) {
			g.bad(c, v.tb, 0, "source.table "+v.table, nil, func(e *hEnv, _ *hChange) { e.source = e.source.set("table", hStr(v.table)) }, nil)
		})
	}

	// --- Good events with odd but valid encodings: they must land with these values. ---
	c = g.cat("escaped_op", true, nil, `op written with \u escapes ("\u0063" is c)`)
	for i, op := range []byte("cudcud") {
		add(func(c *hCat) {
			ev := g.oddGood(c, tabs[i%3], op, "", nil, func(e *hEnv, ch *hChange) { e.op = fmt.Sprintf(`"\u%04x"`, ch.op) }, nil)
			ev.note = fmt.Sprintf(`op "\u%04x" (%c)`, ev.ch.op, ev.ch.op)
		})
	}
	c = g.cat("escaped_names_values", true, nil, "\\u and \\/ escapes in member names and string values")
	for _, v := range []struct {
		tb   *hTable
		op   byte
		note string
		row  func(hRow)
		enc  func(*hEnv, *hChange)
	}{
		{tx, 'c', `currency "\u0045\u0055\u0052"`, func(r hRow) { r["currency"] = "EUR" }, func(e *hEnv, _ *hChange) { *e.after = e.after.set("currency", `"\u0045\u0055\u0052"`) }},
		{tx, 'u', `device_id "dev\/1"`, func(r hRow) { r["device_id"] = "dev/1" }, func(e *hEnv, _ *hChange) { *e.after = e.after.set("device_id", `"dev\/1"`) }},
		{cu, 'u', `last_name "O\u0027Brien"`, func(r hRow) { r["last_name"] = "O'Brien" }, func(e *hEnv, _ *hChange) { *e.after = e.after.set("last_name", `"O\u0027Brien"`) }},
		{cu, 'c', `first_name "Ada\u0009L\n"`, func(r hRow) { r["first_name"] = "Ada\tL\n" }, func(e *hEnv, _ *hChange) { *e.after = e.after.set("first_name", `"Ada\u0009L\n"`) }},
		{cu, 'c', `email with \u0040`, nil, func(e *hEnv, ch *hChange) {
			*e.after = e.after.set("email", `"`+strings.Replace(ch.after["email"].(string), "@", `\u0040`, 1)+`"`)
		}},
		{tx, 'c', `member name "\u006fp"`, nil, func(e *hEnv, _ *hChange) { e.top = func(o jobj) jobj { return o.rename("op", `"\u006fp"`) } }},
		{ac, 'u', `member name "aft\u0065r"`, nil, func(e *hEnv, _ *hChange) { e.top = func(o jobj) jobj { return o.rename("after", `"aft\u0065r"`) } }},
		{tx, 'u', `column name "transaction\u005fid"`, nil, func(e *hEnv, _ *hChange) { *e.after = e.after.rename("transaction_id", `"transaction\u005fid"`) }},
		{ac, 'c', `column name "b\u0061lance"`, nil, func(e *hEnv, _ *hChange) { *e.after = e.after.rename("balance", `"b\u0061lance"`) }},
	} {
		add(func(c *hCat) { g.oddGood(c, v.tb, v.op, v.note, v.row, v.enc, nil) })
	}
	c = g.cat("multibyte_fits", true, nil, "multi-byte values within the column's length in characters")
	for _, v := range []struct {
		tb       *hTable
		col, val string
		raw      string // the encoding, when not the plain one
	}{
		{cu, "first_name", strings.Repeat("é", 100), ""}, {cu, "last_name", strings.Repeat("😀", 100), ""},
		{tx, "currency", "€€€", ""}, {tx, "device_id", strings.Repeat("日", 64), ""}, {tx, "country", "ÄÖ", ""},
		{ac, "currency", "¥€$", ""}, {tx, "currency", "€€€", `"\u20ac\u20ac\u20ac"`}, {cu, "last_name", "😀x", `"\ud83d\ude00x"`},
	} {
		add(func(c *hCat) {
			g.oddGood(c, v.tb, 'c', hNote(v.col+" = "+v.val+" "+v.raw), func(r hRow) { r[v.col] = v.val }, func(e *hEnv, _ *hChange) {
				if v.raw != "" {
					*e.after = e.after.set(v.col, v.raw)
				}
			}, nil)
		})
	}
	c = g.cat("whitespace_layout", true, nil, "pretty-printed, reordered members, surrounding whitespace")
	for i := 0; i < 6; i++ {
		add(func(c *hCat) {
			var enc func(*hEnv, *hChange)
			if i%2 == 1 {
				enc = func(e *hEnv, _ *hChange) { e.top = func(o jobj) jobj { slices.Reverse(o); return o } }
			}
			g.oddGood(c, tabs[i%3], "cuc"[i%3], []string{"indented", "reversed members, trailing whitespace", "leading and trailing whitespace"}[i%3], nil, enc, func(v []byte) []byte {
				switch i % 3 {
				case 0:
					var b bytes.Buffer
					if err := json.Indent(&b, v, "  ", "\t"); err != nil {
						panic(err)
					}
					return b.Bytes()
				case 1:
					return append(v, " \r\n\t"...)
				}
				return append([]byte("\n \t"), append(v, "\n"...)...)
			})
		})
	}
	c = g.cat("decimal_as_number", true, nil, "DECIMAL as an exact JSON number, also under a Decimal schema (JsonConverter decimal.format=NUMERIC; documented: read from its text, never via float64)")
	for _, v := range []struct {
		tb       *hTable
		col, raw string
		cents    int64
		schema   bool
	}{{tx, "amount", "12.5", 1250, false}, {tx, "amount", "-0.01", -1, false}, {tx, "amount", "100", 10000, false}, {ac, "balance", "0.10", 10, false},
		{ac, "balance", "9999999999999999.99", hMaxCents, false}, {tx, "amount", "15", 1500, true}, {tx, "amount", "-7.25", -725, true}} {
		add(func(c *hCat) {
			note := v.col + " = " + v.raw
			if v.schema {
				note += " under a Decimal schema"
			}
			g.oddGood(c, v.tb, 'c', note, func(r hRow) { r[v.col] = hCents(v.cents) }, func(e *hEnv, _ *hChange) {
				if v.schema {
					e.schema = txSchema(nil, "", "")
				}
				*e.after = e.after.set(v.col, v.raw)
			}, nil)
		})
	}
	c = g.cat("boundary_values", true, nil, "values at the limits of their types (must be accepted)")
	for _, v := range []struct {
		tb  *hTable
		col string
		val any
	}{
		{cu, "risk_rating", int64(0)}, {cu, "risk_rating", int64(255)}, {cu, "date_of_birth", hDays(-354285)}, {cu, "date_of_birth", hDays(2932896)},
		{ac, "balance", hCents(hMaxCents)}, {ac, "balance", hCents(-hMaxCents)},
		{ac, "created_at", hMs(-30610224000000)}, {cu, "created_at", hMs(253402300799999)}, {tx, "merchant_id", int64(9223372036854775807)},
	} {
		add(func(c *hCat) {
			g.oddGood(c, v.tb, 'c', hNote(fmt.Sprintf("%s = %s", v.col, hCell(v.val))), func(r hRow) { r[v.col] = v.val }, nil, nil)
		})
	}
	c = g.cat("schemas_enabled", true, nil, "schemas-enabled events (JsonConverter schemas.enable=true)")
	for i := 0; i < 4; i++ {
		add(func(c *hCat) {
			g.oddGood(c, tx, 'c', "schema block, scale 2", nil, func(e *hEnv, _ *hChange) { e.schema = txSchema(nil, "", "") }, nil)
		})
	}
	c = g.cat("negative_scale", true, nil, "Connect Decimal scale -2: unscaled 152 is 15200.00")
	for _, unscaled := range []int64{152, -37, 0, 9, 99_999_999_999_999} {
		add(func(c *hCat) {
			g.oddGood(c, tx, 'c', fmt.Sprintf("scale -2, unscaled %d", unscaled), func(r hRow) { r["amount"] = hCents(unscaled * 10_000) }, func(e *hEnv, _ *hChange) {
				e.schema = txSchema(map[string]string{"amount": hDecimalSchema(`{"scale":"-2","connect.decimal.precision":"18"}`)}, "", "")
				*e.after = e.after.set("amount", `"`+base64.StdEncoding.EncodeToString(twosComplement(unscaled))+`"`)
			}, nil)
		})
	}
	c = g.cat("large_event_at_limit", true, nil, "an event of exactly 16 MiB (the limit is on events over it)")
	add(func(c *hCat) {
		g.oddGood(c, tx, 'u', "16 MiB, padding in source.query", nil, nil, func(v []byte) []byte { return hPadQuery(v, 16<<20) })
	})
	return steps
}

// hPadQuery sets source.query (null in the event) to a string that makes the event size bytes.
func hPadQuery(v []byte, size int) []byte {
	s := string(v)
	const q = `"query":null`
	n := size - (len(s) - len(q) + len(`"query":""`))
	if n < 0 {
		panic("hPadQuery: event already larger")
	}
	out := []byte(replaceOnce(s, q, `"query":"`+strings.Repeat("q", n)+`"`))
	if len(out) != size {
		panic(fmt.Sprintf("hPadQuery: %d bytes, want %d", len(out), size))
	}
	return out
}

// hTwos is the two's-complement encoding of any integer (twosComplement for big values).
func hTwos(v *big.Int) []byte {
	if v.IsInt64() {
		return twosComplement(v.Int64())
	}
	n := (v.BitLen() + 8) / 8
	mod := new(big.Int).Lsh(big.NewInt(1), uint(8*n))
	b := new(big.Int).Mod(v, mod).Bytes()
	for len(b) < n {
		pad := byte(0)
		if v.Sign() < 0 {
			pad = 0xff
		}
		b = append([]byte{pad}, b...)
	}
	return b
}
