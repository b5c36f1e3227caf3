package rights

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Account names a holder in the ledger. The prefix says what kind of holder
// it is, so that an exported ledger is readable without a side table:
//
//	ent:<USCC>      an enterprise (排污单位), by unified social credit code
//	county:<code>   a county reservoir (区县调蓄库), by administrative code
//	city            the city reservoir (市级调蓄库)
//	reserve         the government reserve (政府储备)
//	escrow:<ref>    rights committed to an allocation, listing or auction
//	sys:<name>      system accounts that make double entry balance
type Account string

// System accounts. Sources are the only accounts whose rights balance goes
// below zero: their balance is minus everything ever issued from them.
// Sinks are terminal: rights that reach them can never move again.
const (
	Issuance   Account = "sys:issuance"   // source: initial allocation (确权) from permits
	Reduction  Account = "sys:reduction"  // source: verified reductions banked in a reservoir
	Retired    Account = "sys:retired"    // sink: retirement and the cancelled share of a replacement ratio
	Expired    Account = "sys:expired"    // sink: rights past their validity
	WrittenOff Account = "sys:writtenoff" // sink: replacement indicators written off (核销)
	Treasury   Account = "sys:treasury"   // money only: non-tax revenue (政府非税收入) and buy-back payments
	City       Account = "city"           // the city reservoir
	Reserve    Account = "reserve"        // the government reserve
)

// Enterprise returns the account of the enterprise with the given unified
// social credit code.
func Enterprise(uscc string) Account { return Account("ent:" + uscc) }

// CountyReservoir returns the reservoir account of a county.
func CountyReservoir(code string) Account { return Account("county:" + code) }

func escrowOf(ref string) Account { return Account("escrow:" + ref) }

type accountKind uint8

const (
	kindInvalid accountKind = iota
	kindEnterprise
	kindCounty
	kindCity
	kindReserve
	kindEscrow
	kindSource
	kindSink
	kindTreasury
)

func (a Account) kind() accountKind {
	s := string(a)
	switch {
	case a == City:
		return kindCity
	case a == Reserve:
		return kindReserve
	case a == Issuance || a == Reduction:
		return kindSource
	case a == Retired || a == Expired || a == WrittenOff:
		return kindSink
	case a == Treasury:
		return kindTreasury
	case strings.HasPrefix(s, "ent:") && validName(s[4:]):
		return kindEnterprise
	case strings.HasPrefix(s, "county:") && validName(s[7:]):
		return kindCounty
	case strings.HasPrefix(s, "escrow:") && validName(s[7:]):
		return kindEscrow
	}
	return kindInvalid
}

// IsHolder reports whether the account can hold spendable rights: an
// enterprise, a reservoir or the reserve.
func (a Account) IsHolder() bool {
	switch a.kind() {
	case kindEnterprise, kindCounty, kindCity, kindReserve:
		return true
	}
	return false
}

// IsEnterprise reports whether a is an enterprise account.
func (a Account) IsEnterprise() bool { return a.kind() == kindEnterprise }

// IsGovernment reports whether a is a reservoir or the reserve; money paid
// to these goes to the treasury, because sale revenue is non-tax revenue
// (财税〔2015〕61号).
func (a Account) IsGovernment() bool {
	switch a.kind() {
	case kindCounty, kindCity, kindReserve:
		return true
	}
	return false
}

// validName accepts the identifiers used inside accounts and references:
// 1-128 bytes of valid UTF-8 without spaces or control characters, so that
// Chinese document numbers (聊环审〔2024〕5号) are fine and the canonical
// encoding and table rows stay unambiguous.
func validName(s string) bool {
	if s == "" || len(s) > 128 || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	return true
}
