package mysql

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
)

const (
	fieldDSN                = "dsn"
	fieldHost               = "host"
	fieldPort               = "port"
	fieldUser               = "user"
	fieldPassword           = "password"
	fieldFlavor             = "flavor"
	fieldServerID           = "server_id"
	fieldTables             = "tables"
	fieldSnapshotMode       = "snapshot_mode"
	fieldSnapshotBatch      = "snapshot_batch_size"
	fieldCheckpointFile     = "checkpoint_file"
	fieldCheckpointInterval = "checkpoint_interval"
	fieldTopicPrefix        = "topic_prefix"
	fieldSchemasEnabled     = "schemas_enabled"
	fieldTombstones         = "tombstones_on_delete"
	fieldHeartbeat          = "heartbeat_interval"
)

const (
	snapshotInitial    = "initial"
	snapshotNever      = "never"
	snapshotWhenNeeded = "when_needed"
)

type config struct {
	host, user, password string
	port                 uint16
	flavor               string // mysql | mariadb
	serverID             uint32
	tables               tableFilter
	tableList            []string
	snapshotMode         string
	snapshotBatch        int
	checkpointFile       string
	checkpointInterval   time.Duration
	topicPrefix          string
	schemasEnabled       bool
	tombstones           bool
	heartbeat            time.Duration
}

func (c *config) addr() string { return net.JoinHostPort(c.host, strconv.Itoa(int(c.port))) }

func parseConfig(pc *service.ParsedConfig) (*config, error) {
	c := &config{}
	dsn, err := pc.FieldString(fieldDSN)
	if err != nil {
		return nil, err
	}
	if dsn != "" {
		d, err := parseDSN(dsn)
		if err != nil {
			return nil, err
		}
		c.user, c.password, c.host, c.port = d.user, d.password, d.host, d.port
	} else {
		if c.host, err = pc.FieldString(fieldHost); err != nil {
			return nil, err
		}
		port, err := pc.FieldInt(fieldPort)
		if err != nil {
			return nil, err
		}
		if port < 1 || port > 65535 {
			return nil, fmt.Errorf("%s: %d, expected 1..65535", fieldPort, port)
		}
		c.port = uint16(port)
		if c.user, err = pc.FieldString(fieldUser); err != nil {
			return nil, err
		}
		if c.password, err = pc.FieldString(fieldPassword); err != nil {
			return nil, err
		}
	}
	if c.flavor, err = pc.FieldString(fieldFlavor); err != nil {
		return nil, err
	}
	if c.flavor != "mysql" && c.flavor != "mariadb" {
		return nil, fmt.Errorf("%s: %q, expected mysql or mariadb", fieldFlavor, c.flavor)
	}
	sid, err := pc.FieldInt(fieldServerID)
	if err != nil {
		return nil, err
	}
	if sid < 1 || int64(sid) > int64(^uint32(0)) {
		return nil, fmt.Errorf("%s: %d, expected 1..4294967295 and unlike every other server and replica", fieldServerID, sid)
	}
	c.serverID = uint32(sid)
	if c.tableList, err = pc.FieldStringList(fieldTables); err != nil {
		return nil, err
	}
	if c.tables, err = parseTableFilter(c.tableList); err != nil {
		return nil, err
	}
	if c.snapshotMode, err = pc.FieldString(fieldSnapshotMode); err != nil {
		return nil, err
	}
	switch c.snapshotMode {
	case snapshotInitial, snapshotNever, snapshotWhenNeeded:
	default:
		return nil, fmt.Errorf("%s: %q, expected initial, never or when_needed", fieldSnapshotMode, c.snapshotMode)
	}
	if c.snapshotBatch, err = pc.FieldInt(fieldSnapshotBatch); err != nil {
		return nil, err
	}
	if c.snapshotBatch < 1 {
		return nil, fmt.Errorf("%s: %d, expected at least 1", fieldSnapshotBatch, c.snapshotBatch)
	}
	if c.checkpointFile, err = pc.FieldString(fieldCheckpointFile); err != nil {
		return nil, err
	}
	if c.checkpointInterval, err = pc.FieldDuration(fieldCheckpointInterval); err != nil {
		return nil, err
	}
	if c.topicPrefix, err = pc.FieldString(fieldTopicPrefix); err != nil {
		return nil, err
	}
	if c.topicPrefix == "" {
		return nil, fmt.Errorf("%s: empty, expected the logical server name, e.g. bank_server", fieldTopicPrefix)
	}
	if c.schemasEnabled, err = pc.FieldBool(fieldSchemasEnabled); err != nil {
		return nil, err
	}
	if c.tombstones, err = pc.FieldBool(fieldTombstones); err != nil {
		return nil, err
	}
	if c.heartbeat, err = pc.FieldDuration(fieldHeartbeat); err != nil {
		return nil, err
	}
	if c.heartbeat < 0 {
		return nil, fmt.Errorf("%s: %v, expected 0 (off) or a positive duration", fieldHeartbeat, c.heartbeat)
	}
	return c, nil
}

type dsnParts struct {
	user, password, host string
	port                 uint16
	db                   string
}

// parseDSN reads the Go MySQL driver's form user:password@tcp(host:port)/db?opts, also
// accepting user:password@host:port[/db]. The password may contain '@' and ':'. Options
// after '?' are ignored. The port defaults to 3306.
func parseDSN(s string) (dsnParts, error) {
	var d dsnParts
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return d, fmt.Errorf("%s: expected user:password@tcp(host:port)/", fieldDSN)
	}
	cred, rest := s[:at], s[at+1:]
	d.user, d.password, _ = strings.Cut(cred, ":")
	if d.user == "" {
		return d, fmt.Errorf("%s: no user before '@'", fieldDSN)
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		rest = rest[:q]
	}
	addr := rest
	if slash := strings.IndexByte(rest, '/'); slash >= 0 {
		addr, d.db = rest[:slash], rest[slash+1:]
	}
	if strings.HasPrefix(addr, "tcp(") {
		if !strings.HasSuffix(addr, ")") {
			return d, fmt.Errorf("%s: unbalanced tcp( in %q", fieldDSN, addr)
		}
		addr = addr[4 : len(addr)-1]
	} else if strings.Contains(addr, "(") {
		return d, fmt.Errorf("%s: only the tcp network is supported, got %q", fieldDSN, addr)
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		host, portStr = addr, "3306"
		if strings.Contains(addr, ":") && !strings.HasPrefix(addr, "[") {
			return d, fmt.Errorf("%s: address %q: %v", fieldDSN, addr, err)
		}
		host = strings.Trim(host, "[]")
	}
	if host == "" {
		return d, fmt.Errorf("%s: no host in %q", fieldDSN, addr)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return d, fmt.Errorf("%s: port %q, expected 1..65535", fieldDSN, portStr)
	}
	d.host, d.port = host, uint16(port)
	return d, nil
}
