package dashboard

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"sync"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/water/waterreport"
)

// The public portal (公众服务): the petition form, tracking and the public
// air and water information, under a short layout of its own with no
// staff menu, made for a phone first.

//go:embed templates/portal/*.html templates/partial-filepick.html
var portalFS embed.FS

// portalNames are the pages under the portal's layout.
var portalNames = []string{"petition", "track", "public", "patrol"}

var (
	portalOnce  sync.Once
	portalPages map[string]*template.Template
	portalErr   error
)

func parsePortal() {
	portalPages = map[string]*template.Template{}
	for _, n := range portalNames {
		t, err := template.New("layout.html").Funcs(funcs).Funcs(markingFuncs).ParseFS(portalFS, "templates/portal/layout.html", "templates/partial-filepick.html", "templates/portal/"+n+".html")
		if err != nil {
			portalErr = fmt.Errorf("dashboard: portal template %s: %w", n, err)
			return
		}
		portalPages[n] = t
	}
}

// renderPortal renders a portal page as render does a staff page.
func (h *Handler) renderPortal(w http.ResponseWriter, status int, name string, p *page) error {
	portalOnce.Do(parsePortal)
	if portalErr != nil {
		return portalErr
	}
	var buf bytes.Buffer
	if err := portalPages[name].Execute(&buf, p); err != nil {
		return fmt.Errorf("dashboard: render portal %s: %w", name, err)
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Language", map[string]string{langZH: "zh-CN", langEN: "en"}[p.Lang])
	hd.Set("Vary", "Cookie")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'self'")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// PublicStatus is what the public reads of a petition's case: plain
// words, never the bureau's internal states (销号, 核查中…).
func PublicStatus(s cases.State) string {
	switch s {
	case cases.StateRegistered:
		return "submitted" // 已提交，待受理
	case cases.StateAccepted:
		return "received" // 已受理
	case cases.StateRejected:
		return "rejected" // 不予受理
	case cases.StateClosed:
		return "done" // 已办结
	case cases.StateNone:
		return ""
	}
	return "working" // 办理中
}

// publicStep is one line of the petitioner's timeline: done with its
// time, or still ahead with its deadline.
type publicStep struct {
	Key  string // pub.step.*
	At   time.Time
	Due  time.Time
	Done bool
	Late bool
}

type trackData struct {
	Code      string
	Key       string // the rating key from the petitioner's link, passed to the callback
	Found     bool
	Petition  store.StoredPetition
	State     cases.State
	Status    string
	Steps     []publicStep
	CanRate   bool
	Rated     cases.Satisfaction
	Satisfied []cases.Satisfaction
}

// publicSteps is the petitioner's timeline: submitted, accepted (within
// the acceptance deadline), handled, done (by the closing deadline).
func publicSteps(sp store.StoredPetition, c cases.Case, evs []cases.Event, now time.Time) []publicStep {
	dl := cases.Deadlines(c, cases.DefaultRules().Policy(c))
	steps := []publicStep{{Key: "submitted", At: sp.ReceivedAt, Done: true}}
	acc := publicStep{Key: "accepted", Due: dl.AcceptBy}
	work := publicStep{Key: "working"}
	done := publicStep{Key: "done", Due: dl.CloseBy}
	for _, e := range evs {
		switch e.Action {
		case cases.ActAccept:
			acc.At, acc.Done = e.At, true
		case cases.ActReject:
			acc = publicStep{Key: "rejected", At: e.At, Done: true}
		case cases.ActAssign, cases.ActStart:
			if !work.Done {
				work.At, work.Done = e.At, true
			}
		case cases.ActClose:
			done.At, done.Done = e.At, true
		case cases.ActReopen:
			done.At, done.Done = time.Time{}, false
		}
	}
	if c.State == cases.StateRejected {
		return append(steps, acc)
	}
	acc.Late = !acc.Done && !acc.Due.IsZero() && now.After(acc.Due)
	done.Late = !done.Done && !done.Due.IsZero() && now.After(done.Due)
	return append(steps, acc, work, done)
}

// petitionTrack: a petition's progress by its tracking code, in the
// public's words, with the timeline and deadlines, and the satisfaction
// rating once it is done; no staff names, no contact.
func (h *Handler) petitionTrack(w http.ResponseWriter, r *http.Request, p *page) error {
	cs := h.st
	d := &trackData{Code: r.URL.Query().Get("code"), Key: r.URL.Query().Get("key"),
		Satisfied: []cases.Satisfaction{cases.Satisfied, cases.BasicallySatisfied, cases.Dissatisfied}}
	if d.Code != "" {
		if code, ok := cases.NormaliseTrackingCode(d.Code); ok {
			sp, err := cs.Petition(r.Context(), cases.FormatTrackingCode(code))
			if err == nil {
				d.Found, d.Petition, d.Code = true, sp, cases.FormatTrackingCode(code)
				d.Petition.Contact = ""
				if c, err := cs.Case(r.Context(), sp.Case); err == nil {
					d.State, d.Status, d.Rated = c.State, PublicStatus(c.State), c.Satisfaction
					evs, err := cs.CaseEvents(r.Context(), c.ID)
					if err != nil {
						return err
					}
					d.Steps = publicSteps(sp, c, evs, h.cfg.Now())
					d.CanRate = c.State == cases.StateClosed && c.Satisfaction == ""
				}
			}
		}
	}
	p.Nav, p.Title, p.Data = "track", p.T("pet.track"), d
	status := http.StatusOK
	if d.Code != "" && !d.Found {
		status = http.StatusNotFound
	}
	return h.renderPortal(w, status, "track", p)
}

type petitionFormData struct {
	Categories []cases.Category
	Counties   []model.County
	MaxPhotos  int
}

// petitionForm is the public petition form (信访/举报). static/petition.js
// uploads the photos (POST /api/v1/public/evidence) and the petition
// (POST /api/v1/public/petitions) and shows the tracking code.
func (h *Handler) petitionForm(w http.ResponseWriter, r *http.Request, p *page) error {
	reg, err := h.st.Registry(r.Context())
	if err != nil {
		return err
	}
	p.Nav, p.Title, p.Data = "petition", p.T("pet.title"), &petitionFormData{Categories: cases.Categories(), Counties: reg.Counties, MaxPhotos: cases.MaxPhotos}
	return h.renderPortal(w, http.StatusOK, "petition", p)
}

type publicData struct {
	Stations []stationNow
	Levels   []levelInfo
	Water    *waterreport.Report
	Classes  []classInfo
}

// publicInfo is the portal's home: each air station's latest AQI and the
// surface-water sections of the last month against their targets.
func (h *Handler) publicInfo(w http.ResponseWriter, r *http.Request, p *page) error {
	reg, err := h.st.Registry(r.Context())
	if err != nil {
		return err
	}
	d := &publicData{Levels: levels(p.Lang)}
	if d.Stations, err = h.latestHours(r.Context(), reg, p.Lang); err != nil {
		return err
	}
	ws := h.st
	per := chinatime.PeriodOf(chinatime.Month, h.cfg.Now()).Previous() // the last month that has ended
	rep, err := waterreport.Build(r.Context(), ws, per, waterreport.Options{})
	if err != nil {
		return err
	}
	d.Water = rep
	for c := 1; c <= 6; c++ {
		d.Classes = append(d.Classes, classInfo{Label: classLabel(c), Colour: classColour(c), Count: rep.Summary.ByClass[c-1]})
	}
	p.Nav, p.Title, p.Data = "public", p.T("pub.title"), d
	return h.renderPortal(w, http.StatusOK, "public", p)
}
