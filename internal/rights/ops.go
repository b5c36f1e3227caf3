package rights

import (
	"fmt"
	"slices"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
)

func (t *tx) plan(cmd Command) error {
	switch c := cmd.(type) {
	case Configure:
		return t.configure(c)
	case AllocatePermit:
		return t.allocatePermit(c)
	case DeclareReduction:
		return t.declareReduction(c)
	case ReviewReduction:
		return t.reviewReduction(c)
	case ConfirmReduction:
		return t.confirmReduction(c)
	case ReserveAllocation:
		return t.reserveAllocation(c)
	case LockAllocation:
		return t.lockAllocation(c)
	case GrantAllocation:
		return t.grantAllocation(c)
	case WriteOffAllocation:
		return t.writeOffAllocation(c)
	case ReleaseAllocation:
		return t.releaseAllocation(c)
	case PlaceOrder:
		return t.placeOrder(c)
	case CancelOrder:
		return t.cancelOrder(c)
	case OpenAuction:
		return t.openAuction(c)
	case BidAuction:
		return t.bidAuction(c)
	case CloseAuction:
		return t.closeAuction(c)
	case Agreement:
		return t.agreement(c)
	case Transfer:
		return t.transfer(c)
	case BuyBack:
		return t.buyBack(c)
	case Retire:
		return t.retire(c)
	case Expire:
		return t.expire()
	}
	return t.refuse("", ErrInvalid, "unknown command type %T (pass command values, not pointers)", cmd)
}

// ---- shared validation --------------------------------------------------------

func (t *tx) needName(field, v string) error {
	if !validName(v) {
		return t.refuse(field, ErrInvalid, "%q: want 1-128 bytes of UTF-8 without spaces or control characters", v)
	}
	return nil
}

func (t *tx) needPollutant(field, p string) error {
	if t.s.pol[p] == nil {
		return t.refuse(field, ErrInvalid, "unknown pollutant %q (configure it first)", p)
	}
	return nil
}

func (t *tx) needQuantity(field string, q int64) error {
	if q <= 0 || q > maxQuantity {
		return t.refuse(field, ErrInvalid, "quantity %d g/a: want 1 to %d", q, int64(maxQuantity))
	}
	return nil
}

func (t *tx) needPrice(field string, p int64) error {
	if p < 0 || p > maxPrice {
		return t.refuse(field, ErrInvalid, "price %d fen/t: want 0 to %d", p, int64(maxPrice))
	}
	return nil
}

func (t *tx) needHolder(field string, a Account) error {
	if !a.IsHolder() {
		return t.refuse(field, ErrInvalid, "%q is not an enterprise, reservoir or reserve account", a)
	}
	return nil
}

func (t *tx) enterprise(field, uscc string) (Account, error) {
	if err := t.needName(field, uscc); err != nil {
		return "", err
	}
	return Enterprise(uscc), nil
}

func utcMicro(tm time.Time) time.Time { return tm.UTC().Truncate(time.Microsecond) }

func (s *State) validity() int {
	if s.validityMonths > 0 {
		return s.validityMonths
	}
	return defaultMonths
}

func (s *State) creditLife() int {
	if s.creditMonths > 0 {
		return s.creditMonths
	}
	return defaultMonths
}

// price looks up the price of p for fees charged in the CST year of now.
func (s *State) price(p string, now time.Time) (int64, bool) {
	y := now.UTC().Add(cstOffset).Year()
	if v, ok := s.prices[priceKey{p, y}]; ok {
		return v, true
	}
	v, ok := s.prices[priceKey{p, 0}]
	return v, ok
}

// Ratio returns the replacement-ratio rule for a case: the most specific row
// of the table (see RatioRule).
func (s *State) Ratio(region, pollutant, attainment string, year int, projectType string) (RatioRule, bool) {
	for _, y := range [2]int{year, 0} {
		for _, r := range [2]string{region, "*"} {
			for _, pt := range [2]string{projectType, "*"} {
				if v, ok := s.ratios[ratioKey{r, pollutant, attainment, y, pt}]; ok {
					return v, true
				}
			}
		}
	}
	return RatioRule{}, false
}

// feeFor computes the paid-use fee for q of p from max(now, from) to until.
func (t *tx) feeFor(field, p string, q int64, from, until time.Time) (int64, int, int64, error) {
	price, ok := t.s.price(p, t.now)
	if !ok {
		return 0, 0, 0, t.refuse(field, ErrNoPrice, "no paid-use price for %s in %d", p, t.now.Add(cstOffset).Year())
	}
	start := from
	if t.now.After(start) {
		start = t.now
	}
	months := MonthsRemaining(start, until)
	fee, ok := Fee(q, price, months)
	if !ok {
		return 0, 0, 0, t.refuse(field, ErrInvalid, "fee overflows")
	}
	return fee, months, price, nil
}

type feeDetail struct {
	Price  int64 `json:"price"` // fen per tonne per year
	Months int   `json:"months"`
}

// ---- configuration and 确权 ----------------------------------------------

func (t *tx) configure(c Configure) error {
	if c.ValidityMonths < 0 || c.ValidityMonths > 600 || c.CreditMonths < 0 || c.CreditMonths > 600 {
		return t.refuse("validity_months", ErrInvalid, "months must be 1-600")
	}
	for i, r := range c.Ratios {
		if r.Attainment != Attain && r.Attainment != NonAttain {
			return t.refuse(fmt.Sprintf("ratios[%d].attainment", i), ErrInvalid, "%q: want %s or %s", r.Attainment, Attain, NonAttain)
		}
		if r.Region == "" || r.ProjectType == "" {
			return t.refuse(fmt.Sprintf("ratios[%d]", i), ErrInvalid, "region and project_type are required (\"*\" for any)")
		}
	}
	c.Meta = Meta{}
	return t.event(EvConfig, t.meta.Key, "", c)
}

func (t *tx) allocatePermit(c AllocatePermit) error {
	s := t.s
	if err := t.needName("permit", c.Permit); err != nil {
		return err
	}
	ent, err := t.enterprise("enterprise", c.Enterprise)
	if err != nil {
		return err
	}
	if err := t.needName("county", c.County); err != nil {
		return err
	}
	if err := t.needPollutant("pollutant", c.Pollutant); err != nil {
		return err
	}
	if err := t.needQuantity("quantity", c.Quantity); err != nil {
		return err
	}
	if c.ValidFrom.IsZero() {
		return t.refuse("valid_from", ErrInvalid, "required")
	}
	if s.permits[c.Permit+"/"+c.Pollutant] != nil {
		return t.refuse("permit", ErrDuplicate, "permit %s already has an allocation of %s", c.Permit, c.Pollutant)
	}
	from := utcMicro(c.ValidFrom)
	until := AddMonths(from, s.validity())
	if !until.After(t.now) {
		return t.refuse("valid_from", ErrExpired, "rights valid from %s would have expired at %s", from.Format(time.DateOnly), until.Format(time.DateOnly))
	}
	var since string
	var conf Decision
	if !c.ExistingSince.IsZero() {
		// 确权 is for existing units (ClassifyPermit: 聊政办字〔2023〕24号,
		// 财税〔2015〕61号): a new unit's rights are not created here.
		day := chinaDay(c.ExistingSince)
		if day.After(chinaDay(t.now)) {
			return t.refuse("existing_since", ErrInvalid, "%s is after today", day.Format(time.DateOnly))
		}
		if conf, err = ClassifyPermit(s.tradingRules(), day); err != nil {
			return t.refuse("existing_since", ErrInvalid, "%v", err)
		}
		if conf.Obligation == MustTrade {
			return t.refuse("existing_since", ErrMustTrade, "%s: %s", conf.Version, conf.Reason)
		}
		since = day.Format(time.DateOnly)
	}
	var fee int64
	var fd feeDetail
	if c.Paid {
		if fee, fd.Months, fd.Price, err = t.feeFor("pollutant", c.Pollutant, c.Quantity, from, until); err != nil {
			return err
		}
	}
	p := Permit{No: c.Permit, Enterprise: ent, County: c.County, Pollutant: c.Pollutant,
		Quantity: c.Quantity, ValidFrom: from, ValidUntil: until, Paid: c.Paid, ExistingSince: since, Confirmation: conf}
	if err := t.event(EvPermit, c.Permit, "", p); err != nil {
		return err
	}
	ps := s.pol[c.Pollutant]
	err = t.emit(Entry{Kind: KindRights, Op: OpIssue, Ref: c.Permit, Asset: c.Pollutant, From: Issuance, To: ent,
		Start: ps.next, Amount: c.Quantity, ValidUntil: until, Paid: c.Paid})
	if err != nil {
		return err
	}
	if c.Paid {
		return t.pay(OpFee, c.Permit, ent, Treasury, fee, fd)
	}
	return nil
}

// ---- the reservoir: banking reductions ----------------------------------------

var measures = [...]string{MeasureClosure, MeasurePhaseOut, MeasureRetrofit, MeasureCleanProduction, MeasureGovTreatment}

func (t *tx) declareReduction(c DeclareReduction) error {
	s := t.s
	if err := t.needName("credit", c.Credit); err != nil {
		return err
	}
	if s.credits[c.Credit] != nil {
		return t.refuse("credit", ErrDuplicate, "credit %s exists", c.Credit)
	}
	ent, err := t.enterprise("enterprise", c.Enterprise)
	if err != nil {
		return err
	}
	if err := t.needName("county", c.County); err != nil {
		return err
	}
	if err := t.needPollutant("pollutant", c.Pollutant); err != nil {
		return err
	}
	if err := t.needQuantity("quantity", c.Quantity); err != nil {
		return err
	}
	if !slices.Contains(measures[:], c.Measure) {
		return t.refuse("measure", ErrInvalid, "%q: want one of %v", c.Measure, measures)
	}
	if c.Effective.IsZero() {
		return t.refuse("effective", ErrInvalid, "required")
	}
	// The reduction must be verifiable against evidence before it counts
	// (十二五水污染物总量减排核算细则: reductions outside the baseline do not count).
	if len(c.Evidence) == 0 {
		return t.refuse("evidence", ErrInvalid, "at least one evidence reference is required")
	}
	for i, ev := range c.Evidence {
		if ev == "" || len(ev) > 512 {
			return t.refuse(fmt.Sprintf("evidence[%d]", i), ErrInvalid, "empty or longer than 512 bytes")
		}
	}
	cr := Credit{ID: c.Credit, Enterprise: ent, County: c.County, Pollutant: c.Pollutant, Quantity: c.Quantity,
		Measure: c.Measure, Effective: utcMicro(c.Effective), Evidence: c.Evidence}
	return t.event(EvCredit, c.Credit, CreditDeclared, cr)
}

type noteDetail struct {
	Note string `json:"note,omitempty"`
}

func (t *tx) credit(id string) (*Credit, error) {
	c := t.s.credits[id]
	if c == nil {
		return nil, t.refuse("credit", ErrNotFound, "no credit %q", id)
	}
	return c, nil
}

func (t *tx) reviewReduction(c ReviewReduction) error {
	cr, err := t.credit(c.Credit)
	if err != nil {
		return err
	}
	if cr.Status != CreditDeclared {
		return t.refuse("credit", ErrState, "credit %s is %s; only a declared credit is reviewed", cr.ID, cr.Status)
	}
	st := CreditReviewed
	if !c.Approve {
		st = CreditRejected
	}
	return t.event(EvCreditStatus, cr.ID, st, noteDetail{c.Note})
}

func (t *tx) confirmReduction(c ConfirmReduction) error {
	s := t.s
	cr, err := t.credit(c.Credit)
	if err != nil {
		return err
	}
	if cr.Status != CreditReviewed {
		return t.refuse("credit", ErrState, "credit %s is %s; the city confirms only after the county's review", cr.ID, cr.Status)
	}
	if !c.Approve {
		return t.event(EvCreditStatus, cr.ID, CreditRejected, noteDetail{c.Note})
	}
	q := c.Quantity
	if q == 0 {
		q = cr.Quantity
	}
	if q < 0 || q > cr.Quantity {
		return t.refuse("quantity", ErrInvalid, "confirmed %d g/a must be 1 to the declared %d", q, cr.Quantity)
	}
	expires := AddMonths(cr.Effective, s.creditLife())
	if !expires.After(t.now) {
		return t.refuse("credit", ErrExpired, "credit %s expired at %s", cr.ID, expires.Format(time.RFC3339))
	}
	d := struct {
		Confirmed int64     `json:"confirmed"`
		Expires   time.Time `json:"expires"`
		Note      string    `json:"note,omitempty"`
	}{q, expires, c.Note}
	if err := t.event(EvCreditStatus, cr.ID, CreditConfirmed, d); err != nil {
		return err
	}
	return t.emit(Entry{Kind: KindRights, Op: OpMint, Ref: cr.ID, Asset: cr.Pollutant, From: Reduction,
		To: CountyReservoir(cr.County), Start: s.pol[cr.Pollutant].next, Amount: q, ValidUntil: expires})
}

// ---- allocation to construction projects ------------------------------------

func (t *tx) reserveAllocation(c ReserveAllocation) error {
	s := t.s
	if err := t.needName("allocation", c.Allocation); err != nil {
		return err
	}
	if s.allocs[c.Allocation] != nil {
		return t.refuse("allocation", ErrDuplicate, "allocation %s exists", c.Allocation)
	}
	if err := t.needName("eia", c.EIA); err != nil {
		return err
	}
	project, err := t.enterprise("project", c.Project)
	if err != nil {
		return err
	}
	if err := t.needName("region", c.Region); err != nil {
		return err
	}
	if err := t.needPollutant("pollutant", c.Pollutant); err != nil {
		return err
	}
	if c.Attainment != Attain && c.Attainment != NonAttain {
		return t.refuse("attainment", ErrInvalid, "%q: want %s or %s", c.Attainment, Attain, NonAttain)
	}
	if err := t.needName("project_type", c.ProjectType); err != nil {
		return err
	}
	if err := t.needQuantity("need", c.Need); err != nil {
		return err
	}
	if len(c.Credits) == 0 {
		return t.refuse("credits", ErrInvalid, "name at least one credit to draw from")
	}
	cls, err := t.classify(c)
	if err != nil {
		return err
	}
	rule, ok := s.Ratio(c.Region, c.Pollutant, c.Attainment, c.Year, c.ProjectType)
	if !ok {
		return t.refuse("project_type", ErrNoRatioRule, "no rule for region %s, %s, %s, year %d, project type %s",
			c.Region, c.Pollutant, c.Attainment, c.Year, c.ProjectType)
	}
	offset, ok := mulDivCeil(c.Need, rule.Num, rule.Den)
	if !ok || offset > maxQuantity {
		return t.refuse("need", ErrInvalid, "need × ratio overflows")
	}
	nowµ := t.now.UnixMicro()
	var avail int64
	for i, id := range c.Credits {
		f := fmt.Sprintf("credits[%d]", i)
		if slices.Index(c.Credits, id) != i {
			return t.refuse(f, ErrInvalid, "credit %s is listed twice", id)
		}
		cr := s.credits[id]
		switch {
		case cr == nil:
			return t.refuse(f, ErrNotFound, "no credit %q", id)
		case cr.Pollutant != c.Pollutant:
			return t.refuse(f, ErrInvalid, "credit %s is %s, not %s", id, cr.Pollutant, c.Pollutant)
		case cr.Status == CreditExpired || (cr.Status == CreditConfirmed && cr.Expires.UnixMicro() <= nowµ):
			return t.refuse(f, ErrExpired, "credit %s expired at %s", id, cr.Expires.Format(time.RFC3339))
		case cr.Status != CreditConfirmed:
			return t.refuse(f, ErrUnverified, "credit %s is %s; only a credit confirmed by the city is spendable", id, cr.Status)
		case cr.Effective.After(t.now):
			return t.refuse(f, ErrUnverified, "credit %s is effective only from %s", id, cr.Effective.Format(time.RFC3339))
		}
		for _, a := range creditAccounts(cr) {
			avail += s.sumValid(a, c.Pollutant, nowµ, id)
		}
	}
	if avail < offset {
		return t.refuse("need", ErrOverdraft, "the credits hold %s; need %s × %d:%d = %s",
			grams(avail), grams(c.Need), rule.Num, rule.Den, grams(offset))
	}
	a := Allocation{ID: c.Allocation, EIA: c.EIA, Project: project, Region: c.Region, Pollutant: c.Pollutant,
		Attainment: c.Attainment, Year: c.Year, ProjectType: c.ProjectType, Need: c.Need, Offset: offset,
		Rule: rule, Credits: c.Credits, Trading: cls}
	if err := t.event(EvAlloc, a.ID, AllocReserved, a); err != nil {
		return err
	}
	esc := escrowOf("alloc/" + a.ID)
	left := offset
	for _, id := range c.Credits {
		cr := s.credits[id]
		for _, acct := range creditAccounts(cr) {
			if left == 0 {
				break
			}
			spans, got, _ := t.pick(acct, c.Pollutant, left, func(b *Block) bool { return b.Origin == id })
			if err := t.move(OpEscrow, a.ID, c.Pollutant, acct, esc, spans, time.Time{}, nil); err != nil {
				return err
			}
			left -= got
		}
	}
	return nil
}

// classify applies the city's trading rules in force on the application's
// date (聊城市排污权有偿使用和交易实施细则(试行) until 2026-06-01, 聊政办字〔2025〕11号
// 管理办法 from then; rights-cases-accountability.md §1.3) to the project's
// additions: a project that must trade is refused a reservoir allocation.
func (t *tx) classify(c ReserveAllocation) (Classification, error) {
	applied := t.now
	if !c.Applied.IsZero() {
		applied = c.Applied
		if chinaDay(applied).After(chinaDay(t.now)) {
			return Classification{}, t.refuse("applied", ErrInvalid, "the application date %s is after today", chinaDay(applied).Format(time.DateOnly))
		}
	}
	adds := map[string]int64{c.Pollutant: c.Need}
	stated := len(c.Additions) > 0
	if stated {
		adds = make(map[string]int64, len(c.Additions))
		for p, q := range c.Additions {
			if q < 0 || q > maxQuantity {
				return Classification{}, t.refuse("additions", ErrInvalid, "%s: %d g/a: want 0 to %d", p, q, int64(maxQuantity))
			}
			adds[p] = q
		}
		if adds[c.Pollutant] < c.Need {
			return Classification{}, t.refuse("additions", ErrInvalid, "the project adds %s of %s, less than the need %s",
				grams(adds[c.Pollutant]), c.Pollutant, grams(c.Need))
		}
	}
	d, err := ClassifyApplication(t.s.tradingRules(), applied, adds)
	if err != nil {
		return Classification{}, t.refuse("applied", ErrInvalid, "%v", err)
	}
	if d.Obligation == MustTrade {
		field := "additions"
		if !stated {
			field = "need"
		}
		return Classification{}, t.refuse(field, ErrMustTrade, "%s (applied %s): %s: a new project must obtain these rights by trading (交易取得), not from the reservoir",
			d.Version, chinaDay(applied).Format(time.DateOnly), d.Reason)
	}
	return Classification{Decision: d, Applied: chinaDay(applied).Format(time.DateOnly), Additions: adds, Stated: stated}, nil
}

// chinaDay is 00:00 China time of t's calendar day there.
func chinaDay(t time.Time) time.Time {
	d := t.In(chinatime.Zone)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, chinatime.Zone)
}

// creditAccounts lists where a credit's units may sit, in drawing order.
func creditAccounts(c *Credit) [3]Account {
	return [3]Account{CountyReservoir(c.County), City, Reserve}
}

// mulDivCeil returns ceil(a × b / d) for positive operands.
func mulDivCeil(a, b, d int64) (int64, bool) {
	if a > maxQuantity || b > 1<<20 {
		return 0, false
	}
	p := a * b
	return (p + d - 1) / d, true
}

func (t *tx) allocation(id string, want ...string) (*Allocation, error) {
	a := t.s.allocs[id]
	if a == nil {
		return nil, t.refuse("allocation", ErrNotFound, "no allocation %q", id)
	}
	if !slices.Contains(want, a.Status) {
		return nil, t.refuse("allocation", ErrState, "allocation %s is %s, not %v", id, a.Status, want)
	}
	return a, nil
}

func (t *tx) lockAllocation(c LockAllocation) error {
	a, err := t.allocation(c.Allocation, AllocReserved)
	if err != nil {
		return err
	}
	return t.event(EvAllocStatus, a.ID, AllocLocked, nil)
}

func (t *tx) grantAllocation(c GrantAllocation) error {
	s := t.s
	a, err := t.allocation(c.Allocation, AllocLocked)
	if err != nil {
		return err
	}
	esc := escrowOf("alloc/" + a.ID)
	spans, got, ok := t.pick(esc, a.Pollutant, a.Need, nil)
	if !ok {
		return t.refuse("allocation", ErrExpired, "only %s of the reserved credits is still valid, %s needed; release the allocation",
			grams(got), grams(a.Need))
	}
	until := AddMonths(t.now, s.validity())
	var fee int64
	var fd feeDetail
	if c.Paid {
		if fee, fd.Months, fd.Price, err = t.feeFor("paid", a.Pollutant, a.Need, t.now, until); err != nil {
			return err
		}
	}
	if err := t.event(EvAllocStatus, a.ID, AllocGranted, nil); err != nil {
		return err
	}
	paid := c.Paid
	if err := t.move(OpGrant, a.ID, a.Pollutant, esc, a.Project, spans, until, &paid); err != nil {
		return err
	}
	if c.Paid {
		if err := t.pay(OpFee, a.ID, a.Project, Treasury, fee, fd); err != nil {
			return err
		}
	}
	if err := t.event(EvPermitChange, a.ID, "", permitChange{a.Project, a.Pollutant, s.Balance(a.Project, a.Pollutant)}); err != nil {
		return err
	}
	if a.Trading.Exempt() {
		// Below the thresholds the county writes the replacement off
		// itself (核销); nothing is left waiting in escrow.
		return t.writeOffAllocation(WriteOffAllocation{Allocation: a.ID})
	}
	return nil
}

type permitChange struct {
	Account   Account `json:"account"`
	Pollutant string  `json:"pollutant"`
	Holding   int64   `json:"holding"` // g/a held after the change
}

func (t *tx) writeOffAllocation(c WriteOffAllocation) error {
	s := t.s
	a, err := t.allocation(c.Allocation, AllocGranted)
	if err != nil {
		return err
	}
	esc := escrowOf("alloc/" + a.ID)
	// The replaced share is consumed even if its credit has since expired:
	// a write-off only closes the books on units already committed.
	for _, b := range s.Blocks(esc, a.Pollutant) {
		err := t.emit(Entry{Kind: KindRights, Op: OpWriteOff, Ref: a.ID, Asset: a.Pollutant, From: esc, To: WrittenOff,
			Start: b.Start, Amount: b.Len, Paid: b.Paid})
		if err != nil {
			return err
		}
	}
	return t.event(EvAllocStatus, a.ID, AllocWrittenOff, nil)
}

func (t *tx) releaseAllocation(c ReleaseAllocation) error {
	a, err := t.allocation(c.Allocation, AllocReserved, AllocLocked)
	if err != nil {
		return err
	}
	if err := t.returnAll("alloc/"+a.ID, a.ID, a.Pollutant); err != nil {
		return err
	}
	return t.event(EvAllocStatus, a.ID, AllocReleased, noteDetail{c.Reason})
}
