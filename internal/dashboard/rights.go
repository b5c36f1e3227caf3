package dashboard

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
)

// The emission-rights pages read the ledger service the API uses
// (Config.Rights; internal/app passes the one it opened). The amounts are
// kept in g/a and fen; pages show t/a and yuan.

type holdingRow struct {
	rightsvc.Holding
	Name string
}

type flowRow struct {
	rightsvc.Flow
	Name string
}

type orderRow struct {
	rights.Order
	Name string
}

type bookRow struct {
	Pollutant  string
	Asks, Bids []orderRow
}

type tradeRow struct {
	rightsvc.TradeRecord
	BuyerName, SellerName string
}

type rightsData struct {
	Holdings []holdingRow
	Flows    []flowRow
	Books    []bookRow
	Trades   []tradeRow
	Year     int
	// Pollutant names a pollutant code in the page's language.
	Pollutant func(code string) string
	// Credits (reductions) and Allocations to projects, with what the
	// caller may do next; CanWrite: the city may issue ledger commands
	// from the page (through the API's POST /api/v1/rights/commands,
	// static/rights.js: the same rules and audit as the CLI).
	Credits     []creditRow
	Allocations []allocRow
	CanWrite    bool
	Enterprises []model.Enterprise
	Counties    []countyOpt
	Pollutants  []string
	Today       string
	Measures    []string
}

type creditRow struct {
	rights.Credit
	EnterpriseName, CountyName string
}

type allocRow struct {
	rights.Allocation
	ProjectName, RegionName string
}

// accountName shows an account as people know it: the enterprise's or
// county's name, the city reservoir, the reserve.
func accountName(reg *model.Registry, lang string, a rights.Account) string {
	s := string(a)
	switch {
	case a == rights.City:
		return tr(lang, "rights.city")
	case a == rights.Reserve:
		return tr(lang, "rights.reserve")
	case strings.HasPrefix(s, "ent:"):
		uscc := s[4:]
		if i := slices.IndexFunc(reg.Enterprises, func(e model.Enterprise) bool { return e.USCC == uscc }); i >= 0 {
			return reg.Enterprises[i].Name
		}
		return uscc
	case strings.HasPrefix(s, "escrow:"):
		// escrow:order/S-1 → 挂牌托管 S-1 (what the units are held for).
		kind, ref, ok := strings.Cut(s[7:], "/")
		if !ok {
			return tr(lang, "rights.escrow") + " " + s[7:]
		}
		return trOr(lang, "op.", kind) + tr(lang, "rights.escrowof") + " " + ref
	case strings.HasPrefix(s, "county:"):
		if n, ok := countyNames(reg, lang)[s[7:]]; ok {
			return n + tr(lang, "rights.countyres")
		}
	}
	return s
}

func (h *Handler) rightsPage(w http.ResponseWriter, r *http.Request, p *page) error {
	svc := h.cfg.Rights
	if svc == nil {
		return errStatus(http.StatusNotFound)
	}
	if !p.Scope.All {
		// Every enterprise's holdings are on this page: the city only
		// (the API scopes rows for the others).
		return errStatus(http.StatusForbidden)
	}
	reg, err := h.st.Registry(r.Context())
	if err != nil {
		return err
	}
	d := &rightsData{Year: today(h.cfg.Now()).Year()}
	if y := r.URL.Query().Get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 2000 || n > 2100 {
			return errStatus(http.StatusBadRequest)
		}
		d.Year = n
	}
	name := func(a rights.Account) string { return accountName(reg, p.Lang, a) }
	for _, x := range svc.Balances("", "") {
		d.Holdings = append(d.Holdings, holdingRow{x, name(x.Account)})
	}
	for _, f := range svc.Reservoir("", "", d.Year) {
		d.Flows = append(d.Flows, flowRow{f, name(f.Account)})
	}
	names := map[string]string{}
	svc.Read(func(st *rights.State) {
		for _, pol := range st.Pollutants() {
			names[pol.Code] = pol.Name
		}
		for _, pol := range st.Pollutants() {
			asks, bids := st.Book(pol.Code)
			b := bookRow{Pollutant: pol.Code}
			for _, o := range asks {
				b.Asks = append(b.Asks, orderRow{o, name(o.Owner)})
			}
			for _, o := range bids {
				b.Bids = append(b.Bids, orderRow{o, name(o.Owner)})
			}
			d.Books = append(d.Books, b)
		}
	})
	trades := svc.Trades("", 0, 0)
	slices.Reverse(trades) // newest first
	if len(trades) > 100 {
		trades = trades[:100]
	}
	for _, t := range trades {
		d.Trades = append(d.Trades, tradeRow{t, name(t.Buyer), name(t.Seller)})
	}
	d.Pollutant = func(code string) string { return pollutantName(p.Lang, names, code) }
	counties := countyNames(reg, p.Lang)
	svc.Read(func(st *rights.State) {
		for _, c := range st.Credits() {
			d.Credits = append(d.Credits, creditRow{c, name(entAccount(c.Enterprise)), counties[c.County]})
		}
		for _, a := range st.Allocations() {
			d.Allocations = append(d.Allocations, allocRow{a, name(entAccount(a.Project)), counties[a.Region]})
		}
	})
	for _, pol := range slices.Sorted(maps.Keys(names)) {
		d.Pollutants = append(d.Pollutants, pol)
	}
	// In the demo's open mode an anonymous visitor sees the city's page,
	// but the API would refuse its commands: the forms need a user.
	d.CanWrite = p.Can("rights:write") && (h.cfg.Auth == nil || p.User.Authenticated())
	if d.CanWrite {
		d.Enterprises = reg.Enterprises
		for _, c := range reg.Counties {
			d.Counties = append(d.Counties, countyOpt{c.Code, counties[c.Code]})
		}
		d.Today = today(h.cfg.Now()).Format("2006-01-02")
		// The reduction measures the ledger accepts (rights.DeclareReduction).
		d.Measures = []string{"closure", "phase_out", "retrofit", "clean_production", "gov_treatment"}
	}
	p.Nav, p.Title, p.Data = "rights", p.T("rights.title"), d
	return h.render(w, http.StatusOK, "rights", p)
}

// entAccount is the account of an enterprise named by its bare credit
// code (credits and allocations keep the code as declared).
func entAccount(a rights.Account) rights.Account {
	if strings.Contains(string(a), ":") {
		return a
	}
	return rights.Account("ent:" + string(a))
}

// rightsPollutants name the ledger's pollutant codes where its
// configuration gives no name (and in English).
var rightsPollutants = map[string][2]string{
	"NOx": {"氮氧化物", "NOx"}, "SO2": {"二氧化硫", "SO₂"}, "COD": {"化学需氧量", "COD"}, "NH3-N": {"氨氮", "NH₃-N"},
	"VOCs": {"挥发性有机物", "VOCs"}, "TN": {"总氮", "total nitrogen"}, "TP": {"总磷", "total phosphorus"}, "PM": {"颗粒物", "particulate matter"},
}

// pollutantName shows a ledger pollutant: its configured Chinese name in
// Chinese, its formula in English; the code where neither is known.
func pollutantName(lang string, names map[string]string, code string) string {
	if lang != langEN && names[code] != "" {
		return names[code]
	}
	if n, ok := rightsPollutants[code]; ok {
		if lang == langEN {
			return n[1]
		}
		return n[0]
	}
	return code
}

// tonnes formats g/a as t/a (3 decimals: whole kilograms).
func tonnes(g int64) string { return strconv.FormatFloat(float64(g)/1e6, 'f', 3, 64) }

// yuan formats fen as yuan.
func yuan(fen int64) string { return strconv.FormatFloat(float64(fen)/100, 'f', 2, 64) }
