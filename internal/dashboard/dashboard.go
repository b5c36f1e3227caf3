// Package dashboard is ecowatch's web interface: server-rendered pages
// (html/template) for bureau staff, leaders and the public, over the same
// domain data as the JSON API in internal/api.
//
// The pages read the store directly through the same packages the API
// uses (airreport for air, the registry, uploads and raw frames for online
// monitoring) rather than fetching the JSON API from the browser: a page
// arrives complete, works without JavaScript except for its charts, and
// costs one round trip. Chart data is embedded in the page as JSON
// (<script type="application/json">) and drawn by static/app.js with the
// bundled Apache ECharts; nothing is loaded from the internet.
//
// Chinese is the default language, English by ?lang=en (kept in a
// cookie); every label is in the message table (i18n.go).
package dashboard

import (
	"bytes"
	"compress/gzip"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/marking/marksvc"
	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
	"github.com/ecowatch/ecowatch/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Store is what the pages read: store.Store implements it.
type Store interface {
	Registry(ctx context.Context) (*model.Registry, error)
	Uploads(ctx context.Context, q store.UploadQuery) ([]model.Upload, error)
	RawFrames(ctx context.Context, q store.RawQuery) ([]model.RawFrame, error)
	Contacts(ctx context.Context) ([]model.Contact, error)
	Rollups(ctx context.Context, q store.RollupQuery) ([]model.Rollup, error)
	AirDays(ctx context.Context, q store.AirDayQuery, fn func(*model.AirDay) error) error
	AirTargets(ctx context.Context, year int) ([]model.AirTarget, error)

	// What the water, accountability, case, patrol and tracing pages
	// read: each is declared beside the page that uses it.
	waterStore
	accountStore
	casesStore
	patrolStore
	traceStore
	forwardStore
	deskStore
	Petitions(ctx context.Context, q store.PetitionQuery) ([]store.StoredPetition, error)
	Attachment(ctx context.Context, hash string) (store.Attachment, error)
	Users(ctx context.Context) ([]model.User, error)
}

// Config configures the pages. The zero value is usable: open access,
// the wall clock, a 30-minute offline threshold.
type Config struct {
	// Now is the clock ("now" on the overview, device states). Nil means
	// time.Now.
	Now func() time.Time
	// OfflineAfter is how long after its last contact a device still
	// counts as online (as internal/api). Zero means 30 minutes.
	OfflineAfter time.Duration
	// Auth, when set, authenticates the user (the API's session cookie)
	// and checks each staff page's scope; the public pages (overview, air,
	// reports: published air-quality information) stay open. Nil: every
	// page is open, as without users.
	Auth *auth.Service
	// Open, with Auth set, lets anonymous callers see what the city role
	// sees (the demo's open mode, as web.Config.Open).
	Open bool
	// Rights is the emission-rights ledger service (the API's); nil
	// answers the rights page with 404.
	Rights *rightsvc.Service
	// Marks runs the data marking and transmission rates (the API's);
	// nil answers /desk and /rates with 404.
	Marks *marksvc.Service
	// Logger receives page errors. Nil discards them.
	Logger *slog.Logger
	// DataVersion, when set, changes whenever monitoring data is committed
	// (the gateway's commit count): the shared figures of the overview,
	// air page and big screen are then recomputed sooner than their
	// 60-second limit (figures.go).
	DataVersion func() uint64
}

// Handler serves the pages under / and the embedded assets under
// /static/.
type Handler struct {
	cfg   Config
	st    Store
	log   *slog.Logger
	mux   *http.ServeMux
	pages map[string]*template.Template

	gzMu sync.Mutex
	gz   map[string][]byte // gzip-compressed static files, made on first use

	// figs holds the figures every viewer shares (figures.go).
	figs *figureCache
}

// New returns the dashboard handler over st.
func New(cfg Config, st Store) (*Handler, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.OfflineAfter <= 0 {
		cfg.OfflineAfter = 30 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{cfg: cfg, st: st, log: cfg.Logger, mux: http.NewServeMux(), pages: map[string]*template.Template{}, gz: map[string][]byte{}}
	if err := h.parseTemplates(); err != nil {
		return nil, err
	}
	h.figs = newFigureCache(cfg.DataVersion, func(key string, err error) {
		h.log.Error("refreshing shared figures failed; serving the previous ones", "figures", key, "err", err)
	})
	h.mux.HandleFunc("GET /static/", h.static)
	// Browsers ask for /favicon.ico whatever the page says.
	h.mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/static/favicon.svg", http.StatusMovedPermanently)
	})
	for _, rt := range pageTable() {
		h.mux.HandleFunc(rt.pattern, h.wrap(rt))
	}
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.renderError(w, r, langOf(w, r), http.StatusNotFound)
	})
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Access of a page: the auth scope it needs ("" for published
// information anyone may read); rows are then filtered by the caller's
// auth.Scope.
const (
	accessPublic = ""
	accessStaff  = auth.ScopeRaw // registry, devices, frames
	accessCases  = auth.ScopeCasesRead
	accessRights = "rights:read" // internal/api.ScopeRightsRead
	// accessQuarantine: frames of unknown devices belong to no county; the
	// same scope as the API's GET /api/v1/quarantine (the city only), so
	// a machine gets the same answer from both.
	accessQuarantine = auth.ScopeQuarantine
)

// pageRoute is one page.
type pageRoute struct {
	pattern string
	access  string
	handle  func(h *Handler, w http.ResponseWriter, r *http.Request, p *page) error
}

// pageTable is every page, built in one place and called by New.
func pageTable() []pageRoute {
	return []pageRoute{
		{"GET /{$}", accessPublic, (*Handler).overview},
		{"GET /air", accessPublic, (*Handler).airPage},
		{"GET /air/stations/{code}", accessPublic, (*Handler).stationPage},
		{"GET /monitoring", accessStaff, (*Handler).monitoring},
		{"GET /monitoring/enterprises/{uscc}", accessStaff, (*Handler).enterprisePage},
		{"GET /monitoring/devices/{mn}", accessStaff, (*Handler).devicePage},
		{"GET /monitoring/quarantine", accessQuarantine, (*Handler).quarantinePage},
		{"GET /monitoring/forwarding", accessStaff, (*Handler).forwardingPage},
		{"GET /water", accessPublic, (*Handler).waterPage},
		{"GET /rights", accessRights, (*Handler).rightsPage},
		{"GET /cases", accessCases, (*Handler).casesBoard},
		{"GET /cases/{id}", accessCases, (*Handler).casePage},
		{"GET /petition", accessPublic, (*Handler).petitionForm},
		{"GET /petition/track", accessPublic, (*Handler).petitionTrack},
		{"GET /screen", accessScreen, (*Handler).screenPage},
		{"GET /screen/data.json", accessScreen, (*Handler).screenJSON},
		{"GET /screen/login", accessPublic, (*Handler).screenLoginPage},
		{"POST /screen/login", accessPublic, (*Handler).screenLoginPost},
		{"GET /reports/monthly", accessPublic, (*Handler).monthlyReport},
		{"GET /reports/monthly.xlsx", accessPublic, (*Handler).monthlyXLSX},
		{"GET /accountability", accessAccount, (*Handler).accountabilityPage},
		{"GET /login", accessPublic, (*Handler).loginPage},
		{"POST /login", accessPublic, (*Handler).loginPost},
		{"POST /logout", accessPublic, (*Handler).logoutPost},
		{"GET /notices", accessCases, (*Handler).noticesPage},
		{"GET /notices/{case}/{n}", accessCases, (*Handler).noticePrint},
		{"GET /petitions", "petitions:read", (*Handler).petitionsStaff},
		{"GET /patrol", auth.ScopePatrols, (*Handler).patrolPage},
		{"GET /patrols/stats", auth.ScopePatrols, (*Handler).patrolStatsPage},
		{"GET /public", accessPublic, (*Handler).publicInfo},
		{"GET /water/trace", accessTrace, (*Handler).tracePage},
		{"GET /desk", accessCases, (*Handler).deskPage},
		{"GET /rates", auth.ScopeData, (*Handler).ratesPage},
		{"GET /displays", auth.ScopeUsersAdmin, (*Handler).displaysPage},
	}
}

// page is what every template receives.
type page struct {
	Lang  string
	Nav   string // the active nav entry
	Title string
	Path  string // the request path with its query, for the language switch
	// Scope is the user's row scope (everything without Auth).
	Scope auth.Scope
	// Data is the page's own content; Charts is embedded as JSON for
	// static/app.js.
	Data   any
	Charts any
	// User is the caller (auth.Anonymous without a session); open is true
	// when every page is open to them (no Auth, or the demo's open mode
	// for an anonymous caller).
	User auth.Principal
	open bool
	// Login is false without Auth: no users, so no login link.
	Login bool
}

// Can reports whether the caller may use pages of a scope: the nav shows
// an entry only when its page would answer.
func (p *page) Can(scope string) bool {
	if scope == accessPublic || p.open {
		return true
	}
	return auth.Allowed(p.User, scope)
}

// T returns the message of key in the page's language.
func (p *page) T(key string) string { return tr(p.Lang, key) }

// En reports whether the page is in English.
func (p *page) En() bool { return p.Lang == langEN }

// SwitchURL is the current page in the other language.
func (p *page) SwitchURL() string {
	other := langEN
	if p.Lang == langEN {
		other = langZH
	}
	u := p.Path
	if i := strings.Index(u, "lang="); i >= 0 {
		// Drop an earlier lang parameter.
		j := strings.IndexByte(u[i:], '&')
		if j < 0 {
			u = strings.TrimRight(u[:i], "?&")
		} else {
			u = u[:i] + u[i+j+1:]
		}
	}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + "lang=" + other
}

// errStatus is an error answered with a status page.
type errStatus int

func (e errStatus) Error() string { return http.StatusText(int(e)) }

func (h *Handler) wrap(rt pageRoute) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lang := langOf(w, r)
		p := h.newPage(r, lang)
		if rt.access == accessPublic && h.cfg.Auth != nil && !p.User.Authenticated() {
			// Anonymous callers are limited per address; a tracking-code
			// lookup (the code is the petitioner's credential) hardest.
			kind := auth.PublicRead
			if rt.pattern == "GET /petition/track" && r.URL.Query().Get("code") != "" {
				kind = auth.PublicLookup
			}
			if !h.cfg.Auth.AllowPublic(kind, auth.ClientIP(r)) {
				w.Header().Set("Retry-After", "60")
				h.renderError(w, r, lang, http.StatusTooManyRequests)
				return
			}
		}
		if displayRefused(p, rt) {
			h.renderError(w, r, lang, http.StatusForbidden)
			return
		}
		if rt.access != accessPublic {
			if rt.pattern == "GET /screen" && !p.Can(rt.access) && !p.User.Authenticated() {
				// A wall display without a session (first start, or its
				// code expired or was revoked) is sent to its sign-in.
				http.Redirect(w, r, screenLoginURL(r), http.StatusSeeOther)
				return
			}
			if !p.Can(rt.access) {
				h.renderError(w, r, lang, http.StatusForbidden)
				return
			}
		}
		err := rt.handle(h, w, r, p)
		if err == nil {
			return
		}
		var es errStatus
		switch {
		case errors.As(err, &es):
			h.renderError(w, r, lang, int(es))
		case errors.Is(err, store.ErrNotFound):
			h.renderError(w, r, lang, http.StatusNotFound)
		default:
			h.log.Error("page failed", "path", r.URL.Path, "err", err)
			h.renderError(w, r, lang, http.StatusInternalServerError)
		}
	}
}

// newPage authenticates the caller (the API's session cookie or a bearer
// token) and sets the page's user and row scope. A stale or wrong
// credential reads as anonymous: the page then offers the login.
func (h *Handler) newPage(r *http.Request, lang string) *page {
	p := &page{Lang: lang, Path: r.URL.RequestURI(), Scope: auth.Scope{All: true}, User: auth.Anonymous, open: true}
	if h.cfg.Auth == nil {
		return p
	}
	p.Login = true
	if pr, err := h.cfg.Auth.Authenticate(r); err == nil {
		p.User = pr
	}
	p.open = h.cfg.Open && !p.User.Authenticated()
	if !p.open {
		p.Scope = auth.ScopeOf(p.User)
	}
	return p
}

var funcs = template.FuncMap{
	"pollutant": pollutantLabel,
	"fg":        fgOf,
	"liveOf":    func(p *page, rows []liveValue) sub { return sub{page: p, Rows: rows} },
	// liveOne is liveOf for one device's page: no outlet column.
	"liveOne":  func(p *page, rows []liveValue) sub { return sub{page: p, Rows: rows, One: true} },
	"framesOf": func(p *page, rows []frameRow) sub { return sub{page: p, Rows: rows} },
	// filePick hands partial-filepick.html the page and its input's id.
	"filePick":    func(p *page, id string) sub { return sub{page: p, Rows: id} },
	"pagerOf":     pagerOf,
	"pct":         func(v float64) string { return fmt.Sprintf("%.1f%%", v) },
	"chg":         signedChange,
	"cst":         func(t time.Time) string { return t.In(cst).Format("2006-01-02 15:04") },
	"join":        strings.Join,
	"deref":       func(p *int) int { return *p },
	"num":         func(p *float64) string { return strconv.FormatFloat(*p, 'f', -1, 64) },
	"classColour": classColour,
	"classLabel":  classLabel,
	"tonnes":      tonnes,
	"yuan":        yuan,
	"dateOf":      dateOf,
	"wholeYuan":   wholeYuan,
	"cnum":        cases.Num,
	"cday":        caseDay,
	"reasonLabel": reasonLabel,
	"deref64":     func(p *float64) float64 { return *p },
	"airUnit":     airUnit,
	"timeOr":      timeOr,
}

// signedChange writes a year-on-year change with its sign and one
// decimal (+1.2, -0.4, 0.0), or — when it could not be computed.
func signedChange(v *float64) string {
	if v == nil {
		return "—"
	}
	if *v > 0 {
		return fmt.Sprintf("+%.1f", *v)
	}
	if *v == 0 { // no "-0.0"
		return "0.0"
	}
	return fmt.Sprintf("%.1f", *v)
}

// sub is a partial template's argument: the page (for T) and its rows.
type sub struct {
	*page
	Rows any
	One  bool // rows of one device: its outlet is the page's title
}

// fgOf is textOn for a string or *string colour.
func fgOf(v any) string {
	switch c := v.(type) {
	case string:
		return textOn(c)
	case *string:
		if c != nil {
			return textOn(*c)
		}
	}
	return "#000"
}

// textOn picks black or white text for a background colour "#RRGGBB"
// (CNEMC yellow needs black, purple and maroon white).
func textOn(hex string) string {
	if len(hex) != 7 {
		return "#000"
	}
	var r, g, b int
	fmt.Sscanf(hex[1:], "%02x%02x%02x", &r, &g, &b)
	if r*299+g*587+b*114 > 128000 {
		return "#000"
	}
	return "#fff"
}

func (h *Handler) parseTemplates() error {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" || strings.HasPrefix(base, "partial-") {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).Funcs(markingFuncs).ParseFS(templateFS, "templates/layout.html", "templates/partial-*.html", n)
		if err != nil {
			return fmt.Errorf("dashboard: template %s: %w", base, err)
		}
		h.pages[strings.TrimSuffix(base, ".html")] = t
	}
	return nil
}

// render executes a page template into a buffer first, so that a failing
// template answers 500 rather than half a page.
func (h *Handler) render(w http.ResponseWriter, status int, name string, p *page) error {
	t := h.pages[name]
	if t == nil {
		return fmt.Errorf("dashboard: no template %q", name)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		return fmt.Errorf("dashboard: render %s: %w", name, err)
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Language", map[string]string{langZH: "zh-CN", langEN: "en"}[p.Lang])
	hd.Set("Vary", "Cookie")
	hd.Set("X-Content-Type-Options", "nosniff")
	// Everything the pages use is served here; nothing from elsewhere.
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'self'")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, lang string, status int) {
	key := map[int]string{http.StatusNotFound: "err.notfound", http.StatusForbidden: "err.forbidden", http.StatusBadRequest: "err.badrequest",
		http.StatusTooManyRequests: "err.toomany"}[status]
	if key == "" {
		key = "err.internal"
	}
	p := h.newPage(r, lang)
	p.Title, p.Data = tr(lang, key), map[string]string{"Title": tr(lang, key), "Body": tr(lang, key+".body")}
	if err := h.render(w, status, "error", p); err != nil {
		http.Error(w, http.StatusText(status), status)
	}
}

// static serves the embedded assets, gzip-compressed for clients that
// accept it (ECharts is 1.1 MB, 0.36 MB compressed: the overview stays
// well under its 1.5 MB transfer budget).
func (h *Handler) static(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/")
	b, err := staticFS.ReadFile(name)
	if err != nil || strings.Contains(name, "..") {
		h.renderError(w, r, langOf(w, r), http.StatusNotFound)
		return
	}
	hd := w.Header()
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "text/plain; charset=utf-8"
	}
	hd.Set("Content-Type", ct)
	hd.Set("Cache-Control", "public, max-age=3600")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Vary", "Accept-Encoding")
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") && len(b) > 1024 {
		hd.Set("Content-Encoding", "gzip")
		b = h.gzipped(name, b)
	}
	hd.Set("Content-Length", fmt.Sprint(len(b)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(b)
}

func (h *Handler) gzipped(name string, b []byte) []byte {
	h.gzMu.Lock()
	defer h.gzMu.Unlock()
	if z, ok := h.gz[name]; ok {
		return z
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(b)
	_ = zw.Close()
	h.gz[name] = buf.Bytes()
	return buf.Bytes()
}
