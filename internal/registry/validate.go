package registry

import (
	"fmt"
	"math"
	"net/netip"
	"strings"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/model"
)

// Protocol versions a device may speak.
const (
	Protocol2005 = "2005" // HJ/T 212-2005
	Protocol2017 = "2017" // HJ 212-2017
	Protocol2025 = "2025" // HJ 212-2025
)

// KnownTolerances returns the tolerance names a device may be allowed:
// the names of the hj212 package's Tolerant-mode deviations. Only
// model.ToleranceModbusCRC changes whether a frame is accepted; the others
// record what the bureau expects of a device, so that a deviation that
// was not expected stands out.
func KnownTolerances() []string {
	var names []string
	for i := range 32 {
		names = append(names, hj212.Deviation(1<<i).Strings()...)
	}
	return names
}

// maxCodeLen bounds keys and pollutant codes. HJ 212 codes are at most 24
// characters (the 2017 MN); 64 leaves room for real-world forms without
// letting a pasted paragraph through.
const maxCodeLen = 64

// Validate checks a registry and returns every problem found as an
// ErrorList (nil when r is valid). existing, when not nil, is the registry
// already stored: references (an outlet's enterprise, a device's outlet,
// an enterprise's county) may point to its items. Keys must be unique
// within r; a key also in existing is an update, not a duplicate. src
// locates the errors; it may be nil.
func Validate(r *model.Registry, existing *model.Registry, src *Source) error {
	v := &validator{src: src}
	v.validate(r, existing)
	return v.errs.err()
}

type validator struct {
	src  *Source
	errs ErrorList
}

func (v *validator) errorf(path, format string, args ...any) {
	v.errs = append(v.errs, v.src.newError(path, fmt.Sprintf(format, args...)))
}

// unresolved records an unknown reference (see Error.Unresolved).
func (v *validator) unresolved(path, what, key string) {
	e := v.src.newError(path, fmt.Sprintf("unknown %s %q", what, key))
	e.Unresolved = true
	v.errs = append(v.errs, e)
}

// keySet records the first path of each key to report duplicates.
type keySet map[string]string

// add reports whether key is new; if not, it returns the first path.
func (k keySet) add(key, path string) (first string, ok bool) {
	if first, dup := k[key]; dup {
		return first, false
	}
	k[key] = path
	return "", true
}

func (v *validator) validate(r *model.Registry, existing *model.Registry) {
	if r == nil {
		return
	}
	// Keys already stored, for references.
	counties, enterprises, outlets := map[string]bool{}, map[string]bool{}, map[string]bool{}
	if existing != nil {
		for _, c := range existing.Counties {
			counties[c.Code] = true
		}
		for _, e := range existing.Enterprises {
			enterprises[e.USCC] = true
		}
		for _, o := range existing.Outlets {
			outlets[o.ID] = true
		}
	}
	for _, c := range r.Counties {
		counties[c.Code] = true
	}
	for _, e := range r.Enterprises {
		enterprises[e.USCC] = true
	}
	for _, o := range r.Outlets {
		outlets[o.ID] = true
	}

	seen := keySet{}
	for i, c := range r.Counties {
		p := fmt.Sprintf("counties[%d]", i)
		if v.key(p+".code", c.Code) {
			v.unique(seen, "county code", c.Code, p+".code")
		}
		v.required(p+".name", c.Name)
	}

	seen = keySet{}
	for i, e := range r.Enterprises {
		p := fmt.Sprintf("enterprises[%d]", i)
		if e.USCC == "" {
			v.errorf(p+".uscc", "required")
		} else if err := CheckUSCC(e.USCC); err != nil {
			v.errorf(p+".uscc", "%v", err)
		} else {
			v.unique(seen, "unified social credit code", e.USCC, p+".uscc")
		}
		v.required(p+".name", e.Name)
		if v.required(p+".county", e.County) && !counties[e.County] {
			v.unresolved(p+".county", "county", e.County)
		}
		v.coordinates(p, e.Lat, e.Lon)
	}

	seen = keySet{}
	for i, o := range r.Outlets {
		p := fmt.Sprintf("outlets[%d]", i)
		if v.key(p+".id", o.ID) {
			v.unique(seen, "outlet id", o.ID, p+".id")
		}
		if v.required(p+".enterprise", o.Enterprise) && !enterprises[o.Enterprise] {
			v.unresolved(p+".enterprise", "enterprise", o.Enterprise)
		}
		switch o.Kind {
		case model.OutletAir, model.OutletWater:
		case "":
			v.errorf(p+".kind", "required (air or water)")
		default:
			v.errorf(p+".kind", "is %q, want air or water", o.Kind)
		}
		limits := keySet{}
		for j, l := range o.Limits {
			v.limit(fmt.Sprintf("%s.limits[%d]", p, j), l, limits)
		}
	}

	seen = keySet{}
	for i, d := range r.Devices {
		p := fmt.Sprintf("devices[%d]", i)
		if v.key(p+".mn", d.MN) {
			v.unique(seen, "MN", d.MN, p+".mn")
		}
		if v.required(p+".password", d.Password) {
			if msg := frameToken(d.Password); msg != "" {
				v.errorf(p+".password", "%s", msg)
			}
		}
		switch d.Protocol {
		case Protocol2005, Protocol2017, Protocol2025:
		case "":
			v.errorf(p+".protocol", "required (2005, 2017 or 2025)")
		default:
			v.errorf(p+".protocol", "is %q, want 2005, 2017 or 2025", d.Protocol)
		}
		if d.Outlet != "" && !outlets[d.Outlet] {
			v.unresolved(p+".outlet", "outlet", d.Outlet)
		}
		if d.ST != "" && !validST(d.ST) {
			// HJ 212-2017 §6.6.1: ST is 2 characters 0-9/A-Z; devices in
			// the field also send 3 digits (ST=101), so allow those.
			v.errorf(p+".st", "is %q, want a system code such as 31 or 32", d.ST)
		}
		tols := keySet{}
		for j, t := range d.Tolerances {
			tp := fmt.Sprintf("%s.tolerances[%d]", p, j)
			if _, ok := hj212.ParseDeviation(t); !ok {
				v.errorf(tp, "unknown tolerance %q (known: %s)", t, strings.Join(KnownTolerances(), ", "))
			} else if _, ok := tols.add(t, tp); !ok {
				v.errorf(tp, "tolerance %q listed twice", t)
			}
		}
		for j, n := range d.Networks {
			np := fmt.Sprintf("%s.networks[%d]", p, j)
			if err := CheckNetwork(n); err != nil {
				v.errorf(np, "%v", err)
			}
		}
		factors := keySet{}
		for j, f := range d.Factors {
			v.deviceFactor(fmt.Sprintf("%s.factors[%d]", p, j), f, factors)
		}
	}
	v.stations(r, existing, counties)
}

// StationST is the HJ 212 system code of ambient air quality monitoring
// (HJ 212-2017 table 5: 22 环境空气质量监测).
const StationST = "22"

// stations checks the air stations: keys, levels, coordinates (required:
// a station is a point on the map) and the device that reports for each.
func (v *validator) stations(r *model.Registry, existing *model.Registry, counties map[string]bool) {
	devices := map[string]model.Device{}
	if existing != nil {
		for _, d := range existing.Devices {
			devices[d.MN] = d
		}
	}
	for _, d := range r.Devices {
		devices[d.MN] = d
	}
	seen, mns := keySet{}, keySet{}
	for i, s := range r.Stations {
		p := fmt.Sprintf("stations[%d]", i)
		if v.key(p+".code", s.Code) {
			v.unique(seen, "station code", s.Code, p+".code")
		}
		v.required(p+".name", s.Name)
		if v.required(p+".county", s.County) && !counties[s.County] {
			v.unresolved(p+".county", "county", s.County)
		}
		switch s.Level {
		case model.StationNational, model.StationProvincial, model.StationCounty:
		case "":
			v.errorf(p+".level", "required (national, provincial or county)")
		default:
			v.errorf(p+".level", "is %q, want national, provincial or county", s.Level)
		}
		if s.Lat == 0 && s.Lon == 0 {
			v.errorf(p, "lat and lon are required for a station")
		} else {
			v.coordinates(p, s.Lat, s.Lon)
		}
		if s.MN == "" {
			continue // a station whose data only comes in files
		}
		if !v.key(p+".mn", s.MN) {
			continue
		}
		if first, ok := mns.add(s.MN, p+".mn"); !ok {
			v.errorf(p+".mn", "device %q already reports for another station (first at %s)", s.MN, v.src.where(first, p+".mn"))
		}
		d, ok := devices[s.MN]
		switch {
		case !ok:
			v.unresolved(p+".mn", "device", s.MN)
		case d.Outlet != "":
			v.errorf(p+".mn", "device %q reports for outlet %q, not for an air station", s.MN, d.Outlet)
		case d.ST != "" && d.ST != StationST:
			// HJ 212-2017 table 5: ambient air stations send ST=22.
			v.errorf(p+".mn", "device %q has st %s, an air station's device has st %s", s.MN, d.ST, StationST)
		}
	}
}

// required reports whether s is given, recording an error if not.
func (v *validator) required(path, s string) bool {
	if strings.TrimSpace(s) == "" {
		v.errorf(path, "required")
		return false
	}
	return true
}

// key checks an identifier (county code, outlet id, MN): given, and
// usable inside an HJ 212 frame and a CSV cell without surprises.
func (v *validator) key(path, s string) bool {
	if s == "" {
		v.errorf(path, "required")
		return false
	}
	if msg := frameToken(s); msg != "" {
		v.errorf(path, "%s", msg)
		return false
	}
	return true
}

func (v *validator) unique(seen keySet, what, key, path string) {
	if first, ok := seen.add(key, path); !ok {
		v.errorf(path, "duplicate %s %q (first at %s)", what, key, v.src.where(first, path))
	}
}

// frameToken explains why s cannot be an HJ 212 field value such as MN or
// PW, or returns "". HJ 212-2017 §6.3.1: fields are ASCII, separated by
// ';' with '=' between name and value, and '&&' delimits CP.
func frameToken(s string) string {
	if len(s) > maxCodeLen {
		return fmt.Sprintf("is %d characters long, at most %d allowed", len(s), maxCodeLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c <= ' ' || c >= 0x7f:
			return fmt.Sprintf("contains %q at character %d: only printable ASCII without spaces is allowed", rune(c), i+1)
		case c == ';' || c == '=' || c == '&' || c == ',':
			return fmt.Sprintf("contains %q, which separates HJ 212 fields", c)
		}
	}
	return ""
}

func validST(s string) bool {
	if len(s) < 2 || len(s) > 3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// PollutantCodeProblem explains why code cannot be an HJ 212 pollutant
// code, or returns "". Unknown codes are allowed (the standard's Appendix B
// table is not what devices send: O3, CONC, 831, ua19004 are all seen), so
// only the form is checked: the code is the part of a CP key before the
// first '-' (HJ 212-2017 §6.3.3), so it cannot contain '-' or a separator.
func PollutantCodeProblem(code string) string {
	if code == "" {
		return "required"
	}
	if len(code) > maxCodeLen {
		return fmt.Sprintf("is %d characters long, at most %d allowed", len(code), maxCodeLen)
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' {
			continue
		}
		if c == '-' {
			return fmt.Sprintf("%q is not a pollutant code: the code is the part before '-' (e.g. a21026, not a21026-Rtd)", code)
		}
		return fmt.Sprintf("%q is not a pollutant code: only letters, digits and _ are allowed", code)
	}
	return ""
}

func (v *validator) limit(p string, l model.Limit, seen keySet) {
	if msg := PollutantCodeProblem(l.Pollutant); msg != "" {
		v.errorf(p+".pollutant", "%s", msg)
	}
	v.required(p+".unit", l.Unit)
	switch l.Kind {
	case model.LimitMeasured, model.LimitConverted:
	case "":
		v.errorf(p+".kind", "required (measured or converted)")
	default:
		v.errorf(p+".kind", "is %q, want measured or converted", l.Kind)
	}
	switch l.Period {
	case model.PeriodHour, model.PeriodDay:
	case "":
		v.errorf(p+".period", "required (hour or day)")
	default:
		v.errorf(p+".period", "is %q, want hour or day", l.Period)
	}
	finite := true
	for _, f := range []struct {
		name string
		v    *float64
	}{{"max", l.Max}, {"min", l.Min}} {
		if f.v != nil && (math.IsNaN(*f.v) || math.IsInf(*f.v, 0)) {
			v.errorf(p+"."+f.name, "must be a finite number")
			finite = false
		}
	}
	if finite && l.Max != nil && l.Min != nil && *l.Max < *l.Min {
		v.errorf(p+".max", "%g is below min %g", *l.Max, *l.Min)
	}
	if l.Pollutant != "" && l.Kind != "" && l.Period != "" {
		key := l.Pollutant + "/" + l.Kind + "/" + l.Period
		if first, ok := seen.add(key, p); !ok {
			v.errorf(p, "a second %s %s limit of %s (first at %s)", l.Kind, l.Period, l.Pollutant, v.src.where(first, p))
		}
	}
}

// deviceFactor checks one analyser of a device: a range whose top is
// above its bottom, a detection limit inside the range, one row per
// factor. A factor with neither a range nor a detection limit says
// nothing and is refused, so a half-filled row does not pass unnoticed.
func (v *validator) deviceFactor(p string, f model.DeviceFactor, seen keySet) {
	if msg := PollutantCodeProblem(f.Factor); msg != "" {
		v.errorf(p+".factor", "%s", msg)
	} else if first, ok := seen.add(f.Factor, p); !ok {
		v.errorf(p, "a second analyser of %s (first at %s)", f.Factor, v.src.where(first, p))
	}
	v.required(p+".unit", f.Unit)
	finite := func(name string, x *float64) bool {
		if x != nil && (math.IsNaN(*x) || math.IsInf(*x, 0)) {
			v.errorf(p+"."+name, "must be a finite number")
			return false
		}
		return true
	}
	ok := finite("range_min", &f.RangeMin)
	ok = finite("range_max", f.RangeMax) && ok
	ok = finite("detection_limit", f.DetectionLimit) && ok
	if !ok {
		return
	}
	if f.RangeMax == nil && f.DetectionLimit == nil {
		v.errorf(p, "give the measuring range (range_max) or the detection limit, or leave the factor out")
	}
	if f.RangeMax != nil && *f.RangeMax <= f.RangeMin {
		v.errorf(p+".range_max", "%g is not above range_min %g", *f.RangeMax, f.RangeMin)
	}
	if dl := f.DetectionLimit; dl != nil {
		switch {
		case *dl <= 0:
			v.errorf(p+".detection_limit", "%g: a detection limit is above zero", *dl)
		case f.RangeMax != nil && *dl >= *f.RangeMax:
			v.errorf(p+".detection_limit", "%g is not below range_max %g", *dl, *f.RangeMax)
		}
	}
}

// coordinates checks an enterprise's location. Zero means unknown (the
// model omits it), so both must be given or neither.
func (v *validator) coordinates(p string, lat, lon float64) {
	if math.IsNaN(lat) || lat < -90 || lat > 90 {
		v.errorf(p+".lat", "%g is not a latitude", lat)
	}
	if math.IsNaN(lon) || lon < -180 || lon > 180 {
		v.errorf(p+".lon", "%g is not a longitude", lon)
	}
	if (lat == 0) != (lon == 0) {
		v.errorf(p, "lat and lon must be given together")
	}
}

// CheckNetwork checks one of a device's allowed source networks: CIDR
// notation with no host bits set (10.20.0.0/16), or a single address.
func CheckNetwork(s string) error {
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return fmt.Errorf("%q has a zone: want a network such as 10.20.0.0/16 or an address", s)
		}
		return nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return fmt.Errorf("%q is not a network such as 10.20.0.0/16 or an address such as 10.20.3.4", s)
	}
	if m := p.Masked(); m != p {
		return fmt.Errorf("%q has host bits set: did you mean %s?", s, m)
	}
	return nil
}
