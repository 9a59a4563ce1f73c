// Package fraud is the rule engine of the fraud_rules processor: it parses rule files,
// compiles their expressions once against a typed environment, evaluates a rule set on one
// transaction, scores it, runs the rules' own tests, and reloads the files when they
// change. It has no Benthos dependency (the adapter is processors/fraud).
//
// # The environment
//
// A rule reads objects, each a set of typed fields: tx (the transaction row: the columns
// of its contract plus op, source_pos, event_time and local_hour), acct, cust, merch (the
// enrichment columns and the features keyed by that entity), dev, ip and pair (features
// keyed by device, IP address and account+merchant). A Description declares them (object
// -> field -> type); LoadDescription builds one from the transactions contract, a features
// declaration (ParseFeatures) and extra objects given as SQL column types. Types: int,
// money (money.Money, exact), float, string, bool, time (time.Time), duration, and lists
// of these. A missing value is nil. `now` is not available: rules are deterministic
// functions of the event and its features.
//
// Values are held by an Env: SetRow reads a debezium_unwrap row (JSON) into tx without
// building a map; Set and SetObject store other values (converted with Coerce).
//
// # Rule files
//
//	rules:
//	  - id: R1
//	    version: 1
//	    description: More than 5 transactions on one account within a minute (source …).
//	    severity: high              # low | medium | high | critical
//	    weight: 40                  # 0..100, added to the score when the rule fires
//	    when: acct.count_1m >= 5    # expr-lang, must be a bool
//	    reason: "{{ acct.count_1m + 1 }} transactions on account {{ tx.account_id }} within 1 minute"
//	    tests:
//	      - name: the sixth transaction in a minute fires
//	        given: { tx: { amount: "12.00", account_id: 7 }, acct: { count_1m: 5 } }
//	        expect: hit
//	        reason_contains: "6 transactions"
//
// when and every {{ }} segment of reason are expr-lang (github.com/expr-lang/expr)
// expressions, compiled once (Compile) with the environment's types: an unknown field, a
// type error or a syntax error is a Diagnostic naming the file, line, column, rule id and
// expression. Money keeps its exactness through the operator overloads of package money:
// tx.amount >= 10000, tx.amount >= 0.9 * acct.balance, tx.amount % 1000 == 0,
// tx.amount in [10, 20] and any(list, # == tx.amount) compare decimals, never floats.
// Besides expr-lang's builtins, geo_km(lat1, lon1, lat2, lon2) gives the haversine
// distance in km. Watch for YAML: in an unquoted value, " #" starts a comment; write
// expressions that use the predicate variable # as a block (when: >-) or quoted.
//
// # Evaluation
//
// RuleSet.Evaluate runs every rule on an Env and returns the hits (rule, reason text), the
// score (min(100, Σ weight)), its band (Bands) and the rule set's version hash. A rule
// that fails at run time (a nil compared with >, a division by zero, an index out of
// range) is reported in Result.Errors and does not fire; the others are unaffected.
// Compiled rule sets are immutable and safe for concurrent use; each goroutine needs its
// own Env and Result.
//
// # Tests and reload
//
// RuleSet.RunTests (and RunTests for files) runs each rule's tests against that rule:
// the hook of `ledgerflow test`. Lint reports every problem of a set of files: the hook
// of `ledgerflow lint`. An Engine keeps the current RuleSet of a set of files and swaps in
// a recompiled one atomically when they change (ReloadIfChanged, Watch: polling mtime,
// size and content, loading a change once it stayed put for one interval) or on demand
// (Reload, for SIGHUP); files that do not compile, or declare no rules, are refused and
// the previous set stays in use.
package fraud
