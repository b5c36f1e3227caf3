package airimport

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/air/airfile"
	"github.com/ecowatch/ecowatch/internal/model"
)

// Files says how ImportFiles reads and reports.
type Files struct {
	Format    string    // auto, cnemc or long
	At        time.Time // the import's time, recorded with corrections
	Stdin     io.Reader // the file "-"
	Out, Errs io.Writer // each file's summary; failures and unknown stations
	Progress  io.Writer // a progress bar for a large file (a terminal); nil: none
}

// ImportFiles imports data files in turn, each all or nothing, printing
// each file's summary. A file that fails (its error names file, line and
// column) is reported and stores nothing; the others are imported, and
// the error then names the files not imported. Stations not in the
// registry are reported with their counts.
func ImportFiles(ctx context.Context, st Store, stations []model.Station, files []string, o Files) error {
	out, errs := o.Out, o.Errs
	if len(stations) == 0 {
		return fmt.Errorf("the registry has no air stations: import them first (ecowatch registry import, stations.csv or stations: in YAML)")
	}
	known := KnownStations(stations)
	var failed []string
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := importFile(ctx, st, name, known, o)
		if err != nil {
			fmt.Fprintf(errs, "%v (nothing stored)\n", err)
			failed = append(failed, name)
			continue
		}
		fmt.Fprintln(out, res.Summary())
		for _, code := range SortedCodes(res.UnknownStations) {
			fmt.Fprintf(errs, "%s: station %s is not in the registry: %d station-hours excluded (unknown_station)\n",
				name, code, res.UnknownStations[code])
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d files not imported: %s", len(failed), len(files), strings.Join(failed, ", "))
	}
	return nil
}

func importFile(ctx context.Context, st Store, name string, known map[string]bool, o Files) (Result, error) {
	f, err := readProgress(name, o.Format, o.Stdin, o.Progress)
	if err != nil {
		return Result{}, err
	}
	return Import(ctx, st, f, filepath.Base(name), known, o.At)
}

// readProgress reads and parses a file, drawing a progress bar on
// progress (when not nil) for a large file.
func readProgress(name, format string, stdin io.Reader, progress io.Writer) (*airfile.File, error) {
	if name == "-" {
		return airfile.ReadFile(name, format, stdin)
	}
	fh, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var r io.Reader = fh
	if fi, err := fh.Stat(); err == nil && fi.Size() > 4<<20 && progress != nil {
		p := &progressReader{r: fh, w: progress, total: fi.Size(), label: filepath.Base(name)}
		defer p.done()
		r = p
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	f, err := airfile.Parse(data, format)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return f, nil
}

// progressReader draws "name [#####.....]  42% 12.0/28.6 MiB" as it reads,
// at most ten times a second.
type progressReader struct {
	r     io.Reader
	w     io.Writer
	total int64
	n     int64
	last  time.Time
	label string
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond {
		p.last = now
		p.draw()
	}
	return n, err
}

func (p *progressReader) draw() {
	const width = 30
	frac := float64(p.n) / float64(max(p.total, 1))
	fill := int(frac * width)
	fmt.Fprintf(p.w, "\r%s [%s%s] %3d%% %.1f/%.1f MiB", p.label, strings.Repeat("#", fill), strings.Repeat(".", width-fill),
		int(frac*100), float64(p.n)/(1<<20), float64(p.total)/(1<<20))
}

func (p *progressReader) done() {
	p.draw()
	fmt.Fprintln(p.w)
}
