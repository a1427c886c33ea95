package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/starsesim/esimstore/config"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestDialTemporalReportsBadCredentials(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.FromEnv(func(k string) string {
		return map[string]string{"TEMPORAL_ADDRESS": "127.0.0.1:1", "TEMPORAL_TLS_CERT": bad, "TEMPORAL_TLS_KEY": bad}[k]
	}, true)
	if err == nil || !strings.Contains(err.Error(), "TEMPORAL_TLS") {
		t.Fatalf("config accepted an unreadable key pair: %v", err)
	}
	if _, err = DialTemporal(cfg, quiet(), nil); err == nil || !strings.Contains(err.Error(), "client cert") {
		t.Fatalf("err = %v, want a client certificate error", err)
	}
}

// A self-hosted cluster behind a private CA with mutual TLS: a gRPC stub
// of Temporal's frontend (enough for the SDK's dial, which asks for the
// system info) checks the client certificate, and the client must trust
// the private CA and ask for the certificate's name instead of the IP.
func TestDialTemporalPrivateCA(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caPath := write("ca.pem", ca.certPEM)
	serverCert, serverKey := ca.issue(t, "temporal.internal", false)
	clientCert, clientKey := ca.issue(t, "esimstore-worker", true)
	certPath, keyPath := write("client.pem", clientCert), write("client.key", clientKey)

	addr := startFrontendStub(t, serverCert, serverKey, ca.pool())

	base := map[string]string{"TEMPORAL_ADDRESS": addr, "TEMPORAL_TLS_SERVER_CA_CERT_PATH": caPath,
		"TEMPORAL_TLS_SERVER_NAME": "temporal.internal"}
	with := func(extra map[string]string, drop ...string) func(string) string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		for _, k := range drop {
			delete(m, k)
		}
		return func(k string) string { return m[k] }
	}
	standard := map[string]string{"TEMPORAL_TLS_CLIENT_CERT_PATH": certPath, "TEMPORAL_TLS_CLIENT_KEY_PATH": keyPath}
	legacy := map[string]string{"TEMPORAL_TLS_CERT": certPath, "TEMPORAL_TLS_KEY": keyPath}
	tests := []struct {
		name    string
		getenv  func(string) string
		wantErr string // "" = connects; "any" = any failure
	}{
		{"standard names", with(standard), ""},
		{"older TEMPORAL_TLS_CERT/KEY with the standard CA", with(legacy), ""},
		// The server refuses after the TLS 1.3 handshake, so the client sees
		// a bad-certificate alert or a closed connection, whichever is first.
		{"no client certificate", with(map[string]string{"TEMPORAL_TLS": "true"}), "any"},
		{"system roots instead of the private CA", with(standard, "TEMPORAL_TLS_SERVER_CA_CERT_PATH"), "certificate"},
		{"wrong server name", with(map[string]string{"TEMPORAL_TLS_SERVER_NAME": "other.internal",
			"TEMPORAL_TLS_CLIENT_CERT_PATH": certPath, "TEMPORAL_TLS_CLIENT_KEY_PATH": keyPath}), "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.FromEnv(tt.getenv, true)
			if err != nil {
				t.Fatal(err)
			}
			c, err := DialTemporal(cfg, quiet(), nil)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				c.Close()
				return
			}
			if err == nil {
				c.Close()
				t.Fatal("connected, want a TLS failure")
			}
			if tt.wantErr != "any" && !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

type frontendStub struct {
	workflowservice.UnimplementedWorkflowServiceServer
}

func (frontendStub) GetSystemInfo(context.Context, *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	return &workflowservice.GetSystemInfoResponse{ServerVersion: "stub"}, nil
}

func startFrontendStub(t *testing.T, certPEM, keyPEM []byte, clientCAs *x509.CertPool) string {
	t.Helper()
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	creds := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: clientCAs,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(grpc.Creds(creds))
	workflowservice.RegisterWorkflowServiceServer(s, frontendStub{})
	go func() { _ = s.Serve(l) }()
	t.Cleanup(s.Stop)
	return l.Addr().String()
}

type testCA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

func newCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "private test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

func (ca *testCA) issue(t *testing.T, name string, client bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	usage := x509.ExtKeyUsageServerAuth
	if client {
		usage = x509.ExtKeyUsageClientAuth
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}
