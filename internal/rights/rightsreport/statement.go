package rightsreport

import (
	"cmp"
	"slices"
	"time"

	"github.com/ecowatch/ecowatch/internal/rights"
)

// Line is one ledger entry on a statement, from the account's side.
type Line[T ~int64] struct {
	Seq          int64          `json:"seq"`
	Time         time.Time      `json:"time"`
	Cmd          string         `json:"cmd"`
	Op           string         `json:"op"`
	Ref          string         `json:"ref,omitempty"`
	Doc          string         `json:"doc,omitempty"`
	Counterparty rights.Account `json:"counterparty"`
	In           T              `json:"in"`
	Out          T              `json:"out"`
	Balance      T              `json:"balance"`
}

// Section is an account's statement for one asset: a pollutant's rights in
// g/a (Grams) or money in fen (Fen). Closing = Opening + In − Out.
type Section[T ~int64] struct {
	Asset   string    `json:"asset"`
	Opening T         `json:"opening"`
	In      T         `json:"in"`
	Out     T         `json:"out"`
	Closing T         `json:"closing"`
	Lines   []Line[T] `json:"lines"`
}

// StatementReport is an account statement (账户对账单) for a period: per
// pollutant and for money, the opening balance, each entry, the closing
// balance. The money section is the net of payments recorded for the
// account (fees and purchases out, sales and buy-back payments in).
type StatementReport struct {
	Account rights.Account   `json:"account"`
	Period  Range            `json:"period"`
	Rights  []Section[Grams] `json:"rights"`
	Money   Section[Fen]     `json:"money"`
}

// Statement builds an account's statement from the ledger entries. A
// pollutant the account never held is left out; one it held shows even
// without movements in the period (its opening equals its closing).
func Statement(entries []rights.Entry, account rights.Account, p Range) StatementReport {
	rep := StatementReport{Account: account, Period: p, Rights: []Section[Grams]{},
		Money: Section[Fen]{Asset: rights.Money, Lines: []Line[Fen]{}}}
	secs := map[string]*Section[Grams]{}
	for i := range entries {
		e := &entries[i]
		if e.Kind == rights.KindEvent || (e.From != account && e.To != account) {
			continue
		}
		if !p.To.IsZero() && !e.Time.Before(p.To) {
			break // entries are in Seq order, hence in time order
		}
		in := e.To == account
		other := e.From
		if !in {
			other = e.To
		}
		within := p.Contains(e.Time)
		if e.Kind == rights.KindMoney {
			post(&rep.Money, e, Fen(e.Amount), in, other, within)
			continue
		}
		s := secs[e.Asset]
		if s == nil {
			s = &Section[Grams]{Asset: e.Asset, Lines: []Line[Grams]{}}
			secs[e.Asset] = s
		}
		post(s, e, Grams(e.Amount), in, other, within)
	}
	for _, s := range secs {
		rep.Rights = append(rep.Rights, *s)
	}
	slices.SortFunc(rep.Rights, func(a, b Section[Grams]) int { return cmp.Compare(a.Asset, b.Asset) })
	return rep
}

// post adds an entry to a section: before the period it only moves the
// opening balance.
func post[T ~int64](s *Section[T], e *rights.Entry, q T, in bool, other rights.Account, within bool) {
	d := q
	if !in {
		d = -q
	}
	if !within {
		s.Opening += d
		s.Closing += d
		return
	}
	s.Closing += d
	l := Line[T]{Seq: e.Seq, Time: e.Time, Cmd: e.Cmd, Op: e.Op, Ref: e.Ref, Doc: e.Doc, Counterparty: other, Balance: s.Closing}
	if in {
		l.In, s.In = q, s.In+q
	} else {
		l.Out, s.Out = q, s.Out+q
	}
	s.Lines = append(s.Lines, l)
}
