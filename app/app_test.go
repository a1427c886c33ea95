package app

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/starsesim/esimstore/config"
)

func TestDialTemporalReportsBadCredentials(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	bad := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := DialTemporal(config.Config{TemporalAddress: "127.0.0.1:1", TemporalNamespace: "default",
		TemporalTLSCert: bad, TemporalTLSKey: bad}, logger, nil)
	if err == nil || !strings.Contains(err.Error(), "tls key pair") {
		t.Fatalf("err = %v, want a TLS key pair error", err)
	}
}
