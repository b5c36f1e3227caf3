package waterreg

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/ecowatch/ecowatch/internal/registry"
)

// FuzzYAML: reading and validating any YAML never panics, and every
// problem is a located registry.Error.
func FuzzYAML(f *testing.F) {
	for _, name := range []string{"testdata/invalid.yaml", "testdata/cycle.yaml", "testdata/unknown-field.yaml"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("nodes: [{id: A, kind: lake, residence_h: 5}]\nreaches: [{id: R, from: A, to: A, length_m: 1, velocity_ms: 1}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, src, err := ReadYAML(bytes.NewReader(data), "f.yaml")
		if err == nil {
			err = Validate(w, nil, src)
			if err == nil {
				return
			}
		}
		var l registry.ErrorList
		if !errors.As(err, &l) || len(l) == 0 {
			t.Fatalf("error is not a located list: %v", err)
		}
	})
}
