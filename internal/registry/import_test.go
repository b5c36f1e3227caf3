package registry

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ecowatch/ecowatch/internal/model"
)

// fakeStore upserts like internal/store: items are replaced by key, items
// not imported are kept. It records how often ImportRegistry was called.
type fakeStore struct {
	reg        model.Registry
	imports    int
	failImport error
	failRead   error
}

func (f *fakeStore) ImportRegistry(_ context.Context, r *model.Registry) error {
	f.imports++
	if f.failImport != nil {
		return f.failImport
	}
	f.reg.Counties = upsert(f.reg.Counties, r.Counties, func(c model.County) string { return c.Code })
	f.reg.Enterprises = upsert(f.reg.Enterprises, r.Enterprises, func(e model.Enterprise) string { return e.USCC })
	f.reg.Outlets = upsert(f.reg.Outlets, r.Outlets, func(o model.Outlet) string { return o.ID })
	f.reg.Devices = upsert(f.reg.Devices, r.Devices, func(d model.Device) string { return d.MN })
	f.reg.Stations = upsert(f.reg.Stations, r.Stations, func(s model.Station) string { return s.Code })
	return nil
}

func upsert[T any](have, add []T, key func(T) string) []T {
	out := slices.Clone(have)
	for _, a := range add {
		i := slices.IndexFunc(out, func(h T) bool { return key(h) == key(a) })
		if i >= 0 {
			out[i] = a
		} else {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	return out
}

func (f *fakeStore) Registry(context.Context) (*model.Registry, error) {
	if f.failRead != nil {
		return nil, f.failRead
	}
	r := f.reg
	r.Counties = slices.Clone(r.Counties)
	r.Enterprises = slices.Clone(r.Enterprises)
	r.Outlets = slices.Clone(r.Outlets)
	r.Devices = slices.Clone(r.Devices)
	r.Stations = slices.Clone(r.Stations)
	return &r, nil
}

func TestImportAndExport(t *testing.T) {
	ctx := context.Background()
	st := &fakeStore{}
	want := baseRegistry()
	if err := Import(ctx, st, want, nil); err != nil {
		t.Fatal(err)
	}
	if st.imports != 1 {
		t.Fatalf("ImportRegistry called %d times, want once", st.imports)
	}
	got, err := Export(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	Sort(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("export differs:\n got %+v\nwant %+v", got, want)
	}
}

// One bad row anywhere means nothing is imported: ImportRegistry is never
// called and the store is unchanged.
func TestImportIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	st := &fakeStore{}
	if err := Import(ctx, st, baseRegistry(), nil); err != nil {
		t.Fatal(err)
	}
	before, _ := st.Registry(ctx)

	r := DemoCity(1) // 500+ valid devices...
	r.Devices[len(r.Devices)/2].Protocol = "2011"
	var buf bytes.Buffer
	if err := WriteYAML(&buf, r); err != nil {
		t.Fatal(err)
	}
	read, src, err := ReadYAML(&buf, "city.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = Import(ctx, st, read, src)
	got := errorStrings(err)
	if len(got) != 1 || !strings.HasPrefix(got[0], "city.yaml:") || !strings.HasSuffix(got[0], `.protocol: is "2011", want 2005, 2017 or 2025`) {
		t.Fatalf("got errors %q, want the one bad protocol with its line", got)
	}
	if st.imports != 1 {
		t.Fatalf("ImportRegistry called again (%d calls) for an invalid import", st.imports)
	}
	after, _ := st.Registry(ctx)
	if !reflect.DeepEqual(before, after) {
		t.Fatal("the store changed after an invalid import")
	}
}

// References may point to items imported earlier; items missing from both
// the import and the store are errors.
func TestImportReferencesStoredItems(t *testing.T) {
	ctx := context.Background()
	st := &fakeStore{}
	base := baseRegistry()
	first := &model.Registry{Counties: base.Counties, Enterprises: base.Enterprises}
	if err := Import(ctx, st, first, nil); err != nil {
		t.Fatal(err)
	}
	second := &model.Registry{Outlets: base.Outlets, Devices: base.Devices}
	if err := Import(ctx, st, second, nil); err != nil {
		t.Fatalf("outlets referring to stored enterprises: %v", err)
	}
	third := &model.Registry{Devices: []model.Device{{MN: "AAAA", Password: "1", Protocol: "2017", Outlet: "missing"}}}
	want := []string{`devices[0].outlet: unknown outlet "missing"`}
	if got := errorStrings(Import(ctx, st, third, nil)); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if st.imports != 2 {
		t.Fatalf("%d imports, want 2", st.imports)
	}
}

func TestImportStoreErrors(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")
	err := Import(ctx, &fakeStore{failRead: boom}, baseRegistry(), nil)
	if !errors.Is(err, boom) {
		t.Errorf("read failure: got %v, want it wrapped", err)
	}
	err = Import(ctx, &fakeStore{failImport: boom}, baseRegistry(), nil)
	if !errors.Is(err, boom) {
		t.Errorf("import failure: got %v, want it wrapped", err)
	}
	if _, err := Export(ctx, &fakeStore{failRead: boom}); !errors.Is(err, boom) {
		t.Errorf("export failure: got %v, want it wrapped", err)
	}
}

// YAML → store → YAML and CSV → store → CSV are exact for the demo city,
// through the fake and through the real stores (store_test.go). open
// returns a new, empty store.
func roundTripThroughStore(t *testing.T, open func(t *testing.T) Store) {
	t.Helper()
	ctx := context.Background()
	golden := filepath.Join("testdata", "demo-city.yaml")
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	r, src, err := ReadYAML(bytes.NewReader(want), "demo-city.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st := open(t)
	if err := Import(ctx, st, r, src); err != nil {
		t.Fatal(err)
	}
	// Importing the same file again is an idempotent upsert.
	if err := Import(ctx, st, r, src); err != nil {
		t.Fatal(err)
	}
	out, err := Export(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteYAML(&b, out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("YAML → store → YAML differs from %s", golden)
	}

	files := EncodeCSV(r)
	fromCSV, src, err := ReadCSV(csvFS(files))
	if err != nil {
		t.Fatal(err)
	}
	st = open(t)
	if err := Import(ctx, st, fromCSV, src); err != nil {
		t.Fatal(err)
	}
	out, err = Export(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range EncodeCSV(out) {
		if !bytes.Equal(files[name], data) {
			t.Errorf("CSV → store → CSV: %s differs", name)
		}
	}
}

func TestRoundTripFakeStore(t *testing.T) {
	roundTripThroughStore(t, func(*testing.T) Store { return &fakeStore{} })
}

// TestDevicesCSVKeepsAnalysers: devices.csv without device_factors.csv
// beside it leaves the stored analysers (measuring range, detection
// limit) as they are; with the file, the import replaces them, and a
// header row alone clears them.
func TestDevicesCSVKeepsAnalysers(t *testing.T) {
	ctx := context.Background()
	st := &fakeStore{}
	base := baseRegistry()
	base.Devices[0].Factors = []model.DeviceFactor{{Factor: "a21026", Unit: "mg/m3", RangeMax: fp(200), DetectionLimit: fp(3)}}
	if err := Import(ctx, st, base, nil); err != nil {
		t.Fatal(err)
	}
	files := EncodeCSV(&model.Registry{Devices: base.Devices})
	stored := func() []model.DeviceFactor {
		t.Helper()
		r, err := Export(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range r.Devices {
			if d.MN == base.Devices[0].MN {
				return d.Factors
			}
		}
		t.Fatal("device gone")
		return nil
	}
	tests := []struct {
		name  string
		fsys  map[string][]byte
		wantN int
	}{
		{"devices.csv alone keeps them", map[string][]byte{DevicesCSV: files[DevicesCSV]}, 1},
		{"with device_factors.csv", map[string][]byte{DevicesCSV: files[DevicesCSV], FactorsCSV: []byte("mn,factor,unit,range_max\n" +
			base.Devices[0].MN + ",a21026,mg/m3,500\n" + base.Devices[0].MN + ",a21002,mg/m3,500\n")}, 2},
		{"a header row alone clears them", map[string][]byte{DevicesCSV: files[DevicesCSV], FactorsCSV: []byte("mn,factor,unit\n")}, 0},
	}
	for _, tt := range tests {
		r, src, err := ReadCSV(csvFS(tt.fsys))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if err := Import(ctx, st, r, src); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := stored(); len(got) != tt.wantN {
			t.Errorf("%s: %d analysers stored %+v, want %d", tt.name, len(got), got, tt.wantN)
		}
	}
	// A row for a device not in devices.csv is an error with its line.
	_, _, err := ReadCSV(csvFS(map[string][]byte{DevicesCSV: files[DevicesCSV], FactorsCSV: []byte("mn,factor,unit\nNOSUCH,a21026,mg/m3\n")}))
	if err == nil || !strings.Contains(err.Error(), `device_factors.csv:2: mn: device "NOSUCH" is not in devices.csv`) {
		t.Errorf("unknown device: %v", err)
	}
}
