package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ecowatch/ecowatch/internal/air/airimport"
	"github.com/ecowatch/ecowatch/internal/air/airreport"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// AirReportConfig configures AirReport (`ecowatch air bench`).
type AirReportConfig struct {
	Stations int // each a year of synthetic hourly data
	Year     int
	DSN      string // store to fill (empty: a new SQLite file in Dir); it must be empty
	Dir      string // directory of the SQLite file (empty: a temporary one)
}

// AirReport times the annual air report of N stations' synthetic year
// from the store (the target: 2,000 stations in 10 s).
func AirReport(ctx context.Context, cfg AirReportConfig, stdout io.Writer) error {
	if cfg.DSN == "" {
		d := cfg.Dir
		if d == "" {
			tmp, err := os.MkdirTemp("", "ecowatch-air-bench-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			d = tmp
		}
		cfg.DSN = "sqlite:" + filepath.Join(d, "air-bench.db")
	}
	st, err := store.Open(ctx, cfg.DSN, store.Options{Synchronous: "normal"})
	if err != nil {
		return err
	}
	defer st.Close()
	reg := &model.Registry{}
	for c := range 10 {
		reg.Counties = append(reg.Counties, model.County{Code: fmt.Sprintf("99%04d", c), Name: fmt.Sprintf("县%d", c)})
	}
	for i := range cfg.Stations {
		reg.Stations = append(reg.Stations, model.Station{Code: fmt.Sprintf("B%05d", i), Name: fmt.Sprintf("站%d", i),
			County: reg.Counties[i%10].Code, Level: model.StationProvincial, Lat: 36, Lon: 116, CityEval: i%4 == 0, CountyEval: true})
	}
	if err := st.ImportRegistry(ctx, reg); err != nil {
		return err
	}
	t0 := time.Now()
	hours := 0
	for i, s := range reg.Stations {
		hs := airimport.SyntheticYear(s.Code, i, cfg.Year, 1)
		hours += len(hs)
		if _, err := st.PutAirHours(ctx, hs, store.AirPut{Source: "bench"}); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	load := time.Since(t0)
	fmt.Fprintf(stdout, "loaded %d stations, %d station-hours in %.1f s (%.0f station-hours/s)\n", cfg.Stations, hours, load.Seconds(), float64(hours)/load.Seconds())
	t0 = time.Now()
	rep, err := airreport.Build(ctx, st, airreport.Options{Period: chinatime.Period{Kind: chinatime.Year, Year: cfg.Year, N: 1}, NoPrevious: true})
	if err != nil {
		return err
	}
	d := time.Since(t0)
	fmt.Fprintf(stdout, "annual report of %d stations, %d counties and the city: %.2f s (%.1f million station-hours/s); target ≤ 10 s: %s\n",
		len(rep.Stations), len(rep.Counties), d.Seconds(), float64(hours)/d.Seconds()/1e6, map[bool]string{true: "met", false: "MISSED"}[d <= 10*time.Second])
	return nil
}
