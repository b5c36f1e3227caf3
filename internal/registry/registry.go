// Package registry validates, imports and exports the registry of the
// monitored world: county-level units, regulated enterprises, their
// discharge outlets with emission limits, and the HJ 212 devices (data
// loggers) that report for the outlets. It also builds the demo city.
//
// A registry is read from YAML (ReadYAML) or a directory of CSV files
// (ReadCSV); both keep the file and line of every item so that Validate
// can name them: "registry.yaml:42: enterprises[3].uscc: check digit is
// 7, want Y". Import validates a whole registry against what is already
// stored and then hands it to the store in one call, so an import is
// all-or-nothing. Export reads the store back in a canonical order, and
// WriteYAML / WriteCSV write it in the form the readers read: a round
// trip is exact.
//
// Validation is pure: it does no I/O and never rejects an unknown
// pollutant code (only its form is checked), because devices in the field
// send codes that are in no table.
package registry

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ecowatch/ecowatch/internal/atomicfile"
	"github.com/ecowatch/ecowatch/internal/model"
)

// Store is what the registry needs of the store (internal/store.Store
// implements it).
type Store interface {
	// ImportRegistry upserts a whole registry in one transaction.
	ImportRegistry(ctx context.Context, r *model.Registry) error
	// Registry returns the whole stored registry.
	Registry(ctx context.Context) (*model.Registry, error)
}

// Import validates r against itself and the registry already in st and,
// if it is valid, stores it with a single ImportRegistry call (one
// transaction): either all of r is imported or, on any problem, nothing.
// Validation problems are returned as an ErrorList located by src (which
// may be nil).
func Import(ctx context.Context, st Store, r *model.Registry, src *Source) error {
	existing, err := st.Registry(ctx)
	if err != nil {
		return fmt.Errorf("import: read the stored registry: %w", err)
	}
	if err := Validate(r, existing, src); err != nil {
		return err
	}
	if src != nil && src.keepFactors {
		r = keepFactors(r, existing)
	}
	if err := st.ImportRegistry(ctx, r); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	return nil
}

// keepFactors returns r with each device's stored analysers: its
// devices came from a devices.csv without device_factors.csv beside it,
// and an import replaces a device's analysers (the caller's r is not
// changed).
func keepFactors(r, existing *model.Registry) *model.Registry {
	stored := map[string][]model.DeviceFactor{}
	for _, d := range existing.Devices {
		stored[d.MN] = d.Factors
	}
	out := *r
	out.Devices = slices.Clone(r.Devices)
	for i := range out.Devices {
		out.Devices[i].Factors = stored[out.Devices[i].MN]
	}
	return &out
}

// Export returns the stored registry in canonical order (see Sort).
func Export(ctx context.Context, st Store) (*model.Registry, error) {
	r, err := st.Registry(ctx)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if r == nil {
		r = &model.Registry{}
	}
	Sort(r)
	return r, nil
}

// Sort puts a registry in canonical order: counties by code, enterprises
// by credit code, outlets by id, devices by MN, stations by code,
// comparing bytes. Exports are sorted here rather than relying on the
// store's ORDER BY because PostgreSQL's collation may order text
// differently from SQLite's, and an export must not depend on the database. Limits keep their order: it is
// the order the bureau wrote them in.
func Sort(r *model.Registry) {
	slices.SortStableFunc(r.Counties, func(a, b model.County) int { return cmp.Compare(a.Code, b.Code) })
	slices.SortStableFunc(r.Enterprises, func(a, b model.Enterprise) int { return cmp.Compare(a.USCC, b.USCC) })
	slices.SortStableFunc(r.Outlets, func(a, b model.Outlet) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortStableFunc(r.Devices, func(a, b model.Device) int { return cmp.Compare(a.MN, b.MN) })
	slices.SortStableFunc(r.Stations, func(a, b model.Station) int { return cmp.Compare(a.Code, b.Code) })
}

// Formats of registry files.
const (
	FormatYAML = "yaml"
	FormatCSV  = "csv"
)

// DetectFormat infers the format of path: a directory or a .csv file is
// CSV, a .yaml or .yml file is YAML. For a path that does not exist yet
// (an export target), a name without an extension is a CSV directory.
func DetectFormat(path string) (string, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return FormatCSV, nil
	}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".yaml", ".yml":
		return FormatYAML, nil
	case ".csv", "":
		return FormatCSV, nil
	default:
		return "", fmt.Errorf("cannot tell the format of %s from its extension %q: use .yaml, .yml, .csv or a directory, or give the format", path, ext)
	}
}

// Load reads a registry file: YAML, a directory of CSV files, or a single
// CSV file named after its kind (e.g. devices.csv; outlets.csv brings
// limits.csv beside it). format is FormatYAML, FormatCSV or "" to infer
// it. It does not validate; see Validate and Import.
func Load(path, format string) (*model.Registry, *Source, error) {
	if format == "" {
		f, err := DetectFormat(path)
		if err != nil {
			return nil, nil, err
		}
		format = f
	}
	switch format {
	case FormatYAML:
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, fmt.Errorf("open registry: %w", err)
		}
		defer f.Close()
		return ReadYAML(f, path)
	case FormatCSV:
		fi, err := os.Stat(path)
		if err != nil {
			return nil, nil, fmt.Errorf("open registry: %w", err)
		}
		if fi.IsDir() {
			return readCSV(os.DirFS(path), path, nil)
		}
		dir := filepath.Dir(path)
		return readCSV(os.DirFS(dir), dir, []string{filepath.Base(path)})
	default:
		return nil, nil, fmt.Errorf("unknown registry format %q (want yaml or csv)", format)
	}
}

// Save writes r to path: a YAML file, or a directory of CSV files. format
// is FormatYAML, FormatCSV or "" to infer it from path. YAML files are
// created with mode 0600 because they hold device passwords.
func Save(path, format string, r *model.Registry) error {
	if format == "" {
		f, err := DetectFormat(path)
		if err != nil {
			return err
		}
		format = f
	}
	switch format {
	case FormatYAML:
		var b strings.Builder
		if err := WriteYAML(&b, r); err != nil {
			return err
		}
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("export: %w", err)
			}
		}
		if err := atomicfile.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		return nil
	case FormatCSV:
		if strings.EqualFold(filepath.Ext(path), ".csv") {
			return fmt.Errorf("export: CSV goes to a directory of %s, not to the file %s", strings.Join(CSVFiles, ", "), path)
		}
		return WriteCSV(path, r)
	default:
		return fmt.Errorf("unknown registry format %q (want yaml or csv)", format)
	}
}

// CheckAlone validates r by itself, before a store is touched (or
// created): it fails only on problems that no registry already stored can
// resolve, and passes unknown references to counties, enterprises and
// outlets on to Import.
func CheckAlone(r *model.Registry, src *Source) error {
	err := Validate(r, nil, src)
	var list ErrorList
	if err == nil || !errors.As(err, &list) {
		return err
	}
	for _, e := range list {
		if !e.Unresolved {
			return err
		}
	}
	return nil
}
