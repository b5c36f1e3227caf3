package casesvc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/store"
)

// The runs of the command line's cases and petitions commands on a
// store: each returns what it found as a value (printed as JSON) and as
// the text an operator reads.

// Shown is a command's result: V as JSON, or Text.
type Shown struct {
	V    any
	Text func(io.Writer) error
}

// ListCases is the cases q selects, overdue first when q asks.
func ListCases(ctx context.Context, st store.CasesStore, q store.CaseQuery) (Shown, error) {
	cs, err := st.Cases(ctx, q)
	if err != nil {
		return Shown{}, err
	}
	return Shown{cs, func(w io.Writer) error { return WriteCases(w, cs, cases.DefaultRules(), q.Now) }}, nil
}

// ShowCase is a case and its timeline, deadlines reckoned at now.
func ShowCase(ctx context.Context, st store.CasesStore, id string, now time.Time) (Shown, error) {
	c, err := st.Case(ctx, id)
	if err != nil {
		return Shown{}, err
	}
	evs, err := st.CaseEvents(ctx, c.ID)
	if err != nil {
		return Shown{}, err
	}
	return Shown{map[string]any{"case": c, "timeline": evs},
		func(w io.Writer) error { return WriteCase(w, c, evs, cases.DefaultRules(), now) }}, nil
}

// ActAs applies a to case id as the stored user asUser, with that user's
// role and scope (via the command line), seq being the case's version
// the operator last saw; it prints the transition on w. A refused
// transition names the states allowed next.
func ActAs(ctx context.Context, st store.CasesStore, dataDir, asUser, id string, seq int, a cases.Action, w io.Writer) error {
	u, err := st.User(ctx, asUser)
	if err != nil {
		return err
	}
	svc := &Service{St: st, Rules: cases.DefaultRules(), DataDir: dataDir}
	p := auth.Principal{User: u.ID, Role: u.Role, County: u.County, Enterprise: u.Enterprise, Via: "cli"}
	n, _, err := svc.Act(ctx, id, seq, a, p)
	if err != nil {
		var te *cases.TransitionError
		if errors.As(err, &te) {
			return fmt.Errorf("%w (allowed next states: %v)", err, te.NextStates())
		}
		return err
	}
	_, err = fmt.Fprintf(w, "%s: %s → %s (seq %d)\n", n.ID, a.Kind, n.State, n.Seq)
	return err
}

// ListPetitions is the public petitions q selects, newest first.
func ListPetitions(ctx context.Context, st store.CasesStore, q store.PetitionQuery) (Shown, error) {
	ps, err := st.Petitions(ctx, q)
	if err != nil {
		return Shown{}, err
	}
	return Shown{ps, func(w io.Writer) error { return WritePetitions(w, ps) }}, nil
}

// ShowPetition is the petition of a normalised tracking code and its case.
func ShowPetition(ctx context.Context, st store.CasesStore, code string) (Shown, error) {
	p, err := st.Petition(ctx, cases.FormatTrackingCode(code))
	if err != nil {
		return Shown{}, err
	}
	c, err := st.Case(ctx, p.Case)
	if err != nil {
		return Shown{}, err
	}
	return Shown{map[string]any{"petition": p, "case": c}, func(w io.Writer) error { return WritePetition(w, p, c) }}, nil
}
