package store

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// Options configures Open.
type Options struct {
	// Logger receives the store's events (migrations, partitions). Nil
	// discards them. Device passwords are never logged.
	Logger *slog.Logger
	// Synchronous is SQLite's synchronous pragma: "full" (the default) or
	// "normal". The gateway acknowledges a frame only after CommitBatch
	// returns, so the commit must survive a power loss: "full" fsyncs the
	// WAL at each commit; "normal" may lose the last commits on power loss
	// (not on a process crash). PostgreSQL ignores it.
	Synchronous string
	// ReadConns bounds the SQLite read pool (default 4); MaxConns bounds
	// the PostgreSQL pool (default 8).
	ReadConns int
	MaxConns  int
}

func (o *Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

// Open opens (creating if needed) and migrates the store named by dsn:
//
//	sqlite:<path>                 SQLite database file (WAL)
//	<path>                        the same
//	postgres://… or postgresql://…  PostgreSQL (pgx connection string)
func Open(ctx context.Context, dsn string, opts Options) (Store, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return openPostgres(ctx, dsn, opts)
	case strings.HasPrefix(dsn, "sqlite:"):
		p := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		return openSQLite(ctx, p, opts)
	case dsn == "":
		return nil, fmt.Errorf("open store: empty DSN")
	case strings.Contains(dsn, "://"):
		return nil, fmt.Errorf("open store: unsupported DSN scheme in %q (want sqlite:<path> or postgres://)", redactDSN(dsn))
	default:
		return openSQLite(ctx, dsn, opts)
	}
}

// redactDSN hides a password in a DSN for error messages and logs.
func redactDSN(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return dsn
	}
	user, _, hasPW := strings.Cut(rest[:at], ":")
	if !hasPW {
		return dsn
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}
