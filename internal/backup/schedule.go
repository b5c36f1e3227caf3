package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Schedule takes a backup every Every into Dir and keeps the newest Keep.
type Schedule struct {
	Dir   string
	Every time.Duration
	Keep  int
	// Options are those of Create; Out is chosen per run.
	Options Options
	Now     func() time.Time
}

// Name is the directory name of a scheduled backup taken at t.
func Name(t time.Time) string { return Prefix + t.UTC().Format("20060102T150405Z") }

// Run takes the first backup after Every and then every Every until ctx
// ends. A failed backup is logged and tried again at the next tick.
func (s Schedule) Run(ctx context.Context) {
	o := s.Options
	o.fill()
	if s.Now == nil {
		s.Now = time.Now
	}
	t := time.NewTicker(s.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.Once(ctx); err != nil && ctx.Err() == nil {
			o.Log.Error("scheduled backup failed", "dir", s.Dir, "err", err)
		}
	}
}

// Once takes one backup into Dir and prunes to Keep; it returns the new
// backup's directory.
func (s Schedule) Once(ctx context.Context) (string, error) {
	if s.Now == nil {
		s.Now = time.Now
	}
	if err := os.MkdirAll(s.Dir, 0o750); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	o := s.Options
	o.Out = filepath.Join(s.Dir, Name(s.Now()))
	_, err := Create(ctx, o)
	if err != nil && !errors.Is(err, ErrMissingEvidence) {
		return "", err
	}
	if _, perr := Prune(s.Dir, s.Keep); perr != nil {
		return o.Out, errors.Join(err, perr)
	}
	return o.Out, err
}

// Prune removes the oldest complete scheduled backups in dir beyond the
// newest keep (keep < 1 keeps all), and unfinished ones (*.partial) other
// than the newest. It returns what it removed.
func Prune(dir string, keep int) ([]string, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("prune backups: %w", err)
	}
	var done, partial []string
	for _, de := range des {
		n := de.Name()
		if !de.IsDir() || !strings.HasPrefix(n, Prefix) {
			continue
		}
		if strings.HasSuffix(n, ".partial") {
			partial = append(partial, n)
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, n, ManifestName)); err == nil {
			done = append(done, n)
		}
	}
	// Names sort by time.
	slices.Sort(done)
	slices.Sort(partial)
	var rm []string
	if keep > 0 && len(done) > keep {
		rm = append(rm, done[:len(done)-keep]...)
	}
	// A partial one newer than every complete backup may be being written.
	for _, p := range partial {
		if len(done) > 0 && strings.TrimSuffix(p, ".partial") < done[len(done)-1] {
			rm = append(rm, p)
		}
	}
	var removed []string
	for _, n := range rm {
		if err := os.RemoveAll(filepath.Join(dir, n)); err != nil {
			return removed, fmt.Errorf("prune backups: %w", err)
		}
		removed = append(removed, filepath.Join(dir, n))
	}
	return removed, nil
}
