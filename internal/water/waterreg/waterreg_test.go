package waterreg

import (
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ecowatch/ecowatch/internal/golden"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/registry"
)

// demoCity is the demo registry with the water stations' devices.
func demoCity(t testing.TB) (*model.Registry, *model.WaterRegistry) {
	city := registry.DemoCity(1)
	w, devs := Demo(city)
	city.Devices = append(city.Devices, devs...)
	return city, w
}

func TestDemo(t *testing.T) {
	city, w := demoCity(t)
	if err := Validate(w, city, nil); err != nil {
		t.Fatalf("demo water registry invalid:\n%v", err)
	}
	var provincial, auto int
	for _, s := range w.Sections {
		if s.Level != model.SectionCity {
			provincial++
		}
		if s.Automatic {
			auto++
		}
	}
	waterOutlets := 0
	for _, o := range city.Outlets {
		if o.Kind == model.OutletWater {
			waterOutlets++
		}
	}
	// demo-city.md: 14 provincial-or-higher sections, 10 drinking-water
	// sources; every water outlet has its outfall.
	if provincial != 14 || len(w.Sources) != 10 || len(w.Outfalls) != waterOutlets || auto == 0 {
		t.Fatalf("demo: %d provincial+ sections, %d sources, %d outfalls for %d water outlets, %d automatic",
			provincial, len(w.Sources), len(w.Outfalls), waterOutlets, auto)
	}
	// Every outfall traces to a device through the network.
	n := Network(w, city)
	for _, o := range n.Outfalls {
		if o.Device == "" || o.Enterprise == "" {
			t.Fatalf("outfall %s has no device or enterprise", o.ID)
		}
	}
	var b bytes.Buffer
	if err := WriteYAML(&b, w); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/demo-water.yaml", b.Bytes())
	got, _, err := Load(filepath.Join("testdata", "demo-water.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, w) {
		t.Fatal("the golden demo water registry reads back differently")
	}
}

func TestRoundTrip(t *testing.T) {
	_, w := demoCity(t)
	var b bytes.Buffer
	if err := WriteYAML(&b, w); err != nil {
		t.Fatal(err)
	}
	y, _, err := ReadYAML(&b, "water.yaml")
	if err != nil || !reflect.DeepEqual(y, w) {
		t.Fatalf("YAML round trip differs (err %v)", err)
	}
	fsys := fstest.MapFS{}
	for name, data := range EncodeCSV(w) {
		fsys[name] = &fstest.MapFile{Data: data}
	}
	c, _, err := ReadCSV(fsys, "water")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, w) {
		t.Fatalf("CSV round trip differs:\n got %+v\nwant %+v", c.Sections[0], w.Sections[0])
	}
	dir := t.TempDir()
	if err := Save(filepath.Join(dir, "csv"), w); err != nil {
		t.Fatal(err)
	}
	d, _, err := Load(filepath.Join(dir, "csv"))
	if err != nil || !reflect.DeepEqual(d, w) {
		t.Fatalf("directory round trip differs (err %v)", err)
	}
}

// errorLines formats an error list one per line for goldens.
func errorLines(err error) string {
	var l registry.ErrorList
	if !errors.As(err, &l) {
		return "not a list: " + err.Error() + "\n"
	}
	return l.Error() + "\n"
}

func TestValidateYAML(t *testing.T) {
	city, _ := demoCity(t)
	for _, name := range []string{"invalid.yaml", "cycle.yaml", "unknown-field.yaml"} {
		t.Run(name, func(t *testing.T) {
			w, src, err := Load(filepath.Join("testdata", name))
			if err == nil {
				err = Validate(w, city, src)
			}
			if err == nil {
				t.Fatal("no error")
			}
			golden.Check(t, "testdata/"+strings.TrimSuffix(name, ".yaml")+".golden", []byte(errorLines(err)))
		})
	}
}

func TestValidateCSV(t *testing.T) {
	city, _ := demoCity(t)
	fsys := fstest.MapFS{
		"rivers.csv":   {Data: []byte("code,name,basin,kind\nTHH,徒骇河,海河流域,river\nX,,,canal\n")},
		"nodes.csv":    {Data: []byte("id,kind\nA,source\nB,mouth\n")},
		"reaches.csv":  {Data: []byte("id,river,from,to,length_m,velocity_ms\nR1,THH,A,B,1000,0.3\nR2,THH,A,C,ten,0.3\n")},
		"sections.csv": {Data: []byte("code,name,level,body,river,target,county,automatic,reach,offset_m\nS1,一,national,river,THH,6,371502,no,R1,1500\n")},
	}
	_, _, err := ReadCSV(fsys, "water")
	if err == nil {
		t.Fatal("bad number accepted")
	}
	if got := err.Error(); got != "water/reaches.csv:3: length_m: \"ten\" is not a number" {
		t.Fatalf("parse error = %q", got)
	}
	fsys["reaches.csv"] = &fstest.MapFile{Data: []byte("id,river,from,to,length_m,velocity_ms\nR1,THH,A,B,1000,0.3\nR2,THH,A,C,10,0.3\n")}
	w, src, err := ReadCSV(fsys, "water")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/invalid-csv.golden", []byte(errorLines(Validate(w, city, src))))
}
