package casesvc

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/store"
)

// Plain-text views of cases and petitions (ecowatch cases, petitions).

// WriteCases lists cases as a table, with how long each is overdue at now.
func WriteCases(w io.Writer, cs []cases.Case, rules *cases.Rules, now time.Time) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tOVERDUE\tCOUNTY\tLINE\tSOURCE\tTITLE")
	for _, c := range cs {
		late := ""
		if l := cases.Overdue(c, rules.Policy(c), now); l.Overdue {
			late = fmt.Sprintf("%dd", int(l.By.Hours()/24))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.State, late, c.County, c.Line, c.Source, c.Title)
	}
	return tw.Flush()
}

// WriteCase writes a case, its timeline and the moves allowed next.
func WriteCase(w io.Writer, c cases.Case, evs []cases.Event, rules *cases.Rules, now time.Time) error {
	fmt.Fprintf(w, "%s  %s  [%s]  %s / %s / %s\n", c.ID, c.Title, c.State, c.County, c.Line, c.Source)
	if l := cases.Overdue(c, rules.Policy(c), now); l.Overdue {
		fmt.Fprintf(w, "OVERDUE since %s\n", l.Due.Format("2006-01-02 15:04"))
	}
	for _, e := range evs {
		fmt.Fprintf(w, "  %3d  %s  %-18s %-10s → %-10s by %s (%s) %s\n", e.Seq, e.At.Format("2006-01-02 15:04"), e.Action, e.From, e.To, e.Actor, e.Role, e.Reason)
	}
	fmt.Fprint(w, "allowed next:")
	for _, m := range cases.Allowed(c.State) {
		fmt.Fprintf(w, " %s→%s", m.Action, m.To)
	}
	_, err := fmt.Fprintln(w)
	return err
}

// WritePetitions lists petitions as a table.
func WritePetitions(w io.Writer, ps []store.StoredPetition) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tRECEIVED\tCATEGORY\tCOUNTY\tCASE\tLOCATION")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Code, p.ReceivedAt.Format("2006-01-02 15:04"), p.Category, p.County, p.Case, p.Location)
	}
	return tw.Flush()
}

// WritePetition writes a petition and the state of its case.
func WritePetition(w io.Writer, p store.StoredPetition, c cases.Case) error {
	fmt.Fprintf(w, "%s  %s  %s  received %s\n  location: %s\n  contact: %s\n  %s\n", p.Code, p.Category, p.County,
		p.ReceivedAt.Format("2006-01-02 15:04"), p.Location, p.Contact, p.Description)
	fmt.Fprintf(w, "case %s [%s]", c.ID, c.State)
	if c.Satisfaction != "" {
		fmt.Fprintf(w, " satisfaction: %s", c.Satisfaction)
	}
	fmt.Fprintln(w)
	if p.Reply != "" {
		fmt.Fprintf(w, "reply: %s\n", p.Reply)
	}
	return nil
}
