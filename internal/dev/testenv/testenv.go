// Package testenv gives integration tests the real services: a fresh
// PostgreSQL database per test and a Temporal dev server per test binary.
// Nothing is skipped when a service is missing: the test fails and says how
// to get it, because `make test` always provides both.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/internal/dev/devserver"
	"github.com/starsesim/esimstore/store"
)

// Main runs the tests and stops the shared dev server afterwards. Packages
// that call Temporal use it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	mu.Lock()
	if server != nil {
		_ = server.Stop()
	}
	mu.Unlock()
	os.Exit(code)
}

var (
	mu       sync.Mutex
	server   *devserver.Server
	startErr error
)

// BaseDatabaseURL is the server the tests create their databases on.
func BaseDatabaseURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Integration marks a test that needs the real services; `go test -short`
// (make unit-test) leaves those to `make test`.
func Integration(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs PostgreSQL and the Temporal dev server (make test)")
	}
}

// Database creates an empty, migrated database for one test and drops it
// when the test ends, so runs never see each other's rows.
func Database(t testing.TB) string {
	t.Helper()
	url := DatabaseURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := store.Migrate(ctx, url); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return url
}

// DatabaseURL creates an empty database without migrating it.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	Integration(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "esimstore_test_" + hex.EncodeToString(b[:])
	url := withDatabase(BaseDatabaseURL(), name)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := store.EnsureDatabase(ctx, url); err != nil {
		t.Fatalf("create test database (is PostgreSQL running? `make test` starts it): %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := store.DropDatabase(ctx, url); err != nil {
			t.Logf("drop test database: %v", err)
		}
	})
	return url
}

func withDatabase(url, name string) string {
	base, query, _ := strings.Cut(url, "?")
	i := strings.LastIndex(base, "/")
	out := base[:i+1] + name
	if query != "" {
		out += "?" + query
	}
	return out
}

// Store opens a pool on a fresh migrated database.
func Store(t testing.TB) (*store.Store, string) {
	t.Helper()
	url := Database(t)
	s, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, url
}

// Temporal returns the shared dev server, starting it on first use.
func Temporal(t testing.TB) *devserver.Server {
	t.Helper()
	Integration(t)
	mu.Lock()
	defer mu.Unlock()
	if server == nil && startErr == nil {
		server, startErr = StartTemporal(context.Background(), "")
	}
	if startErr != nil {
		t.Fatalf("temporal dev server: %v", startErr)
	}
	return server
}

// StartTemporal starts a dev server of our own with the store's search
// attributes; dbFile "" keeps it in memory.
func StartTemporal(ctx context.Context, dbFile string) (*devserver.Server, error) {
	bin, err := devserver.FindBinary()
	if err != nil {
		return nil, err
	}
	var log io.Writer
	if os.Getenv("TEMPORAL_LOG") != "" {
		log = os.Stderr
	}
	return devserver.Start(ctx, devserver.Options{
		Binary: bin, Headless: true, DBFile: dbFile,
		SearchAttributes: contract.SearchAttributeTypes, Log: log,
	})
}

// Client dials the shared dev server; the client is closed with the test.
func Client(t testing.TB) client.Client {
	t.Helper()
	s := Temporal(t)
	c, err := client.Dial(client.Options{HostPort: s.Address(), Logger: NopLogger{}})
	if err != nil {
		t.Fatalf("dial temporal: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// TaskQueue gives each test its own queue so tests sharing a server never
// pick up each other's tasks.
func TaskQueue(t testing.TB) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("test-%s-%s", strings.ReplaceAll(t.Name(), "/", "-"), hex.EncodeToString(b[:]))
}

// NopLogger silences the SDK in tests; failures surface through assertions.
type NopLogger struct{}

// Debug drops the message.
func (NopLogger) Debug(string, ...any) {}

// Info drops the message.
func (NopLogger) Info(string, ...any) {}

// Warn drops the message.
func (NopLogger) Warn(string, ...any) {}

// Error drops the message.
func (NopLogger) Error(string, ...any) {}
