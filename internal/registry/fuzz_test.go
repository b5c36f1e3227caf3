package registry

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"
)

// FuzzReadYAML: reading and validating never panic on any input, and a
// registry that reads and validates cleanly survives a write/read round
// trip unchanged.
func FuzzReadYAML(f *testing.F) {
	for _, name := range []string{"invalid.yaml", "malformed.yaml", "syntax.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	var b bytes.Buffer
	if err := WriteYAML(&b, baseRegistry()); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		r, src, err := ReadYAML(bytes.NewReader(data), "f.yaml")
		if err != nil {
			return
		}
		if Validate(r, nil, src) != nil {
			return
		}
		var out bytes.Buffer
		if err := WriteYAML(&out, r); err != nil {
			t.Fatal(err)
		}
		back, _, err := ReadYAML(bytes.NewReader(out.Bytes()), "out.yaml")
		if err != nil {
			t.Fatalf("rereading a written registry: %v\n%s", err, out.Bytes())
		}
		if !reflect.DeepEqual(normalize(back), normalize(r)) {
			t.Fatalf("round trip differs:\n got %+v\nwant %+v", back, r)
		}
	})
}

// FuzzReadCSV does the same for a devices.csv and a counties.csv.
func FuzzReadCSV(f *testing.F) {
	files := EncodeCSV(baseRegistry())
	f.Add(files[DevicesCSV], files[CountiesCSV])
	f.Add([]byte("mn,password,protocol\n\"a,1,2017\n"), []byte("code\n"))
	f.Fuzz(func(t *testing.T, devices, counties []byte) {
		fsys := fstest.MapFS{DevicesCSV: {Data: devices}, CountiesCSV: {Data: counties}}
		r, src, err := ReadCSV(fsys)
		if err != nil {
			return
		}
		if Validate(r, nil, src) != nil {
			return
		}
		enc := EncodeCSV(r)
		back, _, err := ReadCSV(fstest.MapFS{DevicesCSV: {Data: enc[DevicesCSV]}, CountiesCSV: {Data: enc[CountiesCSV]}})
		if err != nil {
			t.Fatalf("rereading written CSV: %v", err)
		}
		if !reflect.DeepEqual(normalize(back), normalize(r)) {
			t.Fatalf("round trip differs:\n got %+v\nwant %+v", back, r)
		}
	})
}
