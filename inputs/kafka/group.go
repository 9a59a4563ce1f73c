package kafka

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Group is what a tool outside a running pipeline needs to act on the consumer group of a
// kafka input: the group's name, what it consumes, and how to reach its brokers.
// `ledgerflow replay` uses it to move the group's committed offsets before a pipeline starts.
type Group struct {
	Name   string
	Topics []string // topic names, or regular expressions when Regexp is true
	Regexp bool
	Seeds  []string
	// ClientOpts dial the seed brokers with the input's client id, TLS and SASL settings. They
	// hold no consumer options: add kgo options for an admin client (kadm) or a producer.
	ClientOpts []kgo.Opt
}

// ParseGroup reads the config of a kafka input, the YAML object under its `kafka` key with
// environment variables already interpolated, and validates it exactly as the input does.
// It fails, naming the field, on any config the input itself would refuse.
func ParseGroup(kafkaYAML string) (*Group, error) {
	pc, err := kafkaInputSpec().ParseYAML(kafkaYAML, nil)
	if err != nil {
		return nil, fmt.Errorf("kafka input config: %w", err)
	}
	c, err := parseConfig(pc)
	if err != nil {
		return nil, err
	}
	opts := append([]kgo.Opt{kgo.SeedBrokers(c.seeds...), kgo.ClientID(c.clientID)}, c.security.Opts()...)
	return &Group{Name: c.group, Topics: c.topics, Regexp: c.regex, Seeds: c.seeds, ClientOpts: opts}, nil
}

// StartPoint is a parsed start position: the log start, the log end, or the first record
// stamped at or after a time.
type StartPoint struct {
	Earliest, Latest bool
	Milli            int64 // unix milliseconds; meaningful when neither Earliest nor Latest
}

// ParseStartPoint reads "earliest", "latest", an RFC3339 timestamp or non-negative unix
// milliseconds, the syntax of the input's start_from field. An empty string is earliest.
func ParseStartPoint(v string) (StartPoint, error) {
	s := strings.TrimSpace(v)
	switch strings.ToLower(s) {
	case "earliest", "":
		return StartPoint{Earliest: true}, nil
	case "latest":
		return StartPoint{Latest: true}, nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms >= 0 {
		return StartPoint{Milli: ms}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil && t.UnixMilli() >= 0 {
		return StartPoint{Milli: t.UnixMilli()}, nil
	}
	return StartPoint{}, fmt.Errorf("%q is not a start position: expected \"earliest\", \"latest\", an RFC3339 timestamp (2024-05-01T00:00:00Z) or non-negative unix milliseconds (1714521600000)", v)
}

// Offset is the kgo start offset of the point.
func (p StartPoint) Offset() kgo.Offset {
	switch {
	case p.Earliest:
		return kgo.NewOffset().AtStart()
	case p.Latest:
		return kgo.NewOffset().AtEnd()
	}
	return kgo.NewOffset().AfterMilli(p.Milli)
}
