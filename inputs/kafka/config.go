package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// splitList flattens list entries that hold comma-separated values, so that
// `seed_brokers: ["a:9092,b:9092"]` and an env var holding "a:9092,b:9092" both work.
// Blanks are dropped.
func splitList(in []string) []string {
	var out []string
	for _, e := range in {
		for _, s := range strings.Split(e, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// parseStartFrom turns the start_from field into the offset a partition with no committed
// offset starts at: "earliest", "latest", an RFC3339 timestamp or unix milliseconds. A
// timestamp starts at the first record stamped at or after it (the log end if none is).
func parseStartFrom(v string) (kgo.Offset, error) {
	s := strings.TrimSpace(v)
	switch strings.ToLower(s) {
	case "earliest", "":
		return kgo.NewOffset().AtStart(), nil
	case "latest":
		return kgo.NewOffset().AtEnd(), nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms >= 0 {
		return kgo.NewOffset().AfterMilli(ms), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil && t.UnixMilli() >= 0 {
		return kgo.NewOffset().AfterMilli(t.UnixMilli()), nil
	}
	return kgo.Offset{}, fmt.Errorf("field %s: %q is not a start position: expected \"earliest\", \"latest\", an RFC3339 timestamp (2024-05-01T00:00:00Z) or non-negative unix milliseconds (1714521600000)", fieldStartFrom, v)
}

// tlsConfig builds the client TLS configuration from the tls object; nil when disabled.
func tlsConfig(conf *service.ParsedConfig) (*tls.Config, error) {
	enabled, err := conf.FieldBool(fieldTLSEnabled)
	if err != nil || !enabled {
		return nil, err
	}
	caFile, _ := conf.FieldString(fieldTLSRootCAsFile)
	certFile, _ := conf.FieldString(fieldTLSClientCertFile)
	keyFile, _ := conf.FieldString(fieldTLSClientKeyFile)
	skip, _ := conf.FieldBool(fieldTLSSkipVerify)

	c := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: skip} //nolint:gosec // opt-in, documented
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("field tls.%s: %w", fieldTLSRootCAsFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("field tls.%s: %s holds no PEM certificate", fieldTLSRootCAsFile, caFile)
		}
		c.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, fmt.Errorf("fields tls.%s and tls.%s: both or neither must be set (got %q and %q)", fieldTLSClientCertFile, fieldTLSClientKeyFile, certFile, keyFile)
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("fields tls.%s/%s: %w", fieldTLSClientCertFile, fieldTLSClientKeyFile, err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// saslMechanism builds the SASL mechanism from the sasl object; nil when mechanism is none.
func saslMechanism(conf *service.ParsedConfig) (sasl.Mechanism, error) {
	mech, err := conf.FieldString(fieldSASLMechanism)
	if err != nil {
		return nil, err
	}
	user, _ := conf.FieldString(fieldSASLUser)
	pass, _ := conf.FieldString(fieldSASLPassword)
	m := strings.ToUpper(strings.TrimSpace(mech))
	if m == "NONE" || m == "" {
		return nil, nil
	}
	if user == "" {
		return nil, fmt.Errorf("field sasl.%s: must be set when sasl.%s is %s", fieldSASLUser, fieldSASLMechanism, m)
	}
	switch m {
	case "PLAIN":
		return plain.Auth{User: user, Pass: pass}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("field sasl.%s: %q is not supported: expected none, PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", fieldSASLMechanism, mech)
}

// inputConfig is the parsed, validated configuration of one kafka input.
type inputConfig struct {
	seeds            []string
	topics           []string
	regex            bool
	group            string
	start            kgo.Offset
	clientID         string
	rack             string
	fetchMaxBytes    int32
	batchMaxRecords  int
	commitPeriod     time.Duration
	revokeWait       time.Duration
	sessionTimeout   time.Duration
	rebalanceTimeout time.Duration
	tls              *tls.Config
	sasl             sasl.Mechanism
	saslUser         string
}

func parseConfig(conf *service.ParsedConfig) (*inputConfig, error) {
	var c inputConfig
	var err error
	seeds, err := conf.FieldStringList(fieldSeedBrokers)
	if err != nil {
		return nil, err
	}
	if c.seeds = splitList(seeds); len(c.seeds) == 0 {
		return nil, fmt.Errorf("field %s: at least one host:port is required, got %q", fieldSeedBrokers, seeds)
	}
	topics, err := conf.FieldStringList(fieldTopics)
	if err != nil {
		return nil, err
	}
	if c.topics = splitList(topics); len(c.topics) == 0 {
		return nil, fmt.Errorf("field %s: at least one topic is required, got %q", fieldTopics, topics)
	}
	if c.regex, err = conf.FieldBool(fieldRegexpTopics); err != nil {
		return nil, err
	}
	if c.regex {
		if err := checkRegexps(c.topics); err != nil {
			return nil, err
		}
	}
	if c.group, err = conf.FieldString(fieldConsumerGroup); err != nil {
		return nil, err
	}
	if c.group = strings.TrimSpace(c.group); c.group == "" {
		return nil, fmt.Errorf("field %s: a group name is required (offsets are committed to it)", fieldConsumerGroup)
	}
	startFrom, err := conf.FieldString(fieldStartFrom)
	if err != nil {
		return nil, err
	}
	if c.start, err = parseStartFrom(startFrom); err != nil {
		return nil, err
	}
	if c.clientID, err = conf.FieldString(fieldClientID); err != nil {
		return nil, err
	}
	if c.rack, err = conf.FieldString(fieldRackID); err != nil {
		return nil, err
	}
	fmb, err := conf.FieldInt(fieldFetchMaxBytes)
	if err != nil {
		return nil, err
	}
	if fmb < 1024 || fmb > 1<<30 {
		return nil, fmt.Errorf("field %s: %d is out of range: expected 1024 to 1073741824 bytes", fieldFetchMaxBytes, fmb)
	}
	c.fetchMaxBytes = int32(fmb)
	if c.batchMaxRecords, err = conf.FieldInt(fieldBatchMaxRecords); err != nil {
		return nil, err
	}
	if c.batchMaxRecords < 1 {
		return nil, fmt.Errorf("field %s: %d is out of range: expected at least 1", fieldBatchMaxRecords, c.batchMaxRecords)
	}
	if c.commitPeriod, err = conf.FieldDuration(fieldCommitPeriod); err != nil {
		return nil, err
	}
	if c.commitPeriod <= 0 {
		return nil, fmt.Errorf("field %s: %v is out of range: expected a positive duration such as 1s", fieldCommitPeriod, c.commitPeriod)
	}
	if c.revokeWait, err = conf.FieldDuration(fieldRevokeAckTimeout); err != nil {
		return nil, err
	}
	if c.revokeWait < 0 {
		return nil, fmt.Errorf("field %s: %v is out of range: expected zero or a positive duration", fieldRevokeAckTimeout, c.revokeWait)
	}
	if c.sessionTimeout, err = conf.FieldDuration(fieldSessionTimeout); err != nil {
		return nil, err
	}
	if c.sessionTimeout < 100*time.Millisecond {
		return nil, fmt.Errorf("field %s: %v is out of range: expected at least 100ms (brokers usually require 6s or more)", fieldSessionTimeout, c.sessionTimeout)
	}
	if c.rebalanceTimeout, err = conf.FieldDuration(fieldRebalanceTimeout); err != nil {
		return nil, err
	}
	if c.rebalanceTimeout <= c.revokeWait {
		return nil, fmt.Errorf("field %s: %v must exceed %s (%v): a revoking member waits that long before it rejoins", fieldRebalanceTimeout, c.rebalanceTimeout, fieldRevokeAckTimeout, c.revokeWait)
	}
	if c.tls, err = tlsConfig(conf.Namespace(fieldTLS)); err != nil {
		return nil, err
	}
	if c.sasl, err = saslMechanism(conf.Namespace(fieldSASL)); err != nil {
		return nil, err
	}
	c.saslUser, _ = conf.Namespace(fieldSASL).FieldString(fieldSASLUser)
	return &c, nil
}

// checkRegexps compiles the topic patterns up front, so that a typo fails at startup with
// the pattern named instead of silently matching nothing.
func checkRegexps(patterns []string) error {
	for _, p := range patterns {
		if _, err := regexp.Compile(p); err != nil {
			return fmt.Errorf("field %s: %q is not a valid regular expression (%s is true): %w", fieldTopics, p, fieldRegexpTopics, err)
		}
	}
	return nil
}
