// Package tlsfiles reads the PEM files TLS settings name, for every adapter
// that speaks TLS (Kafka, SMTP), so that each reports a bad file alike.
package tlsfiles

import (
	"crypto/x509"
	"fmt"
	"os"
)

// CertPool reads the CA certificates in the PEM bundle at path.
func CertPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("the CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}
