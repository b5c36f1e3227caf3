package accountability

import (
	"fmt"
	"sort"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/chinatime"
)

// dutyNames are the duties' names, Chinese and English.
var dutyNames = map[DutyKind][2]string{
	DutyToxicReport:   {"有毒有害物质排放年度报告", "toxic-substance annual report"},
	DutyScreening:     {"土壤污染隐患排查", "hidden-danger screening"},
	DutySurfaceSoil:   {"表层土壤自行监测", "surface-soil self-monitoring"},
	DutyDeepSoil:      {"深层土壤自行监测", "deep-soil self-monitoring"},
	DutyGroundwater:   {"地下水自行监测", "groundwater self-monitoring"},
	DutyDisclosure:    {"监测数据公开", "disclosure of monitoring data"},
	DutySupplementary: {"补充隐患排查", "supplementary screening"},
}

// Chinese is the duty's Chinese name (the code when unknown).
func (k DutyKind) Chinese() string {
	if n, ok := dutyNames[k]; ok {
		return n[0]
	}
	return string(k)
}

// English is the duty's English name (the code when unknown).
func (k DutyKind) English() string {
	if n, ok := dutyNames[k]; ok {
		return n[1]
	}
	return string(k)
}

// DutyKind is a yearly legal duty of a key supervised unit
// (土壤污染重点监管单位), rights-cases-accountability.md §4.1.
type DutyKind string

// Duties.
const (
	DutyToxicReport   DutyKind = "toxic_report"                // 有毒有害物质排放情况年度报告
	DutyScreening     DutyKind = "hazard_screening"            // 土壤污染隐患排查
	DutySurfaceSoil   DutyKind = "self_monitoring_surface"     // 表层土壤 yearly (HJ 1209-2021)
	DutyDeepSoil      DutyKind = "self_monitoring_deep"        // 深层土壤 every 3 years
	DutyGroundwater   DutyKind = "self_monitoring_groundwater" // 地下水 per class
	DutyDisclosure    DutyKind = "disclosure"                  // 监测数据公开
	DutySupplementary DutyKind = "supplementary_screening"     // within 1 year of a new/expanded project
)

// SoilUnit is a key supervised unit; it maps to soil_units.
type SoilUnit struct {
	ID         string    `json:"id"`
	Enterprise string    `json:"enterprise"`
	County     string    `json:"county"`
	Name       string    `json:"name"`
	Listed     time.Time `json:"listed"` // day first published on the list
	// GroundwaterClass is 1 or 2 (HJ 1209-2021 monitoring classes); 0: no
	// groundwater monitoring point.
	GroundwaterClass int `json:"groundwater_class"`
	// Sensitive: a sensitive receptor within 1 km, which doubles the
	// groundwater frequency.
	Sensitive bool `json:"sensitive"`
	// FirstMonitoringYear is the year of the first full self-monitoring
	// round, from which the 3-year deep-soil cycle is counted (default: the
	// year after listing).
	FirstMonitoringYear int `json:"first_monitoring_year,omitempty"`
	// Screenings are the days screenings were completed; the cycle runs
	// from the last one.
	Screenings []time.Time `json:"screenings,omitempty"`
	// ProjectsStarted are days new or expanded projects started operation.
	ProjectsStarted []time.Time `json:"projects_started,omitempty"`
}

// SoilRules are the configurable deadlines. The law gives the duties and
// their frequencies (§4.1); the calendar days within the year are the
// bureau's and are data here.
type SoilRules struct {
	ToxicReportMonth, ToxicReportDay int // for the previous year's report, e.g. 3, 31
	ScreeningYears                   int // 2 or 3: full screening cycle after the first
	DisclosureMonth, DisclosureDay   int // e.g. 12, 31 of the monitored year
}

// DefaultSoilRules: the toxic report on 31 March for the previous year,
// screening every 3 years, monitoring results public by 31 December.
// The dates are our defaults, not sourced; set them from the city's notice.
func DefaultSoilRules() SoilRules {
	return SoilRules{ToxicReportMonth: 3, ToxicReportDay: 31, ScreeningYears: 3, DisclosureMonth: 12, DisclosureDay: 31}
}

// Duty is one obligation with its due day; it maps to soil_duties keyed
// (Unit, Kind, Year, Seq). Due is the last day (inclusive): overdue from
// the next day 00:00 CST.
type Duty struct {
	Unit       string    `json:"unit"`
	Enterprise string    `json:"enterprise"`
	County     string    `json:"county"`
	Kind       DutyKind  `json:"kind"`
	Year       int       `json:"year"`
	Seq        int       `json:"seq"` // 1.. within the year (e.g. quarterly groundwater)
	Due        time.Time `json:"due"` // a day, 00:00 CST
	Done       time.Time `json:"done,omitzero"`
	Basis      string    `json:"basis"`
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, chinatime.Zone) }

// lastDayOf returns the last day of the month m of year y.
func lastDayOf(y int, m time.Month) time.Time { return day(y, m+1, 0) }

// Duties lists a unit's duties falling due in year, by due day then kind.
func Duties(u SoilUnit, year int, r SoilRules) ([]Duty, error) {
	if u.ID == "" || u.Listed.IsZero() {
		return nil, refuse("soil unit", u.ID, "id and listing day required")
	}
	if r.ScreeningYears < 1 || r.ToxicReportMonth < 1 || r.DisclosureMonth < 1 {
		return nil, refuse("soil rules", "", "incomplete rules")
	}
	ly, _, _ := u.Listed.In(chinatime.Zone).Date()
	if year < ly {
		return nil, nil
	}
	var out []Duty
	add := func(k DutyKind, seq int, due time.Time, basis string) {
		out = append(out, Duty{Unit: u.ID, Enterprise: u.Enterprise, County: u.County, Kind: k, Year: year, Seq: seq, Due: due, Basis: basis})
	}
	// 土壤污染防治法 第二十一条; 工矿用地土壤环境管理办法 第十条: yearly report.
	if year > ly {
		add(DutyToxicReport, 1, day(year, time.Month(r.ToxicReportMonth), r.ToxicReportDay),
			fmt.Sprintf("%d年度有毒有害物质排放情况报告", year-1))
	}
	// 隐患排查: within one year of listing, then every ScreeningYears from
	// the last completed one; one year after a project starts operation.
	lastScreen := time.Time{}
	for _, s := range u.Screenings {
		if s.After(lastScreen) {
			lastScreen = s
		}
	}
	var due time.Time
	if lastScreen.IsZero() {
		due = u.Listed.In(chinatime.Zone).AddDate(1, 0, 0)
	} else {
		due = lastScreen.In(chinatime.Zone).AddDate(r.ScreeningYears, 0, 0)
	}
	due = day(due.Date())
	if due.Year() <= year { // an outstanding screening stays on the list
		add(DutyScreening, 1, due, "隐患排查(首次一年内,其后定期)")
	}
	for i, p := range u.ProjectsStarted {
		d := p.In(chinatime.Zone).AddDate(1, 0, 0)
		if d.Year() == year {
			add(DutySupplementary, i+1, day(d.Date()), "新改扩建项目投产后一年内补充排查")
		}
	}
	// Self-monitoring (HJ 1209-2021): surface soil yearly, deep soil every
	// 3 years from the first round, groundwater per class.
	first := u.FirstMonitoringYear
	if first == 0 {
		first = ly + 1
	}
	if year >= first {
		add(DutySurfaceSoil, 1, day(year, 12, 31), "表层土壤每年一次")
		if (year-first)%3 == 0 {
			add(DutyDeepSoil, 1, day(year, 12, 31), "深层土壤每三年一次")
		}
		per := 0 // rounds per year
		switch u.GroundwaterClass {
		case 1:
			per = 2
		case 2:
			per = 1
		}
		if u.Sensitive && per > 0 {
			per *= 2
		}
		for i := 1; i <= per; i++ {
			add(DutyGroundwater, i, lastDayOf(year, time.Month(12/per*i)), fmt.Sprintf("地下水每年%d次", per))
		}
		add(DutyDisclosure, 1, day(year, time.Month(r.DisclosureMonth), r.DisclosureDay), "自行监测数据公开")
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Due.Equal(out[j].Due) {
			return out[i].Due.Before(out[j].Due)
		}
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Seq < out[j].Seq
	})
	return out, nil
}

// DutyStatus is a duty's state at a moment.
type DutyStatus string

// Statuses.
const (
	StatusPending DutyStatus = "pending"
	StatusDueSoon DutyStatus = "due-soon" // within the reminder lead
	StatusDone    DutyStatus = "done"
	StatusLate    DutyStatus = "done-late"
	StatusOverdue DutyStatus = "overdue"
)

// Status is the duty's status at now with a reminder lead of leadDays.
// The due day is included: a duty due 31 March is overdue from 1 April
// 00:00 CST.
func (d Duty) Status(now time.Time, leadDays int) DutyStatus {
	end := d.Due.AddDate(0, 0, 1)
	switch {
	case !d.Done.IsZero() && d.Done.Before(end):
		return StatusDone
	case !d.Done.IsZero():
		return StatusLate
	case !now.Before(end):
		return StatusOverdue
	case !now.Before(d.Due.AddDate(0, 0, -leadDays)):
		return StatusDueSoon
	}
	return StatusPending
}

// Reminder is a duty due soon or overdue at a moment.
type Reminder struct {
	Duty   Duty       `json:"duty"`
	Status DutyStatus `json:"status"`
	// DaysLeft counts whole days left including the due day (8 on 3 April
	// for a duty due 10 April); overdue, −n on the n-th day after it.
	DaysLeft int         `json:"days_left"`
	Case     *cases.Case `json:"case,omitempty"` // for overdue duties
}

// Reminders lists the duties due soon or overdue at now, overdue first;
// each overdue duty carries the case it opens (soil line, deterministic id).
func Reminders(duties []Duty, now time.Time, leadDays int) []Reminder {
	var out []Reminder
	for _, d := range duties {
		st := d.Status(now, leadDays)
		if st != StatusDueSoon && st != StatusOverdue {
			continue
		}
		end := d.Due.AddDate(0, 0, 1)
		left := int(end.Sub(now).Hours() / 24)
		if !now.Before(end) {
			left = -int(now.Sub(end).Hours()/24) - 1
		}
		r := Reminder{Duty: d, Status: st, DaysLeft: left}
		if st == StatusOverdue {
			r.Case = &cases.Case{
				ID:            fmt.Sprintf("soil-%s-%s-%d-%d", d.Unit, d.Kind, d.Year, d.Seq),
				Source:        cases.SourceInspection,
				Ref:           fmt.Sprintf("soil-duty:%s:%s:%d:%d", d.Unit, d.Kind, d.Year, d.Seq),
				Line:          "soil",
				ProblemType:   "soil-duty-overdue",
				County:        d.County,
				Enterprise:    d.Enterprise,
				Severity:      cases.SeverityGeneral,
				Title:         fmt.Sprintf("土壤污染重点监管单位逾期未履行义务:%s", d.Basis),
				TitleEN:       fmt.Sprintf("Key soil-pollution supervised unit overdue on a legal duty: %s", d.Kind.English()),
				Description:   fmt.Sprintf("单位 %s，%d年%s第%d次，期限 %s", d.Unit, d.Year, d.Kind.Chinese(), d.Seq, d.Due.In(chinatime.Zone).Format("2006-01-02")),
				DescriptionEN: fmt.Sprintf("unit %s, %s %d no. %d, due %s", d.Unit, d.Kind.English(), d.Year, d.Seq, d.Due.In(chinatime.Zone).Format("2006-01-02")),
				Policy:        cases.PolicyDefault,
			}
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Status == StatusOverdue) != (out[j].Status == StatusOverdue) {
			return out[i].Status == StatusOverdue
		}
		return out[i].Duty.Due.Before(out[j].Duty.Due)
	})
	return out
}
