package demo

import (
	"context"
	"io"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
	"github.com/ecowatch/ecowatch/internal/store"
)

// SeedWork gives the bureau's work its history on a first start, after
// Seed: the emission-rights ledger (through rights, the running ledger
// service) and the county assessments with their compensation and
// summons (opening cases through a case service on dataDir), and the
// closed loop's petitions, patrols and notices. Each part
// goes through the same service functions as the command line.
func SeedWork(ctx context.Context, st store.Store, rights *rightsvc.Service, dataDir string, c City, now time.Time, out io.Writer) error {
	if err := SeedRights(ctx, rights, c.Registry, now, out); err != nil {
		return err
	}
	if err := SeedCases(ctx, st, dataDir, c, now, out); err != nil {
		return err
	}
	cs := &casesvc.Service{St: st, DataDir: dataDir, Now: func() time.Time { return now }}
	return SeedAccountability(ctx, st, cs, c, now, out)
}
