package rightsreport

import (
	"cmp"
	"fmt"
	"math/big"
	"math/bits"
	"slices"

	"github.com/ecowatch/ecowatch/internal/rights"
)

// TradeRow is the trading of one pollutant in one month (China time):
// order-book fills, auction awards and negotiated transfers (协议转让).
// Prices are in fen per tonne of annual right; Avg is weighted by quantity,
// round(Σ quantity × price ÷ Σ quantity), exact.
type TradeRow struct {
	Pollutant  string `json:"pollutant"`
	Month      string `json:"month"` // YYYY-MM
	Count      int    `json:"count"`
	OrderBook  int    `json:"order_book"` // of Count: fills of listings and bids (挂牌)
	Auctions   int    `json:"auctions"`   // auction awards (拍卖)
	Agreements int    `json:"agreements"` // negotiated transfers (协议转让)
	Quantity   Grams  `json:"quantity"`
	MinPrice   Fen    `json:"min_price"`
	AvgPrice   Fen    `json:"avg_price"`
	MaxPrice   Fen    `json:"max_price"`
	Value      Fen    `json:"value"` // the money settled, fen exact

	wHi, wLo uint64 // Σ quantity × price, 128 bits: quantities ≤ 10^15 and prices ≤ 10^12 leave room for 10^11 trades
}

// TradeFilter selects trades; zero values mean any.
type TradeFilter struct {
	Pollutant string
	Period    Range
	// Party, when set, keeps only the trades with a buyer or a seller it
	// accepts: an enterprise sees the market through its own trades.
	Party func(rights.Account) bool
}

// TradeReport is trade volumes and prices per pollutant and month.
type TradeReport struct {
	Pollutant string     `json:"pollutant,omitempty"`
	Period    Range      `json:"period"`
	Rows      []TradeRow `json:"rows"`
}

// Trades builds the report from the ledger entries. Each settlement is one
// money entry whose detail is a rights.Trade.
func Trades(entries []rights.Entry, f TradeFilter) (TradeReport, error) {
	rep := TradeReport{Pollutant: f.Pollutant, Period: f.Period, Rows: []TradeRow{}}
	type key struct{ p, m string }
	rows := map[key]*TradeRow{}
	for i := range entries {
		e := &entries[i]
		if e.Kind != rights.KindMoney || (e.Op != rights.OpTrade && e.Op != rights.OpAuction && e.Op != rights.OpAgreement) {
			continue
		}
		if !f.Period.Contains(e.Time) {
			continue
		}
		var t rights.Trade
		if err := decode(e, &t); err != nil {
			return rep, err
		}
		if f.Pollutant != "" && t.Pollutant != f.Pollutant {
			continue
		}
		if f.Party != nil && !f.Party(t.Buyer) && !f.Party(t.Seller) {
			continue
		}
		k := key{t.Pollutant, e.Time.In(cst).Format("2006-01")}
		r := rows[k]
		if r == nil {
			r = &TradeRow{Pollutant: k.p, Month: k.m, MinPrice: Fen(t.Price), MaxPrice: Fen(t.Price)}
			rows[k] = r
		}
		r.Count++
		switch e.Op {
		case rights.OpTrade:
			r.OrderBook++
		case rights.OpAuction:
			r.Auctions++
		case rights.OpAgreement:
			r.Agreements++
		}
		r.Quantity += Grams(t.Quantity)
		r.Value += Fen(e.Amount)
		r.MinPrice = min(r.MinPrice, Fen(t.Price))
		r.MaxPrice = max(r.MaxPrice, Fen(t.Price))
		if t.Quantity < 0 || t.Price < 0 {
			return rep, fmt.Errorf("rightsreport: entry %d: negative trade quantity or price", e.Seq)
		}
		hi, lo := bits.Mul64(uint64(t.Quantity), uint64(t.Price))
		var c uint64
		r.wLo, c = bits.Add64(r.wLo, lo, 0)
		r.wHi += hi + c
	}
	for _, r := range rows {
		if r.Quantity > 0 {
			// round half up: (2·Σqp + Σq) div (2·Σq)
			q := big.NewInt(int64(r.Quantity))
			num := new(big.Int).Lsh(new(big.Int).SetUint64(r.wHi), 64)
			num.Or(num, new(big.Int).SetUint64(r.wLo))
			num.Lsh(num, 1)
			num.Add(num, q)
			den := new(big.Int).Lsh(q, 1)
			r.AvgPrice = Fen(num.Quo(num, den).Int64())
		}
		rep.Rows = append(rep.Rows, *r)
	}
	slices.SortFunc(rep.Rows, func(a, b TradeRow) int {
		return cmp.Or(cmp.Compare(a.Pollutant, b.Pollutant), cmp.Compare(a.Month, b.Month))
	})
	return rep, nil
}
