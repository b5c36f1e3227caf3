// Package backup takes, verifies and restores backups of a single-machine
// ecowatch: the SQLite store (with the raw-frame archive, which is its
// raw_frames table), the case evidence files under <data-dir>/evidence and
// the emission-rights ledger's checkpoint file. A backup is a directory:
//
//	ecowatch.db                    a consistent snapshot of the store (one file)
//	evidence/<aa>/<sha256>         the evidence files the snapshot refers to
//	rights-checkpoints/…           the ledger's published checkpoints
//	manifest.json                  what was written and how it was verified
//
// The snapshot is taken while ecowatch runs (SQLite's WAL lets the
// gateway go on committing); evidence files are named by their SHA-256 and
// written before the row that refers to them, so every file the snapshot
// names already exists. Everything is verified after it is written: the
// database's integrity_check, row counts per table, the ledger's hash
// chain and invariants, and every file's SHA-256.
package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/atomicfile"
	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Names inside a backup directory.
const (
	ManifestName   = "manifest.json"
	DBName         = "ecowatch.db"
	EvidenceDir    = "evidence"
	CheckpointsDir = "rights-checkpoints"
	// Prefix names the backups that scheduled runs create and prune.
	Prefix = "ecowatch-backup-"
	// Format is the manifest's format version.
	Format = 1
)

// File is one file of a backup.
type File struct {
	Path   string `json:"path"` // relative to the backup directory, slash-separated
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Ledger is what a backup holds of the emission-rights ledger.
type Ledger struct {
	Entries int64  `json:"entries"`
	Head    string `json:"head"` // hash of the last entry (hex); empty for an empty ledger
}

// Manifest describes a backup; it is written last, so a directory with a
// manifest is a complete backup.
type Manifest struct {
	Format          int              `json:"format"`
	CreatedAt       time.Time        `json:"created_at"`
	Binary          string           `json:"binary"`
	Method          string           `json:"method"`
	Source          string           `json:"source"`
	SchemaVersion   int              `json:"schema_version"`
	Database        File             `json:"database"`
	IntegrityCheck  string           `json:"integrity_check"`
	Tables          map[string]int64 `json:"tables"`
	Ledger          Ledger           `json:"rights_ledger"`
	Evidence        []File           `json:"evidence"`
	MissingEvidence []string         `json:"missing_evidence,omitempty"`
	Files           []File           `json:"files"`
	Seconds         float64          `json:"seconds"`
}

// Bytes is the backup's total size.
func (m *Manifest) Bytes() int64 {
	n := m.Database.Size
	for _, f := range m.Evidence {
		n += f.Size
	}
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

// Rows is the number of rows over all tables.
func (m *Manifest) Rows() int64 {
	var n int64
	for _, c := range m.Tables {
		n += c
	}
	return n
}

// Summary is the one line the command line prints of the backup in dir.
func (m *Manifest) Summary(dir string) string {
	s := fmt.Sprintf("backup %s: schema %d, %d rows in %d tables, integrity %s, ledger %d entries (head %.16s), %d evidence files",
		dir, m.SchemaVersion, m.Rows(), len(m.Tables), m.IntegrityCheck, m.Ledger.Entries, m.Ledger.Head, len(m.Evidence))
	if len(m.MissingEvidence) > 0 {
		s += fmt.Sprintf(" (%d missing)", len(m.MissingEvidence))
	}
	return s + fmt.Sprintf(", %d bytes, taken in %.2f s", m.Bytes(), m.Seconds)
}

// ErrMissingEvidence is returned (with a complete, verified backup) when
// the store refers to evidence files that the data directory lacks: the
// backup holds everything that exists, and names what does not.
var ErrMissingEvidence = errors.New("evidence files missing from the data directory")

// Options configures Create.
type Options struct {
	// DataDir holds evidence/ and rights-checkpoints/ (and ecowatch.db
	// unless DB says otherwise).
	DataDir string
	// DB is the SQLite store file; empty means <DataDir>/ecowatch.db.
	DB string
	// CheckpointDir is the ledger's checkpoint directory; empty means
	// <DataDir>/rights-checkpoints.
	CheckpointDir string
	// Out is the backup directory to create; it must not exist.
	Out string
	// Method is store.SnapshotVacuumInto (the default) or
	// store.SnapshotBackupAPI.
	Method string
	// Binary is the version of the binary taking the backup.
	Binary string
	Log    *slog.Logger
}

func (o *Options) fill() {
	if o.DB == "" {
		o.DB = filepath.Join(o.DataDir, DBName)
	}
	o.DB = strings.TrimPrefix(strings.TrimPrefix(o.DB, "sqlite:"), "//")
	if o.CheckpointDir == "" && o.DataDir != "" {
		o.CheckpointDir = filepath.Join(o.DataDir, CheckpointsDir)
	}
	if o.Method == "" {
		o.Method = store.SnapshotVacuumInto
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Create takes a backup of a (possibly running) single-machine ecowatch
// into o.Out and verifies it. The backup is assembled in <Out>.partial and
// renamed to Out once its manifest is written, so Out is either absent or
// complete. When the store refers to evidence files that are missing, the
// backup is still completed and the error wraps ErrMissingEvidence.
func Create(ctx context.Context, o Options) (*Manifest, error) {
	o.fill()
	start := time.Now()
	if o.Out == "" {
		return nil, errors.New("backup: no output directory")
	}
	if strings.HasPrefix(o.DB, "postgres://") || strings.HasPrefix(o.DB, "postgresql://") {
		return nil, errors.New("backup: the store is PostgreSQL: use pg_dump -Fc (README: Backups, restore and upgrades)")
	}
	if _, err := os.Stat(o.Out); err == nil {
		return nil, fmt.Errorf("backup: %s exists: choose a new directory", o.Out)
	}
	if _, err := os.Stat(o.DB); err != nil {
		return nil, fmt.Errorf("backup: store: %w", err)
	}
	staging := o.Out + ".partial"
	if err := os.RemoveAll(staging); err != nil {
		return nil, fmt.Errorf("backup: remove an unfinished backup: %w", err)
	}
	if err := os.MkdirAll(staging, 0o750); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(staging)
		}
	}()
	m := &Manifest{Format: Format, CreatedAt: start.UTC(), Binary: o.Binary, Method: o.Method, Source: o.DB}
	dbPath := filepath.Join(staging, DBName)
	if err := store.SnapshotSQLite(ctx, o.DB, dbPath, o.Method); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	o.Log.Info("backup: store snapshot written", "seconds", time.Since(start).Seconds())
	var err error
	if m.Database, err = fileSum(staging, DBName); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	st, hashes, err := inspect(ctx, dbPath)
	if err != nil {
		return nil, fmt.Errorf("backup: verify the snapshot: %w", err)
	}
	m.SchemaVersion, m.IntegrityCheck, m.Tables, m.Ledger = st.schema, st.integrity, st.tables, st.ledger

	// Evidence named by the snapshot.
	for _, h := range hashes {
		if !isSHA256(h) {
			return nil, fmt.Errorf("backup: the attachments table names %q, not a SHA-256", h)
		}
		rel := filepath.ToSlash(filepath.Join(EvidenceDir, h[:2], h))
		src := filepath.Join(o.DataDir, EvidenceDir, h[:2], h)
		f, err := copyFile(src, staging, rel)
		if errors.Is(err, os.ErrNotExist) {
			m.MissingEvidence = append(m.MissingEvidence, h)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("backup: evidence: %w", err)
		}
		if f.SHA256 != h {
			return nil, fmt.Errorf("backup: evidence file %s has SHA-256 %s: it was changed after upload", src, f.SHA256)
		}
		m.Evidence = append(m.Evidence, f)
	}
	// The ledger's checkpoints.
	if o.CheckpointDir != "" {
		des, err := os.ReadDir(o.CheckpointDir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("backup: rights checkpoints: %w", err)
		}
		for _, de := range des {
			if !de.Type().IsRegular() || strings.HasPrefix(de.Name(), ".") {
				continue
			}
			f, err := copyFile(filepath.Join(o.CheckpointDir, de.Name()), staging, CheckpointsDir+"/"+de.Name())
			if err != nil {
				return nil, fmt.Errorf("backup: rights checkpoints: %w", err)
			}
			m.Files = append(m.Files, f)
		}
	}
	m.Seconds = time.Since(start).Seconds()
	if err := writeManifest(staging, m); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	// Read back what was written before calling it a backup.
	if _, err := Verify(ctx, staging); err != nil {
		return nil, fmt.Errorf("backup: read back: %w", err)
	}
	if err := os.Rename(staging, o.Out); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := syncDir(filepath.Dir(o.Out)); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	ok = true
	o.Log.Info("backup written", "dir", o.Out, "bytes", m.Bytes(), "rows", m.Rows(), "evidence", len(m.Evidence),
		"seconds", m.Seconds)
	if len(m.MissingEvidence) > 0 {
		return m, fmt.Errorf("backup %s: %w: %d files (listed in %s): %s", o.Out, ErrMissingEvidence,
			len(m.MissingEvidence), ManifestName, strings.Join(m.MissingEvidence[:min(3, len(m.MissingEvidence))], ", "))
	}
	return m, nil
}

// state is what inspect reads of a database.
type state struct {
	schema    int
	integrity string
	tables    map[string]int64
	ledger    Ledger
}

// inspect reads a database file without changing it, verifies its
// integrity and its ledger, and returns its state and the evidence it
// names.
func inspect(ctx context.Context, path string) (state, []string, error) {
	var s state
	in, err := store.Inspect(ctx, "sqlite:"+path)
	if err != nil {
		return s, nil, err
	}
	defer in.Close()
	if s.schema, err = in.SchemaVersion(ctx); err != nil {
		return s, nil, err
	}
	if latest := store.LatestSchemaVersion(); s.schema > latest {
		return s, nil, fmt.Errorf("%w: the database is at schema version %d, this binary's newest migration is %d",
			store.ErrSchemaTooNew, s.schema, latest)
	}
	if s.integrity, err = in.IntegrityCheck(ctx); err != nil {
		return s, nil, err
	}
	if s.integrity != "ok" {
		return s, nil, fmt.Errorf("integrity_check: %s", s.integrity)
	}
	if s.tables, err = in.RowCounts(ctx); err != nil {
		return s, nil, err
	}
	if _, ok := s.tables["rights_entries"]; ok {
		if s.ledger, err = verifyLedger(ctx, in); err != nil {
			return s, nil, err
		}
	}
	hashes, err := in.EvidenceHashes(ctx)
	return s, hashes, err
}

// verifyLedger replays the whole ledger: the hash chain from the first
// entry, then the ledger's invariants (rights.Verify); the head must be
// the stored head.
func verifyLedger(ctx context.Context, rs store.RightsStore) (Ledger, error) {
	n, head, err := rs.RightsHead(ctx)
	if err != nil {
		return Ledger{}, fmt.Errorf("rights ledger: %w", err)
	}
	es := make([]rights.Entry, 0, n)
	if err := rs.RightsEntries(ctx, store.RightsQuery{}, func(e *rights.Entry) error {
		es = append(es, *e)
		return nil
	}); err != nil {
		return Ledger{}, fmt.Errorf("rights ledger: %w", err)
	}
	if int64(len(es)) != n {
		return Ledger{}, fmt.Errorf("rights ledger: head at entry %d but %d entries read", n, len(es))
	}
	if n == 0 {
		return Ledger{}, nil
	}
	if err := rights.VerifyHead(es, head); err != nil {
		return Ledger{}, fmt.Errorf("rights ledger: %w", err)
	}
	return Ledger{Entries: n, Head: head.String()}, nil
}

// Verify checks a backup directory against its manifest: every file's
// size and SHA-256, the database's integrity_check, its schema version,
// its row counts per table and its ledger (chain, invariants, entries and
// head). It returns the manifest.
func Verify(ctx context.Context, dir string) (*Manifest, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	if err := checkFile(dir, m.Database); err != nil {
		return m, err
	}
	for _, fs := range [][]File{m.Evidence, m.Files} {
		for _, f := range fs {
			if err := checkFile(dir, f); err != nil {
				return m, err
			}
		}
	}
	st, _, err := inspect(ctx, filepath.Join(dir, filepath.FromSlash(m.Database.Path)))
	if err != nil {
		return m, fmt.Errorf("verify %s: %w", dir, err)
	}
	if err := st.matches(m); err != nil {
		return m, fmt.Errorf("verify %s: %w", dir, err)
	}
	return m, nil
}

// matches compares a database's state with a manifest.
func (s state) matches(m *Manifest) error {
	if s.schema != m.SchemaVersion {
		return fmt.Errorf("schema version %d, manifest %d", s.schema, m.SchemaVersion)
	}
	var diffs []string
	for _, t := range sortedKeys(m.Tables, s.tables) {
		want, inM := m.Tables[t]
		got, inDB := s.tables[t]
		switch {
		case !inDB:
			diffs = append(diffs, fmt.Sprintf("table %s missing (manifest: %d rows)", t, want))
		case !inM:
			diffs = append(diffs, fmt.Sprintf("table %s not in the manifest (%d rows)", t, got))
		case got != want:
			diffs = append(diffs, fmt.Sprintf("table %s has %d rows, manifest %d", t, got, want))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("row counts differ: %s", strings.Join(diffs, "; "))
	}
	if s.ledger != m.Ledger {
		return fmt.Errorf("rights ledger: %d entries with head %q, manifest %d with head %q",
			s.ledger.Entries, s.ledger.Head, m.Ledger.Entries, m.Ledger.Head)
	}
	return nil
}

func sortedKeys(a, b map[string]int64) []string {
	var ks []string
	for k := range a {
		ks = append(ks, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

// ReadManifest reads a backup's manifest.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, fmt.Errorf("backup %s: %w (not a complete backup)", dir, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("backup %s: %s: %w", dir, ManifestName, err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("backup %s: manifest format %d, this binary reads %d", dir, m.Format, Format)
	}
	if m.Database.Path == "" {
		return nil, fmt.Errorf("backup %s: manifest names no database", dir)
	}
	return &m, nil
}

func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, ManifestName), append(b, '\n'), 0o640)
}

// checkFile checks one file of a backup against its manifest entry.
func checkFile(dir string, want File) error {
	if !local(want.Path) {
		return fmt.Errorf("backup %s: manifest names %q, outside the backup", dir, want.Path)
	}
	got, err := fileSum(dir, want.Path)
	if err != nil {
		return fmt.Errorf("backup %s: %w", dir, err)
	}
	if got.Size != want.Size || got.SHA256 != want.SHA256 {
		return fmt.Errorf("backup %s: %s has %d bytes with SHA-256 %s, manifest %d bytes with %s",
			dir, want.Path, got.Size, got.SHA256, want.Size, want.SHA256)
	}
	return nil
}

// local reports whether a manifest path stays inside the backup.
func local(rel string) bool {
	return rel != "" && filepath.IsLocal(filepath.FromSlash(rel))
}

func fileSum(dir, rel string) (File, error) {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return File{}, fmt.Errorf("read %s: %w", rel, err)
	}
	return File{Path: rel, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// copyFile copies src to dir/rel (synced, atomically) and returns its
// sum. A missing src is an error wrapping os.ErrNotExist.
func copyFile(src, dir, rel string) (File, error) {
	in, err := os.Open(src)
	if err != nil {
		return File{}, err
	}
	defer in.Close()
	dst := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return File{}, err
	}
	out, err := atomicfile.New(filepath.Dir(dst), "copy-")
	if err != nil {
		return File{}, err
	}
	defer out.Abort()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err != nil {
		return File{}, fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Commit(dst, 0o600); err != nil {
		return File{}, fmt.Errorf("copy %s: %w", src, err)
	}
	return File{Path: rel, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

func isSHA256(h string) bool {
	if len(h) != 64 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil && strings.ToLower(h) == h
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
