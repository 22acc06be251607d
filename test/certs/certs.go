// Package certs makes throwaway certificates for tests that need real TLS:
// a CA, a server certificate for 127.0.0.1 and localhost signed by it, a
// client certificate for mutual TLS, and a second CA that signed nothing,
// for the tests that a client trusting the wrong CA is refused. Every key is
// new on each call.
//
//	ca.pem                        the CA certificate
//	server.pem                    the server's PKCS#8 key and certificate chain
//	client.pem, client-key.pem    the client's certificate and key
//	other-ca.pem                  a CA that signed nothing here
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pair is a certificate with its key.
type pair struct {
	cert *x509.Certificate
	der  []byte
	key  *ecdsa.PrivateKey
}

// Write writes the files into dir (created if needed).
func Write(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	ca, err := issue(&x509.Certificate{Subject: pkix.Name{CommonName: "customers test CA"}, IsCA: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true}, nil)
	if err != nil {
		return err
	}
	other, err := issue(&x509.Certificate{Subject: pkix.Name{CommonName: "some other CA"}, IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}, nil)
	if err != nil {
		return err
	}
	server, err := issue(&x509.Certificate{Subject: pkix.Name{CommonName: "kafka-test-broker"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, ca)
	if err != nil {
		return err
	}
	client, err := issue(&x509.Certificate{Subject: pkix.Name{CommonName: "service-customer"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, ca)
	if err != nil {
		return err
	}
	serverKey, err := keyPEM(server.key)
	if err != nil {
		return err
	}
	clientKey, err := keyPEM(client.key)
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"ca.pem":         certPEM(ca),
		"other-ca.pem":   certPEM(other),
		"server.pem":     append(append(serverKey, certPEM(server)...), certPEM(ca)...),
		"client.pem":     certPEM(client),
		"client-key.pem": clientKey,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// issue makes a certificate from tpl, signed by parent (self-signed when
// nil), valid for a day.
func issue(tpl *x509.Certificate, parent *pair) (*pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	tpl.SerialNumber = serial
	tpl.NotBefore, tpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	signer, signerKey := tpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &pair{cert: cert, der: der, key: key}, nil
}

func certPEM(p *pair) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.der})
}

// keyPEM encodes key as PKCS#8, the one form Kafka's PEM keystore reads.
func keyPEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
