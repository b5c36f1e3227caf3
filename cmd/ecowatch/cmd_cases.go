package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/store"
	"github.com/ecowatch/ecowatch/internal/usage"
)

var runCases = group("cases", "", map[string]command{
	"list": {"cases, overdue first, then newest first (--state S[,S] --county --enterprise --line --source --limit --json)", casesList},
	"show": {"a case and its timeline (ID)", casesShow},
	"act":  {"apply an action as a stored user, their role and scope applying (--as USER ... ID ACTION)", casesAct},
})

var runPetitions = group("petitions", "", map[string]command{
	"list": {"public petitions, newest first (--county --limit --json)", petitionsList},
	"show": {"a petition (any spelling of the tracking code) and its case (CODE)", petitionsShow},
})

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// show runs fn on the store and prints its result as JSON or text.
func show(ctx context.Context, sf *storeFlags, stdout io.Writer, asJSON bool, fn func(store.Store) (casesvc.Shown, error)) error {
	return sf.with(ctx, func(st store.Store) error {
		s, err := fn(st)
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(stdout, s.V)
		}
		return s.Text(stdout)
	})
}

func casesList(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("cases list", "cases list [flags]", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	state := fs.String("state", "", "states, comma-separated")
	q := store.CaseQuery{OverdueFirst: true, Now: time.Now()}
	fs.StringVar(&q.County, "county", "", "county code")
	fs.StringVar(&q.Enterprise, "enterprise", "", "enterprise USCC")
	fs.StringVar(&q.Line, "line", "", "work line")
	source := fs.String("source", "", "source")
	fs.IntVar(&q.Limit, "limit", 50, "at most this many")
	sf := storeFlagsOf(fs)
	if _, err := parsePositional(fs, args, 0); err != nil {
		return err
	}
	q.Source = cases.Source(*source)
	if *state != "" {
		for s := range strings.SplitSeq(*state, ",") {
			q.States = append(q.States, cases.State(s))
		}
	}
	return show(ctx, sf, stdout, *asJSON, func(st store.Store) (casesvc.Shown, error) { return casesvc.ListCases(ctx, st, q) })
}

func casesShow(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("cases show", "cases show [--json] ID", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	sf := storeFlagsOf(fs)
	id, err := oneArg(fs, args)
	if err != nil {
		return err
	}
	return show(ctx, sf, stdout, *asJSON, func(st store.Store) (casesvc.Shown, error) { return casesvc.ShowCase(ctx, st, id, time.Now()) })
}

// oneArg parses flags and exactly one positional argument.
func oneArg(fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", usage.Error{Err: fmt.Errorf("want 1 argument, got %q", pos)}
	}
	return pos[0], nil
}

func casesAct(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("cases act", "cases act --as USER [--seq N] [--reason R] [--assignee U]... [--due 2026-05-01] [--level L] [--doc D] [--satisfaction S] [--evidence HASH]... ID ACTION", stderr)
	as := fs.String("as", "", "act as this user (required)")
	seq := fs.Int("seq", 0, "the seq you last saw; refused if the case changed since")
	reason := fs.String("reason", "", "reason")
	due := fs.String("due", "", "new due date YYYY-MM-DD, China time")
	level := fs.String("level", "", "escalation level")
	doc := fs.String("doc", "", "document number (default: the next of the rung's prefix)")
	sat := fs.String("satisfaction", "", "satisfied, basically-satisfied or dissatisfied")
	var assignees, evidence multiFlag
	fs.Var(&assignees, "assignee", "assignee (repeatable)")
	fs.Var(&evidence, "evidence", "evidence hash (repeatable)")
	sf := storeFlagsOf(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usage.Error{Err: fmt.Errorf("want 2 argument(s), got %q", pos)}
	}
	if *as == "" {
		return usage.Error{Err: errors.New("--as USER is required: actions are taken as a stored user")}
	}
	a := cases.Action{Kind: cases.ActionKind(pos[1]), Reason: *reason, Assignees: assignees, Evidence: evidence,
		Level: cases.Level(*level), Doc: *doc, Satisfaction: cases.Satisfaction(*sat)}
	if *due != "" {
		if a.Due, err = time.ParseInLocation("2006-01-02", *due, chinatime.Zone); err != nil {
			return usage.Error{Err: fmt.Errorf("--due: %w", err)}
		}
	}
	return sf.with(ctx, func(st store.Store) error { return casesvc.ActAs(ctx, st, sf.dataDir, *as, pos[0], *seq, a, stdout) })
}

func petitionsList(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("petitions list", "petitions list [--county C] [--limit N] [--json]", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	var q store.PetitionQuery
	fs.StringVar(&q.County, "county", "", "county code")
	fs.IntVar(&q.Limit, "limit", 50, "at most this many")
	sf := storeFlagsOf(fs)
	if _, err := parsePositional(fs, args, 0); err != nil {
		return err
	}
	return show(ctx, sf, stdout, *asJSON, func(st store.Store) (casesvc.Shown, error) { return casesvc.ListPetitions(ctx, st, q) })
}

func petitionsShow(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("petitions show", "petitions show [--json] CODE", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	sf := storeFlagsOf(fs)
	arg, err := oneArg(fs, args)
	if err != nil {
		return err
	}
	code, ok := cases.NormaliseTrackingCode(arg)
	if !ok {
		return usage.Error{Err: fmt.Errorf("%q is not a valid tracking code", arg)}
	}
	return show(ctx, sf, stdout, *asJSON, func(st store.Store) (casesvc.Shown, error) { return casesvc.ShowPetition(ctx, st, code) })
}
