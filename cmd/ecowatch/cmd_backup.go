package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ecowatch/ecowatch/internal/backup"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/usage"
)

func runBackup(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "verify" {
		return runBackupVerify(ctx, args[1:], stdout, stderr)
	}
	fs := newFlagSet("backup", "backup [flags]\n       ecowatch backup verify <backup-dir>\n\n"+
		"Takes a consistent backup of a single-machine ecowatch while it runs: the SQLite store (with\n"+
		"the raw-frame archive), the case evidence files and the ledger's checkpoints, into a new\n"+
		"directory with manifest.json; then reads it back and verifies it (integrity_check, row counts,\n"+
		"the emission-rights ledger's hash chain, every file's SHA-256).", stderr)
	dataDir := fs.String("data-dir", "ecowatch-data", "data directory of the running ecowatch (ecowatch.db, evidence/, rights-checkpoints/)")
	db := fs.String("db", "", "SQLite store file if not <data-dir>/ecowatch.db")
	ckpt := fs.String("rights-checkpoints", "", "ledger checkpoint directory if not <data-dir>/rights-checkpoints")
	out := fs.String("out", "", "backup directory to create (default ./"+backup.Prefix+"<UTC time>)")
	method := fs.String("method", store.SnapshotVacuumInto, "how the store is copied: "+store.SnapshotVacuumInto+" or "+store.SnapshotBackupAPI)
	if err := parseNone(fs, args); err != nil {
		return err
	}
	if *out == "" {
		*out = backup.Name(time.Now())
	}
	m, err := backup.Create(ctx, backup.Options{DataDir: *dataDir, DB: *db, CheckpointDir: *ckpt, Out: *out, Method: *method,
		Binary: version, Log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if m != nil {
		fmt.Fprintln(stdout, m.Summary(*out))
	}
	return err
}

func runBackupVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("backup verify", "backup verify <backup-dir>\n\nVerifies a backup against its manifest without restoring it.", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usage.Error{Err: errors.New("want one backup directory")}
	}
	m, err := backup.Verify(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, m.Summary(fs.Arg(0)))
	fmt.Fprintln(stdout, "verified")
	return nil
}

func runRestore(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("restore", "restore --from <backup-dir> --data-dir <dir> [--force]\n\n"+
		"Verifies a backup, writes it into a data directory and verifies what it wrote. An existing store\n"+
		"is replaced only with --force (the old files are kept beside it as *.before-restore-<time>),\n"+
		"and never while a process has it open: stop ecowatch first.", stderr)
	from := fs.String("from", "", "backup directory (with manifest.json)")
	dataDir := fs.String("data-dir", "", "target data directory")
	db := fs.String("db", "", "target SQLite store file if not <data-dir>/ecowatch.db")
	ckpt := fs.String("rights-checkpoints", "", "target ledger checkpoint directory if not <data-dir>/rights-checkpoints")
	force := fs.Bool("force", false, "replace an existing store (not one in use)")
	if err := parseNone(fs, args); err != nil {
		return err
	}
	if *from == "" || *dataDir == "" {
		return usage.Error{Err: errors.New("need --from and --data-dir")}
	}
	m, err := backup.Restore(ctx, backup.RestoreOptions{From: *from, DataDir: *dataDir, DB: *db, CheckpointDir: *ckpt, Force: *force,
		Log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		if errors.Is(err, backup.ErrExists) {
			return usage.Error{Err: err}
		}
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s: schema %d, %d rows in %d tables, ledger %d entries, %d evidence files; verified\n",
		*from, *dataDir, m.SchemaVersion, m.Rows(), len(m.Tables), m.Ledger.Entries, len(m.Evidence))
	if v := store.LatestSchemaVersion(); m.SchemaVersion < v {
		fmt.Fprintf(stdout, "the store is at schema %d; ecowatch serve migrates it to %d when it starts\n", m.SchemaVersion, v)
	}
	return nil
}
