package dashboard

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/hj212"
	"github.com/ecowatch/ecowatch/internal/factors"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// deviceRow is a device with its state and place.
type deviceRow struct {
	model.Device
	Enterprise     string
	EnterpriseName string
	County         string
	OutletName     string
	State          string
	LastSeen       time.Time
}

// monIndex is the registry indexed for the monitoring pages.
type monIndex struct {
	reg         *model.Registry
	enterprises map[string]*model.Enterprise
	outlets     map[string]*model.Outlet
	devices     []deviceRow
}

func (h *Handler) monIndex(r *http.Request, p *page) (*monIndex, error) {
	reg, err := h.st.Registry(r.Context())
	if err != nil {
		return nil, err
	}
	contacts, err := h.st.Contacts(r.Context())
	if err != nil {
		return nil, err
	}
	seen := make(map[string]time.Time, len(contacts))
	for _, c := range contacts {
		seen[c.MN] = c.At
	}
	x := &monIndex{reg: reg, enterprises: map[string]*model.Enterprise{}, outlets: map[string]*model.Outlet{}}
	for i := range reg.Enterprises {
		x.enterprises[reg.Enterprises[i].USCC] = &reg.Enterprises[i]
	}
	for i := range reg.Outlets {
		x.outlets[reg.Outlets[i].ID] = &reg.Outlets[i]
	}
	now := h.cfg.Now()
	for _, d := range reg.Devices {
		row := deviceRow{Device: d, LastSeen: seen[d.MN]}
		row.Password = "" // never reaches a template
		if o := x.outlets[d.Outlet]; o != nil {
			row.OutletName = o.Name
			if e := x.enterprises[o.Enterprise]; e != nil {
				row.Enterprise, row.EnterpriseName, row.County = e.USCC, e.Name, e.County
			}
		}
		// Row scope (internal/auth): a county sees its county's devices, an
		// enterprise its own.
		if !p.Scope.Sees(row.County, row.Enterprise) {
			continue
		}
		row.State = model.DeviceStateAt(row.LastSeen, now, h.cfg.OfflineAfter)
		x.devices = append(x.devices, row)
	}
	return x, nil
}

type enterpriseRow struct {
	model.Enterprise
	CountyName             string
	Devices                int
	Online, Offline, Never int
}

type monitoringData struct {
	Counties               []model.County
	County                 string
	Enterprises            []enterpriseRow
	Online, Offline, Never int
	Quarantined            int
	QuarantineMore         bool
}

func (h *Handler) monitoring(w http.ResponseWriter, r *http.Request, p *page) error {
	x, err := h.monIndex(r, p)
	if err != nil {
		return err
	}
	names := countyNames(x.reg, p.Lang)
	d := &monitoringData{Counties: x.reg.Counties, County: r.URL.Query().Get("county")}
	rows := map[string]*enterpriseRow{}
	for _, e := range x.reg.Enterprises {
		if !p.Scope.Sees(e.County, e.USCC) || d.County != "" && e.County != d.County {
			continue
		}
		rows[e.USCC] = &enterpriseRow{Enterprise: e, CountyName: names[e.County]}
	}
	for _, dv := range x.devices {
		er := rows[dv.Enterprise]
		if er == nil {
			continue
		}
		er.Devices++
		switch dv.State {
		case model.DeviceOnline:
			er.Online++
			d.Online++
		case model.DeviceOffline:
			er.Offline++
			d.Offline++
		default:
			er.Never++
			d.Never++
		}
	}
	for _, e := range x.reg.Enterprises {
		if er := rows[e.USCC]; er != nil {
			d.Enterprises = append(d.Enterprises, *er)
		}
	}
	// Offline devices first: they need a phone call.
	slices.SortStableFunc(d.Enterprises, func(a, b enterpriseRow) int { return b.Offline - a.Offline })
	if p.Can(accessQuarantine) {
		q, err := h.st.RawFrames(r.Context(), store.RawQuery{Status: model.RawQuarantined, Limit: 1000})
		if err != nil {
			return err
		}
		d.Quarantined, d.QuarantineMore = len(q), len(q) == 1000
	}
	p.Nav, p.Title, p.Data = "monitoring", p.T("mon.title"), d
	return h.render(w, http.StatusOK, "monitoring", p)
}

// liveValue is one latest value against its limit.
type liveValue struct {
	Device string
	Outlet string // the outlet's name: devices are known by where they measure
	Factor string
	// Name is the factor's name with its code ("二氧化硫 (a21026)"),
	// FieldName the data field's ("折算实时值").
	Name, FieldName string
	Field           string
	Value           string
	Limit           string // the bound alone ("≤ 150"); the unit is beside the value
	Unit            string
	Exceeds         bool
	Time            time.Time
}

type enterpriseData struct {
	Enterprise model.Enterprise
	CountyName string
	Devices    []deviceRow
	Live       []liveValue
	Exceeding  int
}

func (h *Handler) enterprisePage(w http.ResponseWriter, r *http.Request, p *page) error {
	x, err := h.monIndex(r, p)
	if err != nil {
		return err
	}
	e := x.enterprises[r.PathValue("uscc")]
	if e == nil || !p.Scope.Sees(e.County, e.USCC) {
		return errStatus(http.StatusNotFound)
	}
	d := &enterpriseData{Enterprise: *e, CountyName: countyNames(x.reg, p.Lang)[e.County]}
	for _, dv := range x.devices {
		if dv.Enterprise == e.USCC {
			d.Devices = append(d.Devices, dv)
		}
	}
	for _, dv := range d.Devices {
		live, err := h.live(r, x, dv, p.Lang)
		if err != nil {
			return err
		}
		d.Live = append(d.Live, live...)
	}
	for _, v := range d.Live {
		if v.Exceeds {
			d.Exceeding++
		}
	}
	p.Nav, p.Title, p.Data = "monitoring", e.Name, d
	return h.render(w, http.StatusOK, "enterprise", p)
}

// live returns a device's latest upload of measured values (real-time,
// minute or hourly data: CN 2011, 2051, 2061, HJ 212-2017 §6.6) in the
// last two days, each value against its outlet's limit.
func (h *Handler) live(r *http.Request, x *monIndex, dv deviceRow, lang string) ([]liveValue, error) {
	now := h.cfg.Now()
	ups, err := h.st.Uploads(r.Context(), store.UploadQuery{MNs: []string{dv.MN}, From: now.Add(-48 * time.Hour), To: now.Add(time.Hour)})
	if err != nil {
		return nil, err
	}
	var last *model.Upload
	for i := range ups {
		u := &ups[i]
		if u.CN != "2011" && u.CN != "2051" && u.CN != "2061" {
			continue
		}
		if last == nil || u.DataTime.After(last.DataTime) {
			last = u
		}
	}
	if last == nil {
		return nil, nil
	}
	var limits []model.Limit
	if o := x.outlets[dv.Outlet]; o != nil {
		limits = o.Limits
	}
	var out []liveValue
	for _, v := range last.Values {
		if v.Field != "Rtd" && v.Field != "Avg" && v.Field != "ZsRtd" && v.Field != "ZsAvg" {
			continue
		}
		lv := liveValue{Device: dv.MN, Outlet: dv.OutletName, Factor: v.Factor, Field: v.Field, Value: v.Value, Time: last.DataTime,
			Name: factors.Label(v.Factor, lang), FieldName: factors.Field(v.Field, lang), Unit: unitIn(lang, factors.Unit(v.Factor))}
		kind := model.LimitMeasured
		if strings.HasPrefix(v.Field, "Zs") {
			kind = model.LimitConverted
		}
		for _, l := range limits {
			if l.Pollutant != v.Factor || l.Kind != kind {
				continue
			}
			if l.Unit != "" {
				lv.Unit = unitIn(lang, factors.DisplayUnit(l.Unit))
			}
			f, err := strconv.ParseFloat(v.Value, 64)
			switch {
			case l.Max != nil && l.Min != nil:
				lv.Limit = strconv.FormatFloat(*l.Min, 'f', -1, 64) + "–" + strconv.FormatFloat(*l.Max, 'f', -1, 64)
				lv.Exceeds = err == nil && (f > *l.Max || f < *l.Min)
			case l.Max != nil:
				lv.Limit = "≤ " + strconv.FormatFloat(*l.Max, 'f', -1, 64)
				lv.Exceeds = err == nil && f > *l.Max
			case l.Min != nil:
				lv.Limit = "≥ " + strconv.FormatFloat(*l.Min, 'f', -1, 64)
				lv.Exceeds = err == nil && f < *l.Min
			}
			break
		}
		out = append(out, lv)
	}
	return out, nil
}

// frameRow is a raw frame as a page shows it: the device password
// redacted, as the API does by default.
type frameRow struct {
	model.RawFrame
	Text string
}

type deviceData struct {
	Device deviceRow
	Live   []liveValue
	Frames []frameRow
	// Trend is the last 30 days' daily means per factor, read from the
	// day roll-ups the store keeps (long ranges are served from
	// roll-ups, never from the minute rows).
	Trend trendTable
}

// trendTable is days × factors of daily means ("" where none).
type trendTable struct {
	Dates   []string              `json:"dates"`
	Factors []string              `json:"factors"`
	Avg     map[string][]*float64 `json:"avg"`
	// Names and Units label each factor; Axes are the distinct units in
	// order, one value axis each (flow, O₂ % and mg/m³ never share one).
	Names map[string]string `json:"names"`
	Units map[string]string `json:"units"`
	Axes  []string          `json:"axes"`
	// Groups are the small charts the trend is drawn as: factors grouped
	// by unit, at most two units (two value axes) per chart.
	Groups []trendGroup `json:"groups"`
}

// trendGroup is one small chart of a device's trend.
type trendGroup struct {
	Title   string   `json:"title"`
	Units   []string `json:"units"` // one value axis each, at most two
	Factors []string `json:"factors"`
}

// unitFamilies are the units drawn together, in the order of the charts:
// concentrations, flow and velocity, the shares (O₂, humidity),
// temperature with pressure; water's concentrations and flows. A unit of
// none of them gets a chart with the next such unit.
var unitFamilies = []struct {
	key   string
	units []string
}{
	{"mon.grp.conc", []string{"mg/m³", "μg/m³"}},
	{"mon.grp.flow", []string{"m³/h", "m³/s", "m/s", "L/s"}},
	{"mon.grp.share", []string{"%"}},
	{"mon.grp.tp", []string{"℃", "kPa"}},
	{"mon.grp.conc", []string{"mg/L", "μg/L"}},
}

// trendGroups splits the factors into charts by unit family, each chart
// with at most two units.
func trendGroups(t *trendTable, lang string) []trendGroup {
	byUnit := map[string][]string{}
	for _, f := range t.Factors {
		byUnit[t.Units[f]] = append(byUnit[t.Units[f]], f)
	}
	var out []trendGroup
	done := map[string]bool{}
	add := func(title string, units []string) {
		for len(units) > 0 {
			n := min(2, len(units))
			g := trendGroup{Title: title, Units: units[:n]}
			for _, u := range units[:n] {
				g.Factors = append(g.Factors, byUnit[u]...)
				done[u] = true
			}
			if g.Title == "" {
				var names []string
				for _, f := range g.Factors {
					names = append(names, t.Names[f])
				}
				g.Title = strings.Join(names, tr(lang, "list.sep"))
			}
			out = append(out, g)
			units = units[n:]
		}
	}
	for _, fam := range unitFamilies {
		var present []string
		for _, u := range fam.units {
			if len(byUnit[u]) > 0 && !done[u] {
				present = append(present, u)
			}
		}
		add(tr(lang, fam.key), present)
	}
	var rest []string
	for _, u := range t.Axes {
		if !done[u] {
			rest = append(rest, u)
		}
	}
	add("", rest)
	return out
}

// trend reads a device's day roll-ups of the 30 days up to today (CST).
func (h *Handler) trend(r *http.Request, mn, lang string) (trendTable, error) {
	today := h.cfg.Now()
	end := time.Date(today.In(cst).Year(), today.In(cst).Month(), today.In(cst).Day()+1, 0, 0, 0, 0, cst)
	start := end.AddDate(0, 0, -30)
	rs, err := h.st.Rollups(r.Context(), store.RollupQuery{MNs: []string{mn}, Step: model.RollupDay, From: start, To: end})
	if err != nil {
		return trendTable{}, err
	}
	t := trendTable{Avg: map[string][]*float64{}, Names: map[string]string{}, Units: map[string]string{}}
	if len(rs) == 0 {
		return t, nil
	}
	for d := start; d.Before(end); d = d.AddDate(0, 0, 1) {
		t.Dates = append(t.Dates, d.Format("01-02"))
	}
	for _, x := range rs {
		i := int(x.Start.Sub(start) / (24 * time.Hour))
		if i < 0 || i >= len(t.Dates) || x.Avg == nil {
			continue
		}
		col, ok := t.Avg[x.Factor]
		if !ok {
			col = make([]*float64, len(t.Dates))
			t.Avg[x.Factor] = col
			t.Factors = append(t.Factors, x.Factor)
		}
		v := math.Round(*x.Avg*1000) / 1000
		col[i] = &v
	}
	slices.Sort(t.Factors)
	for _, f := range t.Factors {
		// Roll-ups keep converted values (ZsAvg) under "<code>-Zs".
		code, zs := strings.CutSuffix(f, "-Zs")
		t.Names[f], t.Units[f] = factors.Name(code, lang), unitIn(lang, factors.Unit(code))
		if zs {
			t.Names[f] += tr(lang, "mon.converted")
		}
		if !slices.Contains(t.Axes, t.Units[f]) {
			t.Axes = append(t.Axes, t.Units[f])
		}
	}
	t.Groups = trendGroups(&t, lang)
	return t, nil
}

func (h *Handler) devicePage(w http.ResponseWriter, r *http.Request, p *page) error {
	x, err := h.monIndex(r, p)
	if err != nil {
		return err
	}
	mn := r.PathValue("mn")
	i := slices.IndexFunc(x.devices, func(d deviceRow) bool { return d.MN == mn })
	if i < 0 {
		return errStatus(http.StatusNotFound)
	}
	d := &deviceData{Device: x.devices[i]}
	if d.Live, err = h.live(r, x, d.Device, p.Lang); err != nil {
		return err
	}
	frames, err := h.st.RawFrames(r.Context(), store.RawQuery{MN: mn, Limit: 50})
	if err != nil {
		return err
	}
	d.Frames = frameRows(frames)
	if d.Trend, err = h.trend(r, mn, p.Lang); err != nil {
		return err
	}
	p.Nav, p.Title, p.Data = "monitoring", mn, d
	if d.Device.OutletName != "" {
		p.Title = d.Device.EnterpriseName + " " + d.Device.OutletName
	}
	if len(d.Trend.Factors) > 0 {
		p.Charts = map[string]any{"trend": d.Trend}
	}
	return h.render(w, http.StatusOK, "device", p)
}

func frameRows(frames []model.RawFrame) []frameRow {
	out := make([]frameRow, 0, len(frames))
	for _, f := range frames {
		raw, _ := hj212.RedactPasswords(f.Raw)
		f.Raw = nil
		out = append(out, frameRow{RawFrame: f, Text: strings.ToValidUTF8(strings.TrimRight(string(raw), "\r\n"), "�")})
	}
	return out
}

func (h *Handler) quarantinePage(w http.ResponseWriter, r *http.Request, p *page) error {
	if !p.Scope.All {
		// The route's scope (accessQuarantine) already holds the city
		// only; this guards against that table changing.
		return errStatus(http.StatusForbidden)
	}
	frames, err := h.st.RawFrames(r.Context(), store.RawQuery{Status: model.RawQuarantined, Limit: 200})
	if err != nil {
		return err
	}
	p.Nav, p.Title, p.Data = "monitoring", p.T("mon.quarantine"), frameRows(frames)
	return h.render(w, http.StatusOK, "quarantine", p)
}
