package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ecowatch/ecowatch/internal/auth"
	"github.com/ecowatch/ecowatch/internal/cases"
	"github.com/ecowatch/ecowatch/internal/cases/casesvc"
	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/store"
)

const casesUsage = `Usage: ecowatch cases <subcommand> [flags]

Subcommands:
  list [--state S[,S]] [--county C] [--enterprise E] [--line L] [--source S] [--limit N] [--json]
        overdue cases first, then newest first
  show [--json] ID                 a case and its timeline
  act --as USER [--seq N] [--reason R] [--assignee U]... [--due 2026-05-01] [--level L]
      [--doc D] [--satisfaction S] [--evidence HASH]... ID ACTION
        apply an action as a stored user (their role and scope apply);
        a refused action prints the reason and the allowed moves
`

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runCases(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, casesUsage)
		return usageError{errors.New("missing subcommand (list, show or act)")}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stderr, casesUsage)
		return flag.ErrHelp
	case "list", "show", "act":
	default:
		fmt.Fprint(stderr, casesUsage)
		return usageError{fmt.Errorf("unknown subcommand %q", args[0])}
	}
	sub := args[0]
	fs := newFlagSet("cases "+sub, "cases "+sub+" [flags]", stderr)
	var sf registryStoreFlags
	sf.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	state := fs.String("state", "", "states, comma-separated (list)")
	county := fs.String("county", "", "county code (list)")
	ent := fs.String("enterprise", "", "enterprise USCC (list)")
	line := fs.String("line", "", "work line (list)")
	source := fs.String("source", "", "source (list)")
	limit := fs.Int("limit", 50, "at most this many (list)")
	as := fs.String("as", "", "act as this user (act)")
	seq := fs.Int("seq", 0, "the seq you last saw; refused if the case changed since (act)")
	reason := fs.String("reason", "", "reason (act)")
	due := fs.String("due", "", "new due date YYYY-MM-DD, China time (act)")
	level := fs.String("level", "", "escalation level (act)")
	doc := fs.String("doc", "", "document number (act; default: the next of the rung's prefix)")
	sat := fs.String("satisfaction", "", "satisfied, basically-satisfied or dissatisfied (act)")
	var assignees, evidence multiFlag
	fs.Var(&assignees, "assignee", "assignee (act, repeatable)")
	fs.Var(&evidence, "evidence", "evidence hash (act, repeatable)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	want := map[string]int{"list": 0, "show": 1, "act": 2}[sub]
	if len(pos) != want {
		return usageError{fmt.Errorf("want %d argument(s), got %q", want, pos)}
	}
	st, err := sf.open(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	rules := cases.DefaultRules()
	now := time.Now()
	switch sub {
	case "list":
		q := store.CaseQuery{County: *county, Enterprise: *ent, Line: *line, Source: cases.Source(*source), OverdueFirst: true, Now: now, Limit: *limit}
		if *state != "" {
			for s := range strings.SplitSeq(*state, ",") {
				q.States = append(q.States, cases.State(s))
			}
		}
		cs, err := st.Cases(ctx, q)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSONOut(stdout, cs)
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATE\tOVERDUE\tCOUNTY\tLINE\tSOURCE\tTITLE")
		for _, c := range cs {
			late := ""
			if l := cases.Overdue(c, rules.Policy(c), now); l.Overdue {
				late = fmt.Sprintf("%dd", int(l.By.Hours()/24))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.State, late, c.County, c.Line, c.Source, c.Title)
		}
		return tw.Flush()
	case "show":
		c, err := st.Case(ctx, pos[0])
		if err != nil {
			return err
		}
		evs, err := st.CaseEvents(ctx, c.ID)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSONOut(stdout, map[string]any{"case": c, "timeline": evs})
		}
		fmt.Fprintf(stdout, "%s  %s  [%s]  %s / %s / %s\n", c.ID, c.Title, c.State, c.County, c.Line, c.Source)
		if l := cases.Overdue(c, rules.Policy(c), now); l.Overdue {
			fmt.Fprintf(stdout, "OVERDUE since %s\n", l.Due.Format("2006-01-02 15:04"))
		}
		for _, e := range evs {
			fmt.Fprintf(stdout, "  %3d  %s  %-18s %-10s → %-10s by %s (%s) %s\n", e.Seq, e.At.Format("2006-01-02 15:04"), e.Action, e.From, e.To, e.Actor, e.Role, e.Reason)
		}
		fmt.Fprint(stdout, "allowed next:")
		for _, m := range cases.Allowed(c.State) {
			fmt.Fprintf(stdout, " %s→%s", m.Action, m.To)
		}
		fmt.Fprintln(stdout)
		return nil
	default: // act
		if *as == "" {
			return usageError{errors.New("--as USER is required: actions are taken as a stored user")}
		}
		u, err := st.User(ctx, *as)
		if err != nil {
			return err
		}
		a := cases.Action{Kind: cases.ActionKind(pos[1]), Reason: *reason, Assignees: assignees, Evidence: evidence,
			Level: cases.Level(*level), Doc: *doc, Satisfaction: cases.Satisfaction(*sat)}
		if *due != "" {
			d, err := time.ParseInLocation("2006-01-02", *due, chinatime.Zone)
			if err != nil {
				return usageError{fmt.Errorf("--due: %w", err)}
			}
			a.Due = d
		}
		svc := &casesvc.Service{St: st, Rules: rules, DataDir: sf.dataDir}
		p := auth.Principal{User: u.ID, Role: u.Role, County: u.County, Enterprise: u.Enterprise, Via: "cli"}
		n, _, err := svc.Act(ctx, pos[0], *seq, a, p)
		if err != nil {
			var te *cases.TransitionError
			if errors.As(err, &te) {
				return fmt.Errorf("%w (allowed next states: %v)", err, te.NextStates())
			}
			return err
		}
		fmt.Fprintf(stdout, "%s: %s → %s (seq %d)\n", n.ID, a.Kind, n.State, n.Seq)
		return nil
	}
}

func writeJSONOut(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
