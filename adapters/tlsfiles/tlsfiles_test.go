package tlsfiles_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fintechlabs/customers/adapters/tlsfiles"
	"github.com/fintechlabs/customers/test/certs"
)

func TestACAFileIsReadOrRefusedWithItsReason(t *testing.T) {
	dir := t.TempDir()
	if err := certs.Write(dir); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"a bundle is read", filepath.Join(dir, "ca.pem"), ""},
		{"a missing file says so", filepath.Join(dir, "missing.pem"), "read the CA file"},
		{"a file without certificates says so", notPEM, "holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool, err := tlsfiles.CertPool(tt.path)
			if tt.want == "" && (err != nil || pool == nil) || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("CertPool = %v, %v; want error %q", pool, err, tt.want)
			}
		})
	}
}
