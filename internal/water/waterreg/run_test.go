package waterreg

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/registry"
)

// memStore is the store as ImportFile sees it.
type memStore struct {
	reg *model.Registry
	w   *model.WaterRegistry
}

func (m *memStore) Registry(context.Context) (*model.Registry, error) { return m.reg, nil }
func (m *memStore) PutWaterRegistry(_ context.Context, w *model.WaterRegistry) error {
	m.w = w
	return nil
}
func (m *memStore) WaterRegistry(context.Context) (*model.WaterRegistry, error) { return m.w, nil }

// TestRuns exports the demo water registry with its devices, validates it
// with and without the main registry, imports it, and refuses a bad file
// and a missing one, each with its verdict.
func TestRuns(t *testing.T) {
	dir := t.TempDir()
	water, devices := filepath.Join(dir, "water.yaml"), filepath.Join(dir, "devices.yaml")
	if err := ExportDemo(water, devices, nil); err != nil {
		t.Fatal(err)
	}
	city := registry.DemoCity(1)
	devs, _, err := registry.Load(devices, "")
	if err != nil {
		t.Fatal(err)
	}
	city.Devices = append(city.Devices, devs.Devices...)
	for _, c := range []struct {
		name, path string
		reg        *model.Registry
		err        error
		out, errs  string
	}{
		{"no store", water, nil, nil, "valid (counties, outlets and devices not checked: no store)\n", ""},
		{"with the city", water, city, nil, "valid\n", ""},
		{"invalid", "testdata/invalid.yaml", nil, errNotValid, "", "invalid.yaml:"},
		{"missing", filepath.Join(dir, "none.yaml"), nil, errNotImported, "", "no such file"},
	} {
		var out, errs bytes.Buffer
		err := ValidateFile(c.path, c.reg, &out, &errs)
		if !errors.Is(err, c.err) && err != c.err || out.String() != c.out || !strings.Contains(errs.String(), c.errs) {
			t.Errorf("%s: %v, out %q, errs %q", c.name, err, out.String(), errs.String())
		}
	}

	st := &memStore{reg: city}
	var out, errs bytes.Buffer
	if err := ImportFile(context.Background(), st, "testdata/invalid.yaml", &out, &errs); err != errNotImported || st.w != nil || errs.Len() == 0 {
		t.Errorf("import of an invalid file: %v, stored %v, errs %q", err, st.w != nil, errs.String())
	}
	errs.Reset()
	if err := ImportFile(context.Background(), st, water, &out, &errs); err != nil || st.w == nil || !strings.HasPrefix(out.String(), "water registry imported: ") {
		t.Fatalf("import: %v, out %q, errs %q", err, out.String(), errs.String())
	}
	var back bytes.Buffer
	if err := ExportFile("-", st.w, &back); err != nil || !strings.Contains(back.String(), "sections:") {
		t.Errorf("export to stdout: %v\n%s", err, back.String())
	}
}
