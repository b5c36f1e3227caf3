// Package rights is the pure core of the emission-rights ledger (排污权账本)
// and the environmental indicator reservoir (调蓄库): accounts, serial-
// numbered blocks of rights, commands that validate against the current
// state and produce ledger entries, and the verifier. It does no I/O, reads
// no clock (now is passed in) and holds no globals; the store, the CLI and
// the HTTP API are built around it.
//
// # Units
//
// Rights are annual discharge quantities in grams per year (g/a) as int64:
// 1 t/a = 1,000,000. Grams keep the smallest thresholds in the rules exact
// (NH3-N 0.01 t/a = 10,000 g/a) and leave room for 10^9 t/a. Money is in fen
// (分). Prices are fen per tonne (trades, buy-backs) or fen per tonne per year
// (paid-use fees). Every product is computed exactly with 128-bit
// intermediates and rounded once, to the nearest fen with halves up. There
// are no floats anywhere.
//
// # Ledger
//
// The ledger is an append-only list of Entry rows, each chained to the
// previous one by SHA-256 (see AppendCanonical). A rights entry moves one
// contiguous range of serials from one account to another, so double entry
// holds by construction: the sources sys:issuance and sys:reduction go
// negative by exactly what they created, and all balances of a pollutant sum
// to zero. Each gram has a serial; serials are created in order, live in
// blocks that split on partial moves (a move always takes the front of a
// block) and merge when adjacent pieces arrive together, and end in a sink
// (sys:retired, sys:expired, sys:writtenoff) from which nothing leaves, so
// Trace follows any unit from its permit or credit to its end. Money entries
// record payments next to the rights they pay for; event entries record the
// state of permits, credits, allocations, orders, auctions and the
// configuration (pollutants, prices, ratio rules), so that every state is a
// fold of the entries.
//
// # Commands
//
// Apply(state, command, now) validates a command and returns its entries and
// Result, or a *Refusal naming the field and the reason; a refused command
// changes nothing. Every command carries an idempotency key: a repeat with
// the same body returns the original Result and no entries; a different body
// under a used key is refused. The commands: Configure, AllocatePermit
// (确权, with the paid-use fee), DeclareReduction / ReviewReduction /
// ConfirmReduction (banking a reduction: declared → reviewed by the county →
// confirmed by the city, spendable until it expires), ReserveAllocation /
// LockAllocation / GrantAllocation / WriteOffAllocation / ReleaseAllocation
// (indicators for a construction project at the replacement ratio of the
// rule table), PlaceOrder / CancelOrder (listings and bids, matched by
// price then time), OpenAuction / BidAuction / CloseAuction, Agreement
// (协议转让), Transfer (between government accounts), BuyBack (有偿回购 or
// 无偿收回), Retire and Expire. A settlement (rights, payment record and
// permit-change records) is always one command, hence one atomic write.
//
// Replay(entries) rebuilds the state and Verify(entries) checks an export:
// the hash chain, the grouping of commands, and the invariants (no negative
// balance, no double spend, no spending of expired rights, legal status
// transitions, totals conserved per pollutant).
package rights
