package alertsvc

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ecowatch/ecowatch/internal/alerts"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/marking/marksvc"
	"github.com/ecowatch/ecowatch/internal/store"
)

// MeterFile is the electricity sub-meter configuration (分表计电): which
// devices are production or treatment meters of which enterprise, and the
// restricted windows of each enterprise class. It is a YAML (or JSON)
// file, because the registry has no notion of meters yet:
//
//	groups:
//	  - enterprise: 91371500MA3C000001   # USCC; its county comes from the registry
//	    class: steel-B
//	    production_on_kw: 50
//	    production: [{mn: "8888800000M001"}]
//	    treatment:  [{mn: "8888800000M002", off_kw: 5, min_kw: 40}]
//	schedules:
//	  - {class: steel-B, kind: production, from: 2026-11-15, to: 2027-03-15,
//	     windows: [{start: 0, end: 1440}]}
//
// A meter's reading is the active power field Pt of its factor (default
// "100000", the electrical fields of ST=80 devices: 100000-Pt) in its
// real-time (2011, Rtd-less: the Pt field itself) or minute uploads.
type MeterFile struct {
	Groups    []MeterGroupSpec `yaml:"groups" json:"groups"`
	Schedules []ScheduleSpec   `yaml:"schedules" json:"schedules"`
}

// MeterGroupSpec is one enterprise's meters.
type MeterGroupSpec struct {
	Enterprise     string      `yaml:"enterprise" json:"enterprise"`
	Class          string      `yaml:"class" json:"class"`
	ProductionOnKW float64     `yaml:"production_on_kw" json:"production_on_kw"`
	Production     []MeterSpec `yaml:"production" json:"production"`
	Treatment      []MeterSpec `yaml:"treatment" json:"treatment"`
}

// MeterSpec is one meter: a device MN and the factor code of its
// electrical fields. OffKW and MinKW apply to treatment meters.
type MeterSpec struct {
	MN     string  `yaml:"mn" json:"mn"`
	Factor string  `yaml:"factor" json:"factor"`
	OffKW  float64 `yaml:"off_kw" json:"off_kw"`
	MinKW  float64 `yaml:"min_kw" json:"min_kw"`
}

// ScheduleSpec is a restricted-production schedule; From and To are
// YYYY-MM-DD days in China Standard Time, both included.
type ScheduleSpec struct {
	Class   string             `yaml:"class" json:"class"`
	Kind    string             `yaml:"kind" json:"kind"`
	From    string             `yaml:"from" json:"from"`
	To      string             `yaml:"to" json:"to"`
	Windows []alerts.DayWindow `yaml:"windows" json:"windows"`
}

// meterFactor is the factor of the electrical fields when none is given.
const meterFactor = "100000"

var cst = chinatime.Zone

// LoadMeterFile reads a meter configuration; an empty path is no meters.
func LoadMeterFile(path string) (*MeterFile, error) {
	mf := &MeterFile{}
	if path == "" {
		return mf, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("meter configuration: %w", err)
	}
	if err := yaml.Unmarshal(b, mf); err != nil {
		return nil, fmt.Errorf("meter configuration %s: %w", path, err)
	}
	for i := range mf.Groups {
		g := &mf.Groups[i]
		if g.Enterprise == "" {
			return nil, fmt.Errorf("meter configuration %s: group %d has no enterprise", path, i+1)
		}
		for _, ms := range [][]MeterSpec{g.Production, g.Treatment} {
			for j := range ms {
				if ms[j].MN == "" {
					return nil, fmt.Errorf("meter configuration %s: group %d: a meter has no mn", path, i+1)
				}
				if ms[j].Factor == "" {
					ms[j].Factor = meterFactor
				}
			}
		}
	}
	for i, s := range mf.Schedules {
		for _, d := range []string{s.From, s.To} {
			if _, err := time.ParseInLocation(time.DateOnly, d, cst); err != nil {
				return nil, fmt.Errorf("meter configuration %s: schedule %d: %w", path, i+1, err)
			}
		}
	}
	return mf, nil
}

func (s ScheduleSpec) schedule() alerts.Schedule {
	from, _ := time.ParseInLocation(time.DateOnly, s.From, cst)
	to, _ := time.ParseInLocation(time.DateOnly, s.To, cst)
	return alerts.Schedule{Class: s.Class, Kind: s.Kind, From: from, To: to, Windows: s.Windows}
}

// ProductionRunning reads when an enterprise's production meters (of the
// meter file at path) read at least the group's ProductionOnKW: the
// marking rules check "stopped" and "maintenance" marks against it.
func ProductionRunning(st store.Store, path string) marksvc.Running {
	return func(ctx context.Context, enterprise string, from, to time.Time) ([]time.Time, error) {
		mf, err := LoadMeterFile(path)
		if err != nil {
			return nil, err
		}
		var out []time.Time
		for _, g := range mf.Groups {
			if g.Enterprise != enterprise {
				continue
			}
			for _, m := range g.Production {
				factor := m.Factor
				if factor == "" {
					factor = meterFactor
				}
				for _, cn := range []string{cnRealtime, cnMinute} {
					us, err := st.Uploads(ctx, store.UploadQuery{MNs: []string{m.MN}, CN: cn, From: from, To: to})
					if err != nil {
						return nil, err
					}
					for _, u := range us {
						for _, v := range u.Values {
							if x, err := strconv.ParseFloat(v.Value, 64); err == nil && v.Factor == factor && v.Field == "Pt" && x >= g.ProductionOnKW {
								out = append(out, u.DataTime)
							}
						}
					}
				}
			}
		}
		return out, nil
	}
}
