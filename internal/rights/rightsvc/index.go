package rightsvc

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/rights"
)

// index holds what rights.State does not offer by account: which accounts
// hold which pollutants, the reservoirs' receipts and spending by year, and
// the trades. It is derived from durable entries only.
type index struct {
	accounts map[rights.Account]map[string]struct{}
	flows    map[flowKey]*Flow
	trades   []TradeRecord
}

type flowKey struct {
	account   rights.Account
	pollutant string
	year      int
}

// Flow is what one government account (a county reservoir, the city
// reservoir, the reserve) received and spent of one pollutant in one year
// (China Standard Time), in g/a, by operation.
type Flow struct {
	Account   rights.Account   `json:"account"`
	Pollutant string           `json:"pollutant"`
	Year      int              `json:"year"`
	In        int64            `json:"in"`
	Out       int64            `json:"out"`
	InByOp    map[string]int64 `json:"in_by_op"`
	OutByOp   map[string]int64 `json:"out_by_op"`
}

// TradeRecord is a settled trade with its ledger position and time.
type TradeRecord struct {
	Seq  int64     `json:"seq"`
	Time time.Time `json:"time"`
	Kind string    `json:"kind"` // trade (order book), auction, agreement
	rights.Trade
}

func newIndex() index {
	return index{accounts: map[rights.Account]map[string]struct{}{}, flows: map[flowKey]*Flow{}}
}

var cst = chinatime.Zone

// reservoir reports whether an account's flows are kept: the government
// accounts whose receipts and spending the bureau reports.
func reservoir(a rights.Account) bool {
	return a == rights.City || a == rights.Reserve || strings.HasPrefix(string(a), "county:")
}

func (x *index) add(es []rights.Entry) {
	for i := range es {
		e := &es[i]
		switch e.Kind {
		case rights.KindRights:
			for _, a := range [2]rights.Account{e.From, e.To} {
				if a == "" {
					continue
				}
				m := x.accounts[a]
				if m == nil {
					m = map[string]struct{}{}
					x.accounts[a] = m
				}
				m[e.Asset] = struct{}{}
			}
			y := e.Time.In(cst).Year()
			if reservoir(e.To) {
				f := x.flow(e.To, e.Asset, y)
				f.In += e.Amount
				f.InByOp[e.Op] += e.Amount
			}
			if reservoir(e.From) {
				f := x.flow(e.From, e.Asset, y)
				f.Out += e.Amount
				f.OutByOp[e.Op] += e.Amount
			}
		case rights.KindMoney:
			if e.Op == rights.OpTrade || e.Op == rights.OpAuction || e.Op == rights.OpAgreement {
				var t rights.Trade
				if json.Unmarshal([]byte(e.Detail), &t) == nil {
					x.trades = append(x.trades, TradeRecord{Seq: e.Seq, Time: e.Time, Kind: e.Op, Trade: t})
				}
			}
		}
	}
}

func (x *index) flow(a rights.Account, p string, y int) *Flow {
	k := flowKey{a, p, y}
	f := x.flows[k]
	if f == nil {
		f = &Flow{Account: a, Pollutant: p, Year: y, InByOp: map[string]int64{}, OutByOp: map[string]int64{}}
		x.flows[k] = f
	}
	return f
}

// Holding is an account's balance of one pollutant.
type Holding struct {
	Account   rights.Account `json:"account"`
	Pollutant string         `json:"pollutant"`
	Balance   int64          `json:"balance"`   // g/a, whatever their validity
	Spendable int64          `json:"spendable"` // g/a valid now
}

// Balances returns the holdings matching account and pollutant (empty
// means any), ordered by account then pollutant. System sources, whose
// balances are negative by construction, are included only when asked for
// by name.
func (s *Service) Balances(account rights.Account, pollutant string) []Holding {
	s.mu.RLock()
	defer s.mu.RUnlock()
	now := s.opts.Now()
	out := []Holding{}
	for a, ps := range s.idx.accounts {
		if account != "" && a != account {
			continue
		}
		if account == "" && strings.HasPrefix(string(a), "sys:") {
			continue
		}
		for p := range ps {
			if pollutant != "" && p != pollutant {
				continue
			}
			out = append(out, Holding{Account: a, Pollutant: p, Balance: s.state.Balance(a, p), Spendable: s.state.Spendable(a, p, now)})
		}
	}
	slices.SortFunc(out, func(a, b Holding) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Pollutant, b.Pollutant))
	})
	return out
}

// Accounts returns every account that ever held rights, sorted.
func (s *Service) Accounts() []rights.Account {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]rights.Account, 0, len(s.idx.accounts))
	for a := range s.idx.accounts {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// Reservoir returns the receipts and spending of the government accounts
// (county reservoirs, the city reservoir, the reserve) per pollutant and
// year. account, pollutant and year 0 mean any.
func (s *Service) Reservoir(account rights.Account, pollutant string, year int) []Flow {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []Flow{}
	for k, f := range s.idx.flows {
		if (account != "" && k.account != account) || (pollutant != "" && k.pollutant != pollutant) || (year != 0 && k.year != year) {
			continue
		}
		c := *f
		c.InByOp, c.OutByOp = cloneMap(f.InByOp), cloneMap(f.OutByOp)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Flow) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Pollutant, b.Pollutant), cmp.Compare(a.Year, b.Year))
	})
	return out
}

func cloneMap(m map[string]int64) map[string]int64 {
	c := make(map[string]int64, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// Trades returns settled trades of a pollutant (empty: any) with Seq >
// after, oldest first, at most limit (0: all).
func (s *Service) Trades(pollutant string, after int64, limit int) []TradeRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, _ := slices.BinarySearchFunc(s.idx.trades, after+1, func(t TradeRecord, seq int64) int { return cmp.Compare(t.Seq, seq) })
	out := []TradeRecord{}
	for _, t := range s.idx.trades[i:] {
		if pollutant != "" && t.Pollutant != pollutant {
			continue
		}
		out = append(out, t)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out
}
