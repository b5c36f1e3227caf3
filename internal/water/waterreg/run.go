package waterreg

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/registry"
)

// The command line's runs: each prints every problem (file:line: field:
// message) on errs and returns an error that says what became of the file.

var (
	errNotImported = errors.New("not valid: nothing imported")
	errNotValid    = errors.New("not valid")
)

// ImportFile loads the water registry at path and imports it into st.
func ImportFile(ctx context.Context, st Store, path string, out, errs io.Writer) error {
	w, src, err := Load(path)
	if err == nil {
		err = Import(ctx, st, w, src)
	}
	if err != nil {
		fmt.Fprintln(errs, err)
		return errNotImported
	}
	fmt.Fprintf(out, "water registry imported: %d rivers, %d nodes, %d reaches, %d sections, %d drinking-water sources, %d outfalls\n",
		len(w.Rivers), len(w.Nodes), len(w.Reaches), len(w.Sections), len(w.Sources), len(w.Outfalls))
	return nil
}

// ValidateFile checks the water registry at path, against the main
// registry reg when there is one (nil: its counties, outlets and devices
// are not checked).
func ValidateFile(path string, reg *model.Registry, out, errs io.Writer) error {
	w, src, err := Load(path)
	if err != nil {
		fmt.Fprintln(errs, err)
		return errNotImported
	}
	if err := Validate(w, reg, src); err != nil {
		fmt.Fprintln(errs, err)
		return errNotValid
	}
	if reg == nil {
		fmt.Fprintln(out, "valid (counties, outlets and devices not checked: no store)")
	} else {
		fmt.Fprintln(out, "valid")
	}
	return nil
}

// ExportFile writes w to path (YAML or a CSV directory, as Save), or as
// YAML to out when path is "-".
func ExportFile(path string, w *model.WaterRegistry, out io.Writer) error {
	if path == "-" {
		return WriteYAML(out, w)
	}
	return Save(path, w)
}

// ExportDemo writes the water registry of the demo city (seed 1) to path
// and, when devices is not empty, its automatic stations' ST=21 devices
// as a main-registry file there, to be imported first.
func ExportDemo(path, devices string, out io.Writer) error {
	w, devs := Demo(registry.DemoCity(1))
	if devices != "" {
		if err := registry.Save(devices, "", &model.Registry{Devices: devs}); err != nil {
			return err
		}
	}
	return ExportFile(path, w, out)
}
