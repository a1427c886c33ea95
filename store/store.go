// Package store is the PostgreSQL ledger and read model. Temporal is the
// process; these tables are what support reads and what reconciliation
// compares against Telegram's and eSIM Go's own records.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	pgxdecimal "github.com/jackc/pgx-shopspring-decimal"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/starsesim/esimstore/migrations"
)

// Store wraps the connection pool.
type Store struct {
	Pool *pgxpool.Pool
}

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// DefaultMaxConns is the pool size unless DATABASE_URL sets pool_max_conns.
const DefaultMaxConns = 16

// Open connects and checks the connection.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if !strings.Contains(databaseURL, "pool_max_conns") {
		// pgxpool's default is max(4, CPUs): on a small machine every
		// ledger write of every in-flight order queued for one of four
		// connections, which halved the store's throughput under load
		// (docs/performance.md). ?pool_max_conns=N in DATABASE_URL overrides.
		cfg.MaxConns = DefaultMaxConns
	}
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		pgxdecimal.Register(conn.TypeMap())
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping database: %w", err)
	}
	return &Store{Pool: pool}, nil
}

// Close releases the pool.
func (s *Store) Close() { s.Pool.Close() }

// Ping reports whether PostgreSQL answers; used by /readyz.
func (s *Store) Ping(ctx context.Context) error { return s.Pool.Ping(ctx) }

// Migrate applies every pending migration. A session advisory lock makes
// concurrent starts (api and worker at once) safe, and applying twice is a
// no-op.
func Migrate(ctx context.Context, databaseURL string) ([]string, error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close() //nolint:errcheck // the migrations have committed or failed by now; closing only frees the connection
	return migrateDB(ctx, db)
}

func migrateDB(ctx context.Context, db *sql.DB) ([]string, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS,
		goose.WithSessionLocker(locker))
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("apply migrations: %w", err)
	}
	applied := make([]string, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Path)
	}
	return applied, nil
}

// EnsureDatabase creates the database named in databaseURL when it does not
// exist. The sandbox and the tests use it; production databases are
// provisioned by their owners.
func EnsureDatabase(ctx context.Context, databaseURL string) error {
	return onServer(ctx, databaseURL, func(conn *pgx.Conn, name string) error {
		_, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database
			return nil
		}
		return err
	})
}

// DropDatabase removes a database; tests use it to clean up after themselves.
func DropDatabase(ctx context.Context, databaseURL string) error {
	return onServer(ctx, databaseURL, func(conn *pgx.Conn, name string) error {
		_, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		return err
	})
}

// onServer runs f on the server's maintenance database with the name of
// the database databaseURL points at.
func onServer(ctx context.Context, databaseURL string, f func(conn *pgx.Conn, name string) error) error {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return fmt.Errorf("parse database url: %w", err)
	}
	name := cfg.Database
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to maintenance database: %w", err)
	}
	defer conn.Close(ctx) //nolint:errcheck // f has finished; closing only frees the connection
	if err := f(conn, name); err != nil {
		return fmt.Errorf("database %s: %w", name, err)
	}
	return nil
}
