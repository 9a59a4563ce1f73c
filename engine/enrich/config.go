package enrich

import (
	"fmt"
	"strings"
	"time"

	"github.com/ledgerflow/ledgerflow/delta"
)

// Config is one lookup: which table, which key, which columns, under which object name.
type Config struct {
	// Name is the object the values are given under in the rule environment (acct, cust,
	// merch). Lower-case letters, digits and underscores, starting with a letter.
	Name string
	// Table is the silver table's root directory. Ignored when Storage is set.
	Table string
	// Storage, when set, is the table's storage (another object store, a test wrapper).
	Storage delta.Storage
	// Key is the transaction row's column holding the key (account_id) or an expr-lang
	// expression over the row's columns that computes it.
	Key string
	// TableKey is the table's key column. Default: Key, when Key is a column name.
	TableKey string
	// Columns are the table columns to bring (the key column need not be listed).
	Columns []string
}

// Options tune every lookup of an Enricher. Start from DefaultOptions.
type Options struct {
	// PollInterval is how often each table's log is polled for new commits.
	PollInterval time.Duration
	// WaitPollInterval is how often a table is polled while a row waits for one of its keys;
	// it is also the least time between two polls a waiting row asks for.
	WaitPollInterval time.Duration
	// MaxWait bounds how long a batch waits for missing keys (0: never wait).
	MaxWait time.Duration
	// MissTTL is how long a key whose wait ran out is not waited for again (0: always wait).
	MissTTL time.Duration
	// Logger receives poll errors, reloads and the start-up summary; nil discards them.
	Logger Logger
	// OnPoll, when set, is called by each table's follower after every poll attempt with the
	// table's statistics (for gauges). It must not block.
	OnPoll func(TableStats)
}

// DefaultOptions are the defaults the enrich processor documents.
func DefaultOptions() Options {
	return Options{PollInterval: time.Second, WaitPollInterval: 20 * time.Millisecond, MaxWait: 2 * time.Second, MissTTL: time.Minute}
}

// Logger is the part of a logger the engine uses (Benthos' *service.Logger has it).
type Logger interface {
	Infof(format string, args ...any)
	Warnf(format string, args ...any)
}

type nopLogger struct{}

func (nopLogger) Infof(string, ...any) {}
func (nopLogger) Warnf(string, ...any) {}

func (o *Options) validate() error {
	switch {
	case o.PollInterval <= 0:
		return fmt.Errorf("poll_interval must be positive, got %s", o.PollInterval)
	case o.WaitPollInterval <= 0:
		return fmt.Errorf("wait_poll_interval must be positive, got %s", o.WaitPollInterval)
	case o.MaxWait < 0:
		return fmt.Errorf("max_wait must not be negative, got %s", o.MaxWait)
	case o.MissTTL < 0:
		return fmt.Errorf("miss_ttl must not be negative, got %s", o.MissTTL)
	}
	if o.Logger == nil {
		o.Logger = nopLogger{}
	}
	return nil
}

var nameRe = identRe

func (c *Config) validate() error {
	if c.Name == "" || !nameRe.MatchString(c.Name) || strings.HasPrefix(c.Name, "_") {
		return fmt.Errorf("lookup name %q: expected an identifier such as acct (letters, digits, underscores, not starting with _ or a digit)", c.Name)
	}
	if c.Table == "" && c.Storage == nil {
		return fmt.Errorf("lookup %s: table is required", c.Name)
	}
	if strings.TrimSpace(c.Key) == "" {
		return fmt.Errorf("lookup %s: key is required", c.Name)
	}
	if c.TableKey == "" {
		if !identRe.MatchString(c.Key) {
			return fmt.Errorf("lookup %s: key %q is an expression, so table_key (the table's key column) must be set", c.Name, c.Key)
		}
		c.TableKey = c.Key
	}
	if len(c.Columns) == 0 {
		return fmt.Errorf("lookup %s: columns is empty; name the columns to bring", c.Name)
	}
	seen := map[string]bool{}
	for _, col := range c.Columns {
		l := strings.ToLower(col)
		if col == "" || seen[l] {
			return fmt.Errorf("lookup %s: column %q is empty or listed twice", c.Name, col)
		}
		seen[l] = true
	}
	return nil
}
