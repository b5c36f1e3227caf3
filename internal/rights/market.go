package rights

import (
	"cmp"
	"slices"
	"time"
)

// payee is who receives money for rights sold by seller: sale revenue of
// government accounts is non-tax revenue paid to the treasury
// (财税〔2015〕61号).
func payee(seller Account) Account {
	if seller.IsEnterprise() {
		return seller
	}
	return Treasury
}

// settle delivers q of p from `from` (the seller or an escrow) to the buyer
// and records the payment and the permit changes, all inside the current
// command: a settlement is one atomic step.
func (t *tx) settle(moneyOp, ref string, from Account, tr Trade) error {
	spans, got, ok := t.pick(from, tr.Pollutant, tr.Quantity, nil)
	if !ok {
		return t.short("quantity", from, tr.Pollutant, got, tr.Quantity)
	}
	amount, ok := TradeValue(tr.Quantity, tr.Price)
	if !ok {
		return t.refuse("price", ErrInvalid, "trade value overflows")
	}
	tr.Amount = amount
	paid := true
	if err := t.move(OpDeliver, ref, tr.Pollutant, from, tr.Buyer, spans, time.Time{}, &paid); err != nil {
		return err
	}
	if err := t.pay(moneyOp, ref, tr.Buyer, payee(tr.Seller), amount, tr); err != nil {
		return err
	}
	// HJ/permit rules: after a trade both parties apply to change their
	// discharge permits (国办发〔2014〕38号); record the holdings to write in.
	for _, a := range [2]Account{tr.Seller, tr.Buyer} {
		if a.IsEnterprise() {
			if err := t.event(EvPermitChange, ref, "", permitChange{a, tr.Pollutant, t.s.Balance(a, tr.Pollutant)}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *tx) placeOrder(c PlaceOrder) error {
	s := t.s
	if err := t.needName("order", c.Order); err != nil {
		return err
	}
	if s.orders[c.Order] != nil {
		return t.refuse("order", ErrDuplicate, "order %s exists", c.Order)
	}
	if err := t.needPollutant("pollutant", c.Pollutant); err != nil {
		return err
	}
	if err := t.needQuantity("quantity", c.Quantity); err != nil {
		return err
	}
	if err := t.needPrice("price", c.Price); err != nil {
		return err
	}
	switch c.Side {
	case Sell:
		if err := t.needHolder("owner", c.Owner); err != nil {
			return err
		}
	case Buy:
		if !c.Owner.IsEnterprise() {
			return t.refuse("owner", ErrInvalid, "%q: bids are placed by enterprises", c.Owner)
		}
	default:
		return t.refuse("side", ErrInvalid, "%q: want %s or %s", c.Side, Sell, Buy)
	}
	o := Order{ID: c.Order, Side: c.Side, Owner: c.Owner, Pollutant: c.Pollutant, Quantity: c.Quantity, Price: c.Price}
	if err := t.event(EvOrder, o.ID, OrderOpen, o); err != nil {
		return err
	}
	if c.Side == Sell {
		if err := t.spend("quantity", OpEscrow, o.ID, c.Pollutant, c.Owner, escrowOf("order/"+o.ID), c.Quantity, nil, nil); err != nil {
			return err
		}
	}
	return t.match(s.orders[o.ID])
}

// match crosses the incoming order with the book: the best opposite order
// first (lowest listing, highest bid; then the earliest), at the resting
// order's price. Orders of the same owner never trade with each other, and
// a listing whose escrow no longer holds enough valid rights is passed over
// (Expire cancels it).
func (t *tx) match(in *Order) error {
	s := t.s
	skip := map[*Order]bool{}
	for in.Status == OrderOpen && in.Remaining > 0 {
		b := s.books[in.Pollutant]
		var best *Order
		side := b.asks
		if in.Side == Sell {
			side = b.bids
		}
		for _, o := range side {
			if skip[o] || o.Owner == in.Owner || o.Remaining == 0 {
				continue
			}
			best = o
			break
		}
		if best == nil || (in.Side == Buy && best.Price > in.Price) || (in.Side == Sell && best.Price < in.Price) {
			return nil
		}
		ask, bid := best, in
		if in.Side == Sell {
			ask, bid = in, best
		}
		q := min(in.Remaining, best.Remaining)
		esc := escrowOf("order/" + ask.ID)
		if _, _, ok := t.pick(esc, ask.Pollutant, q, nil); !ok {
			skip[ask] = true
			if ask == in {
				return nil
			}
			continue
		}
		tr := Trade{Buy: bid.ID, Sell: ask.ID, Buyer: bid.Owner, Seller: ask.Owner, Pollutant: in.Pollutant,
			Quantity: q, Price: best.Price}
		if err := t.settle(OpTrade, in.ID, esc, tr); err != nil {
			return err
		}
		// The incoming order's event comes last so that the command's
		// Result carries its final status.
		for _, o := range [2]*Order{best, in} {
			if o.Remaining == 0 {
				if err := t.event(EvOrderStatus, o.ID, OrderFilled, nil); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (t *tx) cancelOrder(c CancelOrder) error {
	o := t.s.orders[c.Order]
	if o == nil {
		return t.refuse("order", ErrNotFound, "no order %q", c.Order)
	}
	if o.Status != OrderOpen {
		return t.refuse("order", ErrState, "order %s is %s", o.ID, o.Status)
	}
	return t.cancel(o)
}

func (t *tx) cancel(o *Order) error {
	if o.Side == Sell {
		if err := t.returnAll("order/"+o.ID, o.ID, o.Pollutant); err != nil {
			return err
		}
	}
	return t.event(EvOrderStatus, o.ID, OrderCancelled, nil)
}

func (t *tx) openAuction(c OpenAuction) error {
	s := t.s
	if err := t.needName("auction", c.Auction); err != nil {
		return err
	}
	if s.auctions[c.Auction] != nil {
		return t.refuse("auction", ErrDuplicate, "auction %s exists", c.Auction)
	}
	if err := t.needHolder("seller", c.Seller); err != nil {
		return err
	}
	if err := t.needPollutant("pollutant", c.Pollutant); err != nil {
		return err
	}
	if err := t.needQuantity("quantity", c.Quantity); err != nil {
		return err
	}
	if err := t.needPrice("start_price", c.StartPrice); err != nil {
		return err
	}
	closes := utcMicro(c.Closes)
	if !closes.After(t.now) {
		return t.refuse("closes", ErrInvalid, "an auction must close after it opens")
	}
	a := Auction{ID: c.Auction, Seller: c.Seller, Pollutant: c.Pollutant, Quantity: c.Quantity,
		StartPrice: c.StartPrice, Closes: closes}
	if err := t.event(EvAuction, a.ID, AuctionOpen, a); err != nil {
		return err
	}
	return t.spend("quantity", OpEscrow, a.ID, c.Pollutant, c.Seller, escrowOf("auction/"+a.ID), c.Quantity, nil, nil)
}

func (t *tx) auction(id string) (*Auction, error) {
	a := t.s.auctions[id]
	if a == nil {
		return nil, t.refuse("auction", ErrNotFound, "no auction %q", id)
	}
	if a.Status != AuctionOpen {
		return nil, t.refuse("auction", ErrState, "auction %s is %s", id, a.Status)
	}
	return a, nil
}

func (t *tx) bidAuction(c BidAuction) error {
	a, err := t.auction(c.Auction)
	if err != nil {
		return err
	}
	if !t.now.Before(a.Closes) {
		return t.refuse("auction", ErrState, "auction %s closed at %s", a.ID, a.Closes.Format(time.RFC3339))
	}
	if err := t.needName("bid", c.Bid); err != nil {
		return err
	}
	if slices.ContainsFunc(a.Bids, func(b AuctionBid) bool { return b.ID == c.Bid }) {
		return t.refuse("bid", ErrDuplicate, "bid %s exists in auction %s", c.Bid, a.ID)
	}
	bidder, err := t.enterprise("bidder", c.Bidder)
	if err != nil {
		return err
	}
	if bidder == a.Seller {
		return t.refuse("bidder", ErrInvalid, "the seller cannot bid")
	}
	if c.Quantity <= 0 || c.Quantity > a.Quantity {
		return t.refuse("quantity", ErrInvalid, "%d g/a: want 1 to the lot of %d", c.Quantity, a.Quantity)
	}
	if err := t.needPrice("price", c.Price); err != nil {
		return err
	}
	if c.Price < a.StartPrice {
		return t.refuse("price", ErrInvalid, "%d fen/t is below the start price %d", c.Price, a.StartPrice)
	}
	return t.event(EvAuctionBid, a.ID, "", AuctionBid{ID: c.Bid, Bidder: bidder, Quantity: c.Quantity, Price: c.Price})
}

func (t *tx) closeAuction(c CloseAuction) error {
	a, err := t.auction(c.Auction)
	if err != nil {
		return err
	}
	if t.now.Before(a.Closes) {
		return t.refuse("auction", ErrState, "auction %s is open until %s", a.ID, a.Closes.Format(time.RFC3339))
	}
	bids := slices.Clone(a.Bids)
	slices.SortStableFunc(bids, func(x, y AuctionBid) int {
		if c := cmp.Compare(y.Price, x.Price); c != 0 {
			return c
		}
		return cmp.Compare(x.Seq, y.Seq)
	})
	esc := escrowOf("auction/" + a.ID)
	left := a.Quantity
	for _, b := range bids {
		if left == 0 {
			break
		}
		q := min(b.Quantity, left)
		tr := Trade{Buy: b.ID, Sell: a.ID, Buyer: b.Bidder, Seller: a.Seller, Pollutant: a.Pollutant, Quantity: q, Price: b.Price}
		if err := t.settle(OpAuction, a.ID, esc, tr); err != nil {
			if r, ok := err.(*Refusal); ok && r.Err == ErrOverdraft {
				return t.refuse("auction", ErrExpired, "the lot of auction %s holds expired rights; run expire to cancel it", a.ID)
			}
			return err
		}
		left -= q
	}
	if err := t.returnAll("auction/"+a.ID, a.ID, a.Pollutant); err != nil {
		return err
	}
	return t.event(EvAuctionState, a.ID, AuctionClosed, nil)
}

func (t *tx) agreement(c Agreement) error {
	s := t.s
	if err := t.needName("contract", c.Contract); err != nil {
		return err
	}
	if s.contracts[c.Contract] {
		return t.refuse("contract", ErrDuplicate, "contract %s is already settled", c.Contract)
	}
	if err := t.needHolder("seller", c.Seller); err != nil {
		return err
	}
	buyer, err := t.enterprise("buyer", c.Buyer)
	if err != nil {
		return err
	}
	if buyer == c.Seller {
		return t.refuse("buyer", ErrInvalid, "buyer and seller are the same account")
	}
	if err := t.needPollutant("pollutant", c.Pollutant); err != nil {
		return err
	}
	if err := t.needQuantity("quantity", c.Quantity); err != nil {
		return err
	}
	if err := t.needPrice("price", c.Price); err != nil {
		return err
	}
	tr := Trade{Sell: c.Contract, Buyer: buyer, Seller: c.Seller, Pollutant: c.Pollutant, Quantity: c.Quantity, Price: c.Price}
	if err := t.event(EvContract, c.Contract, "", nil); err != nil {
		return err
	}
	return t.settle(OpAgreement, c.Contract, c.Seller, tr)
}

// ---- administration -------------------------------------------------------------

func (t *tx) transfer(c Transfer) error {
	if !c.From.IsGovernment() {
		return t.refuse("from", ErrInvalid, "%q: transfers are between reservoirs and the reserve; enterprises trade", c.From)
	}
	if !c.To.IsGovernment() || c.To == c.From {
		return t.refuse("to", ErrInvalid, "%q: transfers are between two different reservoirs or the reserve", c.To)
	}
	if err := t.needPollutant("pollutant", c.Pollutant); err != nil {
		return err
	}
	if err := t.needQuantity("quantity", c.Quantity); err != nil {
		return err
	}
	return t.spend("quantity", OpTransfer, t.meta.Key, c.Pollutant, c.From, c.To, c.Quantity, nil, nil)
}

func (t *tx) buyBack(c BuyBack) error {
	ent, err := t.enterprise("enterprise", c.Enterprise)
	if err != nil {
		return err
	}
	to := c.To
	if to == "" {
		to = Reserve
	}
	if !to.IsGovernment() {
		return t.refuse("to", ErrInvalid, "%q: rights are bought back into a reservoir or the reserve", to)
	}
	if err := t.needPollutant("pollutant", c.Pollutant); err != nil {
		return err
	}
	if err := t.needQuantity("quantity", c.Quantity); err != nil {
		return err
	}
	if err := t.needPrice("price", c.Price); err != nil {
		return err
	}
	spans, got, ok := t.pick(ent, c.Pollutant, c.Quantity, nil)
	if !ok {
		return t.short("quantity", ent, c.Pollutant, got, c.Quantity)
	}
	// Units the enterprise paid for are bought back (有偿回购); units it got
	// free are taken back without payment (无偿收回) (Hebei reserve rules).
	var paidQ int64
	for _, sp := range spans {
		if sp.b.Paid {
			paidQ += sp.n
		}
	}
	notPaid := false
	if err := t.move(OpBuyBack, t.meta.Key, c.Pollutant, ent, to, spans, time.Time{}, &notPaid); err != nil {
		return err
	}
	if paidQ > 0 {
		amount, ok := TradeValue(paidQ, c.Price)
		if !ok {
			return t.refuse("price", ErrInvalid, "buy-back value overflows")
		}
		tr := Trade{Buyer: to, Seller: ent, Pollutant: c.Pollutant, Quantity: paidQ, Price: c.Price, Amount: amount}
		if err := t.pay(OpPayment, t.meta.Key, Treasury, ent, amount, tr); err != nil {
			return err
		}
	}
	return t.event(EvPermitChange, t.meta.Key, "", permitChange{ent, c.Pollutant, t.s.Balance(ent, c.Pollutant)})
}

func (t *tx) retire(c Retire) error {
	if err := t.needHolder("account", c.Account); err != nil {
		return err
	}
	if err := t.needPollutant("pollutant", c.Pollutant); err != nil {
		return err
	}
	if err := t.needQuantity("quantity", c.Quantity); err != nil {
		return err
	}
	return t.spend("quantity", OpRetire, t.meta.Key, c.Pollutant, c.Account, Retired, c.Quantity, nil, nil)
}

// expire sweeps in a fixed order so that Replay reproduces it: listings,
// auctions, then holdings by account and pollutant, then credits.
func (t *tx) expire() error {
	s := t.s
	nowµ := t.now.UnixMicro()
	if err := t.event(EvSweep, "expire@"+t.now.Format(time.RFC3339), "", nil); err != nil {
		return err
	}
	hasExpired := func(a Account, p string) bool {
		for _, b := range s.Blocks(a, p) {
			if b.ValidUntil <= nowµ {
				return true
			}
		}
		return false
	}
	for _, id := range sortedKeys(s.orders) {
		o := s.orders[id]
		if o.Status == OrderOpen && o.Side == Sell && hasExpired(escrowOf("order/"+id), o.Pollutant) {
			if err := t.cancel(o); err != nil {
				return err
			}
		}
	}
	for _, id := range sortedKeys(s.auctions) {
		a := s.auctions[id]
		if a.Status == AuctionOpen && hasExpired(escrowOf("auction/"+id), a.Pollutant) {
			if err := t.returnAll("auction/"+id, id, a.Pollutant); err != nil {
				return err
			}
			if err := t.event(EvAuctionState, id, AuctionCancelled, nil); err != nil {
				return err
			}
		}
	}
	keys := make([]hkey, 0, len(s.hold))
	for k, h := range s.hold {
		if k.a.IsHolder() && len(h.starts) > 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y hkey) int {
		if c := cmp.Compare(x.a, y.a); c != 0 {
			return c
		}
		return cmp.Compare(x.p, y.p)
	})
	for _, k := range keys {
		for _, b := range s.Blocks(k.a, k.p) {
			if b.ValidUntil > nowµ {
				continue
			}
			err := t.emit(Entry{Kind: KindRights, Op: OpExpire, Ref: b.Origin, Asset: k.p, From: k.a, To: Expired,
				Start: b.Start, Amount: b.Len, Paid: b.Paid})
			if err != nil {
				return err
			}
		}
	}
	for _, id := range sortedKeys(s.credits) {
		c := s.credits[id]
		if c.Status == CreditConfirmed && c.Expires.UnixMicro() <= nowµ {
			if err := t.event(EvCreditStatus, id, CreditExpired, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
