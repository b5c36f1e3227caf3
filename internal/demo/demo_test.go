package demo

import (
	"reflect"
	"strings"
	"testing"
)

func TestCityHasWaterStations(t *testing.T) {
	c := NewCity(1)
	if c.Water == nil || len(c.Water.Sections) == 0 {
		t.Fatal("the demo city has no water network")
	}
	mns := map[string]bool{}
	for _, d := range c.Registry.Devices {
		mns[d.MN] = true
	}
	for _, s := range c.Water.Sections {
		if s.MN != "" && !mns[s.MN] {
			t.Errorf("water section %s reports as %s, which is not a registered device", s.Code, s.MN)
		}
	}
}

func TestDevicesTroubleIsDeterministic(t *testing.T) {
	c := NewCity(7)
	a, b := Devices(c.Registry, 7), Devices(c.Registry, 7)
	if len(a) != len(c.Registry.Devices)+3 {
		t.Fatalf("%d simulated devices for %d registered ones, want 3 unregistered more", len(a), len(c.Registry.Devices))
	}
	unreg, wrong, exceed := 0, 0, 0
	for i := range a {
		if a[i].MN != b[i].MN || !reflect.DeepEqual(a[i].Behaviour, b[i].Behaviour) {
			t.Fatalf("device %d differs between two runs of the same seed", i)
		}
		if strings.HasPrefix(a[i].MN, "UNREG") {
			unreg++
		}
		if a[i].Behaviour.WrongPassword {
			wrong++
		}
		if a[i].Behaviour.ExceedFor > 0 {
			exceed++
		}
	}
	if unreg != 3 || wrong != 1 || exceed == 0 {
		t.Errorf("unregistered %d, wrong password %d, exceeding %d; want 3, 1, some", unreg, wrong, exceed)
	}
}
