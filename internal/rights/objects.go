package rights

import "time"

// Pollutant is a pollutant under total-quantity control. Codes are short
// ASCII names, e.g. COD, NH3-N, SO2, NOx, VOCs, PM.
type Pollutant struct {
	Code   string `json:"code"`
	Name   string `json:"name,omitempty"`   // Chinese name, e.g. 化学需氧量
	Medium string `json:"medium,omitempty"` // "water" or "air"
}

// Price is the paid-use price (有偿使用费) of a pollutant for fees charged in
// Year (0 = any year without its own row), in fen per tonne per year of
// right (元/吨·年 × 100).
type Price struct {
	Pollutant       string `json:"pollutant"`
	Year            int    `json:"year,omitempty"`
	FenPerTonneYear int64  `json:"fen_per_tonne_year"`
}

// Attainment statuses of a region for the pollutant's medium in the
// reference year (上一年度环境质量是否达标).
const (
	Attain    = "attain"
	NonAttain = "nonattain"
)

// RatioRule is one row of the replacement-ratio table (倍量替代): a project
// in Region needing N of Pollutant must offset ceil(N × Num / Den). Region
// "*" and ProjectType "*" are wildcards; Year 0 matches any year. The most
// specific row wins (exact year before 0, exact project type before "*",
// exact region before "*").
type RatioRule struct {
	Region      string `json:"region"`
	Pollutant   string `json:"pollutant"`
	Attainment  string `json:"attainment"`
	Year        int    `json:"year,omitempty"`
	ProjectType string `json:"project_type"`
	Num         int64  `json:"num"`
	Den         int64  `json:"den"`
	Basis       string `json:"basis,omitempty"` // the rule's legal source, e.g. 环发〔2014〕197号
}

// Permit is an initial allocation (确权) recorded from a discharge permit.
type Permit struct {
	No         string    `json:"no"`
	Enterprise Account   `json:"enterprise"`
	County     string    `json:"county"`
	Pollutant  string    `json:"pollutant"`
	Quantity   int64     `json:"quantity"` // g/a
	ValidFrom  time.Time `json:"valid_from"`
	ValidUntil time.Time `json:"valid_until"`
	Paid       bool      `json:"paid"`
	// ExistingSince (China calendar day) and Confirmation are the unit's
	// date and ClassifyPermit's decision, absent when not stated.
	ExistingSince string   `json:"existing_since,omitempty"`
	Confirmation  Decision `json:"confirmation,omitzero"`
}

// Reduction measures that can be banked.
const (
	MeasureClosure         = "closure"          // 关停
	MeasurePhaseOut        = "phase_out"        // 淘汰落后产能
	MeasureRetrofit        = "retrofit"         // 治理升级
	MeasureCleanProduction = "clean_production" // 清洁生产
	MeasureGovTreatment    = "gov_treatment"    // 政府投资治理
)

// Credit statuses: declared → reviewed (county) → confirmed (city; spendable
// from Effective until Expires) → expired; or rejected at either review.
const (
	CreditDeclared  = "declared"
	CreditReviewed  = "reviewed"
	CreditConfirmed = "confirmed"
	CreditRejected  = "rejected"
	CreditExpired   = "expired"
)

// Credit is a banked reduction (减排量) in a reservoir.
type Credit struct {
	ID         string    `json:"id"`
	Enterprise Account   `json:"enterprise"` // the unit that made the reduction
	County     string    `json:"county"`     // its county; the credit is banked in that county's reservoir
	Pollutant  string    `json:"pollutant"`
	Quantity   int64     `json:"quantity"` // declared, g/a
	Measure    string    `json:"measure"`
	Effective  time.Time `json:"effective"`
	Evidence   []string  `json:"evidence"` // document references: permit change, monitoring, acceptance report
	Status     string    `json:"status,omitempty"`
	Confirmed  int64     `json:"confirmed,omitempty"` // confirmed by the city, g/a
	Expires    time.Time `json:"expires,omitzero"`
}

// Allocation statuses: reserved (预留) → locked (锁定) → granted (已出让) →
// written_off (已核销); reserved or locked → released.
const (
	AllocReserved   = "reserved"
	AllocLocked     = "locked"
	AllocGranted    = "granted"
	AllocWrittenOff = "written_off"
	AllocReleased   = "released"
)

// Allocation is the supply of total-quantity indicators to a construction
// project from reservoir credits.
type Allocation struct {
	ID          string    `json:"id"`
	EIA         string    `json:"eia"` // EIA approval number (环评批复文号)
	Project     Account   `json:"project"`
	Region      string    `json:"region"`
	Pollutant   string    `json:"pollutant"`
	Attainment  string    `json:"attainment"`
	Year        int       `json:"year"`
	ProjectType string    `json:"project_type"`
	Need        int64     `json:"need"`   // g/a the project will emit
	Offset      int64     `json:"offset"` // g/a drawn from credits: ceil(Need × Num / Den)
	Rule        RatioRule `json:"rule"`
	Credits     []string  `json:"credits"`
	Status      string    `json:"status,omitempty"`
	// Trading is the classification under the city's trading rules, absent
	// on allocations recorded before the rules were applied.
	Trading Classification `json:"trading,omitzero"`
}

// Classification is an application's decision under the trading rules as
// recorded with its allocation: the rules, the date that chose them, what
// the project adds, and whether the additions were stated in full.
type Classification struct {
	Decision
	Applied   string           `json:"applied"` // China calendar day
	Additions map[string]int64 `json:"additions,omitempty"`
	Stated    bool             `json:"stated,omitempty"` // false: only the allocation's own pollutant was known
}

// Exempt reports whether the county replaces and writes off the project's
// indicators itself (ExemptSource, CountyWriteOff).
func (c Classification) Exempt() bool {
	return c.Obligation == ExemptSource || c.Obligation == CountyWriteOff
}

// Order sides.
const (
	Sell = "sell" // listing (挂牌)
	Buy  = "buy"  // bid
)

// Order statuses.
const (
	OrderOpen      = "open"
	OrderFilled    = "filled"
	OrderCancelled = "cancelled"
)

// Order is a listing or a bid in the order book of one pollutant. Price is
// in fen per tonne of annual right.
type Order struct {
	ID        string  `json:"id"`
	Side      string  `json:"side"`
	Owner     Account `json:"owner"`
	Pollutant string  `json:"pollutant"`
	Quantity  int64   `json:"quantity"`
	Price     int64   `json:"price"`
	Remaining int64   `json:"-"`
	Seq       int64   `json:"-"` // time priority: Seq of the entry that placed it
	Status    string  `json:"-"`
}

// Auction statuses.
const (
	AuctionOpen      = "open"
	AuctionClosed    = "closed"
	AuctionCancelled = "cancelled"
)

// Auction is a sealed-bid auction (拍卖) of a lot of rights; bids win by
// price then time and pay their own price.
type Auction struct {
	ID         string       `json:"id"`
	Seller     Account      `json:"seller"`
	Pollutant  string       `json:"pollutant"`
	Quantity   int64        `json:"quantity"`
	StartPrice int64        `json:"start_price"`
	Closes     time.Time    `json:"closes"`
	Bids       []AuctionBid `json:"-"`
	Status     string       `json:"-"`
}

// AuctionBid is one sealed bid.
type AuctionBid struct {
	ID       string  `json:"id"`
	Bidder   Account `json:"bidder"`
	Quantity int64   `json:"quantity"`
	Price    int64   `json:"price"`
	Seq      int64   `json:"-"`
}

// Trade is one settlement of rights against money, recorded in the Detail
// of its money entry.
type Trade struct {
	Buy       string  `json:"buy,omitempty"`  // bid or auction bid id
	Sell      string  `json:"sell,omitempty"` // listing, auction or contract id
	Buyer     Account `json:"buyer"`
	Seller    Account `json:"seller"`
	Pollutant string  `json:"pollutant"`
	Quantity  int64   `json:"quantity"` // g/a
	Price     int64   `json:"price"`    // fen per tonne
	Amount    int64   `json:"amount"`   // fen
}

// Block is a contiguous range of serial numbers [Start, Start+Len) of one
// pollutant: Len grams per year of rights, held by one account. Each gram has
// its own serial, so each unit can be traced from its creation to its end.
type Block struct {
	Pollutant  string
	Start, Len int64
	Owner      Account
	Origin     string  // the permit or credit that created the units
	ValidFrom  int64   // Unix microseconds; a permit's units may not be spent before then (0: from issuance)
	ValidUntil int64   // Unix microseconds; the units may not be spent from then on
	Paid       bool    // the holder paid for them (有偿); decides 有偿回购 vs 无偿收回
	Back       Account // while in escrow: where the units return on release or cancel
}
