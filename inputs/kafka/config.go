package kafka

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/ledgerflow/ledgerflow/kafkaclient"
)

// parseStartFrom turns the start_from field into the offset a partition with no committed
// offset starts at: "earliest", "latest", an RFC3339 timestamp or unix milliseconds. A
// timestamp starts at the first record stamped at or after it (the log end if none is).
func parseStartFrom(v string) (kgo.Offset, error) {
	p, err := ParseStartPoint(v)
	if err != nil {
		return kgo.Offset{}, fmt.Errorf("field %s: %w", fieldStartFrom, err)
	}
	return p.Offset(), nil
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
	maxUnacked       int
	commitPeriod     time.Duration
	revokeWait       time.Duration
	sessionTimeout   time.Duration
	rebalanceTimeout time.Duration
	security         kafkaclient.Security
}

func parseConfig(conf *service.ParsedConfig) (*inputConfig, error) {
	var c inputConfig
	var err error
	seeds, err := conf.FieldStringList(fieldSeedBrokers)
	if err != nil {
		return nil, err
	}
	if c.seeds = kafkaclient.SplitList(seeds); len(c.seeds) == 0 {
		return nil, fmt.Errorf("field %s: at least one host:port is required, got %q", fieldSeedBrokers, seeds)
	}
	topics, err := conf.FieldStringList(fieldTopics)
	if err != nil {
		return nil, err
	}
	if c.topics = kafkaclient.SplitList(topics); len(c.topics) == 0 {
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
	if c.maxUnacked, err = conf.FieldInt(fieldMaxUnackedRecords); err != nil {
		return nil, err
	}
	if c.maxUnacked < 0 {
		return nil, fmt.Errorf("field %s: %d is out of range: expected 0 (no limit) or more records", fieldMaxUnackedRecords, c.maxUnacked)
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
	if c.security, err = kafkaclient.ParseSecurity(conf); err != nil {
		return nil, err
	}
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
