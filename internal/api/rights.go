package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/rights/rightsvc"
	"github.com/ecowatch/ecowatch/internal/store"
)

// The emission-rights endpoints read the ledger state held by
// Config.Rights and send commands through it. Without a service they
// answer "unavailable".

// Scopes of the rights endpoints.
const (
	ScopeRightsRead  = "rights:read"
	ScopeRightsWrite = "rights:write"
)

// CodeRefused is a ledger command refused by its rules (an overdraft, an
// unverified or expired credit, a missing ratio rule, a reused idempotency
// key): nothing was written.
const CodeRefused Code = "refused"

var rightsRoutes = []route{
	{"GET /api/v1/rights/accounts", ScopeRightsRead, (*server).rightsAccounts},
	{"GET /api/v1/rights/accounts/{account}", ScopeRightsRead, (*server).rightsAccount},
	{"GET /api/v1/rights/accounts/{account}/entries", ScopeRightsRead, (*server).rightsAccountEntries},
	{"GET /api/v1/rights/reservoir", ScopeRightsRead, (*server).rightsReservoir},
	{"GET /api/v1/rights/market", ScopeRightsRead, (*server).rightsMarket},
	{"GET /api/v1/rights/trades", ScopeRightsRead, (*server).rightsTrades},
	{"GET /api/v1/rights/allocations/{id}", ScopeRightsRead, (*server).rightsAllocation},
	{"GET /api/v1/rights/credits/{id}", ScopeRightsRead, (*server).rightsCredit},
	{"GET /api/v1/rights/trace", ScopeRightsRead, (*server).rightsTrace},
	{"POST /api/v1/rights/commands", ScopeRightsWrite, (*server).rightsCommand},
}

// rightsScope is the caller's row scope over the ledger: with Config.Auth,
// an enterprise sees and trades only its own account and a county only its
// reservoir; without it (static tokens, the demo) everything.
func (s *server) rightsScope(r *http.Request) auth.Scope {
	if s.cfg.Auth == nil {
		return auth.Scope{All: true}
	}
	return auth.ScopeOf(principal(r.Context()))
}

// visible reports whether an account is in the scope.
func visible(sc auth.Scope, a rights.Account) bool {
	switch {
	case sc.All:
		return true
	case sc.Enterprise != "":
		return a == rights.Enterprise(sc.Enterprise)
	case sc.County != "":
		return a == rights.CountyReservoir(sc.County)
	}
	return false
}

// mayIssue reports whether a caller of scope sc may issue cmd: the city
// (and machines) any command; an enterprise only market commands on its own
// account; a county only the reductions of its county (declaration and
// first review) and transfers out of its reservoir.
func mayIssue(sc auth.Scope, st *rights.State, cmd rights.Command) bool {
	if sc.All {
		return true
	}
	own := func(a rights.Account) bool { return visible(sc, a) }
	switch c := cmd.(type) {
	case rights.PlaceOrder:
		return own(c.Owner)
	case rights.CancelOrder:
		o, ok := st.Order(c.Order)
		return ok && own(o.Owner)
	case rights.Agreement:
		return own(c.Seller)
	case rights.BidAuction:
		return sc.Enterprise != "" && c.Bidder == sc.Enterprise
	case rights.Retire:
		return own(c.Account)
	case rights.DeclareReduction:
		return sc.County != "" && c.County == sc.County
	case rights.ReviewReduction:
		cr, ok := st.Credit(c.Credit)
		return ok && sc.County != "" && cr.County == sc.County
	case rights.Transfer:
		return sc.County != "" && own(c.From)
	}
	return false
}

// maxCommandBody bounds a command's JSON.
const maxCommandBody = 1 << 20

func (s *server) rights() (*rightsvc.Service, error) {
	if s.cfg.Rights == nil {
		return nil, &Error{Code: CodeUnavailable, Message: "the rights ledger is not running on this server"}
	}
	return s.cfg.Rights, nil
}

// accountJSON is an account with its holdings.
type accountJSON struct {
	Account  rights.Account     `json:"account"`
	Holdings []rightsvc.Holding `json:"holdings"`
}

func group(hs []rightsvc.Holding) []accountJSON {
	out := []accountJSON{}
	for _, h := range hs {
		if len(out) == 0 || out[len(out)-1].Account != h.Account {
			out = append(out, accountJSON{Account: h.Account})
		}
		a := &out[len(out)-1]
		a.Holdings = append(a.Holdings, h)
	}
	return out
}

// rightsAccounts lists the accounts with their balances.
func (s *server) rightsAccounts(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "pollutant")
	if err != nil {
		return err
	}
	svc, err := s.rights()
	if err != nil {
		return err
	}
	sc := s.rightsScope(r)
	hs := svc.Balances("", q.Get("pollutant"))
	hs = slices.DeleteFunc(hs, func(h rightsvc.Holding) bool { return !visible(sc, h.Account) })
	writeJSON(w, http.StatusOK, map[string]any{"accounts": group(hs)})
	return nil
}

// blockJSON is a block of serials held by an account.
type blockJSON struct {
	Pollutant  string     `json:"pollutant"`
	First      int64      `json:"first"`
	Last       int64      `json:"last"`
	Quantity   int64      `json:"quantity"`
	Origin     string     `json:"origin"`
	ValidUntil *time.Time `json:"valid_until,omitempty"`
	Paid       bool       `json:"paid"`
}

// rightsAccount returns one account's balances, its blocks of serials
// (what a unit's history starts from) and its net money record.
func (s *server) rightsAccount(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	svc, err := s.rights()
	if err != nil {
		return err
	}
	a := rights.Account(r.PathValue("account"))
	hs := svc.Balances(a, "")
	if len(hs) == 0 || !visible(s.rightsScope(r), a) {
		return notFound("account", "no account %q in the ledger", a)
	}
	blocks := []blockJSON{}
	var money int64
	svc.Read(func(st *rights.State) {
		for _, h := range hs {
			for _, b := range st.Blocks(a, h.Pollutant) {
				bj := blockJSON{Pollutant: b.Pollutant, First: b.Start, Last: b.Start + b.Len - 1, Quantity: b.Len, Origin: b.Origin, Paid: b.Paid}
				if b.ValidUntil > 0 && b.ValidUntil < 1<<62 { // no far-future sentinel
					t := time.UnixMicro(b.ValidUntil).UTC()
					bj.ValidUntil = &t
				}
				blocks = append(blocks, bj)
			}
		}
		money = st.MoneyBalance(a)
	})
	writeJSON(w, http.StatusOK, map[string]any{"account": a, "holdings": hs, "blocks": blocks, "money": money})
	return nil
}

// rightsAccountEntries pages through the ledger entries debiting or
// crediting an account, oldest first.
func (s *server) rightsAccountEntries(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "after", "limit")
	if err != nil {
		return err
	}
	svc, err := s.rights()
	if err != nil {
		return err
	}
	after, err := intParam(q, "after", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := intParam(q, "limit", 1000, 1, 10000)
	if err != nil {
		return err
	}
	a := rights.Account(r.PathValue("account"))
	if len(svc.Balances(a, "")) == 0 || !visible(s.rightsScope(r), a) {
		return notFound("account", "no account %q in the ledger", a)
	}
	es := []rights.Entry{}
	err = svc.Store().RightsEntries(r.Context(), store.RightsQuery{After: after, Account: a, Limit: int(limit)}, func(e *rights.Entry) error {
		es = append(es, *e)
		return nil
	})
	if err != nil {
		return err
	}
	out := map[string]any{"account": a, "entries": es}
	if len(es) == int(limit) {
		out["next_after"] = es[len(es)-1].Seq
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// rightsReservoir reports the reservoirs' receipts and spending.
func (s *server) rightsReservoir(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "account", "pollutant", "year")
	if err != nil {
		return err
	}
	svc, err := s.rights()
	if err != nil {
		return err
	}
	year, err := intParam(q, "year", 0, 0, 9999)
	if err != nil {
		return err
	}
	sc := s.rightsScope(r)
	flows := svc.Reservoir(rights.Account(q.Get("account")), q.Get("pollutant"), int(year))
	flows = slices.DeleteFunc(flows, func(f rightsvc.Flow) bool { return !visible(sc, f.Account) })
	writeJSON(w, http.StatusOK, map[string]any{"flows": flows})
	return nil
}

// orderJSON is an open order in the book.
type orderJSON struct {
	rights.Order
	Remaining int64 `json:"remaining"`
}

// rightsMarket returns the open listings (asks) and bids per pollutant in
// priority order (price, then time).
func (s *server) rightsMarket(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "pollutant")
	if err != nil {
		return err
	}
	svc, err := s.rights()
	if err != nil {
		return err
	}
	type bookJSON struct {
		Pollutant string      `json:"pollutant"`
		Asks      []orderJSON `json:"asks"`
		Bids      []orderJSON `json:"bids"`
	}
	books := []bookJSON{}
	known := false
	svc.Read(func(st *rights.State) {
		for _, p := range st.Pollutants() {
			if q.Get("pollutant") != "" && p.Code != q.Get("pollutant") {
				continue
			}
			known = true
			asks, bids := st.Book(p.Code)
			b := bookJSON{Pollutant: p.Code, Asks: []orderJSON{}, Bids: []orderJSON{}}
			for _, o := range asks {
				b.Asks = append(b.Asks, orderJSON{o, o.Remaining})
			}
			for _, o := range bids {
				b.Bids = append(b.Bids, orderJSON{o, o.Remaining})
			}
			books = append(books, b)
		}
	})
	if q.Get("pollutant") != "" && !known {
		return notFound("pollutant", "no pollutant %q is configured", q.Get("pollutant"))
	}
	writeJSON(w, http.StatusOK, map[string]any{"books": books})
	return nil
}

// rightsTrades lists settled trades, oldest first.
func (s *server) rightsTrades(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "pollutant", "after", "limit")
	if err != nil {
		return err
	}
	svc, err := s.rights()
	if err != nil {
		return err
	}
	after, err := intParam(q, "after", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := intParam(q, "limit", 1000, 1, 10000)
	if err != nil {
		return err
	}
	// The city sees every trade; others the trades they are a party to.
	sc := s.rightsScope(r)
	ts := svc.Trades(q.Get("pollutant"), after, int(limit))
	ts = slices.DeleteFunc(ts, func(t rightsvc.TradeRecord) bool { return !visible(sc, t.Buyer) && !visible(sc, t.Seller) })
	out := map[string]any{"trades": ts}
	if len(ts) == int(limit) {
		out["next_after"] = ts[len(ts)-1].Seq
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// rightsAllocation returns a construction project's allocation.
func (s *server) rightsAllocation(w http.ResponseWriter, r *http.Request) error {
	return rightsObject(s, w, r, "allocation", (*rights.State).Allocation,
		func(a rights.Allocation) (rights.Account, string) { return a.Project, a.Region })
}

// rightsCredit returns a banked reduction (credit) and its status.
func (s *server) rightsCredit(w http.ResponseWriter, r *http.Request) error {
	return rightsObject(s, w, r, "credit", (*rights.State).Credit,
		func(c rights.Credit) (rights.Account, string) { return c.Enterprise, c.County })
}

// rightsObject answers the ledger's object of the path's id, as find finds
// it, to a caller whose scope sees it: all, its own account (owner's
// first result) or its county (the second); any other caller gets the 404
// of an id that does not exist.
func rightsObject[T any](s *server, w http.ResponseWriter, r *http.Request, what string,
	find func(*rights.State, string) (T, bool), owner func(T) (rights.Account, string)) error {
	if _, err := query(r); err != nil {
		return err
	}
	svc, err := s.rights()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	var (
		o  T
		ok bool
	)
	svc.Read(func(st *rights.State) { o, ok = find(st, id) })
	if sc := s.rightsScope(r); ok && !sc.All {
		acct, county := owner(o)
		ok = visible(sc, acct) || (sc.County != "" && county == sc.County)
	}
	if !ok {
		return notFound("id", "no %s %q", what, id)
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

// rightsCommand applies one command. The Idempotency-Key header is the
// command's key: a retry with the same key and body returns the original
// result (200 either way), another body under the key is refused.
func (s *server) rightsCommand(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	svc, err := s.rights()
	if err != nil {
		return err
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		return &Error{Code: CodeMissingParameter, Field: "Idempotency-Key", Message: "Idempotency-Key: header required: every ledger command carries an idempotency key"}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxCommandBody+1))
	if err != nil {
		return &Error{Code: CodeInvalidBody, Message: "reading the body: " + err.Error(), err: err}
	}
	if len(body) > maxCommandBody {
		return &Error{Code: CodeTooLarge, Message: fmt.Sprintf("the command is larger than %d bytes", maxCommandBody)}
	}
	// The actor on the entries is the authenticated caller, never a body
	// field (DecodeCommandAs refuses one).
	actor := s.actorOf(r)
	cmd, err := rightsvc.DecodeCommandAs(body, key, actor)
	if err != nil {
		var de *rightsvc.DecodeError
		if errors.As(err, &de) {
			return &Error{Code: CodeInvalidBody, Field: de.Field, Message: de.Error()}
		}
		return err
	}
	if sc := s.rightsScope(r); !sc.All {
		var allowed bool
		svc.Read(func(st *rights.State) { allowed = mayIssue(sc, st, cmd) })
		if !allowed {
			return &Error{Code: CodeForbidden, Message: "your account may not issue this command (an enterprise trades only its own rights; a county handles only its own reductions and reservoir)"}
		}
	}
	au := s.audit(r, "", "", nil, nil)
	au.Actor = actor
	res, err := svc.ApplyAudited(r.Context(), cmd, au)
	if err != nil {
		var rf *rights.Refusal
		if errors.As(err, &rf) {
			return &Error{Code: CodeRefused, Field: rf.Field, Message: rf.Err.Error() + ": " + rf.Reason, err: err}
		}
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// actorOf names the caller for the ledger and the audit: the logged-in
// user (or static token client); "anonymous" only on a server without
// authentication.
func (s *server) actorOf(r *http.Request) string {
	if p := principal(r.Context()); p.User != "" {
		return p.User
	}
	if c, ok := clientOf(r.Context()); ok && c != "" {
		return "token:" + c
	}
	return "anonymous"
}

// rightsTrace follows one unit (a serial of a pollutant) from its permit or
// credit through every move to its end (retired, expired, written off).
// Outside the city, only a unit whose history touches one of the caller's
// accounts is shown.
func (s *server) rightsTrace(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "pollutant", "serial")
	if err != nil {
		return err
	}
	svc, err := s.rights()
	if err != nil {
		return err
	}
	p := q.Get("pollutant")
	if p == "" {
		return &Error{Code: CodeMissingParameter, Field: "pollutant", Message: "pollutant: required"}
	}
	if q.Get("serial") == "" {
		return &Error{Code: CodeMissingParameter, Field: "serial", Message: "serial: required"}
	}
	serial, err := intParam(q, "serial", 0, 1, 1<<62)
	if err != nil {
		return err
	}
	trace := []rights.Entry{}
	err = svc.Store().RightsEntries(r.Context(), store.RightsQuery{}, func(e *rights.Entry) error {
		if e.Kind == rights.KindRights && e.Asset == p && e.Start <= serial && serial < e.End() {
			trace = append(trace, *e)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if sc := s.rightsScope(r); !sc.All && !slices.ContainsFunc(trace, func(e rights.Entry) bool { return visible(sc, e.From) || visible(sc, e.To) }) {
		trace = trace[:0]
	}
	if len(trace) == 0 {
		return notFound("serial", "no unit %d of %s in the ledger", serial, p)
	}
	writeJSON(w, http.StatusOK, map[string]any{"pollutant": p, "serial": serial, "entries": trace})
	return nil
}
