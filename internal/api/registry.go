package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
)

// registryIndex is the registry with the lookups the handlers need.
type registryIndex struct {
	*model.Registry
	counties    map[string]*model.County
	enterprises map[string]*model.Enterprise
	outlets     map[string]*model.Outlet
	devices     map[string]*model.Device
}

// loadRegistry reads the registry. It is read per request: the registry is
// small (hundreds of items) and an import must show at once.
func (s *server) loadRegistry(ctx context.Context) (*registryIndex, error) {
	reg, err := s.st.Registry(ctx)
	if err != nil {
		return nil, fmt.Errorf("cannot read registry: %w", err)
	}
	reg = scopeRegistry(ctx, reg) // row-level scope of the caller (authz.go)
	x := &registryIndex{
		Registry:    reg,
		counties:    make(map[string]*model.County, len(reg.Counties)),
		enterprises: make(map[string]*model.Enterprise, len(reg.Enterprises)),
		outlets:     make(map[string]*model.Outlet, len(reg.Outlets)),
		devices:     make(map[string]*model.Device, len(reg.Devices)),
	}
	for i := range reg.Counties {
		x.counties[reg.Counties[i].Code] = &reg.Counties[i]
	}
	for i := range reg.Enterprises {
		x.enterprises[reg.Enterprises[i].USCC] = &reg.Enterprises[i]
	}
	for i := range reg.Outlets {
		x.outlets[reg.Outlets[i].ID] = &reg.Outlets[i]
	}
	for i := range reg.Devices {
		x.devices[reg.Devices[i].MN] = &reg.Devices[i]
	}
	return x, nil
}

// deviceEnterprise returns the enterprise and county of a device through
// its outlet; both are empty for stations (devices without an outlet).
func (x *registryIndex) deviceEnterprise(d *model.Device) (enterprise, county string) {
	o := x.outlets[d.Outlet]
	if o == nil {
		return "", ""
	}
	if e := x.enterprises[o.Enterprise]; e != nil {
		return e.USCC, e.County
	}
	return o.Enterprise, ""
}

func (s *server) counties(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	x, err := s.loadRegistry(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Counties []model.County `json:"counties"`
	}{nonNil(x.Counties)})
	return nil
}

func (s *server) enterprises(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "county")
	if err != nil {
		return err
	}
	x, err := s.loadRegistry(r.Context())
	if err != nil {
		return err
	}
	county := q.Get("county")
	if county != "" && x.counties[county] == nil {
		return notFound("county", "no county with code %q", county)
	}
	out := []model.Enterprise{}
	for _, e := range x.Enterprises {
		if county == "" || e.County == county {
			out = append(out, e)
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Enterprises []model.Enterprise `json:"enterprises"`
	}{out})
	return nil
}

// enterpriseDetail is an enterprise with its outlets and devices.
type enterpriseDetail struct {
	model.Enterprise
	Outlets []model.Outlet `json:"outlets"`
	Devices []deviceState  `json:"devices"`
}

func (s *server) enterprise(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	uscc := r.PathValue("uscc")
	x, err := s.loadRegistry(r.Context())
	if err != nil {
		return err
	}
	e := x.enterprises[uscc]
	if e == nil {
		return notFound("uscc", "no enterprise with USCC %q", uscc)
	}
	d := enterpriseDetail{Enterprise: *e, Outlets: []model.Outlet{}}
	for _, o := range x.Outlets {
		if o.Enterprise == uscc {
			d.Outlets = append(d.Outlets, o)
		}
	}
	d.Devices, err = s.deviceStates(r.Context(), x, deviceFilter{enterprise: uscc})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *server) outlets(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "enterprise")
	if err != nil {
		return err
	}
	x, err := s.loadRegistry(r.Context())
	if err != nil {
		return err
	}
	ent := q.Get("enterprise")
	if ent != "" && x.enterprises[ent] == nil {
		return notFound("enterprise", "no enterprise with USCC %q", ent)
	}
	out := []model.Outlet{}
	for _, o := range x.Outlets {
		if ent == "" || o.Enterprise == ent {
			out = append(out, o)
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Outlets []model.Outlet `json:"outlets"`
	}{out})
	return nil
}

// deviceState is a device as served: never its password (model.Device's
// Password is tagged json:"-"), with where it belongs and its state.
type deviceState struct {
	model.DeviceState
	Enterprise string `json:"enterprise,omitempty"`
	County     string `json:"county,omitempty"`
}

type deviceFilter struct {
	county, enterprise, state string
}

// deviceStates returns the registry's devices that pass f, with their
// last contact and derived state, ordered by MN.
func (s *server) deviceStates(ctx context.Context, x *registryIndex, f deviceFilter) ([]deviceState, error) {
	contacts, err := s.st.Contacts(ctx)
	if err != nil {
		return nil, fmt.Errorf("cannot read contacts: %w", err)
	}
	last := make(map[string]*model.Contact, len(contacts))
	for i := range contacts {
		last[contacts[i].MN] = &contacts[i]
	}
	now := s.cfg.Now()
	out := []deviceState{}
	for _, d := range x.Devices {
		ent, county := x.deviceEnterprise(&d)
		if f.enterprise != "" && ent != f.enterprise || f.county != "" && county != f.county {
			continue
		}
		ds := deviceState{DeviceState: model.DeviceState{Device: d}, Enterprise: ent, County: county}
		var seen time.Time
		if c := last[d.MN]; c != nil {
			seen = c.At
			ds.LastSeen = cnTime(c.At)
			ds.LastRemote = c.Remote
			ds.LastCN = c.CN
		}
		ds.State = model.DeviceStateAt(seen, now, s.cfg.OfflineAfter)
		ds.Password = "" // belt and braces: never let it reach any encoder
		if f.state != "" && ds.State != f.state {
			continue
		}
		out = append(out, ds)
	}
	return out, nil
}

var deviceStatesAllowed = []string{model.DeviceOnline, model.DeviceOffline, model.DeviceNeverSeen}

func (s *server) devices(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "county", "enterprise", "state")
	if err != nil {
		return err
	}
	f := deviceFilter{county: q.Get("county"), enterprise: q.Get("enterprise"), state: q.Get("state")}
	if f.state != "" && !slices.Contains(deviceStatesAllowed, f.state) {
		return paramError("state", "%q is not one of online, offline, never", f.state)
	}
	x, err := s.loadRegistry(r.Context())
	if err != nil {
		return err
	}
	if f.county != "" && x.counties[f.county] == nil {
		return notFound("county", "no county with code %q", f.county)
	}
	if f.enterprise != "" && x.enterprises[f.enterprise] == nil {
		return notFound("enterprise", "no enterprise with USCC %q", f.enterprise)
	}
	ds, err := s.deviceStates(r.Context(), x, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Now          time.Time     `json:"now"`
		OfflineAfter string        `json:"offline_after"`
		Devices      []deviceState `json:"devices"`
	}{cnTime(s.cfg.Now()), s.cfg.OfflineAfter.String(), ds})
	return nil
}

func (s *server) device(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	x, err := s.loadRegistry(r.Context())
	if err != nil {
		return err
	}
	mn := r.PathValue("mn")
	d := x.devices[mn]
	if d == nil {
		return notFound("mn", "no device with MN %q", mn)
	}
	// A one-device registry view keeps deviceStates the only place that
	// derives states.
	one := *x
	one.Registry = &model.Registry{Devices: []model.Device{*d}}
	ds, err := s.deviceStates(r.Context(), &one, deviceFilter{})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ds[0])
	return nil
}

// nonNil makes a nil slice encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
