package api

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/rights/rightsreport"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/workbook"
)

// The emission-rights reports as JSON or an Excel workbook,
// built by internal/rights/rightsreport from the stored ledger. Rows follow the
// scope of rights.go: an enterprise sees its own account only, a county its
// own reservoir and the projects in its county.

var rightsReportRoutes = []route{
	{"GET /api/v1/rights/reports/reservoir", ScopeRightsRead, (*server).rightsReportReservoir},
	{"GET /api/v1/rights/reports/projects", ScopeRightsRead, (*server).rightsReportProjects},
	{"GET /api/v1/rights/reports/trades", ScopeRightsRead, (*server).rightsReportTrades},
	{"GET /api/v1/rights/reports/statement", ScopeRightsRead, (*server).rightsReportStatement},
}

// reportFormat reads format=json|xlsx (json by default).
func reportFormat(q url.Values) (string, error) {
	switch f := q.Get("format"); f {
	case "", "json":
		return "json", nil
	case "xlsx":
		return f, nil
	default:
		return "", paramError("format", "%q: want json or xlsx", f)
	}
}

// writeReport answers with the report as JSON or as a workbook named name.
// The workbook's headers speak the language of ?lang= (zh, the default, or en).
func writeReport(w http.ResponseWriter, r *http.Request, format, name string, rep rightsreport.Report) error {
	lang, err := workbook.ParseLang(r.URL.Query().Get("lang"))
	if err != nil {
		return paramError("lang", "%q: want zh or en", r.URL.Query().Get("lang"))
	}
	if format != "xlsx" {
		writeJSON(w, http.StatusOK, rep)
		return nil
	}
	var buf bytes.Buffer
	if err := rightsreport.WriteXLSX(&buf, lang, rep); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	h.Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// ledgerEntries reads the stored ledger (of one account, or all of it).
func (s *server) ledgerEntries(r *http.Request, account rights.Account) ([]rights.Entry, error) {
	svc, err := s.rights()
	if err != nil {
		return nil, err
	}
	var es []rights.Entry
	err = svc.Store().RightsEntries(r.Context(), store.RightsQuery{Account: account}, func(e *rights.Entry) error {
		es = append(es, *e)
		return nil
	})
	return es, err
}

// reportName is the workbook's file name: rights-<kind>[-<year>].
func reportName(kind string, year int64) string {
	if year > 0 {
		return "rights-" + kind + "-" + strconv.FormatInt(year, 10)
	}
	return "rights-" + kind
}

// rightsReportReservoir: receipts and spending per reservoir, pollutant and
// year.
func (s *server) rightsReportReservoir(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "year", "county", "pollutant", "format", "lang")
	if err != nil {
		return err
	}
	year, err := intParam(q, "year", 0, 0, 9999)
	if err != nil {
		return err
	}
	format, err := reportFormat(q)
	if err != nil {
		return err
	}
	es, err := s.ledgerEntries(r, "")
	if err != nil {
		return err
	}
	rep := rightsreport.Reservoir(es, rightsreport.ReservoirFilter{Year: int(year), County: q.Get("county"), Pollutant: q.Get("pollutant")})
	sc := s.rightsScope(r)
	rep.Rows = slices.DeleteFunc(rep.Rows, func(x rightsreport.ReservoirRow) bool { return !visible(sc, x.Account) })
	return writeReport(w, r, format, reportName("reservoir", year), rep)
}

// rightsReportProjects: construction projects served, with their totals.
func (s *server) rightsReportProjects(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "year", "county", "pollutant", "format", "lang")
	if err != nil {
		return err
	}
	year, err := intParam(q, "year", 0, 0, 9999)
	if err != nil {
		return err
	}
	format, err := reportFormat(q)
	if err != nil {
		return err
	}
	es, err := s.ledgerEntries(r, "")
	if err != nil {
		return err
	}
	rep, err := rightsreport.Projects(es, rightsreport.ProjectFilter{Year: int(year), County: q.Get("county"), Pollutant: q.Get("pollutant")})
	if err != nil {
		return err
	}
	if sc := s.rightsScope(r); !sc.All {
		// As for one allocation (rights.go): the project's own enterprise,
		// or the county it is in.
		rep.Projects = slices.DeleteFunc(rep.Projects, func(x rightsreport.ProjectRow) bool {
			return !visible(sc, x.Project) && !(sc.County != "" && x.County == sc.County)
		})
		rep.Summary = rightsreport.Summarize(rep.Projects)
	}
	return writeReport(w, r, format, reportName("projects", year), rep)
}

// rightsPeriodParams reads year, from and to (YYYY-MM-DD, China time, both days
// included).
func rightsPeriodParams(q url.Values) (rightsreport.Range, int64, error) {
	year, err := intParam(q, "year", 0, 0, 9999)
	if err != nil {
		return rightsreport.Range{}, 0, err
	}
	if year > 0 && (q.Get("from") != "" || q.Get("to") != "") {
		return rightsreport.Range{}, 0, paramError("year", "give year or from/to, not both")
	}
	for _, k := range []string{"from", "to"} {
		if v := q.Get(k); v != "" {
			if _, err := chinatime.ParseDay(v); err != nil {
				return rightsreport.Range{}, 0, paramError(k, "%q: want YYYY-MM-DD", v)
			}
		}
	}
	p, err := rightsreport.DayRange(int(year), q.Get("from"), q.Get("to"))
	if err != nil {
		return p, 0, paramError("to", "%v", err)
	}
	return p, year, nil
}

// rightsReportTrades: trade volumes and prices per pollutant and month.
// Outside the city, only the caller's own trades count.
func (s *server) rightsReportTrades(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "year", "from", "to", "pollutant", "format", "lang")
	if err != nil {
		return err
	}
	p, year, err := rightsPeriodParams(q)
	if err != nil {
		return err
	}
	format, err := reportFormat(q)
	if err != nil {
		return err
	}
	es, err := s.ledgerEntries(r, "")
	if err != nil {
		return err
	}
	f := rightsreport.TradeFilter{Pollutant: q.Get("pollutant"), Period: p}
	if sc := s.rightsScope(r); !sc.All {
		f.Party = func(a rights.Account) bool { return visible(sc, a) }
	}
	rep, err := rightsreport.Trades(es, f)
	if err != nil {
		return err
	}
	return writeReport(w, r, format, reportName("trades", year), rep)
}

// rightsReportStatement: one account's statement for a period.
func (s *server) rightsReportStatement(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "account", "year", "from", "to", "format", "lang")
	if err != nil {
		return err
	}
	a := rights.Account(q.Get("account"))
	if a == "" {
		return missingError("account", "required: ent:<USCC>, county:<code>, city or reserve")
	}
	p, year, err := rightsPeriodParams(q)
	if err != nil {
		return err
	}
	format, err := reportFormat(q)
	if err != nil {
		return err
	}
	if !visible(s.rightsScope(r), a) {
		return notFound("account", "no account %q in the ledger", a)
	}
	es, err := s.ledgerEntries(r, a)
	if err != nil {
		return err
	}
	if len(es) == 0 {
		return notFound("account", "no account %q in the ledger", a)
	}
	rep := rightsreport.Statement(es, a, p)
	return writeReport(w, r, format, reportName("statement", year), rep)
}
