package rights

import (
	"cmp"
	"encoding/json"
	"slices"
	"time"
)

// Entry operations (Entry.Op). Rights postings:
const (
	OpIssue    = "issue"    // sys:issuance → enterprise (确权)
	OpMint     = "mint"     // sys:reduction → reservoir (a confirmed credit)
	OpEscrow   = "escrow"   // holder → escrow (reserve for a project, list, auction)
	OpReturn   = "return"   // escrow → the account the units came from
	OpDeliver  = "deliver"  // seller or escrow → buyer (a trade)
	OpGrant    = "grant"    // allocation escrow → project (已出让)
	OpWriteOff = "writeoff" // allocation escrow → sys:writtenoff (已核销)
	OpTransfer = "transfer" // between government accounts (划转)
	OpBuyBack  = "buyback"  // enterprise → reserve or reservoir (回购/收回)
	OpRetire   = "retire"   // holder → sys:retired
	OpExpire   = "expire"   // holder → sys:expired
)

// Money records:
const (
	OpFee       = "fee"       // paid-use fee (有偿使用费)
	OpTrade     = "trade"     // an order-book fill
	OpAuction   = "auction"   // an auction award
	OpAgreement = "agreement" // a negotiated transfer (协议转让)
	OpPayment   = "payment"   // buy-back payment or grant price
)

// Events:
const (
	EvConfig       = "config"
	EvPermit       = "permit"
	EvCredit       = "credit"
	EvCreditStatus = "credit.status"
	EvAlloc        = "alloc"
	EvAllocStatus  = "alloc.status"
	EvOrder        = "order"
	EvOrderStatus  = "order.status"
	EvAuction      = "auction"
	EvAuctionBid   = "auction.bid"
	EvAuctionState = "auction.status"
	EvContract     = "contract"
	EvPermitChange = "permit.change" // a holding changed by a trade: to be written into the permit
	EvSweep        = "sweep"         // an expiry sweep ran
)

// State is the ledger state: everything in it is derived by folding entries
// (Replay), and Apply only changes it by folding the entries it produces.
// The zero State is an empty ledger. A State holds maps, so a copy of the
// struct shares them; the functions here never keep references to caller
// data.
type State struct {
	seq  int64
	head Digest
	last int64 // Unix µs of the last entry

	validityMonths int // of rights from a permit; default 60 (5 years)
	creditMonths   int // of a banked reduction from its effective date; default 60
	pollutants     map[string]Pollutant
	prices         map[priceKey]int64
	ratios         map[ratioKey]RatioRule
	trading        []TradingRules // the city's trading rules, read once

	pol       map[string]*pstate
	hold      map[hkey]*holding
	money     map[Account]int64
	permits   map[string]*Permit // key: no + "/" + pollutant
	credits   map[string]*Credit
	allocs    map[string]*Allocation
	orders    map[string]*Order
	books     map[string]*book // by pollutant
	auctions  map[string]*Auction
	contracts map[string]bool
	idem      map[string]*Result

	// undo log while Apply runs, so that a refusal leaves the state as it was.
	rec     bool
	undo    []func()
	touched map[any]struct{}
}

type priceKey struct {
	pollutant string
	year      int
}

type ratioKey struct {
	region, pollutant, attainment string
	year                          int
	projectType                   string
}

type pstate struct {
	next   int64 // next serial to issue; serials start at 1
	blocks map[int64]Block
}

type hkey struct {
	a Account
	p string
}

// holding is what one account holds of one pollutant: its blocks in the
// order they arrived (spent first-in first-out) and their total.
type holding struct {
	starts []int64
	bal    int64
}

type book struct {
	asks []*Order // price ascending, then time
	bids []*Order // price descending, then time
}

const defaultMonths = 60 // 排污权有效期原则上五年 (财税〔2015〕61号)

func (s *State) init() {
	if s.pol != nil {
		return
	}
	s.pollutants = map[string]Pollutant{}
	s.prices = map[priceKey]int64{}
	s.ratios = map[ratioKey]RatioRule{}
	s.pol = map[string]*pstate{}
	s.hold = map[hkey]*holding{}
	s.money = map[Account]int64{}
	s.permits = map[string]*Permit{}
	s.credits = map[string]*Credit{}
	s.allocs = map[string]*Allocation{}
	s.orders = map[string]*Order{}
	s.books = map[string]*book{}
	s.auctions = map[string]*Auction{}
	s.contracts = map[string]bool{}
	s.idem = map[string]*Result{}
	s.touched = map[any]struct{}{}
}

// tradingRules returns the trading rules applications are classified by:
// the versions shipped with the program (data/liaocheng_trading_rules.json).
// Each allocation records its decision, so a later change of the rules
// never changes what a replay shows.
func (s *State) tradingRules() []TradingRules {
	if s.trading == nil {
		s.trading = DefaultTradingRules()
	}
	return s.trading
}

// ---- undo log -------------------------------------------------------------

func (s *State) record(f func()) {
	if s.rec {
		s.undo = append(s.undo, f)
	}
}

func setMap[K comparable, V any](s *State, m map[K]V, k K, v V) {
	if s.rec {
		old, ok := m[k]
		s.undo = append(s.undo, func() {
			if ok {
				m[k] = old
			} else {
				delete(m, k)
			}
		})
	}
	m[k] = v
}

func delMap[K comparable, V any](s *State, m map[K]V, k K) {
	old, ok := m[k]
	if !ok {
		return
	}
	s.record(func() { m[k] = old })
	delete(m, k)
}

// touch saves *p once per command so that a refusal restores it. Slices
// inside *p must only be appended to (or be cloned by the caller).
func touch[T any](s *State, p *T) {
	if !s.rec {
		return
	}
	if _, ok := s.touched[p]; ok {
		return
	}
	s.touched[p] = struct{}{}
	old := *p
	s.undo = append(s.undo, func() { *p = old })
}

func (s *State) touchHolding(h *holding) {
	if !s.rec {
		return
	}
	if _, ok := s.touched[h]; ok {
		return
	}
	s.touched[h] = struct{}{}
	old := holding{starts: slices.Clone(h.starts), bal: h.bal}
	s.undo = append(s.undo, func() { *h = old })
}

func (s *State) touchBook(b *book) {
	if !s.rec {
		return
	}
	if _, ok := s.touched[b]; ok {
		return
	}
	s.touched[b] = struct{}{}
	old := book{asks: slices.Clone(b.asks), bids: slices.Clone(b.bids)}
	s.undo = append(s.undo, func() { *b = old })
}

func (s *State) rollback() {
	for i := len(s.undo) - 1; i >= 0; i-- {
		s.undo[i]()
	}
	s.endTx()
}

func (s *State) endTx() {
	clear(s.undo)
	s.undo = s.undo[:0]
	clear(s.touched)
	s.rec = false
}

// ---- the fold ---------------------------------------------------------------

// fold applies one entry whose chain fields (Seq, Prev, Hash) have already
// been checked. It enforces the per-entry invariants: known pollutant,
// serials issued in order, no double spend (a range moves only from the
// account that holds it, never out of a sink), no spending of expired
// rights, no negative balance, legal status transitions.
func (s *State) fold(e *Entry) error {
	var err error
	switch e.Kind {
	case KindRights:
		err = s.foldRights(e)
	case KindMoney:
		err = s.foldMoney(e)
	case KindEvent:
		if e.Amount != 0 || e.Start != 0 {
			return ferr(ErrInvalid, "an event moves nothing")
		}
		err = s.foldEvent(e)
	default:
		return ferr(ErrInvalid, "unknown kind %q", e.Kind)
	}
	if err != nil {
		return err
	}
	s.seq = e.Seq
	s.head = e.Hash
	s.last = e.Time.UnixMicro()
	return nil
}

func (s *State) holdingFor(a Account, p string) *holding {
	k := hkey{a, p}
	h := s.hold[k]
	if h == nil {
		h = &holding{}
		setMap(s, s.hold, k, h)
	}
	return h
}

func (s *State) foldRights(e *Entry) error {
	p := e.Asset
	ps := s.pol[p]
	if ps == nil {
		return ferr(ErrInvalid, "unknown pollutant %q", p)
	}
	if e.Amount <= 0 || e.Amount > maxQuantity {
		return ferr(ErrInvalid, "amount %d must be 1 to %d", e.Amount, int64(maxQuantity))
	}
	if e.From == e.To {
		return ferr(ErrInvalid, "from and to are both %s", e.From)
	}
	fk, tk := e.From.kind(), e.To.kind()
	switch tk {
	case kindInvalid, kindSource, kindTreasury:
		return ferr(ErrInvalid, "rights cannot go to %q", e.To)
	}
	t := e.Time.UnixMicro()
	switch fk {
	case kindSource:
		if e.Start != ps.next {
			return ferr(ErrInvariant, "serials of %s must be issued in order: start %d, want %d", p, e.Start, ps.next)
		}
		if e.ValidUntil.IsZero() || e.ValidUntil.UnixMicro() <= t {
			return ferr(ErrInvalid, "issued rights need a validity after the entry time")
		}
		if !e.To.IsHolder() {
			return ferr(ErrInvalid, "rights are issued to a holder, not %s", e.To)
		}
		touch(s, ps)
		ps.next += e.Amount
		h := s.holdingFor(e.From, p)
		s.touchHolding(h)
		h.bal -= e.Amount
		// A permit's rights exist from its allocation but are valid only
		// from its valid_from (国办发〔2014〕38号: the right is what the permit
		// confirms, for the permit's period).
		var from int64
		if pm := s.permits[e.Ref+"/"+p]; pm != nil && e.From == Issuance && pm.ValidFrom.UnixMicro() > t {
			from = pm.ValidFrom.UnixMicro()
		}
		s.place(ps, Block{Pollutant: p, Start: e.Start, Len: e.Amount, Owner: e.To,
			Origin: e.Ref, ValidFrom: from, ValidUntil: e.ValidUntil.UnixMicro(), Paid: e.Paid})
		return nil
	case kindSink:
		return ferr(ErrDoubleSpend, "%s serials %d-%d: nothing leaves %s", p, e.Start, e.End()-1, e.From)
	case kindInvalid, kindTreasury:
		return ferr(ErrInvalid, "rights cannot come from %q", e.From)
	}
	if fk == kindEscrow && tk == kindEscrow {
		return ferr(ErrInvalid, "escrow to escrow")
	}
	b, ok := ps.blocks[e.Start]
	if !ok {
		return ferr(ErrDoubleSpend, "%s: no block starts at serial %d", p, e.Start)
	}
	if b.Owner != e.From {
		return ferr(ErrDoubleSpend, "%s serial %d is held by %s, not %s", p, e.Start, b.Owner, e.From)
	}
	if e.Amount > b.Len {
		return ferr(ErrDoubleSpend, "%s serials %d-%d: the block ends at %d", p, e.Start, e.End()-1, b.Start+b.Len-1)
	}
	switch {
	case e.Op == OpReturn:
		if fk != kindEscrow || e.To != b.Back {
			return ferr(ErrInvariant, "a return goes from escrow to %s, not %s", b.Back, e.To)
		}
	case e.Op == OpWriteOff:
		// A write-off closes the books on units already committed to a
		// granted project, whatever their validity.
		if fk != kindEscrow || e.To != WrittenOff {
			return ferr(ErrInvariant, "a write-off goes from escrow to %s", WrittenOff)
		}
	case e.To == Expired:
		if b.ValidUntil > t {
			return ferr(ErrInvariant, "%s serial %d is valid until %s", p, e.Start, time.UnixMicro(b.ValidUntil).UTC().Format(time.RFC3339))
		}
	case b.ValidUntil <= t:
		return ferr(ErrExpired, "%s serial %d expired at %s", p, e.Start, time.UnixMicro(b.ValidUntil).UTC().Format(time.RFC3339))
	}
	hf := s.hold[hkey{e.From, p}]
	i := -1
	if hf != nil {
		s.touchHolding(hf)
		i = hf.index(b.Start)
	}
	if i < 0 {
		return ferr(ErrInvariant, "%s serial %d missing from the holding of %s", p, b.Start, e.From)
	}
	if e.Amount < b.Len {
		r := b
		r.Start += e.Amount
		r.Len -= e.Amount
		setMap(s, ps.blocks, r.Start, r)
		hf.starts[i] = r.Start
	} else {
		hf.remove(i)
	}
	hf.bal -= e.Amount
	if hf.bal < 0 {
		return ferr(ErrNegative, "%s of %s would be %d", p, e.From, hf.bal)
	}
	nb := b
	nb.Len = e.Amount
	nb.Owner = e.To
	if !e.ValidUntil.IsZero() {
		nb.ValidUntil = e.ValidUntil.UnixMicro()
	}
	nb.Paid = e.Paid
	nb.Back = ""
	if tk == kindEscrow {
		nb.Back = e.From
	}
	s.place(ps, nb)
	return nil
}

// place puts a block into its owner's holding, merging it with the last
// block there when the two are adjacent and alike, so that a run of
// transfers out of one block does not fragment the receiver.
func (s *State) place(ps *pstate, nb Block) {
	h := s.holdingFor(nb.Owner, nb.Pollutant)
	s.touchHolding(h)
	h.bal += nb.Len
	if n := len(h.starts); n > 0 {
		last := ps.blocks[h.starts[n-1]]
		if last.Start+last.Len == nb.Start && last.Origin == nb.Origin && last.ValidFrom == nb.ValidFrom &&
			last.ValidUntil == nb.ValidUntil && last.Paid == nb.Paid && last.Back == nb.Back {
			last.Len += nb.Len
			setMap(s, ps.blocks, last.Start, last)
			delMap(s, ps.blocks, nb.Start)
			return
		}
	}
	setMap(s, ps.blocks, nb.Start, nb)
	h.starts = append(h.starts, nb.Start)
}

func (h *holding) index(start int64) int {
	if len(h.starts) > 0 && h.starts[0] == start {
		return 0
	}
	return slices.Index(h.starts, start)
}

func (h *holding) remove(i int) {
	if i == 0 {
		h.starts = h.starts[1:]
		return
	}
	h.starts = slices.Delete(h.starts, i, i+1)
}

func moneyEndpoint(a Account) bool {
	k := a.kind()
	return k == kindEnterprise || k == kindTreasury
}

func (s *State) foldMoney(e *Entry) error {
	if e.Asset != Money {
		return ferr(ErrInvalid, "money entries are in %s, not %q", Money, e.Asset)
	}
	if e.Amount < 0 || e.Start != 0 {
		return ferr(ErrInvalid, "money amount %d must not be negative", e.Amount)
	}
	if e.From == e.To || !moneyEndpoint(e.From) || !moneyEndpoint(e.To) {
		return ferr(ErrInvalid, "payment from %q to %q", e.From, e.To)
	}
	setMap(s, s.money, e.From, s.money[e.From]-e.Amount)
	setMap(s, s.money, e.To, s.money[e.To]+e.Amount)
	if e.Op != OpTrade {
		return nil
	}
	var tr Trade
	if err := json.Unmarshal([]byte(e.Detail), &tr); err != nil {
		return ferr(ErrInvalid, "trade detail: %v", err)
	}
	for _, id := range [2]string{tr.Buy, tr.Sell} {
		o := s.orders[id]
		if o == nil || o.Status != OrderOpen || o.Pollutant != tr.Pollutant {
			return ferr(ErrState, "order %q is not an open order for %s", id, tr.Pollutant)
		}
		if tr.Quantity <= 0 || tr.Quantity > o.Remaining {
			return ferr(ErrInvariant, "order %s has %d left, the trade takes %d", id, o.Remaining, tr.Quantity)
		}
		touch(s, o)
		o.Remaining -= tr.Quantity
	}
	return nil
}

func decode(e *Entry, v any) error {
	if err := json.Unmarshal([]byte(e.Detail), v); err != nil {
		return ferr(ErrInvalid, "%s detail: %v", e.Op, err)
	}
	return nil
}

func (s *State) escrowEmpty(ref, pollutant string) bool {
	h := s.hold[hkey{escrowOf(ref), pollutant}]
	return h == nil || h.bal == 0
}

func (s *State) foldEvent(e *Entry) error {
	switch e.Op {
	case EvConfig:
		var c Configure
		if err := decode(e, &c); err != nil {
			return err
		}
		return s.foldConfig(&c)
	case EvPermit:
		var p Permit
		if err := decode(e, &p); err != nil {
			return err
		}
		k := p.No + "/" + p.Pollutant
		if s.permits[k] != nil {
			return ferr(ErrDuplicate, "permit %s already allocated %s", p.No, p.Pollutant)
		}
		p.ValidFrom, p.ValidUntil = p.ValidFrom.UTC(), p.ValidUntil.UTC()
		setMap(s, s.permits, k, &p)
	case EvCredit:
		var c Credit
		if err := decode(e, &c); err != nil {
			return err
		}
		if c.ID != e.Ref || s.credits[c.ID] != nil {
			return ferr(ErrDuplicate, "credit %q", c.ID)
		}
		c.Effective = c.Effective.UTC()
		c.Status = CreditDeclared
		setMap(s, s.credits, c.ID, &c)
	case EvCreditStatus:
		c := s.credits[e.Ref]
		if c == nil {
			return ferr(ErrNotFound, "credit %q", e.Ref)
		}
		ok := false
		switch c.Status {
		case CreditDeclared:
			ok = e.Status == CreditReviewed || e.Status == CreditRejected
		case CreditReviewed:
			ok = e.Status == CreditConfirmed || e.Status == CreditRejected
		case CreditConfirmed:
			ok = e.Status == CreditExpired
		}
		if !ok {
			return ferr(ErrState, "credit %s: %s → %s", c.ID, c.Status, e.Status)
		}
		touch(s, c)
		if e.Status == CreditConfirmed {
			var d struct {
				Confirmed int64     `json:"confirmed"`
				Expires   time.Time `json:"expires"`
			}
			if err := decode(e, &d); err != nil {
				return err
			}
			c.Confirmed, c.Expires = d.Confirmed, d.Expires.UTC()
		}
		c.Status = e.Status
	case EvAlloc:
		var a Allocation
		if err := decode(e, &a); err != nil {
			return err
		}
		if a.ID != e.Ref || s.allocs[a.ID] != nil {
			return ferr(ErrDuplicate, "allocation %q", a.ID)
		}
		a.Status = AllocReserved
		setMap(s, s.allocs, a.ID, &a)
	case EvAllocStatus:
		a := s.allocs[e.Ref]
		if a == nil {
			return ferr(ErrNotFound, "allocation %q", e.Ref)
		}
		ok := false
		switch a.Status {
		case AllocReserved:
			ok = e.Status == AllocLocked || e.Status == AllocReleased
		case AllocLocked:
			ok = e.Status == AllocGranted || e.Status == AllocReleased
		case AllocGranted:
			ok = e.Status == AllocWrittenOff
		}
		if !ok {
			return ferr(ErrState, "allocation %s: %s → %s", a.ID, a.Status, e.Status)
		}
		if (e.Status == AllocReleased || e.Status == AllocWrittenOff) && !s.escrowEmpty("alloc/"+a.ID, a.Pollutant) {
			return ferr(ErrInvariant, "allocation %s is %s but its escrow is not empty", a.ID, e.Status)
		}
		touch(s, a)
		a.Status = e.Status
	case EvOrder:
		var o Order
		if err := decode(e, &o); err != nil {
			return err
		}
		if o.ID != e.Ref || s.orders[o.ID] != nil {
			return ferr(ErrDuplicate, "order %q", o.ID)
		}
		if o.Side != Buy && o.Side != Sell {
			return ferr(ErrInvalid, "order side %q", o.Side)
		}
		o.Remaining, o.Seq, o.Status = o.Quantity, e.Seq, OrderOpen
		setMap(s, s.orders, o.ID, &o)
		s.enbook(&o)
	case EvOrderStatus:
		o := s.orders[e.Ref]
		if o == nil || o.Status != OrderOpen || (e.Status != OrderCancelled && e.Status != OrderFilled) {
			return ferr(ErrState, "order %q cannot become %s", e.Ref, e.Status)
		}
		if e.Status == OrderFilled && o.Remaining != 0 {
			return ferr(ErrInvariant, "order %s has %d left and cannot be filled", o.ID, o.Remaining)
		}
		if o.Side == Sell && !s.escrowEmpty("order/"+o.ID, o.Pollutant) {
			return ferr(ErrInvariant, "listing %s %s with rights still in escrow", o.ID, e.Status)
		}
		touch(s, o)
		o.Status = e.Status
		s.unbook(o)
	case EvAuction:
		var a Auction
		if err := decode(e, &a); err != nil {
			return err
		}
		if a.ID != e.Ref || s.auctions[a.ID] != nil {
			return ferr(ErrDuplicate, "auction %q", a.ID)
		}
		a.Closes = a.Closes.UTC()
		a.Status = AuctionOpen
		setMap(s, s.auctions, a.ID, &a)
	case EvAuctionBid:
		a := s.auctions[e.Ref]
		if a == nil || a.Status != AuctionOpen {
			return ferr(ErrState, "auction %q is not open", e.Ref)
		}
		var b AuctionBid
		if err := decode(e, &b); err != nil {
			return err
		}
		b.Seq = e.Seq
		touch(s, a)
		a.Bids = append(a.Bids, b)
	case EvAuctionState:
		a := s.auctions[e.Ref]
		if a == nil || a.Status != AuctionOpen || (e.Status != AuctionClosed && e.Status != AuctionCancelled) {
			return ferr(ErrState, "auction %q cannot become %s", e.Ref, e.Status)
		}
		if !s.escrowEmpty("auction/"+a.ID, a.Pollutant) {
			return ferr(ErrInvariant, "auction %s %s with rights still in escrow", a.ID, e.Status)
		}
		touch(s, a)
		a.Status = e.Status
	case EvContract:
		if s.contracts[e.Ref] {
			return ferr(ErrDuplicate, "contract %q", e.Ref)
		}
		setMap(s, s.contracts, e.Ref, true)
	case EvPermitChange, EvSweep:
		// Records only.
	default:
		return ferr(ErrInvalid, "unknown event %q", e.Op)
	}
	return nil
}

func (s *State) foldConfig(c *Configure) error {
	if c.ValidityMonths != 0 || c.CreditMonths != 0 {
		old := [2]int{s.validityMonths, s.creditMonths}
		s.record(func() { s.validityMonths, s.creditMonths = old[0], old[1] })
		if c.ValidityMonths != 0 {
			s.validityMonths = c.ValidityMonths
		}
		if c.CreditMonths != 0 {
			s.creditMonths = c.CreditMonths
		}
	}
	for _, p := range c.Pollutants {
		if p.Code == Money || !validName(p.Code) {
			return ferr(ErrInvalid, "pollutant code %q", p.Code)
		}
		setMap(s, s.pollutants, p.Code, p)
		if s.pol[p.Code] == nil {
			setMap(s, s.pol, p.Code, &pstate{next: 1, blocks: map[int64]Block{}})
		}
	}
	for _, p := range c.Prices {
		if s.pol[p.Pollutant] == nil || p.FenPerTonneYear < 0 {
			return ferr(ErrInvalid, "price for %q", p.Pollutant)
		}
		setMap(s, s.prices, priceKey{p.Pollutant, p.Year}, p.FenPerTonneYear)
	}
	for _, r := range c.Ratios {
		if s.pol[r.Pollutant] == nil || r.Den <= 0 || r.Num < r.Den || r.Num > 100*r.Den {
			return ferr(ErrInvalid, "ratio rule %s %s %d:%d", r.Region, r.Pollutant, r.Num, r.Den)
		}
		setMap(s, s.ratios, ratioKey{r.Region, r.Pollutant, r.Attainment, r.Year, r.ProjectType}, r)
	}
	return nil
}

func (s *State) bookFor(p string) *book {
	b := s.books[p]
	if b == nil {
		b = &book{}
		setMap(s, s.books, p, b)
	}
	return b
}

// better reports whether order a has priority over b on the same side:
// price first (lowest ask, highest bid), then time.
func better(a, b *Order) bool {
	if a.Price != b.Price {
		if a.Side == Sell {
			return a.Price < b.Price
		}
		return a.Price > b.Price
	}
	return a.Seq < b.Seq
}

func (s *State) enbook(o *Order) {
	b := s.bookFor(o.Pollutant)
	s.touchBook(b)
	side := &b.bids
	if o.Side == Sell {
		side = &b.asks
	}
	i, _ := slices.BinarySearchFunc(*side, o, func(x, y *Order) int {
		if better(x, y) {
			return -1
		}
		return 1
	})
	*side = slices.Insert(*side, i, o)
}

func (s *State) unbook(o *Order) {
	b := s.books[o.Pollutant]
	if b == nil {
		return
	}
	s.touchBook(b)
	side := &b.bids
	if o.Side == Sell {
		side = &b.asks
	}
	if i := slices.Index(*side, o); i >= 0 {
		*side = slices.Delete(*side, i, i+1)
	}
}

// ---- queries ----------------------------------------------------------------

// Seq returns the Seq of the last entry (0 for an empty ledger).
func (s *State) Seq() int64 { return s.seq }

// Head returns the hash of the last entry: the value to publish or anchor.
func (s *State) Head() Digest { return s.head }

// Balance returns the rights of pollutant p held by account a, in g/a,
// whatever their validity. Sources are negative: minus all they issued.
func (s *State) Balance(a Account, p string) int64 {
	if h := s.hold[hkey{a, p}]; h != nil {
		return h.bal
	}
	return 0
}

// Spendable returns the rights of p held by a that are valid at now: not
// expired, and past their permit's valid_from.
func (s *State) Spendable(a Account, p string, now time.Time) int64 {
	return s.sumValid(a, p, now.UnixMicro(), "")
}

func (s *State) sumValid(a Account, p string, t int64, origin string) int64 {
	h, ps := s.hold[hkey{a, p}], s.pol[p]
	if h == nil || ps == nil {
		return 0
	}
	var n int64
	for _, st := range h.starts {
		b := ps.blocks[st]
		if b.ValidUntil > t && b.ValidFrom <= t && (origin == "" || b.Origin == origin) {
			n += b.Len
		}
	}
	return n
}

// MoneyBalance returns the net money recorded for an account in fen:
// received minus paid. It is a record of payments, not a cash balance.
func (s *State) MoneyBalance(a Account) int64 { return s.money[a] }

// Blocks returns the blocks of p held by a, in spending order.
func (s *State) Blocks(a Account, p string) []Block {
	h, ps := s.hold[hkey{a, p}], s.pol[p]
	if h == nil || ps == nil {
		return nil
	}
	out := make([]Block, len(h.starts))
	for i, st := range h.starts {
		out[i] = ps.blocks[st]
	}
	return out
}

// Issued returns how many g/a of p have ever been created (the highest
// serial).
func (s *State) Issued(p string) int64 {
	if ps := s.pol[p]; ps != nil {
		return ps.next - 1
	}
	return 0
}

// Credit returns a copy of a credit.
func (s *State) Credit(id string) (Credit, bool) {
	if c := s.credits[id]; c != nil {
		return *c, true
	}
	return Credit{}, false
}

// Permit returns a copy of a permit's allocation of a pollutant.
func (s *State) Permit(no, pollutant string) (Permit, bool) {
	if p := s.permits[no+"/"+pollutant]; p != nil {
		return *p, true
	}
	return Permit{}, false
}

// Allocation returns a copy of an allocation.
func (s *State) Allocation(id string) (Allocation, bool) {
	if a := s.allocs[id]; a != nil {
		return *a, true
	}
	return Allocation{}, false
}

// Credits returns copies of every credit, by ID.
func (s *State) Credits() []Credit {
	out := make([]Credit, 0, len(s.credits))
	for _, c := range s.credits {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Credit) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Allocations returns copies of every allocation, by ID.
func (s *State) Allocations() []Allocation {
	out := make([]Allocation, 0, len(s.allocs))
	for _, a := range s.allocs {
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b Allocation) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Order returns a copy of an order.
func (s *State) Order(id string) (Order, bool) {
	if o := s.orders[id]; o != nil {
		return *o, true
	}
	return Order{}, false
}

// Auction returns a copy of an auction.
func (s *State) Auction(id string) (Auction, bool) {
	if a := s.auctions[id]; a != nil {
		c := *a
		c.Bids = slices.Clone(a.Bids)
		return c, true
	}
	return Auction{}, false
}

// Book returns copies of the open listings and bids of a pollutant in
// priority order.
func (s *State) Book(p string) (asks, bids []Order) {
	b := s.books[p]
	if b == nil {
		return nil, nil
	}
	for _, o := range b.asks {
		asks = append(asks, *o)
	}
	for _, o := range b.bids {
		bids = append(bids, *o)
	}
	return asks, bids
}

// Pollutants returns the configured pollutants sorted by code.
func (s *State) Pollutants() []Pollutant {
	out := make([]Pollutant, 0, len(s.pollutants))
	for _, p := range s.pollutants {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Pollutant) int { return cmp.Compare(a.Code, b.Code) })
	return out
}
