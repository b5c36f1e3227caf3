package rights

import "time"

// The commands. Every command embeds Meta; its JSON encoding is its body for
// idempotency. Quantities are grams per year (g/a) of annual discharge
// right; prices are fen per tonne; money is fen.

// Configure adds or replaces pollutants, prices and ratio rules, and sets
// the validity periods (0 = unchanged; both default to 60 months). The
// configuration lives in the ledger, so every fee and ratio can be traced to
// the table in force when it was applied.
type Configure struct {
	Meta
	Pollutants     []Pollutant `json:"pollutants,omitempty"`
	Prices         []Price     `json:"prices,omitempty"`
	Ratios         []RatioRule `json:"ratios,omitempty"`
	ValidityMonths int         `json:"validity_months,omitempty"`
	CreditMonths   int         `json:"credit_months,omitempty"`
}

// AllocatePermit is the initial allocation (确权) of one pollutant from a
// discharge permit: the rights are issued to the enterprise, valid for the
// validity period from ValidFrom. If Paid, the paid-use fee is recorded at
// the price of the current year for the months remaining. A
// re-confirmation after five years uses a new permit number or version.
//
// ExistingSince is when the unit went into operation or its EIA was
// approved or filed: a confirmation is for existing units only
// (ClassifyPermit), so a unit dated on or after the trading rules' first
// day is refused (ErrMustTrade) and the decision of an existing one is
// recorded with the permit. Zero: not stated, the permit is recorded
// unclassified (as before the rule).
type AllocatePermit struct {
	Meta
	Permit     string    `json:"permit"`
	Enterprise string    `json:"enterprise"` // USCC
	County     string    `json:"county"`
	Pollutant  string    `json:"pollutant"`
	Quantity   int64     `json:"quantity"`
	ValidFrom  time.Time `json:"valid_from"`
	Paid       bool      `json:"paid"`
	// ExistingSince: see above.
	ExistingSince time.Time `json:"existing_since,omitzero"`
}

// DeclareReduction banks a reduction for verification (申报).
type DeclareReduction struct {
	Meta
	Credit     string    `json:"credit"`
	Enterprise string    `json:"enterprise"` // USCC of the unit that reduced
	County     string    `json:"county"`
	Pollutant  string    `json:"pollutant"`
	Quantity   int64     `json:"quantity"`
	Measure    string    `json:"measure"`
	Effective  time.Time `json:"effective"`
	Evidence   []string  `json:"evidence"`
}

// ReviewReduction is the county's first review (分局初审).
type ReviewReduction struct {
	Meta
	Credit  string `json:"credit"`
	Approve bool   `json:"approve"`
	Note    string `json:"note,omitempty"`
}

// ConfirmReduction is the city's confirmation (市局核定). Quantity may lower
// the declared amount (0 = as declared). On approval the credit's units are
// created in its county's reservoir, valid for the credit period from the
// effective date.
type ConfirmReduction struct {
	Meta
	Credit   string `json:"credit"`
	Approve  bool   `json:"approve"`
	Quantity int64  `json:"quantity,omitempty"`
	Note     string `json:"note,omitempty"`
}

// ReserveAllocation reserves (预留) total-quantity indicators for a
// construction project: Need × ratio, drawn from the listed credits in
// order. Each credit's units are taken from its county reservoir, then the
// city reservoir, then the reserve.
//
// The application is first classified by the city's trading rules in
// force on its date (ClassifyApplication): a project that must obtain its
// rights by trading is refused (ErrMustTrade); otherwise the decision is
// recorded with the allocation. Applied is the application's date (zero:
// now); Additions are every factor the project adds, g/a (empty: only
// Pollutant, Need — enough to refuse a must-trade project, but an exempt
// decision then rests on that factor alone, which the record says).
type ReserveAllocation struct {
	Meta
	Allocation  string   `json:"allocation"`
	EIA         string   `json:"eia"`
	Project     string   `json:"project"` // USCC of the builder
	Region      string   `json:"region"`
	Pollutant   string   `json:"pollutant"`
	Attainment  string   `json:"attainment"`
	Year        int      `json:"year"`
	ProjectType string   `json:"project_type"`
	Need        int64    `json:"need"`
	Credits     []string `json:"credits"`
	// Applied and Additions feed the trading rules (see above).
	Applied   time.Time        `json:"applied,omitzero"`
	Additions map[string]int64 `json:"additions,omitempty"`
}

// LockAllocation locks (锁定) a reserved allocation while the EIA is decided.
type LockAllocation struct {
	Meta
	Allocation string `json:"allocation"`
}

// GrantAllocation grants (出让) a locked allocation: Need goes to the
// project, valid for the validity period from now; the rest stays in escrow
// until it is written off. If Paid, the paid-use fee is recorded. An
// allocation the trading rules exempt (ExemptSource, CountyWriteOff) is
// written off in the same command: the county replaces and writes off
// (核销) the indicators of such small projects itself.
type GrantAllocation struct {
	Meta
	Allocation string `json:"allocation"`
	Paid       bool   `json:"paid"`
}

// WriteOffAllocation writes off (核销) the replaced share of a granted
// allocation.
type WriteOffAllocation struct {
	Meta
	Allocation string `json:"allocation"`
}

// ReleaseAllocation releases a reserved or locked allocation: its units go
// back to the reservoirs they came from.
type ReleaseAllocation struct {
	Meta
	Allocation string `json:"allocation"`
	Reason     string `json:"reason,omitempty"`
}

// PlaceOrder places a listing (挂牌, Side Sell) or a bid (Side Buy). A
// listing escrows its rights. The order matches the best opposite orders
// (price, then time) at their price; what is left rests in the book.
type PlaceOrder struct {
	Meta
	Order     string  `json:"order"`
	Side      string  `json:"side"`
	Owner     Account `json:"owner"` // sellers: any holder; buyers: an enterprise
	Pollutant string  `json:"pollutant"`
	Quantity  int64   `json:"quantity"`
	Price     int64   `json:"price"`
}

// CancelOrder cancels what is left of an open order.
type CancelOrder struct {
	Meta
	Order string `json:"order"`
}

// OpenAuction opens a sealed-bid auction (拍卖) of rights held by Seller.
type OpenAuction struct {
	Meta
	Auction    string    `json:"auction"`
	Seller     Account   `json:"seller"`
	Pollutant  string    `json:"pollutant"`
	Quantity   int64     `json:"quantity"`
	StartPrice int64     `json:"start_price"`
	Closes     time.Time `json:"closes"`
}

// BidAuction places a sealed bid before the auction closes.
type BidAuction struct {
	Meta
	Auction  string `json:"auction"`
	Bid      string `json:"bid"`
	Bidder   string `json:"bidder"` // USCC
	Quantity int64  `json:"quantity"`
	Price    int64  `json:"price"`
}

// CloseAuction awards the lot to the best bids (price, then time; each pays
// its own price) and returns what is unsold, in one step.
type CloseAuction struct {
	Meta
	Auction string `json:"auction"`
}

// Agreement settles a negotiated transfer (协议转让): rights and the payment
// record in one step.
type Agreement struct {
	Meta
	Contract  string  `json:"contract"`
	Seller    Account `json:"seller"`
	Buyer     string  `json:"buyer"` // USCC
	Pollutant string  `json:"pollutant"`
	Quantity  int64   `json:"quantity"`
	Price     int64   `json:"price"`
}

// Transfer moves rights between government accounts (划转): reservoirs and
// the reserve.
type Transfer struct {
	Meta
	From      Account `json:"from"`
	To        Account `json:"to"`
	Pollutant string  `json:"pollutant"`
	Quantity  int64   `json:"quantity"`
	Reason    string  `json:"reason,omitempty"`
}

// BuyBack takes rights back from an enterprise into To (default the
// reserve): units it paid for are bought back at Price (有偿回购), units it
// got free are taken back without payment (无偿收回).
type BuyBack struct {
	Meta
	Enterprise string  `json:"enterprise"` // USCC
	Pollutant  string  `json:"pollutant"`
	Quantity   int64   `json:"quantity"`
	Price      int64   `json:"price"`
	To         Account `json:"to,omitempty"`
}

// Retire cancels rights for good.
type Retire struct {
	Meta
	Account   Account `json:"account"`
	Pollutant string  `json:"pollutant"`
	Quantity  int64   `json:"quantity"`
	Reason    string  `json:"reason,omitempty"`
}

// Expire sweeps everything past its validity at now: listings and auctions
// whose escrow holds expired rights are cancelled, expired rights in
// holders' accounts go to sys:expired, and credits past their expiry are
// marked expired.
type Expire struct {
	Meta
}

func (Configure) name() string          { return "configure" }
func (AllocatePermit) name() string     { return "allocate_permit" }
func (DeclareReduction) name() string   { return "declare_reduction" }
func (ReviewReduction) name() string    { return "review_reduction" }
func (ConfirmReduction) name() string   { return "confirm_reduction" }
func (ReserveAllocation) name() string  { return "reserve_allocation" }
func (LockAllocation) name() string     { return "lock_allocation" }
func (GrantAllocation) name() string    { return "grant_allocation" }
func (WriteOffAllocation) name() string { return "writeoff_allocation" }
func (ReleaseAllocation) name() string  { return "release_allocation" }
func (PlaceOrder) name() string         { return "place_order" }
func (CancelOrder) name() string        { return "cancel_order" }
func (OpenAuction) name() string        { return "open_auction" }
func (BidAuction) name() string         { return "bid_auction" }
func (CloseAuction) name() string       { return "close_auction" }
func (Agreement) name() string          { return "agreement" }
func (Transfer) name() string           { return "transfer" }
func (BuyBack) name() string            { return "buyback" }
func (Retire) name() string             { return "retire" }
func (Expire) name() string             { return "expire" }
