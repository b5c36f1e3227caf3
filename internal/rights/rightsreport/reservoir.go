package rightsreport

import (
	"cmp"
	"slices"
	"strings"

	"github.com/ecowatch/ecowatch/internal/rights"
)

// ReservoirRow is one reservoir's receipts and spending of one pollutant in
// one calendar year (China time). Closing = Opening + receipts − spending,
// and the closing balance of the last year is the ledger balance.
type ReservoirRow struct {
	Account   rights.Account `json:"account"`
	County    string         `json:"county"` // county code; "city" or "reserve" for those accounts
	Pollutant string         `json:"pollutant"`
	Year      int            `json:"year"`
	Opening   Grams          `json:"opening"`
	// Receipts.
	Banked     Grams `json:"banked"`      // confirmed reductions minted into the reservoir (入库)
	TransferIn Grams `json:"transfer_in"` // transfers from other government accounts (划入)
	BoughtBack Grams `json:"bought_back"` // buy-backs and recoveries from enterprises (回购/收回)
	Returned   Grams `json:"returned"`    // released allocations, cancelled listings and auctions
	OtherIn    Grams `json:"other_in"`
	// Spending.
	Allocated   Grams `json:"allocated"`    // reserved for construction projects, offset included (配置)
	Sold        Grams `json:"sold"`         // listed, auctioned or sold by agreement (出让)
	TransferOut Grams `json:"transfer_out"` // transfers to other government accounts (划出)
	Retired     Grams `json:"retired"`      // 注销
	Expired     Grams `json:"expired"`      // 过期
	OtherOut    Grams `json:"other_out"`
	Closing     Grams `json:"closing"`
}

// In is the year's receipts.
func (r *ReservoirRow) In() Grams {
	return r.Banked + r.TransferIn + r.BoughtBack + r.Returned + r.OtherIn
}

// Out is the year's spending.
func (r *ReservoirRow) Out() Grams {
	return r.Allocated + r.Sold + r.TransferOut + r.Retired + r.Expired + r.OtherOut
}

// ReservoirFilter selects rows; zero values mean any.
type ReservoirFilter struct {
	Year      int
	County    string // a county code, or "city" / "reserve"
	Pollutant string
}

// ReservoirReport is the reservoirs' receipts and spending (调蓄库收支表).
type ReservoirReport struct {
	Year      int            `json:"year,omitempty"`
	County    string         `json:"county,omitempty"`
	Pollutant string         `json:"pollutant,omitempty"`
	Rows      []ReservoirRow `json:"rows"`
}

type resKey struct {
	a rights.Account
	p string
}

// Reservoir builds the report from the ledger entries (in Seq order). A row
// is given for every reservoir, pollutant and year from the reservoir's
// first movement to the last entry's year (or the filter's year) with a
// balance or a movement.
func Reservoir(entries []rights.Entry, f ReservoirFilter) ReservoirReport {
	rep := ReservoirReport{Year: f.Year, County: f.County, Pollutant: f.Pollutant, Rows: []ReservoirRow{}}
	if len(entries) == 0 {
		return rep
	}
	lastYear := entries[len(entries)-1].Time.In(cst).Year()
	if f.Year > lastYear {
		lastYear = f.Year
	}
	// rows[k] holds one row per year from the first movement on.
	rows := map[resKey][]ReservoirRow{}
	row := func(a rights.Account, p string, y int) *ReservoirRow {
		k := resKey{a, p}
		rs := rows[k]
		if len(rs) == 0 {
			rs = append(rs, ReservoirRow{Account: a, County: countyOf(a), Pollutant: p, Year: y})
		}
		for last := &rs[len(rs)-1]; last.Year < y; last = &rs[len(rs)-1] {
			rs = append(rs, ReservoirRow{Account: a, County: last.County, Pollutant: p, Year: last.Year + 1,
				Opening: last.Closing, Closing: last.Closing})
		}
		rows[k] = rs
		return &rs[len(rs)-1]
	}
	want := func(a rights.Account, p string) bool {
		return isReservoir(a) && (f.Pollutant == "" || p == f.Pollutant) && (f.County == "" || countyOf(a) == f.County)
	}
	for i := range entries {
		e := &entries[i]
		if e.Kind != rights.KindRights {
			continue
		}
		y := e.Time.In(cst).Year()
		q := Grams(e.Amount)
		if want(e.To, e.Asset) {
			r := row(e.To, e.Asset, y)
			switch e.Op {
			case rights.OpMint:
				r.Banked += q
			case rights.OpTransfer:
				r.TransferIn += q
			case rights.OpBuyBack:
				r.BoughtBack += q
			case rights.OpReturn:
				r.Returned += q
			default:
				r.OtherIn += q
			}
			r.Closing += q
		}
		if want(e.From, e.Asset) {
			r := row(e.From, e.Asset, y)
			to := string(e.To)
			switch {
			case e.Op == rights.OpEscrow && strings.HasPrefix(to, "escrow:alloc/"):
				r.Allocated += q
			case e.Op == rights.OpEscrow || e.Op == rights.OpDeliver:
				r.Sold += q
			case e.Op == rights.OpTransfer:
				r.TransferOut += q
			case e.Op == rights.OpRetire:
				r.Retired += q
			case e.Op == rights.OpExpire:
				r.Expired += q
			default:
				r.OtherOut += q
			}
			r.Closing -= q
		}
	}
	for k := range rows {
		row(k.a, k.p, lastYear) // carry balances to the last year
	}
	for _, rs := range rows {
		for _, r := range rs {
			if f.Year != 0 && r.Year != f.Year {
				continue
			}
			if r.Opening == 0 && r.Closing == 0 && r.In() == 0 && r.Out() == 0 {
				continue
			}
			rep.Rows = append(rep.Rows, r)
		}
	}
	slices.SortFunc(rep.Rows, func(a, b ReservoirRow) int {
		return cmp.Or(cmp.Compare(a.Year, b.Year), cmp.Compare(a.Account, b.Account), cmp.Compare(a.Pollutant, b.Pollutant))
	})
	return rep
}
