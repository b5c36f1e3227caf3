package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ecowatch/ecowatch/internal/simulator"
	"github.com/ecowatch/ecowatch/internal/usage"
)

// StoreConfig configures Store (`ecowatch bench store`).
type StoreConfig struct {
	DB         string // "sqlite" or a postgres:// DSN
	Batch      int    // uploads per CommitBatch
	Devices    int
	Duration   time.Duration
	SQLiteSync string
	JSON       bool
}

// Store reports the raw insert rate of a fresh store: uploads/s through
// CommitBatch.

func Store(ctx context.Context, cfg StoreConfig, stdout io.Writer) error {
	if cfg.Batch <= 0 || cfg.Devices <= 0 {
		return usage.Error{Err: errors.New("--batch and --devices must be positive")}
	}
	h, err := openStore(ctx, cfg.DB, cfg.SQLiteSync)
	if err != nil {
		return err
	}
	defer h.cleanup()
	devs := simulator.Generate(cfg.Devices, simulator.GenerateOptions{MNPrefix: "BENCH", Kind: simulator.KindAir})
	rate, n, err := rawInsertRate(ctx, h.st, devs, 1, time.Now().Add(-90*24*time.Hour).Truncate(time.Minute), cfg.Batch, cfg.Duration)
	if err != nil {
		return err
	}
	if cfg.JSON {
		return json.NewEncoder(stdout).Encode(map[string]any{"db": h.kind, "batch": cfg.Batch, "uploads": n, "uploads_per_s": rate, "peak_rss_mib": mib(procStatus("VmHWM"))})
	}
	fmt.Fprintf(stdout, "%s: %.0f uploads/s (%d uploads in batches of %d)\n", h.kind, rate, n, cfg.Batch)
	return nil
}
