package deploy

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ledgerflow/ledgerflow/schemas"
)

// documentedKeys are the connector configuration keys the connector.json may use, each
// group as documented for Debezium 3.x (debezium/debezium at aad55199, the 3.x line, whose
// MySQL page pages/connectors/mysql.adoc includes the partials below) or by Kafka.
var documentedKeys = keySet(
	// Debezium MySQL connector, required and basic properties:
	// documentation/modules/ROOT/partials/modules/all-connectors/ref-mariadb-mysql-rqd-connector-cfg-props.adoc
	// (the column.mask.* keys with placeholders are left out).
	"bigint.unsigned.handling.mode", "binary.handling.mode", "column.exclude.list", "column.include.list",
	"column.propagate.source.type", "connect.timeout.ms", "connector.class", "database.exclude.list",
	"database.hostname", "database.include.list", "database.jdbc.driver", "database.password", "database.port",
	"database.protocol", "database.server.id", "database.user", "decimal.handling.mode",
	"event.deserialization.failure.handling.mode", "event.processing.failure.handling.mode",
	"field.name.adjustment.mode", "gtid.ignore.on.recovery", "gtid.source.excludes", "gtid.source.includes",
	"include.query", "include.schema.changes", "include.schema.comments", "inconsistent.schema.handling.mode",
	"message.key.columns", "name", "schema.name.adjustment.mode", "skip.messages.without.change",
	"table.exclude.list", "table.include.list", "tasks.max", "time.precision.mode", "tombstones.on.delete",
	"topic.prefix",
	// Debezium MySQL connector, advanced properties:
	// documentation/modules/ROOT/partials/modules/all-connectors/ref-mariadb-mysql-adv-connector-cfg-props.adoc
	"binlog.buffer.size", "binlog.net.read.timeout", "binlog.net.write.timeout", "connect.keep.alive",
	"converters", "custom.metric.tags", "custom.sanitize.pattern", "database.initial.statements",
	"database.query.timeout.ms", "database.ssl.keystore", "database.ssl.keystore.password", "database.ssl.mode",
	"database.ssl.truststore", "database.ssl.truststore.password", "ddl.parser.type", "enable.time.adjuster",
	"errors.max.retries", "event.converting.failure.handling.mode", "guardrail.collections.limit.action",
	"guardrail.collections.max", "heartbeat.action.query", "heartbeat.interval.ms",
	"incremental.snapshot.allow.schema.changes", "incremental.snapshot.chunk.size",
	"incremental.snapshot.watermarking.strategy", "legacy.snapshot.max.threads", "max.batch.size",
	"max.queue.size", "max.queue.size.in.bytes", "min.row.count.to.stream.results",
	"notification.enabled.channels", "poll.dispatch.interval.ms", "poll.interval.ms",
	"provide.transaction.metadata", "read.only", "signal.data.collection", "signal.enabled.channels",
	"skipped.operations", "snapshot.delay.ms", "snapshot.fetch.size", "snapshot.include.collection.list",
	"snapshot.lock.timeout.ms", "snapshot.locking.mode", "snapshot.locking.mode.custom.name",
	"snapshot.max.threads", "snapshot.mode", "snapshot.mode.configuration.based.snapshot.data",
	"snapshot.mode.configuration.based.snapshot.on.data.error",
	"snapshot.mode.configuration.based.snapshot.on.schema.error",
	"snapshot.mode.configuration.based.snapshot.schema", "snapshot.mode.configuration.based.start.stream",
	"snapshot.mode.custom.name", "snapshot.query.mode", "snapshot.query.mode.custom.name",
	"snapshot.select.statement.overrides", "snapshot.tables.order.by.row.count", "source.struct.version",
	"statistics.metrics.enabled", "streaming.delay.ms", "table.ignore.builtin", "topic.cache.size",
	"topic.delimiter", "topic.heartbeat.name", "topic.heartbeat.prefix", "topic.naming.strategy",
	"topic.transaction", "use.nongraceful.disconnect",
	// Debezium schema history properties:
	// documentation/modules/ROOT/partials/modules/all-connectors/ref-connector-configuration-database-history-properties.adoc
	"schema.history.internal.kafka.topic", "schema.history.internal.kafka.bootstrap.servers",
	"schema.history.internal.kafka.recovery.poll.interval.ms", "schema.history.internal.kafka.query.timeout.ms",
	"schema.history.internal.kafka.create.timeout.ms", "schema.history.internal.kafka.recovery.attempts",
	"schema.history.internal.skip.unparseable.ddl", "schema.history.internal.store.only.captured.tables.ddl",
	"schema.history.internal.store.only.captured.databases.ddl", "schema.history.internal.memory.optimization",
	// Kafka Connect per-connector converter overrides (Apache Kafka documentation, "Source
	// Connector Configs": key.converter, value.converter, header.converter), as Debezium's
	// documentation/modules/ROOT/pages/configuration/avro.adoc uses them.
	"key.converter", "value.converter", "header.converter",
	// JsonConverter options (Apache Kafka connect/json JsonConverterConfig: schemas.enable,
	// schemas.cache.size, decimal.format, replace.null.with.default), set per connector with
	// the key.converter. / value.converter. prefix; avro.adoc names the schemas.enable pair.
	"key.converter.schemas.enable", "value.converter.schemas.enable",
	"key.converter.schemas.cache.size", "value.converter.schemas.cache.size",
	"key.converter.decimal.format", "value.converter.decimal.format",
	"key.converter.replace.null.with.default", "value.converter.replace.null.with.default",
)

// requiredConnectorSettings are LedgerFlow's choices, each for a reason the pipelines rely on.
var requiredConnectorSettings = map[string]string{
	"connector.class": "io.debezium.connector.mysql.MySqlConnector",
	"topic.prefix":    "bank_server", // topics bank_server.bank.<table>, which the pipelines read
	// Money is never a float: DECIMAL arrives as Connect Decimal bytes, which
	// debezium_unwrap decodes exactly at the contract's scale.
	"decimal.handling.mode": "precise",
	// debezium_unwrap's time_precision_mode default; DATETIME(3) arrives as epoch ms.
	"time.precision.mode":    "adaptive_time_microseconds",
	"snapshot.mode":          "initial",
	"tombstones.on.delete":   "true",
	"include.schema.changes": "true",
	// Schemaless JSON (our default): smaller messages, and the unwrap types values from
	// schemas/*.yaml instead of a per-message Connect schema.
	"key.converter":                  "org.apache.kafka.connect.json.JsonConverter",
	"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
	"key.converter.schemas.enable":   "false",
	"value.converter.schemas.enable": "false",
}

var requiredConnectorKeys = []string{
	"database.hostname", "database.port", "database.user", "database.password", "database.server.id",
	"database.include.list", "table.include.list", "heartbeat.interval.ms",
	"schema.history.internal.kafka.bootstrap.servers", "schema.history.internal.kafka.topic",
}

func keySet(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

type connector struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
}

// loadConnector decodes a Connect REST registration body. Values must be JSON strings, as
// Connect's config API defines them.
func loadConnector(t *testing.T, file string) connector {
	t.Helper()
	c, err := parseConnector(readFile(t, file))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return c
}

func parseConnector(b []byte) (connector, error) {
	var c connector
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, err
	}
	return c, nil
}

// undocumented returns the keys of cfg that are not in documentedKeys, sorted.
func undocumented(cfg map[string]string) []string {
	var out []string
	for k := range cfg {
		if !documentedKeys[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func TestConnectorKeysDocumented(t *testing.T) {
	c := loadConnector(t, connectorFile)
	if c.Name == "" {
		t.Error("connector has no name")
	}
	if bad := undocumented(c.Config); len(bad) > 0 {
		t.Errorf("connector keys not documented for Debezium 3.x MySQL / Kafka Connect / JsonConverter: %v", bad)
	}
	// The check itself must catch a typo and a removed 2.x option.
	if bad := undocumented(map[string]string{"decimal.handling.mod": "precise", "database.history.kafka.topic": "x", "topic.prefix": "p"}); !slices.Equal(bad, []string{"database.history.kafka.topic", "decimal.handling.mod"}) {
		t.Errorf("undocumented() = %v, want the misspelt and the removed key", bad)
	}
}

func TestConnectorSettings(t *testing.T) {
	c := loadConnector(t, connectorFile)
	for k, want := range requiredConnectorSettings {
		if got, ok := c.Config[k]; !ok || got != want {
			t.Errorf("connector %s = %q, want %q", k, got, want)
		}
	}
	for _, k := range requiredConnectorKeys {
		if strings.TrimSpace(c.Config[k]) == "" {
			t.Errorf("connector lacks %s", k)
		}
	}
	if n, err := strconv.Atoi(c.Config["heartbeat.interval.ms"]); err != nil || n <= 0 {
		t.Errorf("heartbeat.interval.ms = %q, want a positive number of milliseconds", c.Config["heartbeat.interval.ms"])
	}
	if n, err := strconv.Atoi(c.Config["database.server.id"]); err != nil || n <= 0 {
		t.Errorf("database.server.id = %q, want a positive integer", c.Config["database.server.id"])
	}
}

// The connector captures exactly the tables that have a contract in schemas/.
func TestConnectorTablesMatchContracts(t *testing.T) {
	c := loadConnector(t, connectorFile)
	var tables []string
	dbs := map[string]bool{}
	for _, name := range schemas.Names() {
		tb, err := schemas.Load(name)
		if err != nil {
			t.Fatalf("contract %s: %v", name, err)
		}
		tables = append(tables, tb.Database+"."+tb.Name)
		dbs[tb.Database] = true
	}
	if len(tables) == 0 {
		t.Fatal("no table contracts found in schemas/")
	}
	sort.Strings(tables)
	got := splitList(c.Config["table.include.list"])
	sort.Strings(got)
	if !slices.Equal(got, tables) {
		t.Errorf("table.include.list = %v, want the contracts' tables %v", got, tables)
	}
	var wantDBs []string
	for d := range dbs {
		wantDBs = append(wantDBs, d)
	}
	sort.Strings(wantDBs)
	gotDBs := splitList(c.Config["database.include.list"])
	sort.Strings(gotDBs)
	if !slices.Equal(gotDBs, wantDBs) {
		t.Errorf("database.include.list = %v, want %v", gotDBs, wantDBs)
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func TestConnectorRejectsNonStringValues(t *testing.T) {
	if _, err := parseConnector([]byte(`{"name":"x","config":{"tasks.max":1}}`)); err == nil {
		t.Error("a numeric config value was accepted; Connect's config map is string to string")
	}
	if _, err := parseConnector([]byte(`{"name":"x","confg":{}}`)); err == nil {
		t.Error("a misspelt top-level field was accepted")
	}
}
