package accountsvc

import (
	"context"
	"fmt"
	"slices"
	"sync"

	acc "github.com/ecowatch/ecowatch/internal/accountability"
	"github.com/ecowatch/ecowatch/internal/store"
)

// addMu serialises AddFormula within a process: the check against the
// stored versions and the write must not interleave with another add.
var addMu sync.Mutex

// Formulas returns the stored compensation formula versions, oldest first.
func (s *Service) Formulas(ctx context.Context) ([]acc.Formula, error) {
	cfg, err := s.St.AccountConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("compensation formulas: %w", err)
	}
	fs := cfg.Formulas
	slices.SortStableFunc(fs, func(a, b acc.Formula) int { return a.From.Compare(b.From) })
	return fs, nil
}

// AddFormula adds a compensation formula version (a new provincial notice)
// as data, without a release. The version is checked as a file's would be
// (acc.ValidateFormula: the refusal names the field). A stored version of
// the same period kinds that has no end and began earlier is ended where
// the new one begins — a new notice replaces the one in force — and both
// are written in one transaction; any other overlap is refused. It returns
// the versions as stored afterwards.
func (s *Service) AddFormula(ctx context.Context, f acc.Formula) ([]acc.Formula, error) {
	addMu.Lock()
	defer addMu.Unlock()
	existing, err := s.Formulas(ctx)
	if err != nil {
		return nil, err
	}
	var closed []acc.Formula
	for i, g := range existing {
		if g.To.IsZero() && f.From.After(g.From) && sharesKind(f, g) {
			g.To = f.From
			existing[i] = g
			closed = append(closed, g)
		}
	}
	if err := acc.ValidateFormula(existing, f); err != nil {
		return nil, err
	}
	if err := s.St.PutAccountConfig(ctx, store.AccountConfig{Formulas: append(closed, f)}); err != nil {
		return nil, fmt.Errorf("add compensation formula %s: %w", f.Version, err)
	}
	return s.Formulas(ctx)
}

func sharesKind(a, b acc.Formula) bool {
	for _, k := range a.Kinds {
		if slices.Contains(b.Kinds, k) {
			return true
		}
	}
	return false
}
