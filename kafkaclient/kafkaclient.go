// Package kafkaclient holds the client settings LedgerFlow's Kafka input and output share:
// the seed broker list, the `tls` and `sasl` config objects (their spec, so both
// components document them the same way, and their parsing), and the kgo options they
// turn into.
package kafkaclient

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Field names of the shared config objects.
const (
	FieldTLS               = "tls"
	FieldTLSEnabled        = "enabled"
	FieldTLSRootCAsFile    = "root_cas_file"
	FieldTLSClientCertFile = "client_cert_file"
	FieldTLSClientKeyFile  = "client_key_file"
	FieldTLSSkipVerify     = "skip_cert_verify"
	FieldSASL              = "sasl"
	FieldSASLMechanism     = "mechanism"
	FieldSASLUser          = "user"
	FieldSASLPassword      = "password"
)

// TLSField is the spec of the `tls` object.
func TLSField() *service.ConfigField {
	return service.NewObjectField(FieldTLS,
		service.NewBoolField(FieldTLSEnabled).Description("Connect with TLS.").Default(false),
		service.NewStringField(FieldTLSRootCAsFile).Description("PEM file of the certificate authorities to trust; empty uses the system pool.").Default("").Example("/etc/ledgerflow/kafka-ca.pem"),
		service.NewStringField(FieldTLSClientCertFile).Description("PEM client certificate, for mutual TLS (with `client_key_file`).").Default(""),
		service.NewStringField(FieldTLSClientKeyFile).Description("PEM private key of `client_cert_file`.").Default(""),
		service.NewBoolField(FieldTLSSkipVerify).Description("Do not verify the brokers' certificates. Only for tests: it allows a man in the middle.").Default(false).Advanced(),
	).Description("TLS to the brokers.").Advanced()
}

// SASLField is the spec of the `sasl` object.
func SASLField() *service.ConfigField {
	return service.NewObjectField(FieldSASL,
		service.NewStringField(FieldSASLMechanism).Description("SASL mechanism: `none`, `PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`. Use PLAIN only over TLS.").Default("none").Example("SCRAM-SHA-512"),
		service.NewStringField(FieldSASLUser).Description("SASL user name.").Default(""),
		service.NewStringField(FieldSASLPassword).Description("SASL password. Pass it through the environment: `${KAFKA_PASSWORD}`.").Default("").Secret(),
	).Description("SASL authentication.").Advanced()
}

// SplitList flattens list entries that hold comma-separated values, so that
// `seed_brokers: ["a:9092,b:9092"]` and an env var holding "a:9092,b:9092" both work.
// Blanks are dropped.
func SplitList(in []string) []string {
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

// Security is the parsed `tls` and `sasl` objects of a component.
type Security struct {
	TLS      *tls.Config    // nil when TLS is disabled
	SASL     sasl.Mechanism // nil when the mechanism is none
	SASLUser string         // for error messages
}

// ParseSecurity reads the `tls` and `sasl` objects of conf (the component's own config,
// not the objects). It fails, naming the field, when a file cannot be read or the
// settings contradict each other.
func ParseSecurity(conf *service.ParsedConfig) (Security, error) {
	var s Security
	var err error
	if s.TLS, err = TLSConfig(conf.Namespace(FieldTLS)); err != nil {
		return Security{}, err
	}
	if s.SASL, err = SASLMechanism(conf.Namespace(FieldSASL)); err != nil {
		return Security{}, err
	}
	s.SASLUser, _ = conf.Namespace(FieldSASL).FieldString(FieldSASLUser)
	return s, nil
}

// Opts returns the kgo options that dial with s's TLS and authenticate with its SASL.
func (s Security) Opts() []kgo.Opt {
	var opts []kgo.Opt
	if s.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(s.TLS.Clone()))
	}
	if s.SASL != nil {
		opts = append(opts, kgo.SASL(s.SASL))
	}
	return opts
}

// AuthHint explains, for an error of a client that could not reach any broker, that
// SASL credentials may be the cause; empty without SASL. Brokers (kfake among them)
// may reject credentials by just closing the connection.
func (s Security) AuthHint() string {
	if s.SASL == nil {
		return ""
	}
	return fmt.Sprintf(" (authenticating with SASL %s as %q: wrong credentials can show as a closed connection; check sasl.mechanism, sasl.user and sasl.password)", s.SASL.Name(), s.SASLUser)
}

// TLSConfig builds the client TLS configuration from the tls object; nil when disabled.
func TLSConfig(conf *service.ParsedConfig) (*tls.Config, error) {
	enabled, err := conf.FieldBool(FieldTLSEnabled)
	if err != nil || !enabled {
		return nil, err
	}
	caFile, _ := conf.FieldString(FieldTLSRootCAsFile)
	certFile, _ := conf.FieldString(FieldTLSClientCertFile)
	keyFile, _ := conf.FieldString(FieldTLSClientKeyFile)
	skip, _ := conf.FieldBool(FieldTLSSkipVerify)

	c := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: skip} //nolint:gosec // opt-in, documented
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("field tls.%s: %w", FieldTLSRootCAsFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("field tls.%s: %s holds no PEM certificate", FieldTLSRootCAsFile, caFile)
		}
		c.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, fmt.Errorf("fields tls.%s and tls.%s: both or neither must be set (got %q and %q)", FieldTLSClientCertFile, FieldTLSClientKeyFile, certFile, keyFile)
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("fields tls.%s/%s: %w", FieldTLSClientCertFile, FieldTLSClientKeyFile, err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// SASLMechanism builds the SASL mechanism from the sasl object; nil when mechanism is none.
func SASLMechanism(conf *service.ParsedConfig) (sasl.Mechanism, error) {
	mech, err := conf.FieldString(FieldSASLMechanism)
	if err != nil {
		return nil, err
	}
	user, _ := conf.FieldString(FieldSASLUser)
	pass, _ := conf.FieldString(FieldSASLPassword)
	m := strings.ToUpper(strings.TrimSpace(mech))
	if m == "NONE" || m == "" {
		return nil, nil
	}
	if user == "" {
		return nil, fmt.Errorf("field sasl.%s: must be set when sasl.%s is %s", FieldSASLUser, FieldSASLMechanism, m)
	}
	switch m {
	case "PLAIN":
		return plain.Auth{User: user, Pass: pass}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("field sasl.%s: %q is not supported: expected none, PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", FieldSASLMechanism, mech)
}
