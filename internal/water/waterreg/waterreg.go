// Package waterreg reads, validates and writes the surface-water part of
// the registry: rivers, the river network (nodes and reaches),
// monitoring sections, drinking-water sources and outfalls. It is a file
// of its own (water.yaml, or a directory of CSV files) that refers to the
// main registry's counties, water outlets and ST=21 devices, and it is
// imported as a whole because the network is only valid as a whole.
//
// Errors name file, line and field like the main registry's
// (registry.Error), e.g. "water.yaml:42: sections[3].target: want 1-5".
package waterreg

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/registry"
)

// Pos locates a field of the water registry in its source.
type Pos struct {
	File  string
	Line  int
	Field string // column (CSV) or path (YAML)
}

// Source maps field paths (sections[3].target, sections[3]) to where they
// were read. A nil Source is valid: errors then name the path only.
type Source struct {
	pos map[string]Pos
}

// NewSource returns an empty Source.
func NewSource() *Source { return &Source{pos: map[string]Pos{}} }

func (s *Source) set(path string, p Pos) {
	if s != nil {
		s.pos[path] = p
	}
}

// errorAt builds an error for path, located at the path or its nearest
// located parent.
func (s *Source) errorAt(path, msg string) *registry.Error {
	e := &registry.Error{Field: path, Msg: msg}
	if s == nil {
		return e
	}
	for p := path; p != ""; p = parent(p) {
		if pos, ok := s.pos[p]; ok {
			e.File, e.Line = pos.File, pos.Line
			if p == path && pos.Field != "" {
				e.Field = pos.Field
			} else if pos.Field != "" && !strings.Contains(pos.Field, "[") {
				// CSV: a row's position; name the column from the path.
				e.Field = path[strings.LastIndexByte(path, '.')+1:]
			}
			return e
		}
	}
	return e
}

func parent(p string) string {
	if i := strings.LastIndexAny(p, ".["); i > 0 {
		return p[:i]
	}
	return ""
}

// Formats of a water registry on disk.
const (
	FormatYAML = "yaml"
	FormatCSV  = "csv"
)

// Load reads a water registry from a YAML file or a directory of CSV
// files (rivers.csv, nodes.csv, reaches.csv, sections.csv, sources.csv,
// outfalls.csv). It does not validate beyond syntax and types: call
// Validate.
func Load(path string) (*model.WaterRegistry, *Source, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if fi.IsDir() {
		return ReadCSV(os.DirFS(path), filepath.Base(path))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return ReadYAML(bytes.NewReader(data), filepath.Base(path))
}

// Save writes w as YAML (a path ending in .yaml or .yml) or as a
// directory of CSV files.
func Save(path string, w *model.WaterRegistry) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		var b bytes.Buffer
		if err := WriteYAML(&b, w); err != nil {
			return err
		}
		return os.WriteFile(path, b.Bytes(), 0o644)
	}
	return WriteCSV(path, w)
}

// Store is what Import and Export need of the store.
type Store interface {
	Registry(ctx context.Context) (*model.Registry, error)
	PutWaterRegistry(ctx context.Context, r *model.WaterRegistry) error
	WaterRegistry(ctx context.Context) (*model.WaterRegistry, error)
}

// Import validates w against the stored main registry and replaces the
// stored water registry with it. Nothing is stored when anything is wrong.
func Import(ctx context.Context, st Store, w *model.WaterRegistry, src *Source) error {
	reg, err := st.Registry(ctx)
	if err != nil {
		return fmt.Errorf("import water registry: %w", err)
	}
	if err := Validate(w, reg, src); err != nil {
		return err
	}
	Sort(w)
	return st.PutWaterRegistry(ctx, w)
}

// Sort orders nothing: file order is meaningful (rivers from source to
// mouth read best as written). It only normalises nil lists to empty ones
// so that an export round-trips.
func Sort(w *model.WaterRegistry) {
	for i := range w.Sources {
		if len(w.Sources[i].Items) == 0 {
			w.Sources[i].Items = nil
		}
	}
}

// formatFloat prints a float the shortest way that reads back exactly.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
