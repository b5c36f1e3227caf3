package dashboard

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/air/airreport"
	"github.com/ecowatch/ecowatch/internal/water/waterreport"
	"github.com/xuri/excelize/v2"
)

// appendSheets copies the sheets of workbook src into workbook dst (cell
// values; numbers stay numbers), each sheet name prefixed, and returns the
// result.
func appendSheets(dst, src []byte, prefix string) ([]byte, error) {
	df, err := excelize.OpenReader(bytes.NewReader(dst))
	if err != nil {
		return nil, fmt.Errorf("monthly workbook: %w", err)
	}
	defer df.Close()
	sf, err := excelize.OpenReader(bytes.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("monthly workbook: %w", err)
	}
	defer sf.Close()
	for _, name := range sf.GetSheetList() {
		rows, err := sf.GetRows(name)
		if err != nil {
			return nil, fmt.Errorf("monthly workbook: sheet %s: %w", name, err)
		}
		to := prefix + name
		if len([]rune(to)) > 31 { // Excel's limit on sheet names
			to = string([]rune(to)[:31])
		}
		if _, err := df.NewSheet(to); err != nil {
			return nil, fmt.Errorf("monthly workbook: sheet %s: %w", to, err)
		}
		for i, row := range rows {
			for j, v := range row {
				cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
				if f, err := strconv.ParseFloat(v, 64); err == nil && v != "" {
					err = df.SetCellValue(to, cell, f)
				} else {
					err = df.SetCellValue(to, cell, v)
				}
				if err != nil {
					return nil, fmt.Errorf("monthly workbook: %s!%s: %w", to, cell, err)
				}
			}
		}
	}
	var out bytes.Buffer
	if err := df.Write(&out); err != nil {
		return nil, fmt.Errorf("monthly workbook: %w", err)
	}
	return out.Bytes(), nil
}

// reportMonth reads ?month=YYYY-MM; the default is the last month that
// has ended.
func (h *Handler) reportMonth(r *http.Request) (air.Period, error) {
	if s := r.URL.Query().Get("month"); s != "" {
		t, err := time.ParseInLocation("2006-01", s, cst)
		if err != nil || t.Year() < 2000 || t.Year() > 2100 {
			return air.Period{}, errStatus(http.StatusBadRequest)
		}
		return air.Period{Kind: air.Month, Year: t.Year(), N: int(t.Month())}, nil
	}
	d := today(h.cfg.Now())
	first := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, cst).AddDate(0, -1, 0)
	return air.Period{Kind: air.Month, Year: first.Year(), N: int(first.Month())}, nil
}

type reportData struct {
	Month    string // YYYY-MM
	Prev     string
	Next     string
	Report   *airreport.Report
	Summary  string
	Counties []airreport.Entity
	Stations []airreport.Entity
	Water    *waterreport.Report // nil when the store keeps no water data
}

// monthlyWater is the water part of the monthly report: the sections of
// the month against their targets (waterreport); nil when the store has no
// water registry.
func (h *Handler) monthlyWater(r *http.Request, per air.Period) (*waterreport.Report, error) {
	ws := h.st
	wp, err := waterreport.ParsePeriod(fmt.Sprintf("%04d-%02d", per.Year, per.N))
	if err != nil {
		return nil, err
	}
	rep, err := waterreport.Build(r.Context(), ws, wp, waterreport.Options{})
	if err != nil {
		return nil, err
	}
	samples := 0
	for _, sec := range rep.Sections {
		samples += sec.Samples
	}
	for _, dp := range rep.Drinking {
		samples += dp.Samples
	}
	if samples == 0 {
		return nil, nil // no data in the month: the page says so
	}
	return rep, nil
}

// monthlyReport is the monthly environmental quality report (环境质量月报):
// its air part (HJ 663-2013 evaluation, as airreport builds it) and its
// water part (GB 3838 classes against targets, CWQI, as waterreport builds
// it), as a printable page.
func (h *Handler) monthlyReport(w http.ResponseWriter, r *http.Request, p *page) error {
	per, err := h.reportMonth(r)
	if err != nil {
		return err
	}
	rep, err := airreport.Build(r.Context(), h.st, airreport.Options{Period: per})
	if err != nil {
		return err
	}
	m := time.Date(per.Year, time.Month(per.N), 1, 0, 0, 0, 0, cst)
	d := &reportData{Month: m.Format("2006-01"), Prev: m.AddDate(0, -1, 0).Format("2006-01"), Next: m.AddDate(0, 1, 0).Format("2006-01"),
		Report: rep, Counties: rankedByIndex(rep.Counties), Stations: rankedByIndex(rep.Stations)}
	if d.Water, err = h.monthlyWater(r, per); err != nil {
		return err
	}
	if c := rep.City; c != nil {
		d.Summary = fmt.Sprintf(p.T("report.summary"), c.Days, c.GoodDays, c.GoodRatio, c.HeavyDays)
	}
	p.Nav, p.Title, p.Data = "reports", p.T("report.title")+" "+d.Month, d
	return h.render(w, http.StatusOK, "report", p)
}

// monthlyXLSX is the same report as an Excel workbook: the air workbook the
// API serves (airreport.WriteXLSX) with the water report's sheets
// (waterreport.WriteXLSX) appended.
func (h *Handler) monthlyXLSX(w http.ResponseWriter, r *http.Request, p *page) error {
	per, err := h.reportMonth(r)
	if err != nil {
		return err
	}
	rep, err := airreport.Build(r.Context(), h.st, airreport.Options{Period: per})
	if err != nil {
		return err
	}
	lang := airreport.Chinese
	if p.En() {
		lang = airreport.English
	}
	var buf bytes.Buffer
	if err := airreport.WriteXLSX(&buf, lang, rep); err != nil {
		return err
	}
	wrep, err := h.monthlyWater(r, per)
	if err != nil {
		return err
	}
	if wrep != nil {
		var wbuf bytes.Buffer
		wlang, prefix := waterreport.Chinese, "水质 "
		if p.En() {
			wlang, prefix = waterreport.English, "water "
		}
		if err := waterreport.WriteXLSX(&wbuf, wlang, wrep); err != nil {
			return err
		}
		merged, err := appendSheets(buf.Bytes(), wbuf.Bytes(), prefix)
		if err != nil {
			return err
		}
		buf.Reset()
		buf.Write(merged)
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	hd.Set("Content-Disposition", `attachment; filename="environmental-quality-`+rep.Period+`.xlsx"`)
	hd.Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write(buf.Bytes())
	return err
}
