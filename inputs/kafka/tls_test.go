package kafka

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

type testPKI struct {
	caPEM, serverCert, clientCertFile, clientKeyFile, caFile string
	server                                                   tls.Certificate
	pool                                                     *x509.CertPool
}

// newPKI makes a CA, a server certificate for 127.0.0.1 and a client certificate, and
// writes the CA and client files into dir.
func newPKI(t *testing.T, dir string) *testPKI {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ledgerflow test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	caCert, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)

	issue := func(serial int64, usage x509.ExtKeyUsage, ips []net.IP) ([]byte, []byte) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "kafka"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		require.NoError(t, err)
		keyDER, err := x509.MarshalECPrivateKey(key)
		require.NoError(t, err)
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	}
	srvCert, srvKey := issue(2, x509.ExtKeyUsageServerAuth, []net.IP{net.ParseIP("127.0.0.1")})
	cliCert, cliKey := issue(3, x509.ExtKeyUsageClientAuth, nil)
	server, err := tls.X509KeyPair(srvCert, srvKey)
	require.NoError(t, err)

	p := &testPKI{server: server, pool: x509.NewCertPool()}
	p.pool.AddCert(caCert)
	p.caFile = filepath.Join(dir, "ca.pem")
	p.clientCertFile = filepath.Join(dir, "client.pem")
	p.clientKeyFile = filepath.Join(dir, "client-key.pem")
	require.NoError(t, os.WriteFile(p.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600))
	require.NoError(t, os.WriteFile(p.clientCertFile, cliCert, 0o600))
	require.NoError(t, os.WriteFile(p.clientKeyFile, cliKey, 0o600))
	return p
}

// TestTLS consumes over mutual TLS from a kfake cluster that requires client
// certificates, and checks that an untrusted broker certificate fails Connect.
func TestTLS(t *testing.T) {
	const topic = "tls"
	pki := newPKI(t, t.TempDir())
	c := newCluster(t, 1, []string{topic}, kfake.TLS(&tls.Config{
		Certificates: []tls.Certificate{pki.server},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pki.pool,
		MinVersion:   tls.VersionTLS12,
	}))
	clientCert, err := tls.LoadX509KeyPair(pki.clientCertFile, pki.clientKeyFile)
	require.NoError(t, err)
	producer := newClient(t, c, kgo.DialTLSConfig(&tls.Config{RootCAs: pki.pool, Certificates: []tls.Certificate{clientCert}, MinVersion: tls.VersionTLS12}))
	produce(t, producer, topic, 0, 20)

	s := newSeen()
	stop := startStream(t, inputYAML(seedsOf(c), topic, "g-tls",
		"tls: {enabled: true, root_cas_file: "+pki.caFile+", client_cert_file: "+pki.clientCertFile+", client_key_file: "+pki.clientKeyFile+"}"),
		func(_ context.Context, b service.MessageBatch) error { s.addBatch(b); return nil })
	eventually(t, 20*time.Second, "20 records over mutual TLS", func() bool { return s.distinct() == 20 })
	stop()

	connect := func(tlsYAML string) error {
		conf, err := kafkaInputSpec().ParseYAML(inputYAMLBody(seedsOf(c), topic, "g-tls-bad", tlsYAML), nil)
		require.NoError(t, err)
		in, err := newKafkaInput(conf, service.MockResources())
		require.NoError(t, err)
		defer func() { _ = in.Close(context.Background()) }()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		return in.Connect(ctx)
	}
	err = connect("tls: {enabled: true, client_cert_file: " + pki.clientCertFile + ", client_key_file: " + pki.clientKeyFile + "}")
	require.Error(t, err, "the test CA is not in the system pool")
	assert.Contains(t, err.Error(), "certificate")
	t.Logf("untrusted broker: %v", err)

	assert.NoError(t, connect("tls: {enabled: true, skip_cert_verify: true, client_cert_file: "+pki.clientCertFile+", client_key_file: "+pki.clientKeyFile+"}"))
}

// TestRegexpTopics consumes every topic matching a pattern and nothing else.
func TestRegexpTopics(t *testing.T) {
	c := newCluster(t, 2, []string{"bank_server.bank.customers", "bank_server.bank.accounts", "other.bank.customers"})
	cl := newClient(t, c)
	produce(t, cl, "bank_server.bank.customers", 0, 10)
	produce(t, cl, "bank_server.bank.accounts", 0, 15)
	produce(t, cl, "other.bank.customers", 0, 7)

	var mu sync.Mutex
	topics := map[string]int{}
	stop := startStream(t, "kafka:\n  seed_brokers: ["+quote(seedsOf(c))+"]\n  topics: ['^bank_server\\.bank\\.']\n  regexp_topics: true\n  consumer_group: g-re\n",
		func(_ context.Context, b service.MessageBatch) error {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range b {
				tp, _ := m.MetaGet(metaTopic)
				topics[tp]++
			}
			return nil
		})
	eventually(t, 20*time.Second, "25 records of the two bank_server topics", func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, v := range topics {
			n += v
		}
		return n >= 25
	})
	time.Sleep(200 * time.Millisecond)
	stop()
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[string]int{"bank_server.bank.customers": 10, "bank_server.bank.accounts": 15}, topics)
}
