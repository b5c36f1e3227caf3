package dashboard

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/ecowatch/ecowatch/internal/air"
	"github.com/ecowatch/ecowatch/internal/airreport"
)

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
}

// monthlyReport is the monthly environmental quality report (环境质量月报),
// its air part (HJ 663-2013 evaluation, as airreport builds it), as a
// printable page.
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
	if c := rep.City; c != nil {
		d.Summary = fmt.Sprintf(p.T("report.summary"), c.Days, c.GoodDays, c.GoodRatio, c.HeavyDays)
	}
	p.Nav, p.Title, p.Data = "reports", p.T("report.title")+" "+d.Month, d
	return h.render(w, http.StatusOK, "report", p)
}

// monthlyXLSX is the same report as an Excel workbook (airreport.WriteXLSX,
// the workbook the API serves).
func (h *Handler) monthlyXLSX(w http.ResponseWriter, r *http.Request, p *page) error {
	per, err := h.reportMonth(r)
	if err != nil {
		return err
	}
	rep, err := airreport.Build(r.Context(), h.st, airreport.Options{Period: per})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := airreport.WriteXLSX(&buf, rep); err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	hd.Set("Content-Disposition", `attachment; filename="environmental-quality-`+rep.Period+`.xlsx"`)
	hd.Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write(buf.Bytes())
	return err
}
